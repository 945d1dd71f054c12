"""Icons drawn with QPainter, so the app ships no third-party artwork.

Status colours are chosen to read on both light and dark table backgrounds and to stay
distinguishable for the common red-green colour blindness (each status also has its own
glyph, so colour is never the only signal).
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QIcon,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)

STATUS_COLOURS: dict[str, str] = {
    "pending_consent": "#b7791f",
    "ready": "#2b6cb0",
    "running": "#2c7a7b",
    "waiting": "#c05621",
    "completed": "#2f855a",
    "failed": "#c53030",
    "cancelled": "#718096",
    "interrupted": "#975a16",
}

STATUS_LABELS: dict[str, str] = {
    "pending_consent": "Needs consent",
    "ready": "Ready",
    "running": "Running",
    "waiting": "Waiting for you",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "interrupted": "Interrupted",
}

# One glyph per status: drawn in white on the coloured disc.
_STATUS_GLYPHS: dict[str, str] = {
    "pending_consent": "!",
    "ready": "\u2022",
    "running": "\u25b6",
    "waiting": "?",
    "completed": "\u2713",
    "failed": "\u2715",
    "cancelled": "\u2013",
    "interrupted": "\u21bb",
}

APP_ICON_COLOUR = "#1f4e79"


def status_colour(status: str) -> QColor:
    return QColor(STATUS_COLOURS.get(str(status), "#4a5568"))


def status_label(status: str) -> str:
    return STATUS_LABELS.get(str(status), str(status).replace("_", " ").capitalize())


def _disc_pixmap(colour: QColor, glyph: str, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.62))
    painter.setFont(font)
    painter.setPen(QPen(QColor("white")))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, glyph)
    painter.end()
    return pixmap


@functools.cache
def status_icon(status: str) -> QIcon:
    """A coloured disc with a glyph for a status (cached: the table asks often)."""
    icon = QIcon()
    for size in (16, 24, 32):
        colour = status_colour(status)
        icon.addPixmap(
            _disc_pixmap(colour, _STATUS_GLYPHS.get(str(status), "\u2022"), size)
        )
    return icon


def draw_app_image(size: int = 256) -> QImage:
    """The Filing Desk mark: a document with a folded corner and a tick, on a tile."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    unit = size / 16.0

    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(APP_ICON_COLOUR))
    painter.drawRoundedRect(
        QRectF(0.5 * unit, 0.5 * unit, 15 * unit, 15 * unit), 3 * unit, 3 * unit
    )

    page = QPainterPath()
    page.moveTo(4 * unit, 2.5 * unit)
    page.lineTo(9.5 * unit, 2.5 * unit)
    page.lineTo(12 * unit, 5 * unit)
    page.lineTo(12 * unit, 13.5 * unit)
    page.lineTo(4 * unit, 13.5 * unit)
    page.closeSubpath()
    painter.setBrush(QColor("#f7fafc"))
    painter.drawPath(page)
    fold = QPainterPath()
    fold.moveTo(9.5 * unit, 2.5 * unit)
    fold.lineTo(9.5 * unit, 5 * unit)
    fold.lineTo(12 * unit, 5 * unit)
    fold.closeSubpath()
    painter.setBrush(QColor("#cbd5e0"))
    painter.drawPath(fold)

    painter.setPen(QPen(QColor("#a0aec0"), 0.5 * unit))
    for row in (6.5, 8.0):
        painter.drawLine(
            QPointF(5.5 * unit, row * unit), QPointF(10.5 * unit, row * unit)
        )

    tick_pen = QPen(QColor("#38a169"), 1.1 * unit)
    tick_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    tick_pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(tick_pen)
    painter.drawPolyline(
        [
            QPointF(6 * unit, 10.6 * unit),
            QPointF(7.6 * unit, 12 * unit),
            QPointF(10.6 * unit, 9 * unit),
        ]
    )
    painter.end()
    return image


@functools.cache
def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(QPixmap.fromImage(draw_app_image(size)))
    return icon


def write_app_icons(folder: Path) -> list[Path]:
    """Write ``filing-desk.png`` and ``filing-desk.ico`` (for the Windows build)."""
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / "filing-desk.png"
    ico = folder / "filing-desk.ico"
    draw_app_image(256).save(str(png), "PNG")
    if not draw_app_image(256).save(str(ico), "ICO"):
        _write_png_ico(ico, png.read_bytes())
    return [png, ico]


def _write_png_ico(path: Path, png_bytes: bytes) -> None:
    """An ICO file holding one 256 px PNG image (valid since Windows Vista)."""
    header = (
        (0).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
    )
    entry = bytes([0, 0, 0, 0]) + (1).to_bytes(2, "little") + (32).to_bytes(2, "little")
    entry += len(png_bytes).to_bytes(4, "little") + (6 + 16).to_bytes(4, "little")
    path.write_bytes(header + entry + png_bytes)
