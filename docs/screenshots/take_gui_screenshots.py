"""Take the README screenshots of the window, offscreen: gui-*.png beside this file.

Run from the repository root::

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/take_gui_screenshots.py

The queue is the fictional sample applicants, moved through a few statuses with the
store's own calls, in a throw-away data folder. Also writes the app icon files under
resources/icons/.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QIODevice, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop_app.automation.operator import PromptKind, PromptRequest  # noqa: E402
from desktop_app.core.importer import read_file  # noqa: E402
from desktop_app.core.settings import Settings  # noqa: E402
from desktop_app.core.store import FailureKind, Store  # noqa: E402
from desktop_app.gui.app import application  # noqa: E402
from desktop_app.gui.icons import write_app_icons  # noqa: E402
from desktop_app.gui.import_preview import ImportPreviewDialog  # noqa: E402
from desktop_app.gui.main_window import MainWindow, WindowContext  # noqa: E402
from desktop_app.gui.prompts import CaptchaDialog, OtpDialog, PromptView  # noqa: E402
from desktop_app.paths import DataDir, resource_path  # noqa: E402

HERE = Path(__file__).resolve().parent
DSC_STEPS = [
    "Open the partner portal",
    "Sign in",
    "Choose the certificate",
    "Enter PAN",
    "Aadhaar eKYC",
    "Verify the mobile",
    "Verify the e-mail",
    "Pay",
    "Submit",
]


def _settle(app: QApplication, seconds: float = 0.4) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def _populate(store: Store) -> None:
    report = read_file(resource_path("samples", "applicants.xlsx"))
    added = store.add_applicants(report.applicants, "applicants.xlsx")
    for applicant in report.applicants:
        if applicant.ref in added.added and applicant.consent is None:
            store.record_consent(applicant.ref, "demo", applicant.services)
    ids = list(added.filing_ids)
    _complete(
        store, ids[0], "DSC-ORD-2026-004512", "The certificate arrives by e-mail."
    )
    _complete(store, ids[2], "UDYAM-TN-28-0031457", "Download the certificate.")
    _run_to(store, ids[1], 6, "Verify the mobile", waiting=True)
    _run_to(store, ids[3], 4, "Enter PAN")
    if len(ids) > 4:
        store.begin_attempt(ids[4])
        store.step_started(ids[4], DSC_STEPS[0], 1, 9)
        store.fail(
            ids[4], FailureKind.BUSINESS, "The portal says this PAN is not valid."
        )


def _run_to(
    store: Store, filing_id: int, index: int, title: str, waiting=False
) -> None:
    store.begin_attempt(filing_id)
    for number, name in enumerate(DSC_STEPS[: index - 1], start=1):
        store.step_started(filing_id, name, number, 9)
        store.step_finished(filing_id, name, "ok")
        store.log_event(filing_id, "INFO", f"{name}: done")
    store.step_started(filing_id, title, index, 9)
    if waiting:
        store.log_event(
            filing_id, "INFO", "Waiting for the OTP sent to the mobile ending 3210"
        )
        from desktop_app.core.store import FilingStatus

        store.set_status(filing_id, FilingStatus.WAITING)


def _complete(store: Store, filing_id: int, result: str, next_step: str) -> None:
    _run_to(store, filing_id, 9, DSC_STEPS[-1])
    store.step_finished(filing_id, DSC_STEPS[-1], "ok")
    store.save_result(filing_id, result, next_step)


def _captcha_png() -> bytes:
    image = QImage(160, 50, QImage.Format.Format_RGB32)
    image.fill(QColor("#f7fafc"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#a0aec0"), 1))
    for x in range(0, 160, 9):
        painter.drawLine(QPointF(x, 0), QPointF(x + 30, 50))
    font = QFont()
    font.setPixelSize(30)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#2d3748"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "x7Kp2")
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def _save(widget: QWidget, name: str) -> Path:
    path = HERE / name
    widget.grab().save(str(path))
    return path


def main() -> int:
    app = application()
    written = write_app_icons(resource_path("icons"))
    with tempfile.TemporaryDirectory() as folder:
        data_dir = DataDir(Path(folder)).ensure()
        with Store.open(data_dir) as store:
            _populate(store)
            settings = Settings()
            context = WindowContext(
                data_dir, store, settings, dict(settings.portal_urls)
            )
            window = MainWindow(context)
            window.resize(1440, 860)
            window.show()
            _settle(app)
            window.table.selectRow(1)
            _settle(app)
            written.append(_save(window, "gui-main-window.png"))

            preview = ImportPreviewDialog(
                resource_path("samples", "applicants_with_errors.csv"), store, window
            )
            preview.show()
            _settle(app)
            written.append(_save(preview, "gui-import-preview.png"))
            preview.reject()

            request = PromptRequest.expiring_in(
                272,
                kind=PromptKind.MOBILE_OTP,
                applicant_ref="A-JM24QS",
                masked_applicant="Arjun Vilas Deshmukh (XXXX XXXX 0419)",
                portal="emudhra",
                step="Verify the mobile",
                attempt=2,
                max_attempts=3,
                sent_to="the mobile ending 3210",
                message="Incorrect OTP, Re-enter the OTP sent to your mobile.",
                can_resend=True,
            )
            otp = OtpDialog(PromptView.from_request(request), window)
            otp.show()
            _settle(app, 0.8)
            written.append(_save(otp, "gui-otp-dialog.png"))
            otp.reject()

            captcha_request = PromptRequest.expiring_in(
                120,
                kind=PromptKind.CAPTCHA,
                applicant_ref="A-H2NLUW",
                masked_applicant="Meena Subramanian (XXXX XXXX 7781)",
                portal="udyam",
                step="Verify PAN",
                image_png=_captcha_png(),
                can_resend=True,
            )
            captcha = CaptchaDialog(PromptView.from_request(captcha_request), window)
            captcha.show()
            _settle(app)
            written.append(_save(captcha, "gui-captcha-dialog.png"))
            captcha.reject()

            window.confirm_close()
            window.close()
            _settle(app, 0.5)
    for path in written:
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
