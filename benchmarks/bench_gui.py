"""How responsive the window is. Prints figures; asserts nothing.

* Longest event-loop stall while three filings run at once with full (DEBUG)
  logging, measured by a 5 ms QTimer recording the largest gap between its ticks
  (target: under 50 ms).
* Time from process start to the window shown, in a fresh subprocess (target 1.5 s).
* Resident memory of that idle window, from /proc/self/status (target 150 MB).

Run from the repository root::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py

When real flows are registered (``desktop_app/automation/flows.py``) and Chrome is
found, the three filings run on the simulated portals in headless Chrome; otherwise
they run a synthetic flow of the same shape (steps, log lines, store writes, an OTP
prompt answered from the simulated phone) without a browser, and the output says so.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
FILINGS = 3
TICK_MS = 5


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ start-up (child)

_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop_app.gui.app import LaunchOptions, application, window_context
    from desktop_app.gui.main_window import MainWindow
    app = application()
    with window_context(LaunchOptions(Path(sys.argv[1]), check_browser=False)) as ctx:
        window = MainWindow(ctx)
        window.show()
        app.processEvents()
        sys.stdout.write(f"shown {time.monotonic()}\\n")
        sys.stdout.flush()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sys.stdout.write(f"rss {int(line.split()[1]) / 1024:.1f}\\n")
        window.confirm_close()
        window.close()
        while window.isVisible():
            app.processEvents()
    """
)


def measure_startup() -> tuple[float, float]:
    """(seconds until shown, idle RSS in MB), from a fresh interpreter."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        process = subprocess.run(
            [sys.executable, "-c", _CHILD, folder],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=True,
        )
    shown = rss = float("nan")
    for line in process.stdout.splitlines():
        word, _, value = line.partition(" ")
        if word == "shown":
            shown = float(value) - started  # monotonic is system-wide on Linux
        elif word == "rss":
            rss = float(value)
    return shown, rss


# ---------------------------------------------------------------- stall (this process)


def _synthetic_flow():
    from desktop_app.automation.flow import Flow, Step, Verdict
    from desktop_app.automation.operator import PromptKind
    from desktop_app.core.models import Service

    chatty = logging.getLogger("desktop_app.automation.bench")

    class BusyFlow(Flow):
        service = Service.DSC
        title = "Synthetic filing"
        portals = ("emudhra",)

        def steps(self):
            steps = [Step(f"s{n}", f"Step {n}", self.work) for n in range(1, 9)]
            steps.insert(4, Step("otp", "Verify the mobile", self.otp))
            return [*steps, Step("submit", "Submit", self.submit)]

        def work(self, ctx) -> None:
            for n in range(60):
                chatty.debug("filing %s: detail line %d", ctx.filing_id, n)
                time.sleep(0.002)
            ctx.report("Step done")

        def otp(self, ctx) -> None:
            ctx.ask_until_accepted(
                PromptKind.MOBILE_OTP, lambda answer: Verdict.ok(), portal="emudhra"
            )

        def submit(self, ctx) -> None:
            ctx.result = f"BENCH-{ctx.filing_id}"

    return {Service.DSC: BusyFlow}


class _Session:
    page = None

    def quit(self) -> None:
        pass


def measure_stall() -> tuple[float, str, float]:
    """(longest gap in ms, what ran, seconds the run took)."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    from desktop_app.automation.flow import EngineSettings
    from desktop_app.automation.runner import FilingRunner
    from desktop_app.core.settings import Settings
    from desktop_app.core.store import Store
    from desktop_app.gui.app import application
    from desktop_app.gui.main_window import MainWindow, WindowContext
    from desktop_app.paths import DataDir

    sys.path.insert(0, str(ROOT / "tests" / "gui"))
    from _gui_fixtures import make_applicant  # a test helper

    app = application()
    logging.getLogger().setLevel(logging.DEBUG)
    flows = _synthetic_flow()
    what = "synthetic flows (no real flow registered yet), no browser"

    def factory(store, settings, operator, listener, portal_urls):
        return FilingRunner(
            store,
            settings,
            operator,
            _Session,
            portal_urls,
            flows=flows,
            listener=listener,
            engine_settings=EngineSettings(retries=0, backoff=(0.0,)),
        )

    with tempfile.TemporaryDirectory() as folder:
        data_dir = DataDir(Path(folder)).ensure()
        with Store.open(data_dir) as store:
            store.add_applicants([make_applicant(n) for n in range(5000)], "bench")
            settings = Settings(concurrency=FILINGS)
            context = WindowContext(
                data_dir, store, settings, dict(settings.portal_urls)
            )
            window = MainWindow(context, factory)
            window.show()
            window.prompts.prompt_shown.connect(_auto_answer(window))
            gaps = _GapMeter(QElapsedTimer(), QTimer())
            finished: list[object] = []
            window.filing_finished.connect(finished.append)
            started = time.monotonic()
            window.runner.start([f.id for f in store.filings()[:FILINGS]])
            gaps.start()
            deadline = time.monotonic() + 120
            while len(finished) < FILINGS and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.001)
            took = time.monotonic() - started
            gaps.stop()
            window.confirm_close()
            window.close()
            while window.isVisible():
                app.processEvents()
    return gaps.longest_ms, what, took


class _GapMeter:
    def __init__(self, clock, timer) -> None:
        self.clock, self.timer = clock, timer
        self.longest_ms = 0.0
        timer.setInterval(TICK_MS)
        timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        gap = self.clock.restart()
        self.longest_ms = max(self.longest_ms, float(gap))


def _auto_answer(window):
    from PySide6.QtCore import QTimer

    def on_shown(_prompt) -> None:
        def answer() -> None:
            dialog = window.prompts.dialog
            if dialog is not None:
                dialog.otp_edit.setText("123456")
                dialog.answer_button.click()

        QTimer.singleShot(30, answer)

    return on_shown


def main() -> int:
    shown, rss = measure_startup()
    longest, what, took = measure_stall()
    sys.stdout.write(
        f"window shown after start:     {shown:6.2f} s   (target 1.5 s)\n"
        f"idle memory (RSS):            {rss:6.1f} MB  (target 150 MB)\n"
        f"longest event-loop stall:     {longest:6.1f} ms  (target 50 ms)\n"
        f"  while {FILINGS} filings ran at once with DEBUG logging over a queue of "
        f"5,000 rows: {what}; the run took {took:.1f} s\n"
        f"this process RSS at the end:  {_rss_mb():6.1f} MB\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
