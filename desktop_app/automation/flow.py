"""The flow engine: runs a flow's steps for one filing, records them, retries, asks.

Writing a flow
--------------
A flow is a :class:`Flow` subclass whose :meth:`Flow.steps` lists :class:`Step`\\ s.
Each step is a callable taking the :class:`FlowContext`::

    class UdyamFlow(Flow):
        service = Service.UDYAM
        title = "Udyam registration"
        portals = ("udyam",)

        def steps(self) -> list[Step]:
            return [
                Step("open", "Open the Udyam portal", self.open),
                Step("aadhaar", "Validate Aadhaar", self.aadhaar),
                Step("pan", "Verify PAN", self.pan, restart_from="aadhaar"),
                ...
            ]

        def aadhaar(self, ctx: FlowContext) -> None:
            ctx.page.open(ctx.url("udyam", "/UdyamRegistration.aspx"))
            ...
            ctx.ask_until_accepted(
                PromptKind.AADHAAR_OTP, self._submit_otp(ctx), sent_to=...,
            )
            ctx.state["aadhaar_done"] = True   # survives a restart of this filing
            ctx.result = number  # the portal's number, saved when the flow completes
            ctx.details["application_id"] = ...  # reported in the log, not stored
            ctx.next_step = "Download the certificate from the Udyam portal."

A step ends by returning (success) or by raising:

* :class:`BusinessFailure` - the portal said no (already registered, PAN invalid,
  OTP attempts used up). Never retried.
* :class:`TechnicalFailure` - or *any* other exception (timeouts, stale pages, HTTP
  errors, ``WebDriverException``). Retried up to ``settings.retries`` times after a
  back-off pause, from the step's restart point: ``restart_from`` names an earlier
  step that is safe to run again in the same browser; ``None`` (the default) means
  "start over from the first step in a fresh browser session", which is always safe.
  A lost browser always restarts fresh.
* :class:`FlowCancelled`, :class:`PromptTimedOut`, :class:`FlowAborted` come from
  :meth:`FlowContext.ask` and end the filing (cancelled, timed out, interrupted).

The engine records each step in the store (start, end, outcome), tells the
:class:`FlowListener` (step k of n), saves evidence for every failing step, and on
success saves ``ctx.result`` (the portal's number) and ``ctx.next_step`` in one
transaction (:meth:`Store.save_result`).

Waiting for the operator goes through :meth:`FlowContext.ask` or, for anything the
portal can reject, :meth:`FlowContext.ask_until_accepted`; the filing shows as
``waiting`` meanwhile. For the "name as in PAN", pass
:func:`desktop_app.automation.names.name_variants` to
:meth:`FlowContext.first_accepted`, which records the spelling that was accepted.
The eMudhra partner login is ``ctx.partner`` (from the keyring; never log it).
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

from desktop_app.automation.evidence import (
    EvidencePage,
    EvidenceWriter,
    as_evidence_page,
)
from desktop_app.automation.operator import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_PROMPT_TIMEOUT,
    CancelToken,
    Operator,
    PromptKind,
    PromptOutcome,
    PromptRequest,
    PromptResult,
)
from desktop_app.core.models import Applicant, Service
from desktop_app.core.secrets import PartnerCredentials
from desktop_app.core.store import (
    AadhaarSealed,
    FailureKind,
    FilingStatus,
    InvalidTransition,
    StepOutcome,
)

log = logging.getLogger(__name__)

__all__ = [
    "BrowserSession",
    "BusinessFailure",
    "CancelToken",
    "EngineSettings",
    "Flow",
    "FlowAborted",
    "FlowCancelled",
    "FlowContext",
    "FlowEngine",
    "FlowListener",
    "FlowOutcome",
    "FlowStatus",
    "PauseGate",
    "PromptTimedOut",
    "Step",
    "TechnicalFailure",
    "Verdict",
]


# ------------------------------------------------------------------------ exceptions


class FlowStop(Exception):
    """Ends the filing without a retry. ``message`` is shown to the operator."""

    kind = "business"  # a FailureKind value, or "interrupted"

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step


class BusinessFailure(FlowStop):
    """The portal refused the application; retrying would not change its mind."""

    kind = "business"


class FlowCancelled(FlowStop):
    kind = "cancelled"


class PromptTimedOut(FlowStop):
    kind = "timeout"


class FlowAborted(FlowStop):
    """The app is shutting down; the filing is left interrupted, to retry later."""

    kind = "interrupted"


class TechnicalFailure(Exception):
    """Something broke that a retry may fix. ``fresh_session`` forces a new browser."""

    def __init__(self, message: str, fresh_session: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.fresh_session = fresh_session


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the portal said about a submitted answer (see ask_until_accepted)."""

    accepted: bool
    message: str = ""

    @classmethod
    def ok(cls) -> Verdict:
        return cls(True)

    @classmethod
    def rejected(cls, message: str) -> Verdict:
        return cls(False, message)


# --------------------------------------------------------------------- flow and steps


@dataclasses.dataclass(frozen=True)
class Step:
    """One named step. ``name`` is stable (stored); ``title`` is for the operator."""

    name: str
    title: str
    action: Callable[[FlowContext], None]
    restart_from: str | None = None


class Flow(abc.ABC):
    """A named sequence of steps filing one service on one or more portals."""

    service: ClassVar[Service]
    title: ClassVar[str] = "Filing"
    portals: ClassVar[tuple[str, ...]] = ()  # names of the portals it visits

    @abc.abstractmethod
    def steps(self) -> Sequence[Step]:
        """The steps in order. Called once per filing, on the worker thread."""


class BrowserSession(Protocol):
    """A browser the engine can use and quit; ``quit`` may be called from any thread."""

    @property
    def page(self) -> Any: ...

    def quit(self) -> None: ...


SessionFactory = Callable[[], BrowserSession]


@dataclasses.dataclass(frozen=True)
class EngineSettings:
    """Knobs of the engine; tests shrink the waits."""

    retries: int = 2
    backoff: tuple[float, ...] = (1.0, 3.0)  # seconds before retry 1, 2 (last repeats)
    prompt_timeout: float = DEFAULT_PROMPT_TIMEOUT
    otp_attempts: int = DEFAULT_MAX_ATTEMPTS
    cancel_grace: float = 3.0  # after a cancel, quit the browser if a step is stuck

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> EngineSettings:
        """From the app's :class:`~desktop_app.core.settings.Settings`."""
        values: dict[str, Any] = {
            "retries": settings.technical_retries,
            "prompt_timeout": settings.timeouts.operator_answer,
            "otp_attempts": settings.otp_attempts,
        }
        values.update(overrides)
        return cls(**values)

    def backoff_for(self, retry: int) -> float:
        if not self.backoff:
            return 0.0
        return self.backoff[min(retry - 1, len(self.backoff) - 1)]


class FlowStatus(enum.StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"  # not started: no flow for the service, no consent...


@dataclasses.dataclass(frozen=True)
class FlowOutcome:
    filing_id: int
    status: FlowStatus
    failure_kind: str = ""  # business, technical, cancelled, timeout ("" on success)
    message: str = ""
    result: str = ""  # the portal's number on success
    next_step: str = ""
    step: str = ""  # the step it ended on


class FlowListener:
    """Told about progress; the GUI and the terminal subclass it. All no-ops here.

    Called on the worker thread: implementations must hand work to their own thread
    (a queue, a queued Qt signal) rather than touch a UI directly.
    """

    def filing_started(self, filing_id: int, title: str) -> None:
        """A filing began running (``title`` is the flow's title)."""

    def step_started(self, filing_id: int, title: str, index: int, total: int) -> None:
        """Step ``index`` (1-based) of ``total`` began."""

    def step_finished(
        self,
        filing_id: int,
        title: str,
        index: int,
        total: int,
        outcome: str,
        message: str,
        duration: float,
    ) -> None:
        """A step ended: outcome "ok", "business", "technical", "cancelled"..."""

    def log(self, filing_id: int, level: int, message: str) -> None:
        """A message for the operator (never a secret)."""

    def prompt(self, filing_id: int, request: PromptRequest) -> None:
        """The flow is about to wait for the operator."""

    def filing_finished(self, outcome: FlowOutcome) -> None:
        """The filing ended."""


class PauseGate:
    """Between steps a flow waits here while paused; a cancel releases it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        with self._changed:
            self._paused = True

    def resume(self) -> None:
        with self._changed:
            self._paused = False
            self._changed.notify_all()

    def wait(self, cancel: CancelToken) -> None:
        def wake() -> None:
            with self._changed:
                self._changed.notify_all()

        remove = cancel.on_cancel(wake)
        try:
            with self._changed:
                self._changed.wait_for(lambda: not self._paused or cancel.cancelled)
        finally:
            remove()


# --------------------------------------------------------------------------- context


@dataclasses.dataclass
class FlowContext:
    """Everything a step may use. One per filing run; ``page`` changes on restart."""

    filing_id: int
    applicant: Applicant  # with the Aadhaar revealable; never log it
    service: Service
    operator: Operator
    cancel: CancelToken
    settings: EngineSettings
    portal_urls: Mapping[str, str]
    portal_configs: Mapping[str, Any]
    store: Any
    listener: FlowListener
    partner: PartnerCredentials | None = None  # eMudhra partner login, from the keyring
    page: Any = None  # the browser layer's PageActions for the current session
    state: dict[str, Any] = dataclasses.field(default_factory=dict)  # across retries
    result: str = ""  # the portal's number (Udyam number, DSC order id)
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    next_step: str = ""
    attempt: int = 1  # run of the flow: 1, then 2... after technical retries
    step: Step | None = None

    def url(self, portal: str, path: str = "") -> str:
        """The portal's base URL (real or simulated) joined with ``path``."""
        return self.portal_urls[portal].rstrip("/") + path

    def check_cancelled(self) -> None:
        """Raise FlowCancelled (FlowAborted on shutdown) if the filing was stopped."""
        if self.cancel.cancelled:
            raise _stop_for(self.cancel)

    def keep_issued_number(self, number: str, label: str = "Portal number") -> None:
        """Save the portal's number the moment it appears, before the flow ends.

        A number the portal has issued cannot be asked for again (a second Udyam
        registration for one PAN is refused), so it is committed at once: a crash or
        a failure in a later step keeps it on the filing.
        """
        self.result = number
        self.store.record_issued_number(self.filing_id, number)
        self.report(f"{label} {number} issued.")

    def report(self, message: str, level: int = logging.INFO) -> None:
        """Tell the operator (listener) and the filing's log in the store."""
        log.log(level, "filing %s: %s", self.filing_id, message)
        self.store.log_event(self.filing_id, logging.getLevelName(level), message)
        self.listener.log(self.filing_id, level, message)

    def ask(
        self,
        kind: PromptKind,
        *,
        portal: str,
        sent_to: str = "",
        message: str = "",
        image_png: bytes | Callable[[], bytes | None] | None = None,
        attempt: int = 1,
        max_attempts: int = 1,
        resend: Callable[[], None] | None = None,
    ) -> str:
        """Ask the operator and return the answer; raise if none came.

        Args:
            kind: What is asked.
            portal: The portal's name, as in ``portal_urls``.
            sent_to: Masked destination: "the mobile ending 3210".
            message: The portal's last message ("Incorrect OTP...").
            image_png: The captcha image, or a function fetching a fresh one (called
                again when the operator asks for a new image).
            attempt: This attempt, for "attempt k of N".
            max_attempts: N.
            resend: Makes the portal send a new code (or show a new captcha); when
                given, the operator may ask for one, and is then asked again.

        Raises:
            FlowCancelled: the operator or the filing cancelled.
            PromptTimedOut: nobody answered before the prompt expired.
            FlowAborted: the app is shutting down.
        """
        while True:
            image = image_png() if callable(image_png) else image_png
            request = self._request(
                kind, portal, sent_to, message, image, attempt, max_attempts, resend
            )
            result = self._wait_for(request)
            if result.answered:
                return result.answer
            if result.outcome is not PromptOutcome.RESEND:
                raise _PROMPT_ENDINGS[result.outcome](
                    _prompt_end_message(kind, result.reason)
                )
            self.check_cancelled()
            if resend is not None:
                self.report(f"The operator asked for a new {kind.label}.")
                resend()

    def _request(
        self,
        kind: PromptKind,
        portal: str,
        sent_to: str,
        message: str,
        image_png: bytes | None,
        attempt: int,
        max_attempts: int,
        resend: Callable[[], None] | None,
    ) -> PromptRequest:
        person = self.applicant.person
        return PromptRequest.expiring_in(
            self.settings.prompt_timeout,
            kind=kind,
            applicant_ref=self.applicant.ref,
            masked_applicant=f"{person.full_name} ({self.applicant.masked_aadhaar})",
            portal=portal,
            step=self.step.title if self.step else "",
            attempt=attempt,
            max_attempts=max_attempts,
            sent_to=sent_to,
            message=message,
            image_png=image_png,
            filing_id=self.filing_id,
            mobile=person.mobile,
            email=person.email,
            can_resend=resend is not None,
        )

    def _wait_for(self, request: PromptRequest) -> PromptResult:
        self.listener.prompt(self.filing_id, request)
        _set_status(self.store, self.filing_id, FilingStatus.WAITING)
        try:
            return self.operator.ask(request, self.cancel)
        finally:
            _set_status(self.store, self.filing_id, FilingStatus.RUNNING)

    def ask_until_accepted(
        self,
        kind: PromptKind,
        submit: Callable[[str], Verdict],
        *,
        portal: str,
        sent_to: str = "",
        image_png: Callable[[], bytes | None] | None = None,
        max_attempts: int | None = None,
        resend: Callable[[], None] | None = None,
    ) -> str:
        """Ask, submit, and ask again while the portal rejects the answer.

        ``submit(answer)`` types the answer into the portal and returns its
        :class:`Verdict`. A rejection's message is shown with the next request.
        ``image_png`` fetches a fresh captcha image for each attempt; ``resend`` is
        passed to :meth:`ask`. Returns the
        accepted answer; raises :class:`BusinessFailure` when every attempt was
        rejected, or what :meth:`ask` raises.
        """
        attempts = max_attempts or self.settings.otp_attempts
        last_message = ""
        for attempt in range(1, attempts + 1):
            answer = self.ask(
                kind,
                portal=portal,
                sent_to=sent_to,
                message=last_message,
                image_png=image_png,
                attempt=attempt,
                max_attempts=attempts,
                resend=resend,
            )
            verdict = submit(answer)
            if verdict.accepted:
                return answer
            last_message = verdict.message
            self.report(f"The portal rejected the {kind.label}: {verdict.message}")
        raise BusinessFailure(
            f"The portal rejected the {kind.label} {attempts} times"
            + (f" ({last_message})" if last_message else "")
            + ".",
            next_step="Check the number with the applicant and retry the filing.",
        )

    def first_accepted(
        self, what: str, candidates: Sequence[str], submit: Callable[[str], Verdict]
    ) -> str:
        """Submit ``candidates`` in order until the portal accepts one; record it.

        Made for the name as in PAN: ``ctx.first_accepted("name as in PAN",
        name_variants(person.pan_name, person.full_name), submit)``. The accepted
        value goes to the filing's log; :class:`BusinessFailure` if none is.
        """
        last_message = ""
        for number, candidate in enumerate(candidates, start=1):
            self.check_cancelled()
            verdict = submit(candidate)
            if verdict.accepted:
                if number > 1:
                    self.report(f"The portal accepted the {what} as '{candidate}'.")
                return candidate
            last_message = verdict.message
            log.info("filing %s: %s variant %d refused", self.filing_id, what, number)
        raise BusinessFailure(
            f"The portal accepted no spelling of the {what} ({len(candidates)} tried)"
            + (f": {last_message}" if last_message else "."),
            next_step=f"Check the {what} against the applicant's card and retry.",
        )


_PROMPT_ENDINGS: dict[PromptOutcome, type[FlowStop]] = {
    PromptOutcome.CANCELLED: FlowCancelled,
    PromptOutcome.TIMED_OUT: PromptTimedOut,
    PromptOutcome.ABORTED: FlowAborted,
}


def _prompt_end_message(kind: PromptKind, reason: str) -> str:
    return f"No {kind.label} was given. {reason}".strip()


def _set_status(store: Any, filing_id: int, status: FilingStatus) -> None:
    try:
        store.set_status(filing_id, status)
    except InvalidTransition:
        # Already ended (a result saved by another path); the flow finds out next.
        log.debug("filing %s: not switched to %s", filing_id, status.value)


# ---------------------------------------------------------------------------- engine


class FlowEngine:
    """Runs one flow for one filing on the calling (worker) thread.

    Args:
        store: The :class:`~desktop_app.core.store.Store`.
        operator: Where prompts go.
        open_session: Opens a new browser session; called on this thread.
        evidence: Writes the evidence of failing steps.
        settings: Retries, back-off, prompt timeout.
        listener: Told about progress.
        portal_urls: Portal name -> base URL.
        portal_configs: Portal name -> :class:`~desktop_app.automation.
            portal_config.PortalConfig`; the ``sensitive_locators()`` of the flow's
            portals are masked before evidence is taken.
        partner: The eMudhra partner login (from the keyring, or the simulator's
            demo account); never logged.
    """

    def __init__(
        self,
        store: Any,
        operator: Operator,
        open_session: SessionFactory,
        evidence: EvidenceWriter,
        settings: EngineSettings | None = None,
        listener: FlowListener | None = None,
        portal_urls: Mapping[str, str] | None = None,
        portal_configs: Mapping[str, Any] | None = None,
        partner: PartnerCredentials | None = None,
    ) -> None:
        self.store = store
        self.partner = partner
        self.operator = operator
        self.open_session = open_session
        self.evidence = evidence
        self.settings = settings or EngineSettings()
        self.listener = listener or FlowListener()
        self.portal_urls = dict(portal_urls or {})
        self.portal_configs = dict(portal_configs or {})

    def run(
        self,
        flow: Flow,
        filing_id: int,
        applicant: Applicant,
        cancel: CancelToken | None = None,
        gate: PauseGate | None = None,
    ) -> FlowOutcome:
        """Run ``flow`` to its end and record the outcome; never raises for a failure.

        ``applicant`` should carry the real Aadhaar (``store.applicant(ref,
        reveal=True)``). Raises :class:`~desktop_app.core.store.StoreError` only when
        the filing cannot start at all (no consent, not ready).
        """
        ctx = FlowContext(
            filing_id=filing_id,
            applicant=applicant,
            service=flow.service,
            operator=self.operator,
            cancel=cancel or CancelToken(),
            settings=self.settings,
            portal_urls=self.portal_urls,
            portal_configs=self.portal_configs,
            store=self.store,
            listener=self.listener,
            partner=self.partner,
        )
        run = _FlowRun(self, flow, ctx, gate or PauseGate())
        # Raises StoreError (no consent, not ready): nothing has started yet.
        self.store.begin_attempt(filing_id)
        self.listener.filing_started(filing_id, flow.title)
        try:
            outcome = run.execute()
        finally:
            run.close_session()
        self.listener.filing_finished(outcome)
        return outcome


class _FlowRun:
    """The state of one :meth:`FlowEngine.run`: session, position, retries."""

    def __init__(
        self, engine: FlowEngine, flow: Flow, ctx: FlowContext, gate: PauseGate
    ):
        self.engine = engine
        self.flow = flow
        self.ctx = ctx
        self.gate = gate
        self.steps = list(flow.steps())
        self.session: BrowserSession | None = None
        self._session_lock = threading.Lock()
        self._in_step = False
        self._index = {step.name: i for i, step in enumerate(self.steps)}
        for number, step in enumerate(self.steps):
            if step.restart_from is None:
                continue
            # A checkpoint is a step already done: restarting "forward" skips work.
            if self._index.get(step.restart_from, number + 1) > number:
                raise ValueError(
                    f"{flow.title}: step {step.name} cannot restart from "
                    f"{step.restart_from}; name an earlier step."
                )

    # -- the main loop

    def execute(self) -> FlowOutcome:
        remove_cancel_hook = self.ctx.cancel.on_cancel(self._on_cancel)
        try:
            return self._execute()
        finally:
            remove_cancel_hook()

    def _execute(self) -> FlowOutcome:
        ctx, settings = self.ctx, self.engine.settings
        index = 0
        while True:
            try:
                self._run_from(index)
            except FlowStop as stop:
                return self._stopped(stop)
            except Exception as exc:  # noqa: BLE001 - every other error is technical
                if ctx.cancel.cancelled:  # e.g. the browser was quit under a step
                    return self._stopped(_stop_for(ctx.cancel))
                if ctx.attempt > settings.retries:
                    return self._failed_technical(exc)
                index = self._prepare_retry(exc)
                if ctx.cancel.sleep(settings.backoff_for(ctx.attempt)):
                    return self._stopped(_stop_for(ctx.cancel))
                ctx.attempt += 1
                ctx.store.begin_attempt(ctx.filing_id)  # steps record the attempt
                continue
            return self._completed()

    def _run_from(self, start: int) -> None:
        total = len(self.steps)
        for index in range(start, total):
            step = self.steps[index]
            self.gate.wait(self.ctx.cancel)
            self.ctx.check_cancelled()
            self._ensure_session()
            self.ctx.step = step
            self._run_step(step, index + 1, total)

    def _run_step(self, step: Step, number: int, total: int) -> None:
        ctx = self.ctx
        ctx.store.step_started(ctx.filing_id, step.name, number, total)
        ctx.listener.step_started(ctx.filing_id, step.title, number, total)
        started = time.monotonic()
        outcome, message, page_reused = "ok", "", False
        self._in_step = True
        try:
            step.action(ctx)
        except FlowStop as stop:
            outcome, message = stop.kind, stop.message
            raise
        except Exception as exc:
            outcome = (
                _stop_for(ctx.cancel).kind if ctx.cancel.cancelled else "technical"
            )
            message = _describe(exc)
            page_reused = outcome == "technical" and self._retries_in_session(step, exc)
            raise
        finally:
            self._in_step = False
            duration = time.monotonic() - started
            stored = _STEP_OUTCOMES.get(outcome, StepOutcome.FAILED)
            ctx.store.step_finished(ctx.filing_id, step.name, stored, message)
            ctx.listener.step_finished(
                ctx.filing_id, step.title, number, total, outcome, message, duration
            )
            if outcome not in ("ok", "cancelled", "interrupted"):
                self._save_evidence(step, message, screenshot=not page_reused)

    # -- endings

    def _completed(self) -> FlowOutcome:
        ctx = self.ctx
        if not ctx.result.strip():
            # A flow bug rather than the portal: no retry would produce a number.
            message = "The flow ended without a number from the portal."
            ctx.store.fail(ctx.filing_id, FailureKind.TECHNICAL, message)
            return FlowOutcome(
                ctx.filing_id, FlowStatus.FAILED, FailureKind.TECHNICAL.value, message
            )
        for name, value in ctx.details.items():
            ctx.report(f"{name.replace('_', ' ').capitalize()}: {value}")
        ctx.store.save_result(ctx.filing_id, ctx.result, ctx.next_step)
        if ctx.listener is not None:
            ctx.listener.log(ctx.filing_id, logging.INFO, f"Filed: {ctx.result}")
        return FlowOutcome(
            ctx.filing_id,
            FlowStatus.COMPLETED,
            result=ctx.result,
            next_step=ctx.next_step,
            step=self.steps[-1].name if self.steps else "",
        )

    def _stopped(self, stop: FlowStop) -> FlowOutcome:
        ctx = self.ctx
        status = {
            "cancelled": FlowStatus.CANCELLED,
            "interrupted": FlowStatus.INTERRUPTED,
        }.get(stop.kind, FlowStatus.FAILED)
        ctx.report(stop.message, logging.WARNING)
        if status is not FlowStatus.INTERRUPTED:
            ctx.store.fail(ctx.filing_id, FailureKind(stop.kind), stop.message)
        # An interrupted filing stays running in the store until the runner's
        # shutdown (or the next start) calls store.mark_interrupted().
        return FlowOutcome(
            ctx.filing_id,
            status,
            failure_kind=stop.kind,
            message=stop.message,
            next_step=stop.next_step,
            step=ctx.step.name if ctx.step else "",
        )

    def _failed_technical(self, exc: Exception) -> FlowOutcome:
        ctx = self.ctx
        tries = ctx.attempt
        message = f"{_describe(exc)} (gave up after {tries} tries)"
        log.warning("filing %s failed: %s", ctx.filing_id, message, exc_info=exc)
        ctx.store.fail(ctx.filing_id, FailureKind.TECHNICAL, message)
        ctx.report(message, logging.ERROR)
        return FlowOutcome(
            ctx.filing_id,
            FlowStatus.FAILED,
            failure_kind="technical",
            message=message,
            next_step="Retry the filing; if it fails again, look at the evidence.",
            step=ctx.step.name if ctx.step else "",
        )

    # -- retries and the browser

    def _prepare_retry(self, exc: Exception) -> int:
        """Where to start again after ``exc``; drops the browser when needed."""
        ctx = self.ctx
        failed = ctx.step
        restart = (
            self._index[failed.restart_from] if failed and failed.restart_from else 0
        )
        fresh = restart == 0 or _browser_lost(exc)
        if fresh:
            restart = 0
            self.close_session()
        delay = self.engine.settings.backoff_for(ctx.attempt)
        where = self.steps[restart].title if self.steps else "the start"
        ctx.report(
            f"{_describe(exc)}. Trying again from '{where}' in {delay:g} s "
            f"(retry {ctx.attempt} of {self.engine.settings.retries}).",
            logging.WARNING,
        )
        log.debug("technical failure in filing %s", ctx.filing_id, exc_info=exc)
        return restart

    def _ensure_session(self) -> None:
        with self._session_lock:
            if self.session is not None:
                return
        session = self.engine.open_session()
        with self._session_lock:
            self.session = session
        self.ctx.page = session.page
        if hasattr(session.page, "notify"):  # its notes belong in the filing's log
            session.page.notify = self.ctx.report

    def close_session(self) -> None:
        with self._session_lock:
            session, self.session = self.session, None
        self.ctx.page = None
        if session is not None:
            _quit_quietly(session)

    def _on_cancel(self) -> None:
        # A step blocked inside a driver call never sees the token: if it is still
        # in a step after the grace period, quit the browser from here.
        timer = threading.Timer(self.engine.settings.cancel_grace, self._force_quit)
        timer.daemon = True
        timer.start()

    def _force_quit(self) -> None:
        if self._in_step:
            log.info("filing %s: closing the browser to stop it", self.ctx.filing_id)
            with self._session_lock:
                session = self.session
            if session is not None:
                _quit_quietly(session)

    def _retries_in_session(self, step: Step, exc: Exception) -> bool:
        """Will a retry go on in this browser session (a checkpoint restart)?"""
        retries_left = self.ctx.attempt <= self.engine.settings.retries
        return retries_left and step.restart_from is not None and not _browser_lost(exc)

    def _save_evidence(self, step: Step, message: str, screenshot: bool) -> None:
        ctx = self.ctx
        page: EvidencePage | None = as_evidence_page(ctx.page)
        files = self.engine.evidence.capture(
            ctx.filing_id,
            step.name,
            ctx.attempt,
            message,
            page,
            self._sensitive_selectors(),
            secrets=_secrets_of(ctx.applicant),
            screenshot=screenshot,
        )
        for file in files:
            ctx.store.add_evidence(ctx.filing_id, file.kind, file.path)

    def _sensitive_selectors(self) -> list[Any]:
        selectors: list[Any] = []
        for name in self.flow.portals:
            config = self.ctx.portal_configs.get(name)
            if config is not None:
                selectors += config.sensitive_locators()
        return selectors


_STEP_OUTCOMES = {
    "ok": StepOutcome.PASSED,
    "cancelled": StepOutcome.CANCELLED,
    "interrupted": StepOutcome.CANCELLED,
}


def _stop_for(token: CancelToken) -> FlowStop:
    if token.aborted:
        return FlowAborted(token.reason or "The app is shutting down.")
    return FlowCancelled(token.reason or "Cancelled.")


def _describe(exc: BaseException) -> str:
    """One line about ``exc``: our own messages as they are, others with their type."""
    if isinstance(exc, TechnicalFailure | FlowStop):
        return exc.message
    lines = str(exc).strip().splitlines()
    # Selenium puts "Message: ..." first and a stack trace after it.
    first = lines[0].removeprefix("Message:").strip() if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _secrets_of(applicant: Applicant) -> list[str]:
    try:
        return [applicant.person.aadhaar.reveal()]
    except AadhaarSealed:
        return []


def _browser_lost(exc: BaseException) -> bool:
    if isinstance(exc, TechnicalFailure):
        return exc.fresh_session
    # Selenium's names for "the browser or its window is gone".
    return type(exc).__name__ in {
        "InvalidSessionIdException",
        "NoSuchWindowException",
        "SessionNotCreatedException",
    } or isinstance(exc, ConnectionError)


def _quit_quietly(session: BrowserSession) -> None:
    try:
        session.quit()
    # Quitting a browser that already died raises whatever the driver raises; the
    # browser is gone either way.
    except Exception as exc:  # noqa: BLE001
        log.debug("closing the browser: %s", type(exc).__name__)
