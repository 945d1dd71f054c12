"""Keeps the queue model and the step log in step with the store, in batches.

The store tells subscribers about every commit on the writing (worker) thread. Here
that callback only records the filing id in a locked set; a GUI-thread timer drains
the set every ~100 ms, re-reads just those filings and new log lines, and updates the
model row by row. Thousands of commits per second therefore cost the GUI one short
read per tick.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_app.core.store import (
    FilingRow,
    FilingStatus,
    LogEvent,
    Store,
    StoreChange,
    UnknownFiling,
)
from desktop_app.gui.log_view import LogBuffer, LogLine
from desktop_app.gui.queue_model import FilingTableModel, QueueRow

log = logging.getLogger(__name__)

REFRESH_INTERVAL_MS = 100
_LOG_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def last_message(filing: FilingRow, latest_log: str = "") -> str:
    """The line the queue shows for a filing: its failure, its next step or its log."""
    if filing.status in (
        FilingStatus.FAILED,
        FilingStatus.CANCELLED,
        FilingStatus.INTERRUPTED,
    ):
        return filing.failure_message or latest_log
    if filing.status == FilingStatus.COMPLETED and filing.next_step:
        return filing.next_step
    if filing.status == FilingStatus.PENDING_CONSENT and not latest_log:
        return "Record the applicant's consent to file"
    return latest_log


def queue_row(filing: FilingRow, latest_log: str = "") -> QueueRow:
    return QueueRow(
        filing_id=filing.id,
        applicant_ref=filing.applicant_ref,
        name=filing.display_name,
        masked_aadhaar=filing.masked_aadhaar,
        pan=filing.pan,
        service=filing.service.value,
        service_label=filing.service.label,
        status=filing.status.value,
        step_name=filing.step_name,
        step_index=filing.step_index,
        step_total=filing.step_total,
        attempts=filing.attempts,
        result=filing.result or "",
        message=last_message(filing, latest_log),
    )


def log_line(event: LogEvent) -> LogLine:
    created = event.at.timestamp() if isinstance(event.at, dt.datetime) else 0.0
    return LogLine(
        created,
        _LOG_LEVELS.get(event.level, 20),
        "filing",
        event.message,
        event.filing_id,
    )


class QueueFeed(QObject):
    """Store -> :class:`FilingTableModel` and step-log lines, batched on a timer.

    Signals:
        filings_changed(list): ids of filings whose row was re-read this tick.
        refreshed(): a tick finished (after any changes were applied).
    """

    filings_changed = Signal(list)
    refreshed = Signal()

    def __init__(
        self,
        store: Store,
        model: FilingTableModel,
        step_buffer: LogBuffer,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.model = model
        self.step_buffer = step_buffer
        self._dirty: set[int] = set()
        self._dirty_all = False
        self._new_logs = False
        self._lock = threading.Lock()
        self._last_event_id = 0
        self._latest_log: dict[int, str] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self.apply_changes)

    def start(self) -> None:
        events = self.store.events()
        self._last_event_id = events[-1].id if events else 0
        for event in events:
            if event.filing_id is not None:
                self._latest_log[event.filing_id] = event.message
        self._unsubscribe = self.store.subscribe(self._on_store_change)
        self.reload()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def reload(self) -> None:
        """Re-read every filing (start-up, import): still a diff, not a reset."""
        rows = [
            queue_row(f, self._latest_log.get(f.id, "")) for f in self.store.filings()
        ]
        self.model.set_rows(rows)

    def _on_store_change(self, change: StoreChange) -> None:
        """Runs on the writing thread: only note what changed."""
        with self._lock:
            if change.what == "log":
                self._new_logs = True
            if change.filing_id is None:
                self._dirty_all = (
                    change.what in {"added", "purged", "erased"} or self._dirty_all
                )
            else:
                self._dirty.add(change.filing_id)
                if change.what == "result":
                    self._new_logs = True  # save_result writes a log line too

    @Slot()
    def apply_changes(self) -> None:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            reload_all, self._dirty_all = self._dirty_all, False
            new_logs, self._new_logs = self._new_logs, False
        if new_logs:
            dirty |= self._read_new_logs()
        if reload_all:
            self.reload()
        changed = []
        for filing_id in sorted(dirty):
            try:
                filing = self.store.filing(filing_id)
            except UnknownFiling:
                continue
            row = queue_row(filing, self._latest_log.get(filing_id, ""))
            if self.model.update_row(row):
                changed.append(filing_id)
        if changed:
            self.filings_changed.emit(changed)
        self.refreshed.emit()

    def _read_new_logs(self) -> set[int]:
        events = self.store.events(after_id=self._last_event_id)
        if not events:
            return set()
        self._last_event_id = events[-1].id
        touched = set()
        for event in events:
            if event.filing_id is None:
                continue
            self._latest_log[event.filing_id] = event.message
            touched.add(event.filing_id)
            self.step_buffer.append(log_line(event))
        return touched

    def history(self, filing_id: int) -> list[LogLine]:
        """The stored log of one filing, up to what the feed has already passed on."""
        return [
            log_line(event)
            for event in self.store.events(filing_id)
            if event.id <= self._last_event_id
        ]
