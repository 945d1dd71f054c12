"""Demo mode's side panel: the simulated phone and mailbox.

The simulators "send" every OTP to an :class:`~desktop_app.simulators.base.Outbox`.
A GUI-thread timer asks it for messages newer than the last one shown, which is a
cheap locked list slice, so the operator sees each OTP arrive without any thread.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop_app.simulators.base import Message, Outbox

POLL_INTERVAL_MS = 250


def message_text(message: Message) -> str:
    at = dt.datetime.fromtimestamp(message.sent_at).strftime("%H:%M:%S")
    icon = "\u2709" if message.channel == "email" else "\U0001f4f1"
    to = message.to if message.channel == "email" else f"\u2026{message.to[-4:]}"
    return f"{icon} {at}  {message.sender} \u2192 {to}\n{message.text}"


class DemoPanel(QWidget):
    """Lists the messages the simulated portals sent; double-click copies the code.

    Signals:
        message_arrived(object): a new :class:`Message` was shown.
    """

    message_arrived = Signal(object)

    def __init__(self, outbox: Outbox, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outbox = outbox
        self._last_seq = 0
        heading = QLabel("Simulated phone and mailbox", self)
        heading.setStyleSheet("font-weight: bold;")
        hint = QLabel(
            "Demo mode: OTPs the practice portals send arrive here. "
            "Double-click one to copy its code.",
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #718096;")
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemDoubleClicked.connect(self._on_double_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def poll(self) -> None:
        for message in self.outbox.messages(after=self._last_seq):
            self._last_seq = max(self._last_seq, message.seq)
            item = QListWidgetItem(message_text(message))
            item.setData(Qt.ItemDataRole.UserRole, message.code)
            if message.code:
                item.setForeground(QColor("#1a365d"))
                item.setToolTip(f"Code {message.code} for {message.portal}")
            self.list.insertItem(0, item)  # newest on top, like a phone
            self.message_arrived.emit(message)

    @Slot(QListWidgetItem)
    def _on_double_clicked(self, item: QListWidgetItem) -> None:
        code = item.data(Qt.ItemDataRole.UserRole)
        if code:
            QGuiApplication.clipboard().setText(code)
