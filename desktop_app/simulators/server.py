"""Serve every simulated portal on its own loopback port, plus a control host.

``start_simulators()`` starts one threaded WSGI server per portal (distinct ports are
distinct origins, as the real hosts are) and a control host with the simulated phone,
the outbox as JSON and the fault switches. It returns a :class:`SimulatorSet`, a
context manager that stops everything on exit::

    with start_simulators(faults={"wrong_otp": {"times": 1}}) as sims:
        driver.get(sims.urls["udyam"] + "/UdyamRegistration.aspx")
"""

from __future__ import annotations

import io
import json
import logging
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from desktop_app.simulators.base import (
    Faults,
    Outbox,
    PortalApp,
    Request,
    Response,
    SimContext,
    escape,
)
from desktop_app.simulators.emudhra import (
    EmudhraAadhaarPortal,
    EmudhraPartnerPortal,
    EmudhraPortal,
)
from desktop_app.simulators.udyam import PAGE as UDYAM_PAGE
from desktop_app.simulators.udyam import UdyamPortal

log = logging.getLogger(__name__)

PORTAL_CLASSES: dict[str, Callable[..., PortalApp]] = {
    "udyam": UdyamPortal,
    "emudhra-partner": EmudhraPartnerPortal,
    "emudhra": EmudhraPortal,
    "emudhra-aadhaar": EmudhraAadhaarPortal,
}
# Where a person starts on each portal (the control host's landing page links there).
FIRST_PAGES = {
    "udyam": UDYAM_PAGE,
    "emudhra-partner": "/ApplyDSC.jsp",
    "emudhra": "/Login.jsp",
    "emudhra-aadhaar": "/index.jsp",
}
SERVER_NAMES = [*PORTAL_CLASSES, "control"]
_STOP_TIMEOUT = 5.0


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one daemon thread per request."""

    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to ``logging`` at DEBUG, not to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        log.debug("%s %s", self.address_string(), format % args)


class SimulatorSet:
    """Running simulators: ``.urls``, ``.outbox``, ``.faults``, ``.context``,
    ``.portals``; ``stop()`` (or leaving the ``with`` block) shuts them down."""

    def __init__(self, context: SimContext, portals: dict[str, PortalApp]) -> None:
        self.context = context
        self.portals = portals
        self.urls: dict[str, str] = {}
        self._servers: list[tuple[WSGIServer, threading.Thread]] = []

    @property
    def outbox(self) -> Outbox:
        return self.context.outbox

    @property
    def faults(self) -> Faults:
        return self.context.faults

    def captchas_shown(self, mobile: str | None = None) -> list[tuple[str, str]]:
        """(mobile, text) of every captcha the simulated Udyam pages show now."""
        udyam = self.portals.get("udyam")
        return udyam.captchas_shown(mobile) if isinstance(udyam, UdyamPortal) else []

    def captcha_for(self, mobile: str) -> str | None:
        """The captcha the applicant with this mobile is looking at, if any."""
        shown = self.captchas_shown(mobile)
        return shown[-1][1] if shown else None

    def _serve(
        self, name: str, app: Callable[..., Iterable[bytes]], host: str, port: int
    ) -> None:
        server = make_server(
            host,
            port,
            app,
            server_class=ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sim-{name}",
            daemon=True,
        )
        thread.start()
        self._servers.append((server, thread))
        self.urls[name] = f"http://{host}:{server.server_port}"

    def stop(self) -> None:
        """Shut every server down and wait (bounded) for its thread."""
        servers, self._servers = self._servers, []
        # shutdown() blocks until that server's loop notices; ask them all at once.
        stoppers = [
            threading.Thread(target=server.shutdown, daemon=True)
            for server, _ in servers
        ]
        for stopper in stoppers:
            stopper.start()
        deadline = time.monotonic() + _STOP_TIMEOUT
        for stopper in stoppers:
            stopper.join(max(0.0, deadline - time.monotonic()))
        deadline = time.monotonic() + _STOP_TIMEOUT
        for server, thread in servers:
            server.server_close()
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("simulator thread %s did not stop in time", thread.name)

    def __enter__(self) -> SimulatorSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulators(
    options: dict[str, dict[str, Any]] | None = None,
    faults: dict[str, dict[str, Any]] | None = None,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
    seed: int | None = None,
) -> SimulatorSet:
    """Start all portals and the control host; each on ``ports[name]`` (0: any free).

    Args:
        options: per portal name, keyword options for its constructor.
        faults: faults switched on from the start, ``{name: params}``.
        host: the address to listen on (loopback by default).
        ports: per server name (portal names and ``"control"``), a port.
        seed: seeds the OTP and captcha generator, for repeatable runs.
    """
    options = options or {}
    ports = ports or {}
    unknown = set(options) - set(PORTAL_CLASSES)
    if unknown:
        raise ValueError(f"unknown portal(s) in options: {', '.join(sorted(unknown))}")
    context = SimContext(Faults(faults), seed=seed)
    portals = {
        name: cls(context, **options.get(name, {}))
        for name, cls in PORTAL_CLASSES.items()
    }
    sims = SimulatorSet(context, portals)
    try:
        for name, portal in portals.items():
            sims._serve(name, portal, host, ports.get(name, 0))
        sims._serve("control", ControlApp(sims), host, ports.get("control", 0))
    except OSError:
        sims.stop()
        raise
    context.urls.update({name: sims.urls[name] for name in portals})
    log.info(
        "simulators started: %s", ", ".join(f"{k}={v}" for k, v in sims.urls.items())
    )
    return sims


# ------------------------------------------------------------------ control host


class ControlApp:
    """``/`` landing page, ``/phone``, ``/outbox.json``, ``/faults``, ``/options``,
    ``/links``, ``/captcha.json`` (demo and tests)."""

    def __init__(self, sims: SimulatorSet) -> None:
        self.sims = sims

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)  # Request reads it again
        request = Request.from_environ(environ)
        try:
            response = self._dispatch(request, body)
        except (ValueError, TypeError) as error:  # bad JSON, fault or option names
            response = Response.json({"error": str(error)}, 400)
        start_response(
            f"{response.status} {'OK' if response.status < 400 else 'Error'}",
            [("Content-Type", response.content_type), ("Cache-Control", "no-store")],
        )
        return [response.encoded()]

    def _dispatch(self, request: Request, body: bytes) -> Response:
        method, path = request.method, request.path
        if method == "GET" and path == "/":
            return Response.html(self._landing())
        if method == "GET" and path == "/phone":
            return Response.html(self._phone(request.query.get("to")))
        if method == "GET" and path == "/outbox.json":
            to = request.query.get("to") or None
            after = int(request.query.get("after", "0") or 0)
            messages = self.sims.outbox.messages(to, after)
            return Response.json([m.as_dict() for m in messages])
        if method == "GET" and path == "/captcha.json":
            return Response.json(self._captchas(request.query.get("to") or None))
        if path == "/faults":
            return self._faults(method, body)
        if method == "POST" and path == "/links":
            return self._link_mobiles(_json_object(body))
        if method == "POST" and path == "/options":
            for portal, values in _json_object(body).items():
                if portal not in self.sims.portals:
                    raise ValueError(f"unknown portal {portal!r}")
                self.sims.portals[portal].configure(**values)  # type: ignore[attr-defined]
            return Response.json({"ok": True})
        return Response.not_found()

    def _link_mobiles(self, links: dict[str, Any]) -> Response:
        """``{"<12 Aadhaar digits>": "<mobile>"}``: where the simulated UIDAI sends
        each Aadhaar's OTP when the simulators run in a process of their own."""
        for digits, mobile in links.items():
            if not (len(digits) == 12 and digits.isdigit()):
                raise ValueError("each key must be 12 Aadhaar digits")
            if not (isinstance(mobile, str) and len(mobile) == 10 and mobile.isdigit()):
                raise ValueError("each value must be a 10-digit mobile number")
            self.sims.context.link_mobile(digits, mobile)
        return Response.json({"linked": len(links)})

    def _captchas(self, to: str | None) -> list[dict[str, str]]:
        """The captchas simulated Udyam final-submission pages show now, by mobile.

        For the demo and tests only (an ``--otp-command`` stands in for the person
        reading the image); this is the simulator's control host, never a portal.
        """
        return [
            {"to": mobile, "captcha": text}
            for mobile, text in self.sims.captchas_shown(to)
        ]

    def _faults(self, method: str, body: bytes) -> Response:
        faults = self.sims.faults
        if method == "POST":
            for name, params in _json_object(body).items():
                faults.set(name, **(params or {}))
        elif method == "DELETE":
            faults.clear()
        elif method != "GET":
            return Response.html("Method not allowed", 405)
        return Response.json(faults.snapshot())

    def _landing(self) -> str:
        links = "".join(
            f"<li><a href='{escape(self.sims.urls[name] + FIRST_PAGES[name])}'>"
            f"{escape(name)}</a> <code>{escape(self.sims.urls[name])}</code></li>"
            for name in PORTAL_CLASSES
            if name in self.sims.urls
        )
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Filing Desk "
            "simulators</title><style>body{font-family:sans-serif;margin:2em}</style>"
            f"</head><body><h1>Simulated portals</h1><ul>{links}</ul>"
            "<p><a href='/phone'>Simulated phone and mailbox</a> &middot; "
            "<a href='/outbox.json'>outbox.json</a> &middot; <a "
            "href='/faults'>faults</a>"
            "</p></body></html>"
        )

    def _phone(self, to: str | None) -> str:
        messages = self.sims.outbox.messages(to)
        sms = [m for m in messages if m.channel == "sms"]
        mail = [m for m in messages if m.channel != "sms"]
        return _PHONE_PAGE.format(
            sms="".join(_bubble(m) for m in reversed(sms)) or _EMPTY,
            mail="".join(_bubble(m) for m in reversed(mail)) or _EMPTY,
        )


def _json_object(body: bytes) -> dict[str, Any]:
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _bubble(message: Any) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(message.sent_at))
    to = message.to.upper() if message.to.startswith("aadhaar:") else message.to
    return (
        f"<div class='msg'><div class='meta'><b>{escape(message.sender)}</b> to "
        f"{escape(to)} <span>{when}</span></div><div "
        f"class='text'>{escape(message.text)}"
        "</div></div>"
    )


_EMPTY = "<p class='empty'>No messages yet.</p>"
_PHONE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>Simulated phone</title><style>
body {{ font-family: sans-serif; background: #e9ecf2; display: flex; gap: 32px;
  justify-content: center; padding: 24px; margin: 0; }}
.phone {{ width: 340px; min-height: 560px; background: #111; border-radius: 36px;
  padding: 18px 12px; }}
.screen {{ background: #fafafa; border-radius: 24px; min-height: 540px;
  padding: 10px; }}
.mailbox {{ width: 460px; background: #fff; border: 1px solid #ccd; border-radius: 6px;
  padding: 10px; }}
h2 {{ font-size: 15px; margin: 4px 6px 10px; color: #333; }}
.msg {{ background: #dcf3df; border-radius: 14px; padding: 8px 10px; margin: 8px 4px; }}
.mailbox .msg {{ background: #eef2fb; border-radius: 4px; }}
.meta {{ font-size: 11px; color: #555; }} .meta span {{ float: right; }}
.text {{ font-size: 14px; margin-top: 4px; word-wrap: break-word; }}
.empty {{ color: #888; text-align: center; }}
</style></head><body>
<div class="phone"><div class="screen"><h2>Messages</h2>{sms}</div></div>
<div class="mailbox"><h2>Mailbox</h2>{mail}</div>
</body></html>"""
