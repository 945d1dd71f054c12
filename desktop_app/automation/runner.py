"""The headless runner: files every ready filing with N worker threads. No Qt.

The ``run`` command and the GUI both use :class:`FilingRunner`. Each worker thread
takes the next filing, opens its own browser (through ``browser_factory``, on that
thread), runs the flow with :class:`~desktop_app.automation.flow.FlowEngine` and quits
the browser on the same thread. Progress goes to the store and to the listener; the
runner itself prints nothing.

Control from any thread: :meth:`FilingRunner.pause` / :meth:`resume` (running flows
stop between steps, no new filing starts), :meth:`cancel` one filing,
:meth:`cancel_all`, and :meth:`shutdown`, which aborts pending operator requests,
waits for the workers up to a deadline and leaves unfinished filings ``interrupted``.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from desktop_app.automation.evidence import EvidenceWriter
from desktop_app.automation.flow import (
    EngineSettings,
    Flow,
    FlowEngine,
    FlowListener,
    FlowOutcome,
    FlowStatus,
    PauseGate,
    SessionFactory,
)
from desktop_app.automation.flows import FLOWS
from desktop_app.automation.operator import CancelToken, Operator
from desktop_app.core.models import Service
from desktop_app.core.secrets import PartnerCredentials
from desktop_app.core.store import FailureKind, Store, StoreError
from desktop_app.paths import DataDir

log = logging.getLogger(__name__)


class FilingRunner:
    """Runs ready filings with ``jobs`` workers, one browser each.

    Args:
        store: The open store; everything is recorded there.
        settings: The app settings (retries, timeouts, concurrency).
        operator: Where OTP and captcha requests go.
        browser_factory: Opens a browser session (``.page``, ``.quit()``); called
            on the worker thread that uses it.
        portal_urls: Portal name -> base URL (real or simulated).
        flows: Service -> flow class; defaults to :data:`flows.FLOWS`.
        jobs: Worker threads; defaults to ``settings.concurrency``.
        listener: Told about every step, log line, prompt and outcome.
        engine_settings: Overrides the retry/back-off settings (tests).
        portal_configs: Portal name -> portal config; by default every file in
            ``resources/portals`` (raises ``PortalConfigError`` if one is broken).
        partner: The eMudhra partner login.
    """

    def __init__(
        self,
        store: Store,
        settings: Any,
        operator: Operator,
        browser_factory: SessionFactory,
        portal_urls: Mapping[str, str],
        flows: Mapping[Service, type[Flow]] | None = None,
        jobs: int | None = None,
        listener: FlowListener | None = None,
        *,
        engine_settings: EngineSettings | None = None,
        portal_configs: Mapping[str, Any] | None = None,
        partner: PartnerCredentials | None = None,
    ) -> None:
        self.store = store
        self.operator = operator
        self.flows = dict(FLOWS if flows is None else flows)
        self.jobs = max(1, jobs or getattr(settings, "concurrency", 1))
        self.listener = listener or FlowListener()
        if portal_configs is None:
            from desktop_app.automation.portal_config import load_portal_configs

            portal_configs = load_portal_configs()
        self.engine = FlowEngine(
            store,
            operator,
            browser_factory,
            EvidenceWriter(Path(store.data_dir.evidence)),
            engine_settings or EngineSettings.from_settings(settings),
            self.listener,
            portal_urls,
            portal_configs,
            partner,
        )
        self.gate = PauseGate()
        self._lock = threading.Lock()
        self._queue: collections.deque[int] = collections.deque()
        self._tokens: dict[int, CancelToken] = {}  # running filings
        self._outcomes: dict[int, FlowOutcome] = {}
        self._workers: list[threading.Thread] = []
        self._stopping = CancelToken()  # set by shutdown: no new filings

    # ------------------------------------------------------------------ starting

    def start(
        self, filing_ids: Iterable[int] | None = None, service: Service | None = None
    ) -> list[int]:
        """Queue ``filing_ids`` (default: every ready filing) and start workers.

        Returns the ids queued. Filings not ready are left out.
        """
        ready = [row.id for row in self.store.ready_filings(service)]  # queue order
        wanted = (
            ready if filing_ids is None else [i for i in ready if i in set(filing_ids)]
        )
        with self._lock:
            queued = [
                i for i in wanted if i not in self._queue and i not in self._tokens
            ]
            self._queue.extend(queued)
            self._workers = [t for t in self._workers if t.is_alive()]
            missing = min(self.jobs, len(self._queue)) - len(self._workers)
            for number in range(max(0, missing)):
                worker = threading.Thread(
                    target=self._work, name=f"filing-worker-{number + 1}"
                )
                self._workers.append(worker)
                worker.start()
        log.info("Queued %d filing(s) with %d worker(s)", len(queued), self.jobs)
        return queued

    def run(
        self, filing_ids: Iterable[int] | None = None, service: Service | None = None
    ) -> list[FlowOutcome]:
        """Start and wait for the end; outcomes in queue order."""
        queued = self.start(filing_ids, service)
        self.wait()
        return [self._outcomes[i] for i in queued if i in self._outcomes]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every worker; True when all ended within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in list(self._workers):
            remaining = (
                None if deadline is None else max(0.0, deadline - time.monotonic())
            )
            worker.join(remaining)
        return not any(worker.is_alive() for worker in self._workers)

    @property
    def outcomes(self) -> dict[int, FlowOutcome]:
        with self._lock:
            return dict(self._outcomes)

    def running(self) -> list[int]:
        with self._lock:
            return sorted(self._tokens)

    # ------------------------------------------------------------------- control

    def pause(self) -> None:
        """Hold every flow at its next step boundary; start nothing new."""
        self.gate.pause()
        log.info("Paused the queue")

    def resume(self) -> None:
        self.gate.resume()
        log.info("Resumed the queue")

    @property
    def paused(self) -> bool:
        return self.gate.paused

    def cancel(
        self, filing_id: int, reason: str = "Cancelled by the operator."
    ) -> None:
        """Cancel one filing, queued or running."""
        with self._lock:
            token = self._tokens.get(filing_id)
            was_queued = filing_id in self._queue
            if was_queued:
                self._queue.remove(filing_id)
        if token is not None:
            token.cancel(reason)
        elif was_queued:
            self.store.cancel(filing_id, reason)
            self._record(
                FlowOutcome(filing_id, FlowStatus.CANCELLED, "cancelled", reason)
            )

    def cancel_all(self, reason: str = "Cancelled by the operator.") -> None:
        with self._lock:
            ids = list(self._queue) + list(self._tokens)
        for filing_id in ids:
            self.cancel(filing_id, reason)

    def shutdown(self, deadline: float = 15.0) -> bool:
        """Stop: abort prompts, stop flows, wait up to ``deadline`` seconds.

        Filings that were running are left ``interrupted`` (they can be retried).
        Returns True when every worker ended in time.
        """
        reason = "The app is shutting down."
        self._stopping.abort(reason)
        with self._lock:
            self._queue.clear()
            tokens = list(self._tokens.values())
        self.operator.abort_all(reason)
        for token in tokens:
            token.abort(reason)
        self.gate.resume()
        finished = self.wait(deadline)
        if not finished:
            log.warning("Some filings did not stop within %.0f s", deadline)
        self.store.mark_interrupted()
        return finished

    # ------------------------------------------------------------------- workers

    def _next(self) -> int | None:
        self.gate.wait(self._stopping)
        with self._lock:
            if self._stopping.cancelled or not self._queue:
                return None
            filing_id = self._queue.popleft()
            self._tokens[filing_id] = CancelToken()
            return filing_id

    def _work(self) -> None:
        while (filing_id := self._next()) is not None:
            with self._lock:
                token = self._tokens[filing_id]
            try:
                outcome = self._file(filing_id, token)
            finally:
                with self._lock:
                    self._tokens.pop(filing_id, None)
            self._record(outcome)

    def _file(self, filing_id: int, token: CancelToken) -> FlowOutcome:
        row = self.store.filing(filing_id)
        flow_class = self.flows.get(row.service)
        if flow_class is None:
            return self._skipped(
                filing_id, f"There is no flow for {row.service.label} yet."
            )
        if token.cancelled:
            self.store.cancel(filing_id, token.reason)
            return FlowOutcome(
                filing_id, FlowStatus.CANCELLED, "cancelled", token.reason
            )
        try:
            applicant = self.store.applicant(row.applicant_ref, reveal=True)
            return self.engine.run(flow_class(), filing_id, applicant, token, self.gate)
        except StoreError as exc:
            return self._skipped(filing_id, str(exc))
        except Exception as exc:
            # A bug in a flow or the engine: the filing must not stay "running".
            log.exception("Filing %s stopped by an unexpected error", filing_id)
            return self._crashed(filing_id, exc)

    def _skipped(self, filing_id: int, message: str) -> FlowOutcome:
        log.info("Filing %s not started: %s", filing_id, message)
        outcome = FlowOutcome(filing_id, FlowStatus.SKIPPED, "", message)
        self.listener.filing_finished(outcome)
        return outcome

    def _crashed(self, filing_id: int, exc: Exception) -> FlowOutcome:
        message = f"Stopped by an unexpected error ({type(exc).__name__})."
        try:
            self.store.fail(filing_id, FailureKind.TECHNICAL, message)
        except StoreError:
            log.warning("Could not record the failure of filing %s", filing_id)
        outcome = FlowOutcome(filing_id, FlowStatus.FAILED, "technical", message)
        self.listener.filing_finished(outcome)
        return outcome

    def _record(self, outcome: FlowOutcome) -> None:
        with self._lock:
            self._outcomes[outcome.filing_id] = outcome


class BrowserSession:
    """One started :class:`~desktop_app.automation.browser.Browser` and its page."""

    def __init__(self, browser: Any, timeouts: Any) -> None:
        from desktop_app.automation.page import PageActions

        self.browser = browser
        self.page = PageActions(browser.driver, timeouts)

    def quit(self) -> None:
        self.browser.quit()  # safe twice and from another thread (a cancel)


def browser_session_factory(settings: Any, data_dir: DataDir) -> SessionFactory:
    """Opens a real Chrome per call, as the settings say (engine, headless...).

    The browser and driver are looked for once, on the first call; a problem
    (no Chrome, no matching driver) raises ``BrowserSetupError`` with the advice.
    """
    from desktop_app.automation import browser as browsers
    from desktop_app.automation.timeouts import Timeouts

    options = browsers.BrowserOptions.from_settings(settings)
    timeouts = Timeouts.from_settings(settings)
    found: list[Any] = []
    lock = threading.Lock()

    def open_session() -> BrowserSession:
        with lock:
            if not found:
                found.append(browsers.check_browser(settings))
        check = found[0]
        return BrowserSession(
            browsers.start_browser(check, options, data_dir), timeouts
        )

    return open_session
