"""Asking the human operator: OTPs, captchas and confirmations.

A flow never talks to a screen. It builds a :class:`PromptRequest` and calls
:meth:`Operator.ask`, which blocks the flow's worker thread on a
:class:`threading.Event` until the request ends in one of four ways
(:class:`PromptOutcome`): answered, cancelled (the operator or the filing said no),
timed out (nobody answered before :attr:`PromptRequest.expires_at`) or aborted (the
app is shutting down); where the flow allows it (``can_resend``), the operator may
instead ask for a new code (``resend``). The answer reaches the waiting flow the moment
it is given.

Implementations decide only how a request is *presented*:

* :class:`TerminalOperator` asks on the terminal, one request at a time, oldest first.
* :class:`CommandOperator` runs the ``--otp-command`` for each request.
* :class:`ScriptedOperator` answers from a list or a function (tests).
* :class:`SimulatorOperator` reads the simulated phone and mailbox (demo, tests).
* The GUI subclasses :class:`Operator` and shows a dialog from :meth:`Operator.present`.

Answers are secrets: they are never logged, stored, or shown by ``repr()``.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import enum
import heapq
import itertools
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.simulators.base import Message, Outbox

log = logging.getLogger(__name__)

DEFAULT_PROMPT_TIMEOUT = 600.0  # seconds; UIDAI OTPs are valid for about 10 minutes
DEFAULT_MAX_ATTEMPTS = 3
# SimulatorOperator: how long a later attempt waits for a new code before typing the
# last one again, as a person would when the portal sent no new SMS.
RETYPE_AFTER = 5.0


class PromptKind(enum.StrEnum):
    MOBILE_OTP = "mobile_otp"
    AADHAAR_OTP = "aadhaar_otp"
    EMAIL_OTP = "email_otp"
    FINAL_OTP = "final_otp"
    CAPTCHA = "captcha"
    CONFIRM = "confirm"

    @property
    def is_otp(self) -> bool:
        return self.value.endswith("_otp")

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    PromptKind.MOBILE_OTP: "mobile OTP",
    PromptKind.AADHAAR_OTP: "Aadhaar OTP",
    PromptKind.EMAIL_OTP: "email OTP",
    PromptKind.FINAL_OTP: "final submission OTP",
    PromptKind.CAPTCHA: "captcha",
    PromptKind.CONFIRM: "confirmation",
}


class PromptOutcome(enum.StrEnum):
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    ABORTED = "aborted"
    RESEND = "resend"  # the operator asked for a new code or captcha image


# ----------------------------------------------------------------------- cancel token


class CancelToken:
    """Cooperative cancellation of one filing, safe to use from any thread.

    The flow checks it between steps and every wait listens to it, so a cancel ends a
    pending prompt or a back-off pause at once. Callbacks run on the cancelling
    thread; they must be quick and must not raise.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self.reason = ""
        self.aborted = False  # cancelled by a shutdown: the filing is interrupted

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "Cancelled by the operator.") -> None:
        self._set(reason, aborted=False)

    def abort(self, reason: str = "The app is shutting down.") -> None:
        """Cancel because the app is closing; the filing can be retried later."""
        self._set(reason, aborted=True)

    def _set(self, reason: str, aborted: bool) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self.aborted = aborted
            self._event.set()
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` once on cancel (now, if cancelled); returns a remover."""
        with self._lock:
            if not self._event.is_set():
                key = next(self._ids)
                self._callbacks[key] = callback
                return lambda: self._remove(key)
        callback()
        return lambda: None

    def _remove(self, key: int) -> None:
        with self._lock:
            self._callbacks.pop(key, None)

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless cancelled first; True when cancelled."""
        return self._event.wait(max(0.0, seconds))


# --------------------------------------------------------------------------- requests


@dataclasses.dataclass(frozen=True)
class PromptRequest:
    """What a flow asks the operator, with everything needed to answer it.

    ``expires_at`` is on the :func:`time.monotonic` clock. ``mobile`` and ``email``
    are the applicant's contact details (the ``--otp-command`` gets them so a script
    can read the right phone); ``sent_to`` is the masked destination to show.
    """

    kind: PromptKind
    applicant_ref: str
    masked_applicant: str  # e.g. "Asha Devi (XXXX XXXX 1234)"
    portal: str
    step: str
    expires_at: float
    attempt: int = 1
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    sent_to: str = ""  # "the mobile ending 3210"
    message: str = ""  # the portal's last word, e.g. "Incorrect OTP, Re-enter..."
    image_png: bytes | None = dataclasses.field(default=None, repr=False)
    filing_id: int | None = None
    mobile: str = dataclasses.field(default="", repr=False)
    email: str = dataclasses.field(default="", repr=False)
    can_resend: bool = False  # the flow can send a new code / fetch a new image

    @classmethod
    def expiring_in(cls, seconds: float, **fields: Any) -> PromptRequest:
        return cls(expires_at=time.monotonic() + seconds, **fields)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def describe(self) -> str:
        """One line for the operator: what is asked, for whom, where."""
        text = f"{self.kind.label} for {self.masked_applicant} on {self.portal}"
        if self.sent_to:
            text += f" (sent to {self.sent_to})"
        if self.max_attempts > 1:
            text += f", attempt {self.attempt} of {self.max_attempts}"
        return text


@dataclasses.dataclass(frozen=True)
class PromptResult:
    """How a request ended. ``answer`` is set only when answered; ``repr`` hides it."""

    outcome: PromptOutcome
    answer: str = dataclasses.field(default="", repr=False)
    reason: str = ""

    @property
    def answered(self) -> bool:
        return self.outcome is PromptOutcome.ANSWERED


class Prompt:
    """One pending request. The first of answer/cancel/time-out/abort wins."""

    def __init__(self, request: PromptRequest) -> None:
        self.request = request
        self.created = time.monotonic()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._result: PromptResult | None = None
        self._callbacks: list[Callable[[Prompt], None]] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def result(self) -> PromptResult | None:
        return self._result

    def answer(self, text: str) -> bool:
        return self._finish(PromptResult(PromptOutcome.ANSWERED, text))

    def cancel(self, reason: str = "Cancelled by the operator.") -> bool:
        return self._finish(PromptResult(PromptOutcome.CANCELLED, reason=reason))

    def abort(self, reason: str = "The app is shutting down.") -> bool:
        return self._finish(PromptResult(PromptOutcome.ABORTED, reason=reason))

    def resend(self) -> bool:
        """Ask the flow for a new code or image (only if ``request.can_resend``)."""
        if not self.request.can_resend:
            return self.cancel("A new code cannot be requested here.")
        return self._finish(PromptResult(PromptOutcome.RESEND))

    def time_out(self) -> bool:
        reason = "Nobody answered in time."
        return self._finish(PromptResult(PromptOutcome.TIMED_OUT, reason=reason))

    def add_done_callback(self, callback: Callable[[Prompt], None]) -> None:
        """Call ``callback(prompt)`` once the prompt ends (now, if it has)."""
        with self._lock:
            if self._result is None:
                self._callbacks.append(callback)
                return
        callback(self)

    def wait(self) -> PromptResult:
        """Block until the prompt ends or expires."""
        if not self._done.wait(self.request.remaining()):
            self.time_out()
        assert self._result is not None
        return self._result

    def _finish(self, result: PromptResult) -> bool:
        with self._lock:
            if self._result is not None:
                return False
            self._result = result
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)
        return True


# ----------------------------------------------------------------------- the interface


class Operator(abc.ABC):
    """The one way a flow reaches a human. Thread-safe: many workers ask at once."""

    def __init__(self) -> None:
        self._pending: dict[int, Prompt] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._listeners: list[Callable[[Prompt], None]] = []

    def add_listener(self, listener: Callable[[Prompt], None]) -> None:
        """``listener(prompt)`` is told of every new prompt (on the asking thread)."""
        self._listeners.append(listener)

    def ask(
        self, request: PromptRequest, cancel: CancelToken | None = None
    ) -> PromptResult:
        """Present ``request`` and wait for its outcome (never raised, returned)."""
        prompt = Prompt(request)
        with self._lock:
            if self._closed:
                prompt.abort()
                return prompt.wait()
            self._pending[id(prompt)] = prompt
        remove_cancel = (
            cancel.on_cancel(lambda: _end_by(prompt, cancel)) if cancel else None
        )
        log.info("Waiting for the %s", request.describe())
        try:
            for listener in self._listeners:
                listener(prompt)
            if not prompt.done:
                self.present(prompt)
            result = prompt.wait()
        finally:
            if remove_cancel:
                remove_cancel()
            with self._lock:
                self._pending.pop(id(prompt), None)
        log.info("The %s request ended: %s", request.kind.label, result.outcome.value)
        return result

    @abc.abstractmethod
    def present(self, prompt: Prompt) -> None:
        """Show ``prompt`` to whoever answers it. Must not block until the answer."""

    def pending(self) -> list[Prompt]:
        """Open prompts, oldest first."""
        with self._lock:
            return sorted(self._pending.values(), key=lambda p: p.created)

    def cancel_filing(self, filing_id: int, reason: str = "Cancelled.") -> None:
        for prompt in self.pending():
            if prompt.request.filing_id == filing_id:
                prompt.cancel(reason)

    def abort_all(self, reason: str = "The app is shutting down.") -> None:
        """Abort every open prompt and any later one; used on shutdown."""
        with self._lock:
            self._closed = True
        for prompt in self.pending():
            prompt.abort(reason)

    def close(self) -> None:
        self.abort_all()


def _end_by(prompt: Prompt, token: CancelToken) -> None:
    if token.aborted:
        prompt.abort(token.reason)
    else:
        prompt.cancel(token.reason)


# --------------------------------------------------------------------------- scripted


Scripted = str | PromptOutcome | None
ScriptFunction = Callable[[PromptRequest], Scripted]


class ScriptedOperator(Operator):
    """Answers from a list (in order) or a function of the request; for tests.

    An item may be a string (the answer), a :class:`PromptOutcome` (``CANCELLED`` or
    ``ABORTED`` end the prompt that way) or ``None`` (never answer: it times out).
    ``delay`` answers from a timer thread after that many seconds. Every request is
    kept in :attr:`requests`.
    """

    def __init__(
        self, answers: Sequence[Scripted] | ScriptFunction = (), delay: float = 0.0
    ) -> None:
        super().__init__()
        self._script = answers if callable(answers) else list(answers)
        self._delay = delay
        self.requests: list[PromptRequest] = []

    def present(self, prompt: Prompt) -> None:
        self.requests.append(prompt.request)
        item = self._next(prompt.request)
        if self._delay:
            timer = threading.Timer(self._delay, _settle, (prompt, item))
            timer.daemon = True
            timer.start()
        else:
            _settle(prompt, item)

    def _next(self, request: PromptRequest) -> Scripted:
        if callable(self._script):
            return self._script(request)
        with self._lock:
            return self._script.pop(0) if self._script else None


def _settle(prompt: Prompt, item: Scripted) -> None:
    if isinstance(item, PromptOutcome):
        {
            PromptOutcome.CANCELLED: prompt.cancel,
            PromptOutcome.ABORTED: prompt.abort,
            PromptOutcome.TIMED_OUT: prompt.time_out,
            PromptOutcome.RESEND: prompt.resend,
        }.get(item, prompt.cancel)()
    elif item is not None:
        prompt.answer(item)


# --------------------------------------------------------------------------- terminal


class TerminalOperator(Operator):
    """Asks on the terminal. Prompts from every worker queue up; oldest is asked first.

    One thread owns the terminal, so two workers never interleave their questions.
    OTPs are read without echo when the input is a terminal. An empty line (or end of
    input) cancels that filing. On POSIX a prompt that times out or is cancelled
    while its question is on screen releases the terminal at once.
    """

    def __init__(
        self, stdin: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> None:
        super().__init__()
        self._in = stdin or sys.stdin
        self._out = stderr or sys.stderr
        self._queue: list[tuple[float, int, Prompt]] = []
        self._queue_changed = threading.Condition()
        self._order = itertools.count()
        self._terminal_lock = threading.Lock()  # one question on screen at a time
        self._thread: threading.Thread | None = None
        self._reader = _LineReader(self._in)

    def present(self, prompt: Prompt) -> None:
        with self._queue_changed:
            heapq.heappush(self._queue, (prompt.created, next(self._order), prompt))
            self._queue_changed.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="terminal-operator", daemon=True
                )
                self._thread.start()

    def abort_all(self, reason: str = "The app is shutting down.") -> None:
        super().abort_all(reason)
        with self._queue_changed:
            self._queue_changed.notify_all()

    def _serve(self) -> None:
        while (prompt := self._next_prompt()) is not None:
            if prompt.done:
                continue
            with self._terminal_lock:
                self._ask_one(prompt)

    def _next_prompt(self) -> Prompt | None:
        with self._queue_changed:
            while not self._queue:
                if self._closed:
                    return None
                self._queue_changed.wait()
            return heapq.heappop(self._queue)[2]

    def _ask_one(self, prompt: Prompt) -> None:
        request = prompt.request
        self._write(
            f"\n[{request.applicant_ref}] {request.describe()}, step: {request.step}"
        )
        if request.message:
            self._write(f"  The portal said: {request.message}")
        if request.image_png:
            path = _save_private_png(request.image_png)
            self._write(f"  The captcha image is at {path} (deleted after you answer).")
            prompt.add_done_callback(lambda _p: shutil.rmtree(path.parent, True))
        minutes = max(1, round(request.remaining() / 60))
        self._write(f"  You have about {minutes} min. Empty line cancels this filing.")
        question = "Type Y to confirm: " if request.kind is PromptKind.CONFIRM else "> "
        self._out.write(question)
        self._out.flush()
        line = self._reader.read_line(prompt, secret=request.kind.is_otp)
        if line is None:  # the prompt ended while on screen
            self._write(
                f"\n  ({prompt.result.outcome.value if prompt.result else 'ended'})"
            )
        elif not line.strip():
            prompt.cancel("The operator cancelled at the terminal.")
        else:
            prompt.answer(line.strip())

    def _write(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


class _LineReader:
    """Reads one line for a prompt, giving up as soon as the prompt ends (POSIX).

    Streams without a file descriptor (tests) and Windows consoles are read with a
    plain blocking ``readline``.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._buffer = b""
        try:
            self._fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        if os.name != "posix":
            # FIXME(operator): on Windows a question stays on screen after its prompt
            # timed out until the operator presses Enter (no select() on consoles).
            self._fd = None

    def read_line(self, prompt: Prompt, secret: bool) -> str | None:
        if self._fd is None:
            line = self._stream.readline()
            return None if prompt.done else line.rstrip("\r\n")
        with _no_echo(self._fd, secret):
            return self._read_fd_line(prompt)

    def _read_fd_line(self, prompt: Prompt) -> str | None:
        assert self._fd is not None
        wake_read, wake_write = os.pipe()
        wake_lock = threading.Lock()
        open_fds = [True]

        def wake(_prompt: Prompt) -> None:
            # The prompt may end after this read finished and the pipe was closed.
            with wake_lock:
                if open_fds[0]:
                    os.write(wake_write, b"x")

        prompt.add_done_callback(wake)
        try:
            while b"\n" not in self._buffer:
                ready, _, _ = select.select([self._fd, wake_read], [], [])
                if wake_read in ready:
                    return None
                chunk = os.read(self._fd, 1024)
                if not chunk:
                    break  # end of input
                self._buffer += chunk
        finally:
            with wake_lock:
                open_fds[0] = False
                os.close(wake_read)
                os.close(wake_write)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")


@contextlib.contextmanager
def _no_echo(fd: int, secret: bool) -> Any:
    if not (secret and os.isatty(fd)):
        yield
        return
    import termios

    before = termios.tcgetattr(fd)
    quiet = list(before)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSADRAIN, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, before)
        os.write(fd if os.isatty(fd) else 2, b"\n")


def _save_private_png(data: bytes) -> Path:
    """Write ``data`` to a PNG in a new owner-only temp folder (caller removes it)."""
    folder = Path(tempfile.mkdtemp(prefix="filing-desk-captcha-"))
    path = folder / "captcha.png"
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------- command


class CommandOperator(Operator):
    """Runs a shell command for each request; its trimmed stdout is the answer.

    The command sees ``PROMPT_KIND``, ``PROMPT_PORTAL``, ``PROMPT_STEP``,
    ``PROMPT_ATTEMPT``, ``PROMPT_MAX_ATTEMPTS``, ``PROMPT_MESSAGE``,
    ``PROMPT_EXPIRES_IN`` (whole seconds), ``APPLICANT_REF``, ``APPLICANT_MOBILE``,
    ``APPLICANT_EMAIL``, for a captcha ``CAPTCHA_IMAGE`` (a PNG in a private temp
    folder, deleted afterwards), plus ``extra_env`` (demo mode adds
    ``SIMULATOR_CONTROL_URL``). A non-zero exit cancels the filing. The command is
    killed when the prompt expires, is cancelled or aborted.
    """

    def __init__(self, command: str, extra_env: dict[str, str] | None = None) -> None:
        super().__init__()
        self.command = command
        self.extra_env = dict(extra_env or {})

    def present(self, prompt: Prompt) -> None:
        thread = threading.Thread(
            target=self._run, args=(prompt,), name="otp-command", daemon=True
        )
        thread.start()

    def environment(self, request: PromptRequest, image: Path | None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update(
            PROMPT_KIND=request.kind.value,
            PROMPT_PORTAL=request.portal,
            PROMPT_STEP=request.step,
            PROMPT_ATTEMPT=str(request.attempt),
            PROMPT_MAX_ATTEMPTS=str(request.max_attempts),
            PROMPT_MESSAGE=request.message,
            PROMPT_EXPIRES_IN=str(int(request.remaining())),
            APPLICANT_REF=request.applicant_ref,
            APPLICANT_MOBILE=request.mobile,
            APPLICANT_EMAIL=request.email,
        )
        if image is not None:
            env["CAPTCHA_IMAGE"] = str(image)
        return env

    def _run(self, prompt: Prompt) -> None:
        request = prompt.request
        image = _save_private_png(request.image_png) if request.image_png else None
        try:
            process = subprocess.Popen(
                self.command,
                shell=True,
                env=self.environment(request, image),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                text=True,
            )
            prompt.add_done_callback(lambda _p: _kill(process))
            stdout, _ = process.communicate()
        except OSError as exc:
            prompt.cancel(f"The OTP command could not be started: {exc.strerror}")
            return
        finally:
            if image is not None:
                shutil.rmtree(image.parent, ignore_errors=True)
        self._settle(prompt, process.returncode, stdout)

    @staticmethod
    def _settle(prompt: Prompt, returncode: int, stdout: str) -> None:
        if prompt.done:
            return
        if returncode != 0:
            prompt.cancel(f"The OTP command stopped with exit code {returncode}.")
        elif not stdout.strip():
            prompt.cancel("The OTP command printed no answer.")
        else:
            prompt.answer(stdout.strip())


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()


# -------------------------------------------------------------------------- simulator

CaptchaSolver = Callable[[PromptRequest], str | None]


class SimulatorOperator(Operator):
    """Answers OTPs from the simulators' phone and mailbox, as the applicant would.

    It waits (no polling) for the newest message of the asked kind that this
    operator has not used yet, sent to the applicant's mobile (or email, for an
    email OTP) by the asked portal's service (any eMudhra host counts for eMudhra).
    ``wrong_first`` lists kinds for which the first answer is deliberately wrong, to
    exercise "rejected, try again". Captchas go to ``captcha_solver`` (the
    simulators know their own captcha); confirmations are
    answered "yes".
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        wrong_first: Iterable[PromptKind] = (),
        captcha_solver: CaptchaSolver | None = None,
        delivery_timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self.outbox = outbox
        self.wrong_first = set(wrong_first)
        self.captcha_solver = captcha_solver
        self.delivery_timeout = delivery_timeout
        self._used: dict[tuple[str, str, str], int] = {}  # (to, kind, portal) -> seq
        self._spoiled: set[tuple[str, str, str]] = set()

    def present(self, prompt: Prompt) -> None:
        thread = threading.Thread(
            target=self._answer, args=(prompt,), name="simulated-phone", daemon=True
        )
        thread.start()

    def _answer(self, prompt: Prompt) -> None:
        # This runs on its own thread: an error must end the prompt, not leave the
        # filing waiting for an answer that will never come.
        try:
            self._answer_kind(prompt)
        except Exception as error:  # noqa: BLE001 - any failure ends this prompt
            log.warning("The simulated phone could not answer: %s", error)
            prompt.cancel(f"The simulated phone could not answer: {error}")

    def _answer_kind(self, prompt: Prompt) -> None:
        request = prompt.request
        if request.kind is PromptKind.CONFIRM:
            prompt.answer("yes")
        elif request.kind is PromptKind.CAPTCHA:
            solved = self.captcha_solver(request) if self.captcha_solver else None
            if solved is None:
                prompt.cancel("The simulated operator cannot read this captcha.")
            else:
                prompt.answer(solved)
        else:
            self._answer_otp(prompt)

    def _answer_otp(self, prompt: Prompt) -> None:
        request = prompt.request
        to = request.email if request.kind is PromptKind.EMAIL_OTP else request.mobile
        key = (to.lower(), request.kind.value, request.portal)
        wait = min(request.remaining(), self.delivery_timeout)
        retyping = request.attempt > 1 and key in self._used
        if retyping:  # a portal may keep its code after refusing it (issue 8 fix)
            wait = min(wait, RETYPE_AFTER)
        message = self._newest_unused(key, wait)
        if message is None and retyping:
            message = self._last_used(key)  # a person types the same SMS again
        if message is None:
            prompt.cancel(f"No {request.kind.label} reached the simulated phone.")
            return
        if request.kind in self.wrong_first and key not in self._spoiled:
            self._spoiled.add(key)
            prompt.answer(_spoil(message.code))
            return  # the same message stays unused, for the next attempt
        self._used[key] = message.seq
        prompt.answer(message.code)

    def _last_used(self, key: tuple[str, str, str]) -> Message | None:
        to, kind, portal = key
        used = self._used.get(key, 0)
        for message in self.outbox.messages(to, after=used - 1):
            if message.seq == used and _fits(message, kind, portal):
                return message
        return None

    def _newest_unused(
        self, key: tuple[str, str, str], timeout: float
    ) -> Message | None:
        to, kind, portal = key
        used = self._used.get(key, 0)
        seen_up_to = self.outbox.last_seq  # read first: nothing can slip between
        candidates = [
            m for m in self.outbox.messages(to, after=used) if _fits(m, kind, portal)
        ]
        if candidates:
            return candidates[-1]
        deadline = time.monotonic() + timeout
        after = max(used, seen_up_to)
        while (remaining := deadline - time.monotonic()) > 0:
            found = self.outbox.wait_for(to, kind, after=after, timeout=remaining)
            if found is None:
                return None
            if _fits(found, kind, portal):
                return found
            after = found.seq  # the same kind from another portal: keep waiting
        return None


def _fits(message: Message, kind: str, portal: str) -> bool:
    # eMudhra's three hosts are one service: a flow may name any of them. Udyam and
    # eMudhra must never take each other's codes (the same phone gets both).
    same_service = _family(message.portal) == _family(portal) or not message.portal
    return message.kind == kind and same_service and bool(message.code)


def _family(portal: str) -> str:
    return portal.split("-", 1)[0]


def _spoil(code: str) -> str:
    """A code of the same shape that is surely wrong."""
    return "".join(str((int(ch) + 1) % 10) if ch.isdigit() else "X" for ch in code)
