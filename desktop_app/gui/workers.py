"""Threads of the window: the core runner's workers bridged by signals, and QThreads.

Filings run on :class:`~desktop_app.automation.runner.FilingRunner`'s worker threads
(one browser each; the runner is the same one the ``run`` command uses). They reach
the window only through :class:`RunnerBridge`, a QObject living on the GUI thread whose
signals, emitted from a worker, are queued to ``@Slot`` methods there.

Blocking jobs the window must not wait for on its own thread (stopping the runner,
which waits for browsers to quit) run as a worker QObject moved to a QThread by
:func:`start_in_thread`. ``thread.quit`` is connected with a direct connection: a queued
one leaves the thread running when the window destroys it (TOOLCHAIN.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from desktop_app.automation.flow import FlowListener, FlowOutcome
from desktop_app.automation.operator import PromptRequest

log = logging.getLogger(__name__)

_registry_lock = threading.Lock()
_live: dict[int, str] = {}
_held: dict[int, QThread] = {}
_helpers: dict[int, QObject] = {}


def live_thread_names() -> list[str]:
    """Names of window QThreads still running (the tests' leak fixture checks this)."""
    with _registry_lock:
        return sorted(_live.values())


class RunnerBridge(QObject):
    """Carries the runner's events to the GUI thread.

    Signals:
        filing_started(int, str): filing id and flow title.
        filing_finished(object): the :class:`FlowOutcome`.
        prompt_raised(int, str): filing id and the request kind (never the answer).
    """

    filing_started = Signal(int, str)
    filing_finished = Signal(object)
    prompt_raised = Signal(int, str)


class GuiFlowListener(FlowListener):
    """The runner's listener: every call only emits a bridge signal (any thread).

    Steps and log lines are not forwarded: the flow engine writes them to the store,
    and :class:`~desktop_app.gui.queue_feed.QueueFeed` picks them up in batches.
    """

    def __init__(self, bridge: RunnerBridge) -> None:
        self.bridge = bridge

    def filing_started(self, filing_id: int, title: str) -> None:
        self.bridge.filing_started.emit(filing_id, title)

    def prompt(self, filing_id: int, request: PromptRequest) -> None:
        self.bridge.prompt_raised.emit(filing_id, str(request.kind))

    def filing_finished(self, outcome: FlowOutcome) -> None:
        self.bridge.filing_finished.emit(outcome)


class CallWorker(QObject):
    """Runs one blocking call on its QThread and reports the result.

    Signals:
        done(object): the call's return value.
        errored(str): the call raised; a message for the operator.
    """

    done = Signal(object)
    errored = Signal(str)

    def __init__(self, call: Callable[[], Any], what: str) -> None:
        super().__init__()
        self._call = call
        self.what = what

    @Slot()
    def run(self) -> None:
        try:
            result = self._call()
        except Exception as error:  # noqa: BLE001 - reported, with its cause, below
            log.exception("%s failed", self.what)
            self.errored.emit(f"{self.what} failed: {error}")
            return
        self.done.emit(result)


def start_in_thread(worker: CallWorker, name: str) -> QThread:
    """Move ``worker`` to a new QThread, run it, and end the thread when it is done.

    The thread has no QObject parent, so deleting a window cannot destroy it while it
    runs (Qt aborts the process then); it is kept here and deleted once finished.
    """
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # QThread.quit is thread-safe; a direct call ends the loop as soon as run returns.
    worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    worker.errored.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(worker.deleteLater)
    register_thread(thread)
    thread.start()
    return thread


def register_thread(thread: QThread) -> None:
    """Keep ``thread`` (and count it as live) until it finishes; call before start.

    Parentless threads are held here so Python does not collect them while they
    run; once finished they are deleted on the GUI thread.
    """
    key = id(thread)
    with _registry_lock:
        _live[key] = thread.objectName() or "unnamed"
        _held[key] = thread
    thread.finished.connect(_Unregister(key).on_finished)


class _Unregister(QObject):
    """Forgets a finished thread (runs on the GUI thread, via a queued signal)."""

    def __init__(self, key: int) -> None:
        super().__init__()
        self.key = key
        _helpers[key] = self

    @Slot()
    def on_finished(self) -> None:
        with _registry_lock:
            _live.pop(self.key, None)
            thread = _held.pop(self.key, None)
        _helpers.pop(self.key, None)
        if thread is not None and thread.parent() is None:
            thread.deleteLater()
