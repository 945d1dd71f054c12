"""The Udyam flow end to end: headless Chromium against the simulated portal."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _flow_fixtures import (
    FAST_ENGINE,
    TEST_TIMEOUTS,
    Sessions,
    add_applicant,
    run_filing,
    simulator_answers,
    udyam_applicant,
    with_settings,
)

from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    Browser,
    BrowserCheck,
    BrowserOptions,
    check_browser,
)
from desktop_app.automation.flow import FlowListener, FlowStatus
from desktop_app.automation.operator import (
    CancelToken,
    PromptKind,
    PromptRequest,
    ScriptedOperator,
)
from desktop_app.automation.page import PageActions
from desktop_app.automation.runner import FilingRunner
from desktop_app.core.models import OrgType
from desktop_app.core.settings import Settings
from desktop_app.core.store import FilingStatus, Store
from desktop_app.paths import DataDir
from desktop_app.simulators.server import start_simulators

pytestmark = pytest.mark.browser

URN = re.compile(r"^UDYAM-[A-Z]{2}-\d{2}-\d{7}$")


@pytest.fixture(scope="module")
def check() -> BrowserCheck:
    found = check_browser(None)
    if not found.ok:
        pytest.skip(found.problem)
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data").ensure()


@pytest.fixture
def store(data_dir: DataDir) -> Iterator[Store]:
    with Store.open(data_dir) as opened:
        yield opened


@pytest.fixture
def sessions(check: BrowserCheck, data_dir: DataDir) -> Iterator[Sessions]:
    opened = Sessions(check, data_dir)
    yield opened
    for session in opened.opened:
        session.quit()


class ReusedBrowser:
    """One Chromium for many filings: 'quitting' a session only clears its cookies,
    so each filing still starts a fresh portal session."""

    def __init__(self, check: BrowserCheck, data_dir: DataDir) -> None:
        options = BrowserOptions(
            engine="selenium", headless=True, host_resolver_rules=OFFLINE_HOST_RULES
        )
        self.browser = Browser(check, options, data_dir).start()
        self.opened = 0

    def __call__(self) -> Any:
        self.opened += 1
        return _ClearingSession(PageActions(self.browser.driver, TEST_TIMEOUTS))

    def close(self) -> None:
        self.browser.quit()


@dataclasses.dataclass
class _ClearingSession:
    page: PageActions

    def quit(self) -> None:
        self.page.driver.delete_all_cookies()
        self.page.driver.get("about:blank")


class StepHook(FlowListener):
    """Calls ``on_start(step title)`` and ``on_failure(title)`` from the engine."""

    def __init__(
        self,
        on_start: Callable[[str], None] = lambda title: None,
        on_failure: Callable[[str], None] = lambda title: None,
    ) -> None:
        self.on_start = on_start
        self.on_failure = on_failure
        self.failed: list[tuple[str, str]] = []

    def step_started(self, filing_id: int, title: str, index: int, total: int) -> None:
        self.on_start(title)

    def step_finished(self, filing_id, title, index, total, outcome, message, duration):  # noqa: ANN001, PLR0913
        if outcome != "ok":
            self.failed.append((title, outcome))
            self.on_failure(title)


def _assert_completed(store: Store, filing_id: int, outcome: Any) -> None:
    assert outcome.status is FlowStatus.COMPLETED, outcome.message
    assert URN.match(outcome.result)
    row = store.filing(filing_id)
    assert row.status is FilingStatus.COMPLETED and row.result == outcome.result
    acknowledgements = [
        e for e in store.evidence(filing_id) if e.kind == "acknowledgement"
    ]
    assert acknowledgements and all(e.path.is_file() for e in acknowledgements)
    assert acknowledgements[0].path.read_bytes().startswith(b"%PDF")


# ------------------------------------------------------------------- happy paths


def test_every_organisation_type_gets_its_udyam_number(
    check: BrowserCheck, data_dir: DataDir, store: Store
) -> None:
    browser = ReusedBrowser(check, data_dir)
    try:
        with start_simulators() as sims:
            operator = ScriptedOperator(simulator_answers(sims))
            results = {}
            for n, org in enumerate(OrgType, start=1):
                filing_id = add_applicant(store, sims, udyam_applicant(n, org))
                outcome = run_filing(store, sims, browser, filing_id, operator)  # type: ignore[arg-type]
                _assert_completed(store, filing_id, outcome)
                results[org] = outcome.result
            assert sims.portals["udyam"].urns_issued == len(OrgType)
    finally:
        browser.close()
    assert len(set(results.values())) == len(OrgType) == 11


def test_two_filings_at_once_through_the_runner(
    data_dir: DataDir, store: Store, sessions: Sessions
) -> None:
    with start_simulators() as sims:
        ids = [add_applicant(store, sims, udyam_applicant(n)) for n in (21, 22)]
        threads: set[str] = set()

        class Threads(FlowListener):
            def step_started(self, filing_id, title, index, total):  # noqa: ANN001
                threads.add(threading.current_thread().name)

        runner = FilingRunner(
            store,
            Settings(),
            ScriptedOperator(simulator_answers(sims)),
            sessions,
            {k: v for k, v in sims.urls.items() if k != "control"},
            jobs=2,
            listener=Threads(),
            engine_settings=FAST_ENGINE,
        )
        outcomes = runner.run(ids)
    assert [o.status for o in outcomes] == [FlowStatus.COMPLETED] * 2
    assert len({o.result for o in outcomes}) == 2
    assert len(threads) == 2 and len(sessions.opened) == 2
    for outcome in outcomes:
        _assert_completed(store, outcome.filing_id, outcome)
    assert sessions.all_quit()


def test_the_older_form_layout_files_too(store: Store, sessions: Sessions) -> None:
    # Investment and turnover sit in the main form there, with no "Continue...".
    with start_simulators(options={"udyam": {"layout": "old"}}) as sims:
        filing_id = add_applicant(store, sims, udyam_applicant(23, OrgType.TRUST))
        operator = ScriptedOperator(simulator_answers(sims))
        outcome = run_filing(store, sims, sessions, filing_id, operator)
    _assert_completed(store, filing_id, outcome)


# ---------------------------------------------------------------- the operator


def test_a_wrong_aadhaar_otp_is_asked_again_with_the_portal_message(
    store: Store, sessions: Sessions
) -> None:
    # pan_invalid ends the filing right after the Aadhaar step, to keep it short.
    with start_simulators(faults={"pan_invalid": {}}) as sims:
        filing_id = add_applicant(store, sims, udyam_applicant(31))
        operator = ScriptedOperator(
            simulator_answers(sims, wrong=[PromptKind.AADHAAR_OTP])
        )
        outcome = run_filing(store, sims, sessions, filing_id, operator)
    asked = [r for r in operator.requests if r.kind is PromptKind.AADHAAR_OTP]
    assert [r.attempt for r in asked] == [1, 2]
    assert "Incorrect OTP" in asked[1].message
    assert asked[0].sent_to == "the mobile ending 0031"
    assert _passed(store, filing_id, "aadhaar")
    assert outcome.failure_kind == "business" and "not valid" in outcome.message


def test_an_unanswered_otp_times_out_and_closes_the_browser(
    store: Store, sessions: Sessions
) -> None:
    with start_simulators() as sims:
        filing_id = add_applicant(store, sims, udyam_applicant(32))
        outcome = run_filing(
            store,
            sims,
            sessions,
            filing_id,
            ScriptedOperator([None]),  # never answers
            settings=with_settings(prompt_timeout=1.0),
        )
    assert outcome.status is FlowStatus.FAILED and outcome.failure_kind == "timeout"
    assert store.filing(filing_id).failure_kind.value == "timeout"
    assert sessions.all_quit()


def test_cancel_mid_flow_ends_cancelled_with_the_browser_gone(
    store: Store, sessions: Sessions
) -> None:
    cancel = CancelToken()
    hook = StepHook(
        on_start=lambda title: title == "Verify PAN" and cancel.cancel("Stop it.")
    )
    with start_simulators() as sims:
        filing_id = add_applicant(store, sims, udyam_applicant(33))
        outcome = run_filing(
            store,
            sims,
            sessions,
            filing_id,
            ScriptedOperator(simulator_answers(sims)),
            listener=hook,
            cancel=cancel,
        )
        assert sims.portals["udyam"].urns_issued == 0
    assert outcome.status is FlowStatus.CANCELLED
    assert store.filing(filing_id).status is FilingStatus.CANCELLED
    assert sessions.all_quit()


# ------------------------------------------------------------------ the faults


@dataclasses.dataclass(frozen=True)
class FaultCase:
    faults: dict[str, dict[str, Any]]
    status: FlowStatus
    kind: str = ""  # failure kind
    message: str = ""  # part of the failure message
    passed: str = ""  # a step that must have passed
    arm_at: str = ""  # a step title: the faults are switched on when it starts
    clear_on_failure: bool = False  # switch them off after the first failing step
    retried: bool = False  # a technical failure was recorded and then recovered
    check: Callable[[list[PromptRequest], Store, int], bool] = lambda *_: True


_STOP = {"pan_invalid": {}}  # ends the filing at the PAN step (keeps a case short)


def _asked(kind: PromptKind, times: int) -> Callable[..., bool]:
    return lambda requests, *_: sum(r.kind is kind for r in requests) == times


def _logged(text: str) -> Callable[..., bool]:
    return lambda _, store, filing_id: any(
        text in event.message for event in store.events(filing_id)
    )


FAULTS = {
    "latency": FaultCase(
        {"latency": {"ms": 40, "jitter_ms": 20}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
    ),
    "slow_loader": FaultCase(
        {"slow_loader": {"ms": 1500}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
    ),
    "blank_first_load": FaultCase(
        {"blank_first_load": {}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
        check=_logged("came up blank; loading it again"),
    ),
    "http_500_on_first_load": FaultCase(
        {"http_500_once": {"path": "/UdyamRegistration.aspx"}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
        check=_logged("server error; loading it again"),
    ),
    "http_500_mid_form": FaultCase(
        {"http_500_once": {"path": "/UdyamRegistration.aspx"}},
        FlowStatus.COMPLETED,
        arm_at="Enterprise and contact details",
        retried=True,
        check=_asked(PromptKind.AADHAAR_OTP, 2),  # a fresh start needs a new OTP
    ),
    "session_expiry": FaultCase(
        {"session_expiry": {"seconds": 0}},
        FlowStatus.COMPLETED,
        arm_at="Status, bank and major activity",
        clear_on_failure=True,
        retried=True,
        check=_asked(PromptKind.AADHAAR_OTP, 2),
    ),
    "click_overlay": FaultCase(
        {"click_overlay": {"times": 3}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
    ),
    "lossy_typing": FaultCase(
        {"lossy_typing": {"min_interval_ms": 40}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
    ),
    "empty_cascade": FaultCase({"empty_cascade": {}}, FlowStatus.COMPLETED),
    "wrong_otp_once": FaultCase(
        {"wrong_otp": {"times": 1}, **_STOP},
        FlowStatus.FAILED,
        "business",
        "not valid",
        passed="aadhaar",
        check=_asked(PromptKind.AADHAAR_OTP, 2),
    ),
    "wrong_otp_always": FaultCase(
        {"wrong_otp": {}},
        FlowStatus.FAILED,
        "business",
        "rejected the Aadhaar OTP 3 times",
        check=_asked(PromptKind.AADHAAR_OTP, 3),
    ),
    "name_mismatch_recovered": FaultCase(
        {"name_mismatch": {"accept": "RAGHAVAN MEENA"}},
        FlowStatus.COMPLETED,
        check=_logged("spelled 'RAGHAVAN MEENA'"),
    ),
    "name_mismatch_every_variant": FaultCase(
        {"name_mismatch": {"accept": "SOMEONE ELSE"}},
        FlowStatus.FAILED,
        "business",
        "did not accept the name",
    ),
    "already_registered": FaultCase(
        {"already_registered": {}},
        FlowStatus.FAILED,
        "business",
        "already has a Udyam registration",
    ),
    "pan_invalid": FaultCase(
        {"pan_invalid": {}}, FlowStatus.FAILED, "business", "PAN is not valid"
    ),
    "pan_daily_limit": FaultCase(
        {"pan_daily_limit": {}}, FlowStatus.FAILED, "business", "5 PAN verifications"
    ),
    "wrong_captcha_once": FaultCase(
        {"wrong_captcha_once": {}},
        FlowStatus.COMPLETED,
        check=lambda requests, *_: (
            [r.message for r in requests if r.kind is PromptKind.CAPTCHA][:2]
            == ["", "Incorrect verification code"]
        ),
    ),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_ends_in_its_defined_outcome(
    name: str, store: Store, sessions: Sessions
) -> None:
    case = FAULTS[name]
    with start_simulators(faults=None if case.arm_at else case.faults) as sims:
        armed: list[str] = []

        def arm(title: str) -> None:
            if title == case.arm_at and not armed:  # once: not again after a retry
                armed.append(title)
                for fault, params in case.faults.items():
                    sims.faults.set(fault, **params)

        def disarm(title: str) -> None:
            if case.clear_on_failure:
                sims.faults.clear()

        hook = StepHook(on_start=arm, on_failure=disarm)
        filing_id = add_applicant(store, sims, udyam_applicant(40))
        operator = ScriptedOperator(simulator_answers(sims))
        outcome = run_filing(store, sims, sessions, filing_id, operator, listener=hook)

    assert outcome.status is case.status, outcome.message
    assert outcome.failure_kind == case.kind
    assert case.message in outcome.message
    if case.status is FlowStatus.COMPLETED:
        _assert_completed(store, filing_id, outcome)
    else:  # evidence of the failing step: the note, the page, the screenshot
        kinds = {e.kind for e in store.evidence(filing_id) if e.path.is_file()}
        assert {"note", "html", "screenshot"} <= kinds
    if case.passed:
        assert _passed(store, filing_id, case.passed)
    if case.retried:
        assert any(outcome == "technical" for _, outcome in hook.failed)
        assert {"note", "html"} <= {e.kind for e in store.evidence(filing_id)}
    assert case.check(operator.requests, store, filing_id)
    assert sessions.all_quit()


def _passed(store: Store, filing_id: int, step: str) -> bool:
    return any(
        s.step_name == step and s.outcome == "passed" for s in store.steps(filing_id)
    )
