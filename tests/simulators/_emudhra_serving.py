"""Serve the three eMudhra hosts for tests, and a small cookie-aware HTTP client.

Uses :func:`desktop_app.simulators.server.start_simulators` when it is available, and
falls back to serving the three apps itself with wsgiref (threaded) otherwise.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from desktop_app.simulators.base import PortalApp, SimContext
from desktop_app.simulators.emudhra import (
    EmudhraAadhaarPortal,
    EmudhraPartnerPortal,
    EmudhraPortal,
)

NAMES = ("emudhra-partner", "emudhra", "emudhra-aadhaar")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@dataclass
class EmudhraSims:
    """The running hosts: their URLs, the shared context and the app objects."""

    context: SimContext
    urls: dict[str, str]
    apps: dict[str, PortalApp] = field(default_factory=dict)

    @property
    def main(self) -> EmudhraPortal:
        app = self.apps["emudhra"]
        assert isinstance(app, EmudhraPortal)
        return app


@contextlib.contextmanager
def serve_emudhra(**main_options: Any) -> Iterator[EmudhraSims]:
    """The three eMudhra hosts on free loopback ports, stopped on exit.

    ``main_options`` go to :class:`EmudhraPortal` (``otp_boxes``, ``resend_seconds``).
    """
    try:
        from desktop_app.simulators.server import start_simulators
    except ImportError:  # the shared server is not there: serve the three apps here
        with _serve_alone(main_options) as sims:
            yield sims
        return
    with start_simulators(options={"emudhra": main_options}, seed=7) as running:
        apps = {name: running.portals[name] for name in NAMES}
        yield EmudhraSims(running.context, dict(running.urls), apps)


@contextlib.contextmanager
def _serve_alone(main_options: dict[str, Any]) -> Iterator[EmudhraSims]:
    context = SimContext(seed=7)
    apps: dict[str, PortalApp] = {
        "emudhra-partner": EmudhraPartnerPortal(context),
        "emudhra": EmudhraPortal(context, **main_options),
        "emudhra-aadhaar": EmudhraAadhaarPortal(context),
    }
    servers = []
    threads = []
    try:
        for name, app in apps.items():
            server = make_server(
                "127.0.0.1",
                0,
                app,
                server_class=_ThreadingServer,
                handler_class=_QuietHandler,
            )
            servers.append(server)
            context.urls[name] = f"http://127.0.0.1:{server.server_port}"
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            threads.append(thread)
        yield EmudhraSims(context, dict(context.urls), apps)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)


# ------------------------------------------------------------------------- client


@dataclass
class Page:
    status: int
    url: str
    text: str

    def value_of(self, element_id: str) -> str:
        """The value attribute of the element with this id ("" if it has none)."""
        tag = self.tag(element_id)
        match = re.search(r'value="([^"]*)"', tag)
        return match.group(1) if match else ""

    def tag(self, element_id: str) -> str:
        match = re.search(rf'<[^>]*\bid="{re.escape(element_id)}"[^>]*>', self.text)
        assert match, f"no element #{element_id} on {self.url}"
        return match.group(0)

    def has(self, element_id: str) -> bool:
        return re.search(rf'\bid="{re.escape(element_id)}"', self.text) is not None

    @property
    def message(self) -> str:
        """The msgBox text shown when the page opens ("" if none)."""
        match = re.search(r'<p id="msgBoxText">([^<]*)</p>', self.text)
        return _unescape(match.group(1)) if match else ""

    @property
    def token(self) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlparse(self.url).query).get(
            "X", [""]
        )[0]


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


class Browser:
    """One person's browser: one cookie jar for every host, as in a real browser."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )

    def get(self, url: str) -> Page:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict[str, str]) -> Page:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def post_json(self, url: str, data: dict[str, str]) -> dict[str, Any]:
        import json

        page = self.post(url, data)
        return json.loads(page.text)

    def post_multipart(
        self, url: str, data: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> Page:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in data.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, payload) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
                f' filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            )
            parts.append(head.encode() + payload + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(url, data=b"".join(parts), method="POST")
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self._opener.open(request, timeout=10) as response:
                return Page(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Page(error.code, error.url, error.read().decode())
