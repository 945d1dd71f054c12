"""The fault matrix: every simulator fault against every flow, with the outcome each
must end in, defined here and nowhere else.

A case files one fresh applicant in this process (the app's FilingRunner, a real
headless Chromium, instant simulated answers, short engine back-off) against its own
simulators with the fault(s) switched on, under an overall deadline, and then checks
the outcome, the evidence and that no browser or driver process is left.
"""

from __future__ import annotations

import enum
import itertools
import json
import os
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _harness import KIND_SAMPLES, generate, link_mobiles, write_applicants

from desktop_app.automation.flow import EngineSettings
from desktop_app.automation.operator import PromptRequest, SimulatorOperator
from desktop_app.automation.runner import FilingRunner, browser_session_factory
from desktop_app.core import importer
from desktop_app.core.secrets import PartnerCredentials
from desktop_app.core.settings import Settings
from desktop_app.core.store import FailureKind, FilingStatus, Store
from desktop_app.paths import DataDir
from desktop_app.simulators.base import FAULT_NAMES
from desktop_app.simulators.emudhra import DEMO_PARTNER_PASSWORD, DEMO_PARTNER_USER
from desktop_app.simulators.server import start_simulators

CASE_DEADLINE = 420.0  # one filing, faults and retries included, on a loaded box
SHUTDOWN_DEADLINE = 20.0
ENGINE = EngineSettings(
    retries=2, backoff=(0.2,), prompt_timeout=60.0, cancel_grace=2.0
)
FLOWS = tuple(KIND_SAMPLES)  # udyam, dsc_aadhaar, dsc_pan


class Outcome(enum.StrEnum):
    RECOVERED = "recovered"  # completed in the first attempt (or the fault missed it)
    RETRIED = "retried-then-completed"  # completed after an engine retry
    BUSINESS = "failed business"
    TECHNICAL = "failed technical"
    CANCELLED = "cancelled"  # never expected: no fault should need the operator


COMPLETES = frozenset({Outcome.RECOVERED, Outcome.RETRIED})
BUSINESS = frozenset({Outcome.BUSINESS})
TECHNICAL = frozenset({Outcome.TECHNICAL})
RETRIED_OR_TECHNICAL = frozenset({Outcome.RETRIED, Outcome.TECHNICAL})

# The parameters each fault is switched on with.
FAULT_PARAMS: dict[str, dict[str, Any]] = {
    "latency": {"ms": 120, "jitter_ms": 80},
    "slow_loader": {"ms": 1500},
    "blank_first_load": {},
    "http_500_once": {},
    "session_expiry": {"seconds": 2},
    "click_overlay": {},
    "lossy_typing": {"min_interval_ms": 40},
    "empty_cascade": {},
    "wrong_otp": {"times": 1},
    "name_mismatch": {"accept": "Nobody Of That Name"},
    "already_registered": {},
    "wrong_captcha_once": {},
    "get_otp_noop_once": {},
    "pan_invalid": {},
    "pan_daily_limit": {},
}
assert set(FAULT_PARAMS) == set(FAULT_NAMES), "a simulator fault has no parameters"

_ALL = dict.fromkeys(FLOWS, COMPLETES)
# fault -> flow -> the outcomes allowed. One table, the single definition.
EXPECTED: dict[str, dict[str, frozenset[Outcome]]] = {
    "latency": dict(_ALL),
    "slow_loader": dict(_ALL),
    "blank_first_load": dict(_ALL),
    "http_500_once": dict(_ALL),
    # Sessions die after 2 s: a retry completes only if it fits in one session,
    # otherwise the retries run out. Never a first-attempt success, never a
    # business failure.
    "session_expiry": dict.fromkeys(FLOWS, RETRIED_OR_TECHNICAL),
    "click_overlay": dict(_ALL),
    "lossy_typing": dict(_ALL),
    "empty_cascade": dict(_ALL),
    "wrong_otp": dict(_ALL),  # the operator is asked again and answers right
    "name_mismatch": dict.fromkeys(FLOWS, BUSINESS),
    "already_registered": dict.fromkeys(FLOWS, BUSINESS),
    "wrong_captcha_once": dict(_ALL),
    "get_otp_noop_once": dict(_ALL),
    # The PAN checks exist on Udyam only; eMudhra never asks them.
    "pan_invalid": {**_ALL, "udyam": BUSINESS},
    "pan_daily_limit": {**_ALL, "udyam": BUSINESS},
}
assert set(EXPECTED) == set(FAULT_NAMES)


def expected_for(faults: tuple[str, ...], flow: str) -> frozenset[Outcome]:
    """Allowed outcomes for faults together: whichever fault bites first decides, so
    any single fault's failure is allowed; all-benign faults must still complete."""
    allowed = [EXPECTED[name][flow] for name in faults]
    failing = [a for a in allowed if not a <= COMPLETES]
    if not failing:
        return COMPLETES
    union = frozenset().union(*failing)
    if any(not a & COMPLETES for a in allowed):  # one fault never lets it finish
        union -= COMPLETES
    return union


def all_singles() -> list[tuple[tuple[str, ...], str]]:
    return [((name,), flow) for name in sorted(FAULT_NAMES) for flow in FLOWS]


def all_pairs() -> list[tuple[tuple[str, ...], str]]:
    return [
        (pair, flow)
        for pair in itertools.combinations(sorted(FAULT_NAMES), 2)
        for flow in FLOWS
    ]


# ------------------------------------------------------------------- one case


@dataclass
class CaseResult:
    faults: tuple[str, ...]
    flow: str
    outcome: Outcome | None  # None: did not end within the deadline
    expected: frozenset[Outcome]
    seconds: float
    attempts: int
    evidence: int
    message: str
    leftover_pids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        has_evidence = self.evidence > 0 or self.outcome in COMPLETES
        return self.outcome in self.expected and has_evidence and not self.leftover_pids

    def line(self) -> str:
        got = self.outcome.value if self.outcome else "NO END (deadline)"
        want = "/".join(sorted(o.value for o in self.expected))
        return (
            f"{'ok  ' if self.ok else 'FAIL'} {'+'.join(self.faults):<38} "
            f"{self.flow:<12} {got:<24} want {want:<40} {self.seconds:6.1f}s "
            f"attempts={self.attempts} evidence={self.evidence} "
            f"left={self.leftover_pids or 0} {self.message[:90]}"
        )


def _captcha_solver(control: str):  # noqa: ANN202
    def solve(request: PromptRequest) -> str | None:
        url = f"{control}/captcha.json?to={request.mobile}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            shown = json.load(answer)
        return shown[-1]["captcha"] if shown else None

    return solve


def _outcome(row: Any) -> Outcome | None:
    if row.status is FilingStatus.COMPLETED:
        return Outcome.RETRIED if row.attempts > 1 else Outcome.RECOVERED
    if row.status is FilingStatus.FAILED and row.failure_kind is FailureKind.BUSINESS:
        return Outcome.BUSINESS
    if row.status is FilingStatus.FAILED:
        return Outcome.TECHNICAL
    if row.status is FilingStatus.CANCELLED:
        return Outcome.CANCELLED
    return None  # still ready/running/interrupted: it did not end in time


def run_case(
    faults: tuple[str, ...], flow: str, workdir: Path, number: int
) -> CaseResult:
    """File one applicant of ``flow`` with ``faults`` on; never waits unbounded."""
    workdir.mkdir(parents=True, exist_ok=True)
    (person,) = generate((flow,), first_n=5000 + number)
    report = importer.read_file(write_applicants(workdir / "applicant.csv", [person]))
    assert report.applicants, report.to_json()
    data_dir = DataDir(workdir / "data").ensure()
    settings = Settings().model_copy(
        update={"headless": True, "browser_engine": "selenium", "concurrency": 1}
    )
    params = {name: dict(FAULT_PARAMS[name]) for name in faults}
    if "wrong_otp" in params:
        params["wrong_otp"]["mobile"] = person.mobile
    started = time.monotonic()
    with (
        start_simulators(faults=params, seed=number) as sims,
        Store.open(data_dir) as store,
    ):
        link_mobiles(sims, [person])
        (filing_id,) = store.add_applicants(report.applicants, "faults").filing_ids
        operator = SimulatorOperator(
            sims.outbox, captcha_solver=_captcha_solver(sims.urls["control"])
        )
        runner = FilingRunner(
            store,
            settings,
            operator,
            browser_session_factory(settings, data_dir),
            {k: v for k, v in sims.urls.items() if k != "control"},
            engine_settings=ENGINE,
            partner=PartnerCredentials(DEMO_PARTNER_USER, DEMO_PARTNER_PASSWORD),
        )
        runner.start([filing_id])
        if not runner.wait(CASE_DEADLINE):
            runner.shutdown(SHUTDOWN_DEADLINE)
        operator.close()
        row = store.filing(filing_id)
        evidence = len(store.evidence(filing_id))
        evidence += sum(1 for _ in (Path(data_dir.evidence) / str(filing_id)).glob("*"))
    seconds = time.monotonic() - started
    leftover = wait_no_browsers()
    return CaseResult(
        faults,
        flow,
        _outcome(row),
        expected_for(faults, flow),
        seconds,
        row.attempts,
        evidence,
        row.failure_message or (row.result or ""),
        leftover,
    )


# ---------------------------------------------------------- leftover processes

BROWSER_NAMES = ("chromium", "chrome", "chromedriver")


def browser_pids() -> list[int]:
    """Main browser and driver processes descended from this process."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z" or b"--type=" in cmdline:
            continue  # zombies and renderer/GPU helpers
        parents[int(entry.name)] = int(fields[1])
        names[int(entry.name)] = stat[stat.index("(") + 1 : stat.rindex(")")].lower()
    me = os.getpid()
    found = []
    for pid, name in names.items():
        if not name.startswith(BROWSER_NAMES):
            continue
        ancestor = parents.get(pid)
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor == me:
            found.append(pid)
    return found


def wait_no_browsers(deadline: float = 10.0) -> list[int]:
    end = time.monotonic() + deadline
    while browser_pids() and time.monotonic() < end:
        time.sleep(0.1)
    return browser_pids()


def run_matrix(
    cases: list[tuple[tuple[str, ...], str]], workdir: Path, echo: Any = None
) -> list[CaseResult]:
    results = []
    for number, (faults, flow) in enumerate(cases):
        result = run_case(faults, flow, workdir / f"case{number}", number)
        results.append(result)
        if echo is not None:
            echo(result.line())
    return results
