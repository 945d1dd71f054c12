"""The small web framework the simulated portals share. Standard library only, no Qt.

Each portal is a :class:`PortalApp`: a WSGI application served on its own loopback port,
so the partner site, the main eMudhra site, the Aadhaar auth host and Udyam are distinct
origins, as they are in the real world. They share one :class:`SimContext`: the
simulated phone and mailbox (:class:`Outbox`), the switchable :class:`Faults`, and the
base URL of every portal (flows navigate between hosts).

Server-side state lives in a :class:`Session` found by cookie, so two filings running
at once never see each other's data.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # uploads of scanned documents stay well below this


# --------------------------------------------------------------------------- requests


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    files: dict[str, UploadedFile]
    cookies: dict[str, str]
    headers: dict[str, str]
    environ: dict[str, Any]

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        query = _first_values(
            parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        )
        cookies = {
            k: v.value for k, v in SimpleCookie(environ.get("HTTP_COOKIE", "")).items()
        }
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        form, files = _read_body(environ)
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=environ.get("PATH_INFO", "/") or "/",
            query=query,
            form=form,
            files=files,
            cookies=cookies,
            headers=headers,
            environ=environ,
        )

    def value(self, name: str, default: str = "") -> str:
        """A posted field, else a query parameter."""
        return self.form.get(name, self.query.get(name, default))


def _first_values(parsed: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in parsed.items()}


def _read_body(
    environ: dict[str, Any],
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0 or length > MAX_BODY:
        return {}, {}
    body = environ["wsgi.input"].read(length)
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(body, content_type)
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}, {}
        return {k: str(v) for k, v in data.items()} if isinstance(
            data, dict
        ) else {}, {}
    text = body.decode("utf-8", errors="replace")
    return _first_values(parse_qs(text, keep_blank_values=True)), {}


def _parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    # The cgi module is gone in 3.13; the email parser reads multipart bodies as well.
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            if filename or payload:
                files[name] = UploadedFile(filename, part.get_content_type(), payload)
        else:
            form[name] = payload.decode("utf-8", errors="replace")
    return form, files


# -------------------------------------------------------------------------- responses


@dataclass
class Response:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(text, status)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(json.dumps(data, indent=1), status, "application/json")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(b"", 303, headers=[("Location", location)])

    @classmethod
    def not_found(cls) -> Response:
        return cls.html("<h1>404 Not Found</h1>", 404)

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- sessions


class Session(dict[str, Any]):
    """Server-side state of one browser session on one portal."""

    def __init__(self, sid: str) -> None:
        super().__init__()
        self.sid = sid
        self.created = time.monotonic()
        self.lock = threading.RLock()


class SessionStore:
    """Sessions by cookie; thread-safe, as the server handles requests in threads."""

    def __init__(self, cookie_name: str) -> None:
        self.cookie_name = cookie_name
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, request: Request) -> Session | None:
        sid = request.cookies.get(self.cookie_name)
        with self._lock:
            return self._sessions.get(sid) if sid else None

    def create(self) -> Session:
        session = Session(secrets.token_hex(12))
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def drop(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.sid, None)

    def snapshot(self) -> list[Session]:
        """The live sessions now (a copy: safe while requests come in)."""
        with self._lock:
            return list(self._sessions.values())

    def cookie_header(self, session: Session) -> tuple[str, str]:
        return ("Set-Cookie", f"{self.cookie_name}={session.sid}; Path=/; HttpOnly")


# ----------------------------------------------------------------- phone and mailbox


@dataclass(frozen=True)
class Message:
    """An SMS or email the simulators 'sent'. ``code`` is the OTP it carries, if any."""

    seq: int
    channel: str  # "sms" or "email"
    to: str  # ten-digit mobile or email address
    sender: str  # e.g. "AD-eMuDSC-S", "BV-ADHAAR-G", "UDYAM"
    portal: str
    kind: str  # "mobile_otp", "aadhaar_otp", "email_otp", "final_otp", "notice"
    text: str
    code: str
    sent_at: float  # time.time(), for display only

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Outbox:
    """The applicant's simulated phone and mailbox, keyed by mobile number or email.

    Readers can block on :meth:`wait_for` instead of polling: demo mode and tests use it
    to answer an OTP the moment it is "delivered".
    """

    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._changed = threading.Condition()

    def send(
        self,
        *,
        channel: str,
        to: str,
        sender: str,
        portal: str,
        kind: str,
        text: str,
        code: str = "",
    ) -> Message:
        with self._changed:
            message = Message(
                len(self._messages) + 1,
                channel,
                to.lower(),
                sender,
                portal,
                kind,
                text,
                code,
                time.time(),
            )
            self._messages.append(message)
            self._changed.notify_all()
        log.debug("simulated %s to %s from %s (%s)", channel, to, sender, kind)
        return message

    def messages(self, to: str | None = None, after: int = 0) -> list[Message]:
        with self._changed:
            return [
                m
                for m in self._messages
                if m.seq > after and (to is None or m.to == to.lower())
            ]

    def latest(self, to: str, kind: str | None = None) -> Message | None:
        for message in reversed(self.messages(to)):
            if kind is None or message.kind == kind:
                return message
        return None

    @property
    def last_seq(self) -> int:
        with self._changed:
            return len(self._messages)

    def wait_for(
        self, to: str, kind: str | None = None, after: int = 0, timeout: float = 10.0
    ) -> Message | None:
        """The first message to ``to`` (of ``kind``) newer than ``after``, or None."""
        deadline = time.monotonic() + timeout

        def find() -> Message | None:
            for m in self._messages[after:]:
                if m.to == to.lower() and (kind is None or m.kind == kind):
                    return m
            return None

        with self._changed:
            while (found := find()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return found


# ---------------------------------------------------------------------------- faults


FAULT_NAMES = {
    "latency": "delay every response by 'ms' milliseconds, plus up to 'jitter_ms'",
    "slow_loader": "keep the postback loader on screen for 'ms' milliseconds",
    "blank_first_load": "the first page load of a session is blank",
    "http_500_once": "the next request to 'path' (or any) fails with HTTP 500",
    "session_expiry": "sessions expire 'seconds' after they start",
    "click_overlay": "an overlay intercepts the next click on the page",
    "lossy_typing": "fields drop keystrokes typed faster than 'min_interval_ms'",
    "empty_cascade": "a dependent dropdown first returns only its placeholder",
    "wrong_otp": "every OTP for 'mobile' is rejected (or the first 'times')",
    "name_mismatch": "name as in PAN is refused unless exactly 'accept' is typed",
    "already_registered": "the Aadhaar or PAN is already registered",
    "wrong_captcha_once": "the first correct captcha is still refused",
    "get_otp_noop_once": "the first Get OTP click silently does nothing (bot check)",
    "pan_invalid": "the PAN is refused as not valid",
    "pan_daily_limit": "PAN verification is over the 5-a-day limit",
}


class Faults:
    """Switchable faults: ``{name: params}``. Set from config or the control endpoint.

    A fault may be one-shot: :meth:`consume` returns its params and removes it, so
    "once" faults fire exactly once per switch-on.
    """

    def __init__(self, initial: dict[str, dict[str, Any]] | None = None) -> None:
        self._active: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        for name, params in (initial or {}).items():
            self.set(name, **params)

    def set(self, name: str, **params: Any) -> None:
        if name not in FAULT_NAMES:
            raise ValueError(
                f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_NAMES))}"
            )
        with self._lock:
            self._active[name] = dict(params)

    def clear(self, name: str | None = None) -> None:
        with self._lock:
            if name is None:
                self._active.clear()
            else:
                self._active.pop(name, None)

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            params = self._active.get(name)
            return dict(params) if params is not None else None

    def consume(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._active.pop(name, None)

    def use(
        self, name: str, when: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any] | None:
        """Fire ``name`` if it is on (and ``when(params)`` holds); count down ``times``.

        A fault set with ``times=N`` fires N times and then switches itself off; one
        without ``times`` stays on. Returns the params it fired with, else None.
        """
        with self._lock:
            params = self._active.get(name)
            if params is None or (when is not None and not when(dict(params))):
                return None
            fired = dict(params)
            if "times" in params:
                remaining = int(params["times"]) - 1
                if remaining <= 0:
                    del self._active[name]
                else:
                    params["times"] = remaining
            return fired

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: dict(params) for name, params in self._active.items()}


# --------------------------------------------------------------------------- context


class SimContext:
    """What every portal shares: phone and mailbox, faults and each portal's URL."""

    def __init__(self, faults: Faults | None = None, seed: int | None = None) -> None:
        self.outbox = Outbox()
        self.faults = faults or Faults()
        self.urls: dict[str, str] = {}
        self.random = random.Random(seed)
        self._random_lock = threading.Lock()
        self._linked_mobiles: dict[str, str] = {}

    def link_mobile(self, aadhaar_digits: str, mobile: str) -> None:
        """Record the mobile linked to an Aadhaar (set by tests and the demo).

        Only a hash of the digits is kept; the simulated UIDAI needs no more.
        """
        with self._random_lock:
            self._linked_mobiles[_aadhaar_key(aadhaar_digits)] = mobile

    def linked_mobile(self, aadhaar_digits: str) -> str | None:
        with self._random_lock:
            return self._linked_mobiles.get(_aadhaar_key(aadhaar_digits))

    def url_for(self, portal: str, path: str = "/") -> str:
        return self.urls[portal].rstrip("/") + path

    def otp(self, digits: int) -> str:
        with self._random_lock:
            return "".join(str(self.random.randrange(10)) for _ in range(digits))


def _status_line(code: int) -> str:
    # IIS's 440 "Login Time-out" (used for expired sessions) is not in HTTPStatus.
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Login Time-out" if code == 440 else f"{code} Unknown"


def _aadhaar_key(aadhaar_digits: str) -> str:
    digits = "".join(ch for ch in aadhaar_digits if ch.isdigit())
    return hashlib.sha256(digits.encode()).hexdigest()


Handler = Callable[[Request, Session], Response]


class PortalApp:
    """Base for one simulated portal: routing, sessions and the shared faults.

    Subclasses set :attr:`name` and :attr:`cookie_name` and register routes with
    :meth:`route`. Faults that apply to every portal (latency, HTTP 500, blank first
    load, session expiry) are handled here; page-level ones belong to the portal.
    """

    name = "portal"
    cookie_name = "SESSIONID"

    def __init__(self, context: SimContext) -> None:
        self.context = context
        self.sessions = SessionStore(self.cookie_name)
        self._routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, path: str, handler: Handler) -> None:
        self._routes[(method.upper(), path)] = handler

    # WSGI entry point
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        response, session = self._dispatch(request)
        headers = [
            ("Content-Type", response.content_type),
            ("Cache-Control", "no-store"),
        ]
        headers += response.headers
        if session is not None:
            headers.append(self.sessions.cookie_header(session))
        start_response(_status_line(response.status), headers)
        return [response.encoded()]

    def _dispatch(self, request: Request) -> tuple[Response, Session | None]:
        self._apply_latency()
        failure = self._injected_500(request)
        if failure is not None:
            return failure, None
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            return Response.not_found(), None
        session = self.sessions.get(request)
        if session is None or self._expired(session):
            if session is not None:
                self.sessions.drop(session)
                return self.session_expired(request), None
            session = self.sessions.create()
        with session.lock:
            if self._blank_first_load(request, session):
                return Response.html("<html><head></head><body></body></html>"), session
            return handler(request, session), session

    def session_expired(self, request: Request) -> Response:
        """What the portal shows when a session timed out; subclasses override."""
        return Response.html("<h1>Session expired</h1><p>Please start again.</p>", 440)

    def _apply_latency(self) -> None:
        params = self.context.faults.get("latency")
        if params is not None:
            delay = float(params.get("ms", 0)) + self.context.random.uniform(
                0, float(params.get("jitter_ms", 0))
            )
            time.sleep(delay / 1000)

    def _injected_500(self, request: Request) -> Response | None:
        params = self.context.faults.get("http_500_once")
        if params is None or params.get("path", request.path) != request.path:
            return None
        if self.context.faults.consume("http_500_once") is None:
            return None
        return Response.html("<h1>500 Internal Server Error</h1>", 500)

    def _expired(self, session: Session) -> bool:
        params = self.context.faults.get("session_expiry")
        if params is None:
            return False
        return time.monotonic() - session.created > float(params.get("seconds", 60))

    def _blank_first_load(self, request: Request, session: Session) -> bool:
        if request.method != "GET" or session.get("_loaded_once"):
            return False
        session["_loaded_once"] = True
        return self.context.faults.get("blank_first_load") is not None
