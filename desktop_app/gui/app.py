"""Starting the window: the QApplication, the data folder, demo mode, the smoke test."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QListView, QMenuBar, QTableView

from desktop_app import APP_NAME, __version__
from desktop_app.core import settings as settings_module
from desktop_app.core.settings import Settings, SettingsError
from desktop_app.core.store import Store, StoreError
from desktop_app.core.vault import VaultError
from desktop_app.gui.icons import app_icon
from desktop_app.gui.main_window import MainWindow, WindowContext
from desktop_app.paths import DataDir, resource_path

log = logging.getLogger(__name__)

SAMPLE_APPLICANTS = ("samples", "applicants.xlsx")
DEMO_CONSENT_BY = "demo"


@dataclass
class LaunchOptions:
    data_root: Path
    demo: bool = False
    smoke_test: bool = False
    files: Sequence[Path] = ()
    check_browser: bool = True


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The one QApplication (made once; tests' pytest-qt one is reused)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv or [sys.argv[0]]))
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Filing Desk")
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    return app


def load_settings(data_dir: DataDir) -> tuple[Settings, str | None]:
    """The data folder's settings, and what went wrong when they could not be read.

    An unreadable file is renamed, not overwritten: the operator can mend it, and
    the window starts with the defaults and says so.
    """
    try:
        return settings_module.load(data_dir), None
    except SettingsError as error:
        log.error("%s; using the default settings", error)
        try:
            kept = settings_module.set_aside(data_dir)
        except OSError as problem:
            log.error("Could not rename the settings file: %s", problem)
            where = "The file was left as it is."
        else:
            where = f"The old file was kept as {kept.name} in the data folder."
        return Settings(), (
            f"The settings file could not be read, so Filing Desk started with its "
            f"default settings. {where} Open Settings to set them again."
        )


def browser_problem(settings: Settings) -> str | None:
    from desktop_app.automation.browser import check_browser

    return check_browser(settings).problem


def load_demo_applicants(store: Store) -> int:
    """Queue the sample applicants with consent recorded as given for the demo."""
    from desktop_app.core.importer import ApplicantFileError, read_file

    path = resource_path(*SAMPLE_APPLICANTS)
    try:
        report = read_file(path)
    except ApplicantFileError as error:
        log.warning("The demo applicants could not be loaded: %s", error.message)
        return 0
    result = store.add_applicants(report.applicants, path.name)
    for applicant in report.applicants:
        if applicant.ref in result.added:
            store.record_consent(
                applicant.ref,
                DEMO_CONSENT_BY,
                applicant.services,
                "Demo mode: fictional applicant",
            )
    return len(result.filing_ids)


def link_demo_mobiles(store: Store, sims: Any) -> None:
    """Tell the simulated UIDAI which mobile each demo Aadhaar is linked to."""
    for applicant in store.applicants():
        try:
            person = store.applicant(applicant.ref, reveal=True).person
        except (StoreError, VaultError) as error:  # purged after the retention period
            log.debug("Demo applicant %s not linked: %s", applicant.ref, error)
            continue
        sims.context.link_mobile(person.aadhaar.reveal(), person.mobile)


@contextlib.contextmanager
def window_context(options: LaunchOptions) -> Iterator[WindowContext]:
    """Open the data folder (and the simulators in demo mode) for one window."""
    root = options.data_root / "demo" if options.demo else options.data_root
    data_dir = DataDir(root).ensure()
    settings, settings_problem = load_settings(data_dir)
    sims = None
    with Store.open(data_dir) as store:
        store.mark_interrupted()
        # Retention runs at every start: nothing else would ever purge (issue 8 fix).
        store.purge_expired(days=settings.evidence_retention_days)
        try:
            portal_urls = dict(settings.portal_urls)
            if options.demo:
                from desktop_app.simulators.server import start_simulators

                sims = start_simulators()
                portal_urls.update(
                    {k: v for k, v in sims.urls.items() if k in portal_urls}
                )
                if not store.filings():
                    load_demo_applicants(store)
                link_demo_mobiles(store, sims)
            problem = browser_problem(settings) if options.check_browser else None
            yield WindowContext(
                data_dir=data_dir,
                store=store,
                settings=settings,
                portal_urls=portal_urls,
                demo=options.demo,
                outbox=sims.outbox if sims else None,
                browser_problem=problem,
                settings_problem=settings_problem,
            )
        finally:
            if sims is not None:
                sims.stop()


def smoke_check(window: MainWindow) -> list[str]:
    """What is missing from the window (empty when every part is there)."""
    problems = []
    if window.findChild(QTableView, "queueTable") is None:
        problems.append("queue table")
    for name in ("stepLog", "globalLog"):
        pane = window.findChild(type(window.step_log), name)
        if pane is None or pane.findChild(QListView) is None:
            problems.append(f"log pane {name}")
    if window.findChild(type(window.details), "detailsPane") is None:
        problems.append("details pane")
    menus = (
        [a.text().replace("&", "") for a in window.menuBar().actions()]
        if isinstance(window.menuBar(), QMenuBar)
        else []
    )
    for menu in ("File", "Queue", "View", "Help"):
        if menu not in menus:
            problems.append(f"{menu} menu")
    if window.context.demo and window.findChild(QDockWidget, "demoDock") is None:
        problems.append("demo panel")
    return problems


def run_app(options: LaunchOptions) -> int:
    """Show the window until it is closed; returns the exit code."""
    started = time.monotonic()
    app = application()
    with window_context(options) as context:
        window = MainWindow(context)
        window.show()
        log.info("Window shown after %.2f s", time.monotonic() - started)
        if options.smoke_test:
            return _smoke_test(app, window)
        if options.files:
            QTimer.singleShot(0, window, _ImportLater(window, list(options.files)))
        return app.exec()


class _ImportLater:
    """Imports the command-line files once the event loop runs (GUI thread)."""

    def __init__(self, window: MainWindow, files: list[Path]) -> None:
        self.window, self.files = window, files

    def __call__(self) -> None:
        self.window.import_files(self.files)


def _smoke_test(app: QApplication, window: MainWindow) -> int:
    app.processEvents()
    problems = smoke_check(window)
    window.confirm_close()
    window.close()
    deadline = time.monotonic() + 10
    while window.isVisible() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if problems:
        log.error("Smoke test failed; missing: %s", ", ".join(problems))
        _write_if_attached(
            sys.stderr, f"Smoke test failed; missing: {', '.join(problems)}\n"
        )
        return 1
    log.info("Window smoke test passed")
    _write_if_attached(
        sys.stdout, f"{APP_NAME} {__version__}: window smoke test passed\n"
    )
    return 0


def _write_if_attached(stream, text: str) -> None:
    # A windowed Windows program started from Explorer has no stdout or stderr at all.
    if stream is not None:
        stream.write(text)
