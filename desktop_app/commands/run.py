"""``desktop-app run FILE...``: import applicants and file them, without the window.

Reads the files, adds the valid rows to the queue (rows with errors are reported and
skipped), files every ready filing of those applicants with N browsers, and prints a
results table (or, with ``--json``, one JSON object per filing on stdout). Progress
goes to stderr. OTPs and captchas are asked on the terminal, or answered by
``--otp-command``, or in ``--demo`` by the simulated phone.

Exit code: 0 when every filing completed, 1 when any did not (failed, cancelled,
waiting for consent, no flow yet, skipped rows), 2 for bad input (unreadable file,
bad option).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from desktop_app.automation.browser import check_browser
from desktop_app.automation.flow import FlowListener, FlowOutcome, FlowStatus
from desktop_app.automation.flows import FLOWS
from desktop_app.automation.operator import (
    CommandOperator,
    Operator,
    PromptKind,
    PromptRequest,
    SimulatorOperator,
    TerminalOperator,
)
from desktop_app.automation.portal_config import PortalConfigError
from desktop_app.automation.runner import FilingRunner, browser_session_factory
from desktop_app.core import importer
from desktop_app.core import settings as settings_module
from desktop_app.core.models import Applicant, Service
from desktop_app.core.secrets import PartnerCredentials, partner_credentials
from desktop_app.core.settings import DEFAULT_PORTAL_URLS, Settings
from desktop_app.core.store import FilingRow, FilingStatus, Store
from desktop_app.paths import DataDir

NAME = "run"
HELP = "import applicant files and file them now (no window)"

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INCOMPLETE, EXIT_BAD_INPUT = 0, 1, 2
SHUTDOWN_DEADLINE = 15.0
ENGINES = {"uc": "undetected", "selenium": "selenium"}


class BadInput(Exception):
    """An option or file the command cannot use; the message is for the operator."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="applicant files (.xlsx, .csv, .json)",
    )
    parser.add_argument(
        "--service",
        choices=("dsc", "udyam", "all"),
        default="all",
        help="file only this service (default: all)",
    )
    parser.add_argument(
        "--portal",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="use another address for a portal, e.g. "
        "udyam=http://127.0.0.1:8001 (repeatable)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the built-in simulated portals and file there, "
        "answering OTPs from the simulated phone",
    )
    parser.add_argument(
        "--headless", action="store_true", help="run Chrome without a window"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="browsers filing at the same time (default: settings)",
    )
    parser.add_argument(
        "--otp-command",
        default=None,
        metavar="CMD",
        help="shell command that prints each OTP or captcha answer; "
        "it gets PROMPT_KIND, PROMPT_PORTAL, PROMPT_ATTEMPT, "
        "APPLICANT_REF, APPLICANT_MOBILE, APPLICANT_EMAIL, CAPTCHA_IMAGE",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per filing instead of a table",
    )
    parser.add_argument(
        "--engine",
        choices=sorted(ENGINES),
        default=None,
        help="uc (undetected-chromedriver) or plain selenium",
    )
    parser.add_argument(
        "--consent-by",
        default=None,
        metavar="NAME",
        help="record that NAME took the applicants' consent, for rows "
        "whose file has none",
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BadInput as problem:
        sys.stderr.write(f"{problem}\n")
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    portal_overrides = parse_portals(args.portal)
    if args.jobs is not None and not 1 <= args.jobs <= 4:
        raise BadInput("--jobs must be between 1 and 4.")
    data_dir = DataDir(args.data_dir).ensure()
    applicants, skipped_rows = read_applicants(args.files)
    services = _services(args.service)
    settings = _settings(data_dir, args, portal_overrides)

    with Store.open(data_dir) as store:
        store.mark_interrupted()  # a filing the last run left running
        # Retention runs at every start: nothing else would ever purge (issue 8 fix).
        store.purge_expired(days=settings.evidence_retention_days)
        refs = add_to_queue(store, applicants, args)
        with _portals(args, settings) as (portal_urls, sims):
            if sims is not None:
                _link_demo_mobiles(store, refs, sims)
            operator = _operator(args, sims)
            partner = _partner(args, settings)
            rows = _filings_of(store, refs, services)
            ready = [row.id for row in rows if row.status is FilingStatus.READY]
            outcomes = _file(
                store, settings, operator, portal_urls, partner, ready, args
            )
        rows = _filings_of(store, refs, services)
    _print_results(rows, outcomes, args.json)
    complete = rows and all(row.status is FilingStatus.COMPLETED for row in rows)
    return EXIT_OK if complete and not skipped_rows else EXIT_INCOMPLETE


# ------------------------------------------------------------------------ input


def parse_portals(values: Sequence[str]) -> dict[str, str]:
    """``["udyam=http://..."]`` -> ``{"udyam": "http://..."}``, checked."""
    portals: dict[str, str] = {}
    for value in values:
        name, _, url = value.partition("=")
        name, url = name.strip(), url.strip()
        if name not in DEFAULT_PORTAL_URLS:
            known = ", ".join(DEFAULT_PORTAL_URLS)
            raise BadInput(
                f"--portal {value}: unknown portal {name!r} (known: {known})."
            )
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BadInput(f"--portal {value}: give an address like http://host:port.")
        portals[name] = url.rstrip("/")
    return portals


def read_applicants(paths: Sequence[Path]) -> tuple[list[Applicant], int]:
    """Valid applicants of every file, and how many rows were skipped for errors."""
    batch = importer.read_files(paths)
    if batch.failures:
        raise BadInput("\n".join(str(failure) for failure in batch.failures))
    skipped = 0
    for report in batch.reports:
        for row in report.bad_rows:
            skipped += 1
            problems = "; ".join(f"{i.column}: {i.message}" for i in row.errors)
            sys.stderr.write(f"Skipped {row.source or report.path.name}: {problems}\n")
    if not batch.applicants and skipped:
        raise BadInput("No row could be imported; correct the file and run again.")
    return batch.applicants, skipped


def add_to_queue(
    store: Store, applicants: list[Applicant], args: argparse.Namespace
) -> list[str]:
    """Add the applicants (known ones are kept as they are); returns every ref."""
    source = ", ".join(path.name for path in args.files)
    result = store.add_applicants(applicants, source)
    for duplicate in result.duplicates:
        sys.stderr.write(f"Not added again: {duplicate.ref}: {duplicate.reason}\n")
    given_by = "demo" if args.demo else args.consent_by
    for applicant in applicants:
        if applicant.consent is None and given_by and applicant.ref in result.added:
            store.record_consent(
                applicant.ref, given_by, applicant.services, note="desktop-app run"
            )
    return [applicant.ref for applicant in applicants]


def _services(choice: str) -> set[Service]:
    return set(Service) if choice == "all" else {Service(choice)}


def _settings(
    data_dir: DataDir, args: argparse.Namespace, portals: dict[str, str]
) -> Settings:
    settings = settings_module.load(data_dir)
    updates: dict[str, Any] = {"portal_urls": {**settings.portal_urls, **portals}}
    if args.headless:
        updates["headless"] = True
    if args.engine:
        updates["browser_engine"] = ENGINES[args.engine]
    if args.jobs:
        updates["concurrency"] = args.jobs
    return settings.model_copy(update=updates)


def _filings_of(
    store: Store, refs: Sequence[str], services: set[Service]
) -> list[FilingRow]:
    wanted = set(refs)
    return [
        row
        for row in store.filings()
        if row.applicant_ref in wanted and row.service in services
    ]


# ----------------------------------------------------------------- the portals


@contextlib.contextmanager
def _portals(
    args: argparse.Namespace, settings: Settings
) -> Iterator[tuple[dict[str, str], Any]]:
    """Portal URLs to use, with the simulators running in demo mode."""
    if not args.demo:
        yield dict(settings.portal_urls), None
        return
    from desktop_app.simulators.server import start_simulators

    sims = start_simulators()
    try:
        urls = {name: url for name, url in sims.urls.items() if name != "control"}
        sys.stderr.write(
            f"Simulated portals running; phone at {sims.urls['control']}/phone\n"
        )
        yield urls, sims
    finally:
        sims.stop()


def _operator(args: argparse.Namespace, sims: Any) -> Operator:
    if args.otp_command:
        extra = {"SIMULATOR_CONTROL_URL": sims.urls["control"]} if sims else {}
        return CommandOperator(args.otp_command, extra)
    if sims is not None:
        return SimulatorOperator(
            sims.outbox, captcha_solver=simulator_captcha_solver(sims)
        )
    return TerminalOperator()


def _partner(args: argparse.Namespace, settings: Settings) -> PartnerCredentials | None:
    if args.demo:
        from desktop_app.simulators.emudhra import (
            DEMO_PARTNER_PASSWORD,
            DEMO_PARTNER_USER,
        )

        return PartnerCredentials(DEMO_PARTNER_USER, DEMO_PARTNER_PASSWORD)
    return partner_credentials(settings.partner_username)


def simulator_captcha_solver(sims: Any) -> Callable[[PromptRequest], str | None]:
    """Answers captchas in demo mode from what the simulated Udyam page shows."""

    def solve(request: PromptRequest) -> str | None:
        return sims.captcha_for(request.mobile)

    return solve


# ---------------------------------------------------------------------- filing


def _file(
    store: Store,
    settings: Settings,
    operator: Operator,
    portal_urls: dict[str, str],
    partner: PartnerCredentials | None,
    filing_ids: list[int],
    args: argparse.Namespace,
) -> dict[int, FlowOutcome]:
    if not filing_ids:
        return {}
    if _needs_browser(store, filing_ids) and not _browser_ok(settings):
        return {}
    try:
        runner = FilingRunner(
            store,
            settings,
            operator,
            browser_session_factory(settings, store.data_dir),
            portal_urls,
            listener=TerminalProgress(store),
            partner=partner,
        )
    except PortalConfigError as problem:
        sys.stderr.write(f"Cannot file: {problem}\n")
        return {}
    try:
        runner.run(filing_ids)
    except KeyboardInterrupt:
        sys.stderr.write("\nStopping: closing the browsers...\n")
        runner.shutdown(SHUTDOWN_DEADLINE)
    finally:
        operator.close()
    return runner.outcomes


def _needs_browser(store: Store, filing_ids: list[int]) -> bool:
    return any(store.filing(i).service in FLOWS for i in filing_ids)


def _browser_ok(settings: Settings) -> bool:
    check = check_browser(settings)
    if check.problem:
        sys.stderr.write(f"Cannot file: {check.problem}\n")
        return False
    return True


def _link_demo_mobiles(store: Store, refs: Sequence[str], sims: Any) -> None:
    """Tell the simulated UIDAI the mobile linked to each demo Aadhaar."""
    for ref in refs:
        person = store.applicant(ref, reveal=True).person
        sims.context.link_mobile(person.aadhaar.reveal(), person.mobile)


class TerminalProgress(FlowListener):
    """Progress lines on stderr: "[A-7Q3KX2 udyam] 3/9 Verify PAN"."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._labels: dict[int, str] = {}

    def _label(self, filing_id: int) -> str:
        if filing_id not in self._labels:
            row = self.store.filing(filing_id)
            self._labels[filing_id] = f"{row.applicant_ref} {row.service.value}"
        return self._labels[filing_id]

    def _write(self, filing_id: int, text: str) -> None:
        with self._lock:
            sys.stderr.write(f"[{self._label(filing_id)}] {text}\n")
            sys.stderr.flush()

    def step_started(self, filing_id: int, title: str, index: int, total: int) -> None:
        self._write(filing_id, f"{index}/{total} {title}")

    def log(self, filing_id: int, level: int, message: str) -> None:
        if level >= logging.WARNING:
            self._write(filing_id, message)

    def prompt(self, filing_id: int, request: PromptRequest) -> None:
        if request.kind is not PromptKind.CONFIRM:
            self._write(filing_id, f"waiting for the {request.kind.label}")


# --------------------------------------------------------------------- results


def filing_result(row: FilingRow, outcome: FlowOutcome | None) -> dict[str, Any]:
    """The JSON object for one filing (masked Aadhaar only, no secrets)."""
    status = row.status.value
    message = row.failure_message
    if outcome is not None and outcome.status is FlowStatus.SKIPPED:
        status, message = FlowStatus.SKIPPED.value, outcome.message
    elif row.status is FilingStatus.PENDING_CONSENT:
        message = "Waiting for consent: record it, or run again with --consent-by NAME."
    return {
        "id": row.id,
        "ref": row.applicant_ref,
        "name": row.display_name,
        "service": row.service.value,
        "status": status,
        "result": row.result,
        "failure_kind": row.failure_kind.value if row.failure_kind else None,
        "message": message,
        "next_step": row.next_step or (outcome.next_step if outcome else ""),
        "step": row.step_text,
    }


def _print_results(
    rows: list[FilingRow], outcomes: dict[int, FlowOutcome], as_json: bool
) -> None:
    results = [filing_result(row, outcomes.get(row.id)) for row in rows]
    if as_json:
        for result in results:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    if not results:
        sys.stdout.write("Nothing to file.\n")
        return
    header = ("Ref", "Service", "Status", "Result / message", "Next step")
    cells = [
        (
            r["ref"],
            r["service"],
            r["status"],
            r["result"] or r["message"],
            r["next_step"],
        )
        for r in results
    ]
    sys.stdout.write(_table(header, cells))


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    cut = [tuple(_shorten(str(cell or "")) for cell in row) for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cut)) for i, h in enumerate(header)]
    lines = [header, tuple("-" * w for w in widths), *cut]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )


def _shorten(text: str, width: int = 60) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[: width - 1] + "…"
