"""The details pane: who the applicant is, what happened, and the result to copy."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.models import Applicant
from desktop_app.core.store import EvidenceRow, FilingRow, StepEvent
from desktop_app.gui.icons import status_colour, status_icon, status_label

log = logging.getLogger(__name__)

THUMBNAIL = QSize(160, 100)
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
_OUTCOME_TEXT = {
    "ok": "done",
    "business": "refused by the portal",
    "technical": "technical problem",
    "cancelled": "cancelled",
    "timeout": "no answer in time",
}


def _format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "running\u2026"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def applicant_facts(applicant: Applicant) -> list[tuple[str, str]]:
    """Label/value pairs to show; the Aadhaar is masked, as everywhere."""
    person = applicant.person
    facts = [
        ("Reference", applicant.ref),
        ("Name (Aadhaar)", person.full_name),
        ("Name (PAN)", person.pan_name),
        ("Aadhaar", applicant.masked_aadhaar),
        ("PAN", person.pan),  # not secret like Aadhaar; the office needs it whole
        ("Date of birth", person.date_of_birth.strftime("%d %b %Y")),
        ("Mobile", f"XXXXXX{person.mobile[-4:]}" if person.mobile else ""),
        ("E-mail", person.email),
        ("Address", person.address.one_line()),
        ("Services", ", ".join(sorted(s.label for s in applicant.services))),
    ]
    if applicant.consent is not None:
        consent = applicant.consent
        facts.append(
            ("Consent", f"{consent.given_at:%d %b %Y %H:%M}, {consent.given_by}")
        )
        missing = applicant.services - consent.services
        if missing:
            labels = ", ".join(sorted(s.label for s in missing))
            facts.append(("No consent for", labels))
    else:
        facts.append(("Consent", "not recorded"))
    if applicant.udyam is not None:
        facts.append(("Enterprise", applicant.udyam.enterprise_name))
    return facts


class ImageViewer(QDialog):
    """Shows one evidence image full size, scrollable."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(path.name)
        self.resize(1000, 720)
        label = QLabel(self)
        label.setPixmap(QPixmap(str(path)))
        scroll = QScrollArea(self)
        scroll.setWidget(label)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        open_button = QPushButton("Open with another program", self)
        open_button.clicked.connect(self._on_open_external)
        layout.addWidget(open_button, 0, Qt.AlignmentFlag.AlignRight)
        self.path = path

    @Slot()
    def _on_open_external(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))


class DetailsPane(QWidget):
    """Applicant fields, step timeline, evidence, the acknowledgement and copy buttons.

    Signals:
        copied(str): text was put on the clipboard (the status bar says so).
        pin_requested(str): the operator asked to see the DSC PIN the app chose for
            this applicant (ref); the window reveals it from the store.
    """

    copied = Signal(str)
    pin_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filing: FilingRow | None = None
        self._applicant_ref = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel("Select a filing to see its details", self)
        font = self.title.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.status = QLabel("", self)
        layout.addWidget(self.status)
        self._build_result(layout)
        self.facts_box = QWidget(self)
        # Never squeeze the facts to make room for the timeline: it scrolls instead.
        self.facts_box.setSizePolicy(
            QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum
        )
        self.facts = QFormLayout(self.facts_box)
        self.facts.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.facts_box)
        # The PIN is the applicant's eMudhra password: shown only when asked for.
        self.show_pin = QPushButton("Show the DSC PIN Filing Desk chose", self)
        self.show_pin.clicked.connect(self._on_show_pin)
        self.show_pin.setVisible(False)
        layout.addWidget(self.show_pin)
        layout.addWidget(_section("Steps", self))
        self.timeline = QTreeWidget(self)
        self.timeline.setHeaderLabels(["Step", "Outcome", "Took"])
        self.timeline.setRootIsDecorated(False)
        self.timeline.setMinimumHeight(90)
        layout.addWidget(self.timeline, 1)
        layout.addWidget(_section("Evidence", self))
        self.evidence = QListWidget(self)
        self.evidence.setViewMode(QListWidget.ViewMode.IconMode)
        self.evidence.setIconSize(THUMBNAIL)
        self.evidence.setMaximumHeight(THUMBNAIL.height() + 40)
        self.evidence.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.evidence.itemActivated.connect(self._on_evidence_activated)
        layout.addWidget(self.evidence)

    def _build_result(self, layout: QVBoxLayout) -> None:
        self.result_frame = QFrame(self)
        self.result_frame.setObjectName("resultFrame")
        self.result_frame.setStyleSheet(
            "#resultFrame { background: #f0fff4; border: 1px solid #9ae6b4;"
            " border-radius: 4px; }"
        )
        row = QHBoxLayout(self.result_frame)
        self.result_label = QLabel("", self.result_frame)
        self.result_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.result_label.setWordWrap(True)
        self.copy_result = QPushButton("Copy number", self.result_frame)
        self.copy_result.clicked.connect(self._on_copy_result)
        self.copy_all = QPushButton("Copy summary", self.result_frame)
        self.copy_all.clicked.connect(self._on_copy_summary)
        row.addWidget(self.result_label, 1)
        row.addWidget(self.copy_result)
        row.addWidget(self.copy_all)
        self.result_frame.setVisible(False)
        layout.addWidget(self.result_frame)

    # -- content ------------------------------------------------------------------

    def clear(self) -> None:
        self.filing = None
        self._applicant_ref = ""
        self.show_pin.setVisible(False)
        self.title.setText("Select a filing to see its details")
        self.status.clear()
        self.result_frame.setVisible(False)
        self._set_facts([])
        self.timeline.clear()
        self.evidence.clear()

    def show_filing(
        self,
        filing: FilingRow,
        applicant: Applicant | None,
        steps: list[StepEvent],
        evidence: list[EvidenceRow],
    ) -> None:
        self.filing = filing
        self.title.setText(f"{filing.display_name} \u2013 {filing.service.label}")
        colour = status_colour(filing.status).name()
        label = status_label(filing.status)
        text = f"<span style='color:{colour}; font-weight:bold'>{label}</span>"
        if filing.step_text:
            text += f" &nbsp;\u00b7&nbsp; {filing.step_text}"
        if filing.failure_message:
            text += f"<br>{_html(filing.failure_message)}"
        self.status.setText(text)
        self._show_result(filing)
        self._set_facts(applicant_facts(applicant) if applicant else [])
        self._applicant_ref = applicant.ref if applicant else ""
        chose_pin = bool(applicant and applicant.dsc and applicant.dsc.pin_generated)
        self.show_pin.setVisible(chose_pin)
        self._show_steps(steps)
        self._show_evidence(evidence)

    def _show_result(self, filing: FilingRow) -> None:
        if not filing.result:
            self.result_frame.setVisible(False)
            return
        text = f"<b>{_html(filing.result)}</b>"
        if filing.next_step:
            text += f"<br>Next: {_html(filing.next_step)}"
        self.result_label.setText(text)
        self.result_frame.setVisible(True)

    def _set_facts(self, facts: list[tuple[str, str]]) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        for label, value in facts:
            widget = QLabel(value, self.facts_box)
            widget.setWordWrap(True)
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(f"{label}:", widget)

    def _show_steps(self, steps: list[StepEvent]) -> None:
        self.timeline.clear()
        for step in steps:
            outcome = _OUTCOME_TEXT.get(
                step.outcome or "", step.outcome or "in progress"
            )
            item = QTreeWidgetItem(
                [
                    f"{step.step_index}. {step.step_name}",
                    outcome,
                    _format_duration(step.duration_s),
                ]
            )
            if step.message:
                item.setToolTip(1, step.message)
            status = "completed" if step.outcome == "ok" else "running"
            if step.outcome and step.outcome != "ok":
                status = "failed"
            item.setIcon(0, status_icon(status))
            self.timeline.addTopLevelItem(item)
        for column in range(3):
            self.timeline.resizeColumnToContents(column)

    def _show_evidence(self, evidence: list[EvidenceRow]) -> None:
        self.evidence.clear()
        for row in evidence:
            item = QListWidgetItem(row.kind, self.evidence)
            item.setData(Qt.ItemDataRole.UserRole, str(row.path))
            item.setToolTip(
                f"{row.kind} \u2013 {row.created_at:%d %b %H:%M:%S}\n{row.path.name}"
            )
            if row.path.suffix.lower() in _IMAGE_SUFFIXES and row.path.exists():
                pixmap = QPixmap(str(row.path))
                if not pixmap.isNull():
                    item.setIcon(
                        QIcon(
                            pixmap.scaled(
                                THUMBNAIL,
                                Qt.AspectRatioMode.KeepAspectRatio,
                                Qt.TransformationMode.SmoothTransformation,
                            )
                        )
                    )

    # -- actions ------------------------------------------------------------------

    @Slot(QListWidgetItem)
    def _on_evidence_activated(self, item: QListWidgetItem) -> None:
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        if path.suffix.lower() in _IMAGE_SUFFIXES:
            ImageViewer(path, self).open()
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    @Slot()
    def _on_show_pin(self) -> None:
        if self._applicant_ref:
            self.pin_requested.emit(self._applicant_ref)

    def _on_copy_result(self) -> None:
        if self.filing and self.filing.result:
            self._copy(self.filing.result)

    @Slot()
    def _on_copy_summary(self) -> None:
        filing = self.filing
        if not filing or not filing.result:
            return
        lines = [
            f"{filing.display_name} ({filing.pan})",
            f"{filing.service.label}: {filing.result}",
        ]
        if filing.next_step:
            lines.append(f"Next: {filing.next_step}")
        self._copy("\n".join(lines))

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)


def _section(title: str, parent: QWidget) -> QLabel:
    label = QLabel(title.upper(), parent)
    label.setStyleSheet("color: #718096; font-weight: bold; margin-top: 6px;")
    return label


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
