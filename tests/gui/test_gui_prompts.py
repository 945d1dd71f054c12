"""The OTP and captcha dialogs, the prompt queue and the GUI operator."""

from __future__ import annotations

import logging
import threading

import pytest
from _gui_fixtures import *  # noqa: F403 - fixtures
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from desktop_app.automation.operator import (
    CancelToken,
    PromptKind,
    PromptOutcome,
    PromptRequest,
    PromptResult,
)
from desktop_app.gui.prompts import (
    CaptchaDialog,
    Decision,
    GuiOperator,
    OtpDialog,
    PromptCenter,
    PromptView,
    otp_from_text,
    sent_to_text,
)

pytestmark = pytest.mark.gui


def _request(kind: PromptKind = PromptKind.MOBILE_OTP, **fields) -> PromptRequest:
    values = dict(
        kind=kind,
        applicant_ref="A-TEST01",
        masked_applicant="Asha Devi (XXXX XXXX 1234)",
        portal="emudhra",
        step="Verify mobile",
        sent_to="the mobile ending 3210",
    )
    values.update(fields)
    return PromptRequest.expiring_in(120, **values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your OTP is 482913. Do not share", "482913"),
        ("482913", "482913"),
        ("48a29", "4829"),
        ("Dear customer, 1234 is your code for ref 99887766", "1234"),
        ("OTP for txn 12 is 555111 valid 10 min", "555111"),
    ],
)
def test_otp_from_text_keeps_only_the_code(text: str, expected: str) -> None:
    assert otp_from_text(text) == expected


def test_sent_to_names_the_last_four_digits() -> None:
    assert (
        sent_to_text("mobile_otp", "9876543210") == "OTP sent to the mobile ending 3210"
    )
    assert "ending 3210" in sent_to_text("mobile_otp", "the mobile ending 3210")


def test_otp_field_reduces_a_pasted_sms_to_its_digits(qtbot) -> None:
    dialog = OtpDialog(PromptView.from_request(_request()))
    qtbot.addWidget(dialog)
    QGuiApplication.clipboard().setText("Your OTP is 482913. Do not share")
    dialog.otp_edit.setFocus()
    dialog.otp_edit.paste()
    assert dialog.otp_edit.text() == "482913"
    dialog.otp_edit.clear()
    qtbot.keyClicks(dialog.otp_edit, "Your OTP is 482913. Do not share")
    assert dialog.otp_edit.text() == "482913"
    assert dialog.answer_button.isEnabled()


def test_otp_dialog_shows_who_where_and_the_attempt(qtbot) -> None:
    request = _request(attempt=2, max_attempts=3, message="Incorrect OTP, Re-enter")
    dialog = OtpDialog(PromptView.from_request(request))
    qtbot.addWidget(dialog)
    dialog.show()
    texts = " ".join(
        label.text() for label in dialog.findChildren(type(dialog.sent_label))
    )
    assert "XXXX XXXX 1234" in texts
    assert "2 of 3" in texts
    assert "ending 3210" in dialog.sent_label.text()
    assert dialog.problem.isVisible() and "Incorrect OTP" in dialog.problem.text()
    assert "Expires in" in dialog.countdown.format()
    qtbot.keyClicks(dialog.otp_edit, "12ab")
    assert dialog.otp_edit.text() == "12"
    assert not dialog.answer_button.isEnabled()


def _png(width: int = 120, height: int = 40) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#ddeeff"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def test_captcha_dialog_shows_the_image_large_and_answers(qtbot) -> None:
    request = _request(PromptKind.CAPTCHA, image_png=_png(), sent_to="")
    dialog = CaptchaDialog(PromptView.from_request(request))
    qtbot.addWidget(dialog)
    decisions = []
    dialog.decided.connect(lambda d, a: decisions.append((d, a)))
    dialog.show()
    assert dialog.image.pixmap().width() >= 3 * 120
    assert not dialog.answer_button.isEnabled()
    qtbot.keyClicks(dialog.text_edit, "x7Kp2")
    qtbot.mouseClick(dialog.answer_button, Qt.MouseButton.LeftButton)
    assert decisions == [(Decision.ANSWER, "x7Kp2")]


class _Asker(threading.Thread):
    """A worker that asks the operator, as a flow would."""

    def __init__(self, operator: GuiOperator, request: PromptRequest) -> None:
        super().__init__(name=f"asker-{request.applicant_ref}")
        self.operator, self.request = operator, request
        self.cancel = CancelToken()
        self.result: PromptResult | None = None

    def run(self) -> None:
        self.result = self.operator.ask(self.request, self.cancel)


def test_requests_queue_oldest_first_and_answers_reach_the_worker(
    qtbot,
    qapp: QApplication,
    no_leaks,
    caplog,
) -> None:
    center = PromptCenter()
    operator = GuiOperator(center)
    first = _Asker(operator, _request(applicant_ref="A-FIRST1"))
    second = _Asker(
        operator,
        _request(PromptKind.CAPTCHA, applicant_ref="A-SECND2", image_png=_png()),
    )
    caplog.set_level(logging.DEBUG)
    with qtbot.waitSignal(center.prompt_shown, timeout=5000) as shown:
        first.start()
    assert shown.args[0].request.applicant_ref == "A-FIRST1"
    second.start()
    qtbot.waitUntil(lambda: center.pending_count() == 2, timeout=5000)
    assert isinstance(qapp.activeModalWidget(), OtpDialog)

    dialog = qapp.activeModalWidget()
    qtbot.keyClicks(dialog.otp_edit, "Your OTP is 482913. Do not share")
    with qtbot.waitSignal(center.prompt_shown, timeout=5000) as shown:
        qtbot.mouseClick(dialog.answer_button, Qt.MouseButton.LeftButton)
    assert shown.args[0].request.applicant_ref == "A-SECND2"
    assert isinstance(qapp.activeModalWidget(), CaptchaDialog)
    qapp.activeModalWidget().reject()  # Escape: skip this filing
    first.join(5)
    second.join(5)
    assert first.result is not None and first.result.answer == "482913"
    assert (
        second.result is not None and second.result.outcome is PromptOutcome.CANCELLED
    )
    assert "482913" not in caplog.text


def test_a_prompt_that_times_out_closes_its_dialog(qtbot, qapp, no_leaks) -> None:
    center = PromptCenter()
    operator = GuiOperator(center)
    asker = _Asker(operator, _request())
    with qtbot.waitSignal(center.prompt_shown, timeout=5000):
        asker.start()
    with qtbot.waitSignal(center.prompt_closed, timeout=5000) as closed:
        asker.cancel.cancel("The filing was cancelled.")
    assert closed.args[1] is Decision.EXPIRED
    asker.join(5)
    assert qapp.activeModalWidget() is None


def test_abort_all_releases_waiting_workers(qtbot, qapp, no_leaks) -> None:
    center = PromptCenter()
    operator = GuiOperator(center)
    askers = [_Asker(operator, _request(applicant_ref=f"A-{n}")) for n in range(3)]
    with qtbot.waitSignal(center.prompt_shown, timeout=5000):
        for asker in askers:
            asker.start()
    qtbot.waitUntil(lambda: center.pending_count() == 3, timeout=5000)
    operator.abort_all()
    center.abort_all()
    for asker in askers:
        asker.join(5)
        assert asker.result is not None
        assert asker.result.outcome is PromptOutcome.ABORTED
