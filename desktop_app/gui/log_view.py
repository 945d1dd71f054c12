"""Log panes fed through a bounded buffer and batched updates.

Any thread may write: :class:`LogBuffer` is a locked, bounded deque. On the GUI thread a
:class:`LogPump` drains it every ~100 ms into :class:`LogModel` (one insert per batch,
oldest lines dropped past a limit) and the views follow the tail only when the operator
was already at the bottom. A burst of thousands of lines therefore costs the GUI one
model update per tick, never one per line.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QListView, QVBoxLayout, QWidget

from desktop_app.logging_setup import mask_aadhaar_like

ModelIndex = QModelIndex | QPersistentModelIndex

DRAIN_INTERVAL_MS = 100
BUFFER_LIMIT = 20_000  # lines waiting to be drawn; beyond this the oldest are dropped
MODEL_LIMIT = 5_000  # lines a pane keeps


@dataclasses.dataclass(frozen=True)
class LogLine:
    created: float  # time.time() of the event, for display only
    level: int
    source: str  # logger name or portal
    message: str
    filing_id: int | None = None  # set for a filing's step messages, None for logs

    def text(self) -> str:
        stamp = dt.datetime.fromtimestamp(self.created).strftime("%H:%M:%S")
        level = logging.getLevelName(self.level)
        return f"{stamp}  {level:<7} {self.message}"


class LogBuffer:
    """A thread-safe bounded buffer of :class:`LogLine`; drained by the GUI thread."""

    def __init__(self, limit: int = BUFFER_LIMIT) -> None:
        self._lines: collections.deque[LogLine] = collections.deque(maxlen=limit)
        self._lock = threading.Lock()
        self.dropped = 0

    def append(self, line: LogLine) -> None:
        with self._lock:
            if len(self._lines) == self._lines.maxlen:
                self.dropped += 1
            self._lines.append(line)

    def drain(self) -> list[LogLine]:
        with self._lock:
            lines = list(self._lines)
            self._lines.clear()
        return lines


class BufferLogHandler(logging.Handler):
    """A logging handler that only appends to a :class:`LogBuffer` (no Qt calls)."""

    def __init__(self, buffer: LogBuffer, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.buffer = buffer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = mask_aadhaar_like(record.getMessage())
        except (TypeError, ValueError):  # a bad format string must not kill a worker
            self.handleError(record)
            return
        # Diagnostic records go to the global pane only; step messages for the
        # operator arrive separately with a filing id (two channels, STYLE habit 5).
        self.buffer.append(
            LogLine(record.created, record.levelno, record.name, message)
        )


_LEVEL_COLOURS = {
    logging.DEBUG: QColor("#718096"),
    logging.WARNING: QColor("#b7791f"),
    logging.ERROR: QColor("#c53030"),
    logging.CRITICAL: QColor("#c53030"),
}


class LogModel(QAbstractListModel):
    """A bounded list of log lines; appends arrive in batches."""

    def __init__(self, limit: int = MODEL_LIMIT, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines: list[LogLine] = []
        self._limit = limit

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return line.text()
        if role == Qt.ItemDataRole.ForegroundRole:
            return _LEVEL_COLOURS.get(line.level)
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.source
        return None

    def lines(self) -> list[LogLine]:
        return list(self._lines)

    def clear(self) -> None:
        self.beginResetModel()
        self._lines.clear()
        self.endResetModel()

    def replace(self, lines: Sequence[LogLine]) -> None:
        """Swap the whole content (used when the selected filing changes)."""
        self.beginResetModel()
        self._lines = list(lines[-self._limit :])
        self.endResetModel()

    def append_batch(self, lines: Sequence[LogLine]) -> None:
        if not lines:
            return
        lines = list(lines[-self._limit :])
        overflow = len(self._lines) + len(lines) - self._limit
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._lines[:overflow]
            self.endRemoveRows()
        first = len(self._lines)
        self.beginInsertRows(QModelIndex(), first, first + len(lines) - 1)
        self._lines.extend(lines)
        self.endInsertRows()


class LogView(QWidget):
    """A list over a :class:`LogModel` that follows the tail while at the bottom."""

    def __init__(self, model: LogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QListView(self)
        self.view.setModel(model)
        self.view.setUniformItemSizes(True)  # lets Qt skip measuring every row
        self.view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.view.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._at_bottom = True
        bar = self.view.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        model.rowsInserted.connect(self._on_rows_inserted)
        model.modelReset.connect(self._on_rows_inserted)

    @Slot(int)
    def _on_scrolled(self, value: int) -> None:
        self._at_bottom = value >= self.view.verticalScrollBar().maximum() - 2

    @Slot()
    def _on_rows_inserted(self) -> None:
        if self._at_bottom:
            self.view.scrollToBottom()


class LogPump(QObject):
    """Drains a :class:`LogBuffer` on a GUI-thread timer and routes the lines.

    Every line goes to the global model; lines for the selected filing also go to the
    step model. ``line_filter`` lets the window keep the global pane to one level.

    Signals:
        drained(int): how many lines the last tick moved (tests and the benchmark).
    """

    drained = Signal(int)

    def __init__(
        self,
        buffer: LogBuffer,
        global_model: LogModel,
        step_model: LogModel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.buffer = buffer
        self.global_model = global_model
        self.step_model = step_model
        self.selected_filing: int | None = None
        self.on_tick: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self.drain_now)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def select_filing(self, filing_id: int | None, history: Sequence[LogLine]) -> None:
        """Show ``history`` (from the store) for a filing, then its live lines."""
        self.selected_filing = filing_id
        self.step_model.replace(history)

    @Slot()
    def drain_now(self) -> None:
        for callback in self.on_tick:
            callback()
        lines = self.buffer.drain()
        if not lines:
            return
        self.global_model.append_batch([ln for ln in lines if ln.filing_id is None])
        if self.selected_filing is not None:
            mine = [ln for ln in lines if ln.filing_id == self.selected_filing]
            self.step_model.append_batch(mine)
        self.drained.emit(len(lines))
