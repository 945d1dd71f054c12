"""Keeps the queue model and the step log in step with the store, in batches.

The store tells subscribers about every commit on the writing (worker) thread. Here
that callback only records the filing id in a locked set; a GUI-thread timer drains
the set every ~100 ms, re-reads just those filings and new log lines, and updates the
model row by row. Thousands of commits per second therefore cost the GUI one short
read per tick.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from desktop_app.core.store import (
    FilingRow,
    FilingStatus,
    LogEvent,
    Store,
    StoreChange,
    StoreError,
    UnknownFiling,
)
from desktop_app.gui.log_view import LogBuffer, LogLine
from desktop_app.gui.queue_model import FilingTableModel, QueueRow
from desktop_app.gui.workers import register_thread

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


class _FeedReader(QObject):
    """Reads changed filings and new log lines from the store, on its own QThread.

    The store serialises access behind one lock and commits with a full sync, so a
    read can wait for a worker's write; doing that here keeps the window responsive.

    Signals:
        read_done(object): a :class:`_Batch` for the GUI thread.
    """

    read_done = Signal(object)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.last_event_id = 0
        self.latest_log: dict[int, str] = {}

    def prime(self) -> None:
        """Remember the log so far (called once, before the thread starts)."""
        events = self.store.events()
        self.last_event_id = events[-1].id if events else 0
        for event in events:
            if event.filing_id is not None:
                self.latest_log[event.filing_id] = event.message

    def all_rows(self) -> list[QueueRow]:
        return [
            queue_row(f, self.latest_log.get(f.id, "")) for f in self.store.filings()
        ]

    @Slot(object)
    def read(self, request: _Request) -> None:
        try:
            batch = self._read(request)
        except StoreError as error:  # closed while shutting down
            log.debug("The queue view stopped reading: %s", error)
            return
        self.read_done.emit(batch)

    def _read(self, request: _Request) -> _Batch:
        batch = _Batch()
        dirty = set(request.filing_ids)
        if request.new_logs:
            dirty |= self._read_new_logs(batch)
        if request.reload_all:
            batch.all_rows = self.all_rows()
        for filing_id in sorted(dirty):
            try:
                filing = self.store.filing(filing_id)
            except UnknownFiling:
                continue
            batch.rows.append(queue_row(filing, self.latest_log.get(filing_id, "")))
        return batch

    def _read_new_logs(self, batch: _Batch) -> set[int]:
        events = self.store.events(after_id=self.last_event_id)
        if not events:
            return set()
        self.last_event_id = events[-1].id
        touched = set()
        for event in events:
            if event.filing_id is None:
                continue
            self.latest_log[event.filing_id] = event.message
            touched.add(event.filing_id)
            batch.log_lines.append(log_line(event))
        return touched


@dataclasses.dataclass
class _Request:
    filing_ids: list[int]
    new_logs: bool
    reload_all: bool


@dataclasses.dataclass
class _Batch:
    rows: list[QueueRow] = dataclasses.field(default_factory=list)
    log_lines: list[LogLine] = dataclasses.field(default_factory=list)
    all_rows: list[QueueRow] | None = None


class QueueFeed(QObject):
    """Store -> :class:`FilingTableModel` and step-log lines, batched on a timer.

    A GUI-thread timer collects what changed; a reader QObject on its own QThread
    reads it from the store; its batch comes back through a queued signal and is
    applied to the model (``dataChanged`` per changed row). One read is in flight at a
    time; changes arriving meanwhile wait for the next tick.

    Signals:
        filings_changed(list): ids of filings whose row changed in the model.
        refreshed(): a batch was applied.
        read_requested(object): internal, hands a request to the reader thread.
    """

    filings_changed = Signal(list)
    refreshed = Signal()
    read_requested = Signal(object)

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
        self._in_flight = False
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        self._reader = _FeedReader(store)
        self._thread: QThread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self.apply_changes)

    def start(self) -> None:
        self._reader.prime()
        self._unsubscribe = self.store.subscribe(self._on_store_change)
        self.model.set_rows(self._reader.all_rows())
        self._thread = QThread()  # no parent: see workers.register_thread
        self._thread.setObjectName("queue-feed")
        self._reader.moveToThread(self._thread)
        self.read_requested.connect(self._reader.read)  # queued: another thread
        self._reader.read_done.connect(self._on_read_done)
        self._thread.finished.connect(self._reader.deleteLater)
        register_thread(self._thread)
        self._thread.start()
        self._timer.start()

    def stop(self) -> None:
        """Stop reading and end the reader thread (waits for a read in progress)."""
        self._timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(10_000)
            self._thread = None

    def reload(self) -> None:
        """Re-read every filing (after an import): still a diff, not a reset."""
        with self._lock:
            self._dirty_all = True
        self.apply_changes()

    def _on_store_change(self, change: StoreChange) -> None:
        """Runs on the writing thread: only note what changed."""
        with self._lock:
            if change.what in ("log", "result"):  # save_result writes a log line
                self._new_logs = True
            if change.filing_id is not None:
                self._dirty.add(change.filing_id)
            elif change.what in {"added", "purged", "erased"}:
                self._dirty_all = True

    @Slot()
    def apply_changes(self) -> None:
        """Hand what changed since the last tick to the reader (GUI thread)."""
        if self._in_flight or self._thread is None:
            return
        with self._lock:
            if not (self._dirty or self._dirty_all or self._new_logs):
                return
            request = _Request(sorted(self._dirty), self._new_logs, self._dirty_all)
            self._dirty, self._dirty_all, self._new_logs = set(), False, False
        self._in_flight = True
        self.read_requested.emit(request)

    @Slot(object)
    def _on_read_done(self, batch: _Batch) -> None:
        self._in_flight = False
        if batch.all_rows is not None:
            self.model.set_rows(batch.all_rows)
        changed = [row.filing_id for row in batch.rows if self.model.update_row(row)]
        for line in batch.log_lines:
            self.step_buffer.append(line)
        if changed or batch.all_rows is not None:
            self.filings_changed.emit(changed)
        self.refreshed.emit()

    def history(self, filing_id: int) -> list[LogLine]:
        """The stored log of one filing, up to what the feed has already passed on."""
        last = self._reader.last_event_id
        return [
            log_line(event)
            for event in self.store.events(filing_id)
            if event.id <= last
        ]
