"""Asking the operator: the OTP and captcha dialogs, the prompt queue, the GUI operator.

A flow's worker thread calls :meth:`GuiOperator.ask`, which hands the request to the
GUI thread through a queued signal and then waits on the request's own event. On the
GUI thread :class:`PromptCenter` queues requests (oldest first), draws the operator's
attention (raise, tray notice, beep, taskbar flash) and shows one dialog at a time with
``open()`` rather than a nested ``exec()`` loop. Its answer goes back on the request.

OTPs are never logged: nothing in this module formats an answer into a message.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import functools
import logging
import re
import time
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from desktop_app.automation.operator import Operator, Prompt

log = logging.getLogger(__name__)

OTP_KINDS = {"mobile_otp", "aadhaar_otp", "email_otp", "final_otp"}
_KIND_TITLES = {
    "mobile_otp": "Mobile OTP",
    "aadhaar_otp": "Aadhaar OTP",
    "email_otp": "Email OTP",
    "final_otp": "Final OTP",
    "captcha": "Captcha",
    "confirm": "Please confirm",
}
_PORTAL_TITLES = {
    "emudhra-partner": "eMudhra partner portal",
    "emudhra": "eMudhra",
    "emudhra-aadhaar": "eMudhra Aadhaar eKYC",
    "udyam": "Udyam Registration",
}
MIN_OTP_DIGITS = 4
MAX_OTP_DIGITS = 8
DEFAULT_OTP_DIGITS = 6

_DIGIT_RUN = re.compile(r"\d+")


def otp_from_text(text: str, expected: int = DEFAULT_OTP_DIGITS) -> str:
    """The OTP in typed or pasted text: digits only.

    A pasted SMS keeps only its code ("Your OTP is 482913. Do not share" gives
    ``482913``): the first run of exactly ``expected`` digits wins, then the first run
    of 4 to 8 digits; typed input that is not an SMS simply loses its non-digits.
    """
    runs = _DIGIT_RUN.findall(text)
    for run in runs:
        if len(run) == expected:
            return run
    letters = sum(ch.isalpha() for ch in text)
    if letters >= 3:  # reads like a message, not a slip of the finger
        for run in runs:
            if MIN_OTP_DIGITS <= len(run) <= MAX_OTP_DIGITS:
                return run
    return "".join(runs)[:MAX_OTP_DIGITS]


def portal_title(portal: str) -> str:
    return _PORTAL_TITLES.get(portal, portal)


def kind_title(kind: str) -> str:
    return _KIND_TITLES.get(str(kind), str(kind).replace("_", " ").capitalize())


def seconds_left(expires_at: Any) -> float | None:
    """Seconds until ``expires_at`` (a ``time.monotonic()`` deadline or a datetime)."""
    if expires_at is None:
        return None
    if isinstance(expires_at, dt.datetime):
        now = dt.datetime.now(expires_at.tzinfo)
        return (expires_at - now).total_seconds()
    return float(expires_at) - time.monotonic()


def sent_to_text(kind: str, sent_to: str) -> str:
    """'OTP sent to the mobile ending 3210', from what the flow put in ``sent_to``."""
    if not sent_to:
        return ""
    if sent_to.lower().startswith(("otp ", "sent ")):
        return sent_to
    if "@" in sent_to:
        return f"OTP sent to the email {sent_to}"
    digits = "".join(ch for ch in sent_to if ch.isdigit())
    if kind == "aadhaar_otp":
        ending = digits[-4:] or sent_to
        return f"OTP sent to the mobile linked with Aadhaar ending {ending}"
    if digits:
        return f"OTP sent to the mobile ending {digits[-4:]}"
    return f"OTP sent to {sent_to}"


class Decision(enum.Enum):
    ANSWER = "answer"
    RESEND = "resend"  # OTP: send again; captcha: a new image
    SKIP = "skip"  # cancel this filing
    EXPIRED = "expired"  # the request ended while the dialog was open


@dataclasses.dataclass
class PromptView:
    """What a dialog shows, taken from the core's :class:`PromptRequest` (masked)."""

    kind: str
    masked_applicant: str
    portal: str
    step: str = ""
    attempt: int = 1
    max_attempts: int = 1
    expires_at: Any = None
    sent_to: str = ""
    message: str = ""
    image_png: bytes | None = None
    can_resend: bool = False

    @classmethod
    def from_request(cls, request: Any) -> PromptView:
        kind = str(getattr(request, "kind", "mobile_otp"))
        kind = getattr(getattr(request, "kind", None), "value", kind)
        return cls(
            kind=kind,
            masked_applicant=str(getattr(request, "masked_applicant", "")),
            portal=str(getattr(request, "portal", "")),
            step=str(getattr(request, "step", "") or ""),
            attempt=int(getattr(request, "attempt", 1) or 1),
            max_attempts=int(getattr(request, "max_attempts", 1) or 1),
            expires_at=getattr(request, "expires_at", None),
            sent_to=str(getattr(request, "sent_to", "") or ""),
            message=str(getattr(request, "message", "") or ""),
            image_png=getattr(request, "image_png", None),
            can_resend=bool(getattr(request, "can_resend", False)),
        )


class OtpLineEdit(QLineEdit):
    """Takes digits only; a pasted SMS is reduced to its code."""

    def __init__(
        self, expected: int = DEFAULT_OTP_DIGITS, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.expected = expected
        self.setPlaceholderText("\u2022" * expected)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        font = self.font()
        font.setPointSize(font.pointSize() + 8)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.setFont(font)
        self.textEdited.connect(self._on_text_edited)

    @Slot(str)
    def _on_text_edited(self, text: str) -> None:
        cleaned = otp_from_text(text, self.expected)
        if cleaned != text:
            self.setText(cleaned)


class _PromptDialog(QDialog):
    """Shared frame for OTP and captcha dialogs: header, facts, countdown, buttons.

    Signals:
        decided(object, str): the :class:`Decision` and the answer ("" unless ANSWER).
        pause_requested(): the operator asked to pause the queue.
    """

    decided = Signal(object, str)
    pause_requested = Signal()

    def __init__(self, view: PromptView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setWindowTitle(
            f"{kind_title(view.kind)} needed - {portal_title(view.portal)}"
        )
        self.setModal(True)
        self.setMinimumWidth(440)
        self._decided = False
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(10)
        self._add_header()
        self._facts = QFormLayout()
        self._facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._layout.addLayout(self._facts)
        self._add_fact("Applicant", view.masked_applicant)
        self._add_fact("Portal", portal_title(view.portal))
        if view.step:
            self._add_fact("Step", view.step)
        self._add_fact("Attempt", f"{view.attempt} of {view.max_attempts}")
        self._add_problem_banner()
        self.countdown = QProgressBar(self)
        self.countdown.setTextVisible(True)
        self.countdown.setMaximumHeight(18)
        self._total = max(seconds_left(view.expires_at) or 0.0, 1.0)
        self.countdown.setRange(0, int(self._total))
        self.countdown.setVisible(view.expires_at is not None)
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._on_tick)
        self.finished.connect(self._tick.stop)

    # -- building blocks ----------------------------------------------------------

    def _add_header(self) -> None:
        title = QLabel(
            f"{kind_title(self.view.kind)} for {self.view.masked_applicant}", self
        )
        font = title.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        title.setFont(font)
        title.setWordWrap(True)
        self._layout.addWidget(title)

    def _add_fact(self, label: str, value: str) -> QLabel:
        widget = QLabel(value, self)
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._facts.addRow(f"{label}:", widget)
        return widget

    def _add_problem_banner(self) -> None:
        self.problem = QLabel(self.view.message, self)
        self.problem.setWordWrap(True)
        self.problem.setObjectName("problemBanner")
        shown = bool(self.view.message) and self.view.attempt > 1
        if shown:  # a style sheet costs milliseconds to apply: only when it shows
            self.problem.setStyleSheet(
                "#problemBanner { background: #fff5f5; color: #9b2c2c;"
                " border: 1px solid #feb2b2; border-radius: 4px; padding: 6px; }"
            )
        self.problem.setVisible(shown)
        self._layout.addWidget(self.problem)

    def _add_buttons(self, answer_text: str, resend_text: str | None) -> None:
        row = QHBoxLayout()
        self.skip_button = QPushButton("Skip this filing", self)
        self.skip_button.setToolTip("Cancel this applicant's filing; the queue goes on")
        self.skip_button.clicked.connect(self._on_skip)
        self.pause_button = QPushButton("Pause queue", self)
        self.pause_button.setToolTip(
            "Start no new filings; this one keeps waiting for you"
        )
        self.pause_button.clicked.connect(self._on_pause)
        row.addWidget(self.skip_button)
        row.addWidget(self.pause_button)
        row.addStretch(1)
        self.resend_button: QPushButton | None = None
        if resend_text:
            self.resend_button = QPushButton(resend_text, self)
            self.resend_button.setEnabled(self.view.can_resend)
            self.resend_button.clicked.connect(self._on_resend)
            row.addWidget(self.resend_button)
        self.answer_button = QPushButton(answer_text, self)
        self.answer_button.setDefault(True)
        self.answer_button.clicked.connect(self._on_answer)
        row.addWidget(self.answer_button)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        self._layout.addWidget(self.countdown)
        self._layout.addWidget(line)
        self._layout.addLayout(row)

    # -- behaviour ----------------------------------------------------------------

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._on_tick()
        self._tick.start()

    def answer_text(self) -> str:
        raise NotImplementedError

    def _finish(self, decision: Decision, answer: str = "") -> None:
        if self._decided:
            return
        self._decided = True
        self.decided.emit(decision, answer)
        if decision == Decision.ANSWER:
            self.accept()
        else:
            self.reject()

    @Slot()
    def _on_answer(self) -> None:
        if self.answer_button.isEnabled():
            self._finish(Decision.ANSWER, self.answer_text())

    @Slot()
    def _on_resend(self) -> None:
        self._finish(Decision.RESEND)

    @Slot()
    def _on_skip(self) -> None:
        self._finish(Decision.SKIP)

    @Slot()
    def _on_pause(self) -> None:
        self.pause_button.setEnabled(False)
        self.pause_button.setText("Queue paused")
        self.pause_requested.emit()

    def reject(self) -> None:
        # Escape or the window's close button means "skip", said explicitly once.
        if not self._decided:
            self._decided = True
            self.decided.emit(Decision.SKIP, "")
        super().reject()

    def expire(self, reason: str = "") -> None:
        """Close because the request ended elsewhere (timed out, aborted)."""
        if not self._decided:
            self._decided = True
            self.decided.emit(Decision.EXPIRED, reason)
        super().reject()

    @Slot()
    def _on_tick(self) -> None:
        left = seconds_left(self.view.expires_at)
        if left is None:
            return
        left = max(left, 0.0)
        self.countdown.setValue(int(left))
        minutes, seconds = divmod(int(left), 60)
        self.countdown.setFormat(f"Expires in {minutes}:{seconds:02d}")
        if left <= 0:
            self.countdown.setFormat("Expired - ask for a new one")
            self.answer_button.setEnabled(False)


class OtpDialog(_PromptDialog):
    """Asks for an OTP: what was sent where, attempt k of N, a countdown."""

    def __init__(self, view: PromptView, parent: QWidget | None = None) -> None:
        super().__init__(view, parent)
        sent = sent_to_text(view.kind, view.sent_to)
        self.sent_label = QLabel(sent, self)
        self.sent_label.setWordWrap(True)
        self._layout.insertWidget(1, self.sent_label)
        self.sent_label.setVisible(bool(sent))
        self.otp_edit = OtpLineEdit(DEFAULT_OTP_DIGITS, self)
        self.otp_edit.setAccessibleName("OTP")
        self._layout.addWidget(self.otp_edit)
        hint = QLabel(
            "Type the code or paste the whole SMS; only the digits are kept.", self
        )
        hint.setStyleSheet("color: #718096;")
        self._layout.addWidget(hint)
        self._add_buttons("Submit OTP", "Send OTP again")
        self.otp_edit.textChanged.connect(self._on_otp_changed)
        self._on_otp_changed(self.otp_edit.text())
        self.otp_edit.setFocus()

    def answer_text(self) -> str:
        return self.otp_edit.text()

    @Slot(str)
    def _on_otp_changed(self, text: str) -> None:
        expired = (seconds_left(self.view.expires_at) or 1.0) <= 0
        self.answer_button.setEnabled(len(text) >= MIN_OTP_DIGITS and not expired)


class CaptchaDialog(_PromptDialog):
    """Shows the captcha image large, with a refresh."""

    def __init__(self, view: PromptView, parent: QWidget | None = None) -> None:
        super().__init__(view, parent)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumHeight(120)
        self.image.setStyleSheet("background: white; border: 1px solid #cbd5e0;")
        pixmap = QPixmap()
        if view.image_png and pixmap.loadFromData(view.image_png):
            scale = max(1, min(4, 420 // max(pixmap.width(), 1)))
            pixmap = pixmap.scaled(
                pixmap.width() * scale,
                pixmap.height() * scale,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.image.setPixmap(pixmap)
        else:
            self.image.setText("The portal sent no captcha image. Ask for a new one.")
        self._layout.addWidget(self.image)
        self.text_edit = QLineEdit(self)
        self.text_edit.setPlaceholderText("Type the characters you see")
        self.text_edit.setAccessibleName("Captcha")
        font = self.text_edit.font()
        font.setPointSize(font.pointSize() + 6)
        self.text_edit.setFont(font)
        self._layout.addWidget(self.text_edit)
        self._add_buttons("Submit", "New image")
        self.text_edit.textChanged.connect(self._on_text_changed)
        self._on_text_changed("")
        self.text_edit.setFocus()

    def answer_text(self) -> str:
        return self.text_edit.text().strip()

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.answer_button.setEnabled(bool(text.strip()))


class ConfirmDialog(_PromptDialog):
    """A yes/no question from a flow (``confirm`` requests)."""

    def __init__(self, view: PromptView, parent: QWidget | None = None) -> None:
        super().__init__(view, parent)
        question = QLabel(view.message or "Continue with this filing?", self)
        question.setWordWrap(True)
        self._layout.addWidget(question)
        self.problem.setVisible(False)
        self._add_buttons("Continue", None)

    def answer_text(self) -> str:
        return "yes"


def dialog_for(view: PromptView, parent: QWidget | None = None) -> _PromptDialog:
    if view.kind == "captcha":
        return CaptchaDialog(view, parent)
    if view.kind == "confirm":
        return ConfirmDialog(view, parent)
    return OtpDialog(view, parent)


def draw_attention(
    window: QWidget | None, tray: QSystemTrayIcon | None, text: str
) -> None:
    """Raise the window, show a tray notice, beep and flash in the taskbar."""
    if window is not None:
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()
        QApplication.alert(window, 0)
    if tray is not None and QSystemTrayIcon.isSystemTrayAvailable():
        tray.showMessage(
            "Filing Desk needs you", text, QSystemTrayIcon.MessageIcon.Information
        )
    QApplication.beep()


class PromptCenter(QObject):
    """Queues operator prompts on the GUI thread and shows them one at a time.

    Prompts are :class:`~desktop_app.automation.operator.Prompt` objects: thread-safe,
    the first of answer/cancel/time-out/abort wins, so a dialog answering a prompt the
    worker has just given up on is harmless.

    Signals:
        prompt_shown(object): a dialog was opened for this prompt.
        prompt_closed(object, object): the prompt and the :class:`Decision`.
        pause_requested(): the operator pressed "Pause queue" in a dialog.
        pending_changed(int): prompts waiting, including the one on screen.
    """

    prompt_shown = Signal(object)
    prompt_closed = Signal(object, object)
    pause_requested = Signal()
    pending_changed = Signal(int)

    def __init__(
        self,
        window: QWidget | None = None,
        tray: QSystemTrayIcon | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.window = window
        self.tray = tray
        self._pending: collections.deque[Prompt] = collections.deque()
        self._current: Prompt | None = None
        self.dialog: _PromptDialog | None = None
        self._watch = QTimer(self)
        self._watch.setInterval(250)
        self._watch.timeout.connect(self._on_watch)

    @property
    def current(self) -> Prompt | None:
        return self._current

    def pending_count(self) -> int:
        return len(self._pending) + (1 if self._current is not None else 0)

    @Slot(object)
    def enqueue(self, prompt: Prompt) -> None:
        """Take a prompt from a worker (arrives through a queued signal)."""
        self._pending.append(prompt)
        self.pending_changed.emit(self.pending_count())
        if self._current is None:
            self._show_next()

    def abort_all(self, reason: str = "The app is closing.") -> None:
        """On shutdown: close the dialog and abort every queued prompt."""
        if self.dialog is not None:
            self.dialog.expire(reason)
        while self._pending:
            self._pending.popleft().abort(reason)
        self._watch.stop()
        self.pending_changed.emit(self.pending_count())

    def _show_next(self) -> None:
        while self._pending:
            prompt = self._pending.popleft()
            if not prompt.done:
                self._open(prompt)
                return
        self._watch.stop()
        self.pending_changed.emit(self.pending_count())

    def _open(self, prompt: Prompt) -> None:
        view = PromptView.from_request(prompt.request)
        self._current = prompt
        self.dialog = dialog_for(view, self.window)
        self.dialog.decided.connect(self._on_decided)
        self.dialog.pause_requested.connect(self.pause_requested)
        self.dialog.finished.connect(self.dialog.deleteLater)
        summary = (
            f"{kind_title(view.kind)} for {view.masked_applicant}"
            f" on {portal_title(view.portal)}"
        )
        self._watch.start()
        self.pending_changed.emit(self.pending_count())
        # Shown on the next turn of the event loop: building the dialog and then
        # blocking the window, raising it and painting the dialog in one go kept
        # the window from answering for longer than an operator should notice.
        QTimer.singleShot(0, functools.partial(self._present, self.dialog, summary))

    def _present(self, dialog: _PromptDialog, summary: str) -> None:
        prompt = self._current
        if self.dialog is not dialog or prompt is None:
            return  # decided or expired before it was shown
        draw_attention(self.window, self.tray, summary)
        dialog.open()
        self.prompt_shown.emit(prompt)

    @Slot(object, str)
    def _on_decided(self, decision: Decision, answer: str) -> None:
        prompt, self._current, self.dialog = self._current, None, None
        if prompt is None:
            return
        if decision == Decision.ANSWER:
            prompt.answer(answer)
        elif decision == Decision.RESEND:
            prompt.resend()
        elif decision == Decision.SKIP:
            prompt.cancel("Skipped by the operator.")
        self.prompt_closed.emit(prompt, decision)
        # Open the next one after this dialog has gone, not inside its signal.
        QTimer.singleShot(0, self._show_next_if_idle)

    @Slot()
    def _show_next_if_idle(self) -> None:
        if self._current is None:
            self._show_next()

    @Slot()
    def _on_watch(self) -> None:
        """Close the dialog if its prompt ended elsewhere (timed out, cancelled)."""
        if self._current is not None and self._current.done and self.dialog is not None:
            self.dialog.expire("This request has ended.")


class _PromptBridge(QObject):
    """Lives on the GUI thread; worker threads emit through it (a queued connection).

    Signals:
        prompt_presented(object): a new :class:`Prompt` to show.
    """

    prompt_presented = Signal(object)


class GuiOperator(Operator):
    """The core :class:`Operator` for the window: presents prompts as dialogs.

    :meth:`present` runs on the worker's thread; it only emits a signal, whose receiver
    (:meth:`PromptCenter.enqueue`) lives on the GUI thread, so Qt queues the call. The
    worker then waits on the prompt's own event (:meth:`Operator.ask`).
    """

    def __init__(self, center: PromptCenter) -> None:
        super().__init__()
        self.center = center
        # A child of the center: on the GUI thread, and gone when the center is.
        self._bridge = _PromptBridge(center)
        self._bridge.prompt_presented.connect(
            center.enqueue, Qt.ConnectionType.QueuedConnection
        )

    def present(self, prompt: Prompt) -> None:
        self._bridge.prompt_presented.emit(prompt)

    def abort_all(self, reason: str = "The app is shutting down.") -> None:
        super().abort_all(reason)
