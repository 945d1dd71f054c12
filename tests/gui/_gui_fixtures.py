"""Shared fixtures for the GUI tests (imported by each test module, not a conftest).

``no_leaks`` fails a test that leaves a Python thread, a QThread worker or a browser
process behind, the way napari's fixtures fail a test that leaks a QThread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

# Fixtures, for ``from _gui_fixtures import *`` in each test module (helpers are
# imported by name). The in-memory keyring comes from tests/conftest.py.
__all__ = ["no_leaks", "window_env"]

LEAK_GRACE_SECONDS = 5.0


def _child_browser_pids() -> set[int]:
    """Chrome/chromedriver processes whose ancestor is this test process."""
    me = os.getpid()
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if "chrom" not in comm:
            continue
        ppid = int(
            next(ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:"))
        )
        if ppid == me or _is_descendant(ppid, me):
            found.add(int(entry.name))
    return found


def _is_descendant(pid: int, ancestor: int) -> bool:
    for _ in range(10):
        if pid <= 1:
            return False
        if pid == ancestor:
            return True
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        pid = int(
            next(ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:"))
        )
    return False


def _live_workers() -> list[str]:
    from desktop_app.gui import workers

    return workers.live_thread_names()


@pytest.fixture
def no_leaks(qapp: QApplication) -> Iterator[None]:
    """Fail the test if it leaves threads, worker QThreads or browsers running."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    while True:
        qapp.processEvents()
        threads = [
            t.name
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not t.daemon
        ]
        workers = _live_workers()
        browsers = _child_browser_pids()
        if not (threads or workers or browsers) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not threads, f"threads left running: {threads}"
    assert not workers, f"filing worker threads left running: {workers}"
    assert not browsers, f"browser processes left running: {sorted(browsers)}"


# ------------------------------------------------------------------ applicants


def make_applicant(
    number: int, services: frozenset | None = None, consent: bool = True
):
    """A fictional applicant (the Aadhaar digits are made up, never a real one)."""
    import datetime as dt

    from desktop_app.core.models import Applicant, Consent, Person, Service

    services = services or frozenset({Service.DSC})
    person = Person(
        full_name=f"Test Person {number:04d}",
        pan_name=f"TEST PERSON {number:04d}",
        date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=number),
        gender="female",
        pan=f"ABCPT{number:04d}K",
        aadhaar=f"2{number:011d}",
        mobile=f"98765{number:05d}",
        email=f"person{number}@example.org",
    )
    given = (
        Consent(
            given_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            given_by="file",
            services=services,
        )
        if consent
        else None
    )
    return Applicant(
        ref=f"A-T{number:05d}", person=person, services=services, consent=given
    )


# ------------------------------------------------------------ flows without Chrome


class FakeSession:
    """A browser session that needs no browser (the flows below never touch a page)."""

    page = None

    def quit(self) -> None:
        pass


GOOD_OTP = "482913"


def _otp_flow_class():
    from desktop_app.automation.flow import Flow, Step, Verdict
    from desktop_app.automation.operator import PromptKind
    from desktop_app.core.models import Service

    class OtpFlow(Flow):
        """Three steps; the second asks for a mobile OTP until it is 482913."""

        service = Service.DSC
        title = "Test DSC filing"
        portals = ("emudhra",)

        def steps(self):
            return [
                Step("open", "Open the portal", self.open),
                Step("otp", "Verify the mobile", self.otp),
                Step("submit", "Submit the application", self.submit),
            ]

        def open(self, ctx) -> None:
            ctx.report("Opened the practice portal")

        def otp(self, ctx) -> None:
            def submit(answer: str) -> Verdict:
                if answer == GOOD_OTP:
                    return Verdict.ok()
                return Verdict.rejected("Incorrect OTP, Re-enter the OTP")

            ctx.ask_until_accepted(
                PromptKind.MOBILE_OTP,
                submit,
                portal="emudhra",
                sent_to="the mobile ending 3210",
            )

        def submit(self, ctx) -> None:
            ctx.result = f"ORDER-{ctx.filing_id:05d}"
            ctx.next_step = "Wait for the certificate e-mail."

    return OtpFlow


def test_runner_factory(flows=None):
    """A runner factory with fake sessions and short waits, for MainWindow."""
    from desktop_app.automation.flow import EngineSettings
    from desktop_app.automation.runner import FilingRunner
    from desktop_app.core.models import Service

    flows = flows if flows is not None else {Service.DSC: _otp_flow_class()}

    def factory(store, settings, operator, listener, portal_urls):
        return FilingRunner(
            store,
            settings,
            operator,
            FakeSession,
            portal_urls,
            flows=flows,
            listener=listener,
            engine_settings=EngineSettings(
                retries=0, backoff=(0.0,), prompt_timeout=60
            ),
        )

    return factory


test_runner_factory.__test__ = False  # a helper, not a test


@pytest.fixture
def window_env(tmp_path: Path, qtbot, no_leaks):
    """Opens windows on a fresh data folder; closes them (and their threads) after."""
    from desktop_app.core.settings import Settings
    from desktop_app.core.store import Store
    from desktop_app.gui.main_window import MainWindow, WindowContext
    from desktop_app.paths import DataDir

    data_dir = DataDir(tmp_path / "data").ensure()
    store = Store.open(data_dir)
    windows: list[MainWindow] = []

    class Env:
        def __init__(self) -> None:
            self.data_dir, self.store = data_dir, store

        def window(self, runner_factory=None, settings=None, **context) -> MainWindow:
            settings = settings or Settings()
            window = MainWindow(
                WindowContext(
                    data_dir, store, settings, dict(settings.portal_urls), **context
                ),
                runner_factory or test_runner_factory(),
            )
            # Not qtbot.addWidget: the fixture closes the window itself, and waits
            # for its threads, before anything deletes it.
            windows.append(window)
            window.show()
            return window

    yield Env()
    for window in windows:
        close_window(qtbot, window)
    store.close()


def close_window(qtbot, window) -> None:
    if not window.isVisible() and window._closing:
        return
    window.confirm_close()
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    window.deleteLater()
