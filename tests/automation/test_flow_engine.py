"""The flow engine over a fake page and the real store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fakes import (
    AADHAAR,
    OTP_IN_PAGE,
    FakeFlow,
    RecordingListener,
    SessionFactory,
    add_filings,
    fails_times,
    ok,
    open_store,
)

from desktop_app.automation.evidence import EvidenceWriter, as_evidence_page
from desktop_app.automation.flow import (
    BusinessFailure,
    EngineSettings,
    FlowContext,
    FlowEngine,
    FlowStatus,
    TechnicalFailure,
    Verdict,
)
from desktop_app.automation.names import name_variants
from desktop_app.automation.operator import (
    CancelToken,
    PromptKind,
    PromptOutcome,
    ScriptedOperator,
)
from desktop_app.core.store import FailureKind, FilingStatus, StepOutcome, Store

FAST = EngineSettings(
    retries=2, backoff=(0.05, 0.1), prompt_timeout=2.0, cancel_grace=0.05
)


class PortalConfig:
    """Stands in for portal_config.PortalConfig."""

    def sensitive_locators(self) -> list[str]:
        return ["#aadhaar", "#otp"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "data") as opened:
        yield opened


def make_engine(
    store: Store,
    operator: ScriptedOperator | None = None,
    settings: EngineSettings = FAST,
) -> tuple[FlowEngine, SessionFactory, RecordingListener]:
    sessions, listener = SessionFactory(), RecordingListener()
    engine = FlowEngine(
        store,
        operator or ScriptedOperator(),
        sessions,
        EvidenceWriter(store.data_dir.evidence),
        settings,
        listener,
        portal_urls={"udyam": "http://127.0.0.1:9"},
        portal_configs={"udyam": PortalConfig()},
    )
    return engine, sessions, listener


def run(
    engine: FlowEngine, store: Store, flow: FakeFlow, cancel: CancelToken | None = None
):
    filing_id = add_filings(store, "A-1")[0]
    applicant = store.applicant("A-1", reveal=True)
    return filing_id, engine.run(flow, filing_id, applicant, cancel)


def test_steps_are_recorded_with_durations_and_k_of_n(store: Store) -> None:
    engine, sessions, listener = make_engine(store)
    flow = FakeFlow(
        [("a", ok, None), ("b", lambda ctx: time.sleep(0.02), None), ("c", ok, None)]
    )

    filing_id, outcome = run(engine, store, flow)

    assert outcome.status is FlowStatus.COMPLETED and outcome.result == "R-1"
    steps = store.steps(filing_id)
    assert [(s.step_name, s.step_index, s.step_total) for s in steps] == [
        ("a", 1, 3),
        ("b", 2, 3),
        ("c", 3, 3),
    ]
    assert all(s.outcome == StepOutcome.PASSED for s in steps)
    assert steps[1].duration_s is not None and steps[1].duration_s >= 0.02
    assert [e[3:5] for e in listener.of("step_started")] == [(1, 3), (2, 3), (3, 3)]
    assert listener.of("step_finished")[1][6] >= 0.02
    row = store.filing(filing_id)
    assert (row.status, row.result, row.next_step) == (
        FilingStatus.COMPLETED,
        "R-1",
        "Nothing more to do.",
    )
    assert len(sessions.sessions) == 1 and sessions.sessions[0].quit_on is not None


def test_a_number_kept_mid_flow_stays_when_a_later_step_fails(store: Store) -> None:
    engine, _, listener = make_engine(store)

    def refused_after_issue(ctx: FlowContext) -> None:
        raise BusinessFailure("The portal refused the last page")

    flow = FakeFlow(
        [
            ("issue", lambda ctx: ctx.keep_issued_number("3100000007", "Number"), None),
            ("confirm", refused_after_issue, None),
        ]
    )

    filing_id, outcome = run(engine, store, flow)

    assert outcome.status is FlowStatus.FAILED
    row = store.filing(filing_id)
    assert (row.status, row.result) == (FilingStatus.FAILED, "3100000007")
    assert "Number 3100000007 issued." in [e.message for e in store.events(filing_id)]
    assert any("3100000007" in entry[-1] for entry in listener.of("log"))


def test_technical_failure_restarts_fresh_after_backoff_then_succeeds(
    store: Store,
) -> None:
    engine, sessions, _ = make_engine(store)
    flow = FakeFlow(
        [
            ("open", ok, None),
            ("pan", fails_times(1, lambda: TimeoutError("slow")), None),
        ]
    )

    started = time.monotonic()
    filing_id, outcome = run(engine, store, flow)

    assert outcome.status is FlowStatus.COMPLETED
    assert time.monotonic() - started >= 0.05  # the first back-off
    assert flow.calls == ["open", "pan", "open", "pan"]
    assert len(sessions.sessions) == 2  # a fresh browser for the restart
    assert sessions.sessions[0].quit_on is not None
    assert store.filing(filing_id).attempts == 2
    outcomes = [(s.attempt, s.step_name, s.outcome) for s in store.steps(filing_id)]
    assert outcomes[1] == (1, "pan", StepOutcome.FAILED)
    assert outcomes[-1] == (2, "pan", StepOutcome.PASSED)


def test_technical_failure_restarts_from_a_declared_checkpoint(store: Store) -> None:
    engine, sessions, _ = make_engine(store)
    failing = fails_times(1, lambda: TechnicalFailure("The page went stale"))
    flow = FakeFlow([("a", ok, None), ("b", ok, None), ("c", failing, "b")])

    filing_id, outcome = run(engine, store, flow)

    assert outcome.status is FlowStatus.COMPLETED
    assert flow.calls == ["a", "b", "c", "b", "c"]
    assert len(sessions.sessions) == 1  # the same browser session went on
    # The page is used again, so it was not masked (that would overwrite inputs):
    # only its HTML, taken without the sensitive values, is kept.
    assert sessions.sessions[0].page.masked_with is None
    kinds = sorted(e.kind for e in store.evidence(filing_id))
    assert kinds == ["html", "note"]
    html = next(e for e in store.evidence(filing_id) if e.kind == "html")
    assert AADHAAR not in html.path.read_text()


def test_lost_browser_restarts_fresh_even_with_a_checkpoint(store: Store) -> None:
    engine, sessions, _ = make_engine(store)
    failing = fails_times(
        1, lambda: TechnicalFailure("Chrome closed", fresh_session=True)
    )
    flow = FakeFlow([("a", ok, None), ("b", failing, "a")])

    run(engine, store, flow)

    assert flow.calls == ["a", "b", "a", "b"]
    assert len(sessions.sessions) == 2


def test_business_failure_is_not_retried_and_leaves_evidence(store: Store) -> None:
    engine, sessions, _ = make_engine(store)

    def refused(ctx: FlowContext) -> None:
        raise BusinessFailure("PAN is already registered", next_step="Call the client.")

    flow = FakeFlow([("a", ok, None), ("pan", refused, None), ("c", ok, None)])
    filing_id, outcome = run(engine, store, flow)

    assert flow.calls == ["a", "pan"]
    assert (outcome.status, outcome.failure_kind) == (FlowStatus.FAILED, "business")
    assert outcome.next_step == "Call the client."
    row = store.filing(filing_id)
    assert (row.status, row.failure_kind) == (FilingStatus.FAILED, FailureKind.BUSINESS)
    assert row.failure_message == "PAN is already registered"
    assert {e.kind for e in store.evidence(filing_id)} == {"screenshot", "html", "note"}
    assert len(sessions.sessions) == 1


def test_retries_exhausted_fail_technical_with_masked_evidence(store: Store) -> None:
    engine, sessions, listener = make_engine(store)
    broken = fails_times(99, lambda: RuntimeError("chrome not reachable\nstack..."))
    flow = FakeFlow([("a", ok, None), ("b", broken, None)])

    filing_id, outcome = run(engine, store, flow)

    assert flow.calls.count("b") == 3  # the first try and two retries
    assert (outcome.status, outcome.failure_kind) == (FlowStatus.FAILED, "technical")
    assert "RuntimeError: chrome not reachable" in outcome.message
    assert store.filing(filing_id).failure_kind is FailureKind.TECHNICAL
    evidence = store.evidence(filing_id)
    assert [e.kind for e in evidence].count("note") == 3
    for session in sessions.sessions:
        assert session.page.masked_with == ["#aadhaar", "#otp"]
    for item in evidence:
        content = item.path.read_bytes()
        assert item.path.parent == store.data_dir.evidence / str(filing_id)
        assert AADHAAR.encode() not in content and OTP_IN_PAGE.encode() not in content
    note = json.loads(next(e for e in evidence if e.kind == "note").path.read_text())
    assert note["step"] == "b" and note["url"].endswith("UdyamRegistration.aspx")
    assert any("Trying again" in e[3] for e in listener.of("log"))


def test_evidence_writer_keeps_a_note_when_the_page_is_broken(tmp_path: Path) -> None:
    class BrokenPage:
        def mask_sensitive(self, selectors: object) -> None:
            raise ConnectionError("driver gone")

        def current_url(self) -> str:
            raise ConnectionError("driver gone")

    files = EvidenceWriter(tmp_path).capture(7, "open", 1, "broken", BrokenPage())

    assert [f.kind for f in files] == ["note"]  # unmasked pages are never captured
    assert json.loads(files[0].path.read_text())["message"] == "broken"


def test_cancel_between_steps_marks_the_filing_cancelled(store: Store) -> None:
    engine, sessions, _ = make_engine(store)
    token = CancelToken()
    flow = FakeFlow(
        [
            ("a", ok, None),
            ("b", lambda ctx: token.cancel("Stop"), None),
            ("c", ok, None),
        ]
    )

    filing_id, outcome = run(engine, store, flow, token)

    assert flow.calls == ["a", "b"]
    assert outcome.status is FlowStatus.CANCELLED
    assert store.filing(filing_id).status is FilingStatus.CANCELLED
    assert sessions.sessions[0].quit_on is not None


def test_cancel_during_a_prompt_ends_the_wait_at_once(store: Store) -> None:
    engine, _, _ = make_engine(store, ScriptedOperator([None]))  # never answers
    token = CancelToken()

    def asks(ctx: FlowContext) -> None:
        ctx.ask(PromptKind.AADHAAR_OTP, portal="udyam")

    threading.Timer(0.1, token.cancel).start()
    started = time.monotonic()
    filing_id, outcome = run(engine, store, FakeFlow([("otp", asks, None)]), token)

    assert outcome.status is FlowStatus.CANCELLED
    assert time.monotonic() - started < 1.5
    assert store.filing(filing_id).status is FilingStatus.CANCELLED


def test_cancel_quits_the_browser_when_a_step_is_stuck(store: Store) -> None:
    engine, sessions, _ = make_engine(store)
    token = CancelToken()

    def stuck_in_driver(ctx: FlowContext) -> None:
        # Like a driver call that returns only when the browser is closed under it.
        session = sessions.sessions[-1]
        token.cancel()
        assert session.quit_event.wait(5)
        raise ConnectionError("browser closed")

    _, outcome = run(engine, store, FakeFlow([("stuck", stuck_in_driver, None)]), token)

    assert outcome.status is FlowStatus.CANCELLED
    assert sessions.sessions[0].quit_on != threading.current_thread().name


def test_prompt_timeout_fails_with_kind_timeout(store: Store) -> None:
    settings = EngineSettings(retries=2, backoff=(0.01,), prompt_timeout=0.1)
    engine, _, _ = make_engine(store, ScriptedOperator([None]), settings)

    def asks(ctx: FlowContext) -> None:
        ctx.ask(PromptKind.CAPTCHA, portal="udyam", image_png=b"png")

    filing_id, outcome = run(engine, store, FakeFlow([("captcha", asks, None)]))

    assert (outcome.status, outcome.failure_kind) == (FlowStatus.FAILED, "timeout")
    assert store.filing(filing_id).failure_kind is FailureKind.TIMEOUT


def test_ask_until_accepted_asks_again_with_the_portal_message(store: Store) -> None:
    operator = ScriptedOperator(["111111", "222222"])
    engine, _, listener = make_engine(store, operator)
    submitted: list[str] = []

    def otp(ctx: FlowContext) -> None:
        def submit(answer: str) -> Verdict:
            submitted.append(answer)
            return (
                Verdict.ok()
                if answer == "222222"
                else Verdict.rejected("Incorrect OTP")
            )

        ctx.ask_until_accepted(
            PromptKind.AADHAAR_OTP, submit, portal="udyam", sent_to="x"
        )

    filing_id, outcome = run(engine, store, FakeFlow([("otp", otp, None)]))

    assert outcome.status is FlowStatus.COMPLETED
    assert submitted == ["111111", "222222"]
    first, second = operator.requests
    assert (first.attempt, first.max_attempts, first.message) == (1, 3, "")
    assert (second.attempt, second.message) == (2, "Incorrect OTP")
    assert first.masked_applicant.endswith("(XXXX XXXX 2346)")
    logged = " ".join(e.message for e in store.events(filing_id))
    assert "111111" not in logged and "222222" not in logged
    assert [e[3] for e in listener.of("prompt")] == [1, 2]


def test_ask_until_accepted_gives_up_as_a_business_failure(store: Store) -> None:
    operator = ScriptedOperator(lambda request: "000000")
    engine, _, _ = make_engine(store, operator)

    def otp(ctx: FlowContext) -> None:
        ctx.ask_until_accepted(
            PromptKind.FINAL_OTP,
            lambda answer: Verdict.rejected("Wrong OTP"),
            portal="udyam",
        )

    _, outcome = run(engine, store, FakeFlow([("otp", otp, None)]))

    assert (outcome.status, outcome.failure_kind) == (FlowStatus.FAILED, "business")
    assert len(operator.requests) == 3 and "Wrong OTP" in outcome.message


def test_resend_asks_the_flow_for_a_new_code(store: Store) -> None:
    answers = iter([PromptOutcome.RESEND, "123456"])

    def script(request):  # noqa: ANN001, ANN202
        return next(answers)

    operator = ScriptedOperator(script)
    engine, _, _ = make_engine(store, operator)
    resent: list[bool] = []

    def otp(ctx: FlowContext) -> None:
        answer = ctx.ask(
            PromptKind.MOBILE_OTP, portal="udyam", resend=lambda: resent.append(True)
        )
        assert answer == "123456"

    _, outcome = run(engine, store, FakeFlow([("otp", otp, None)]))

    assert outcome.status is FlowStatus.COMPLETED and resent == [True]
    assert all(r.can_resend for r in operator.requests)


def test_a_flow_without_a_number_does_not_complete(store: Store) -> None:
    engine, _, _ = make_engine(store)
    filing_id, outcome = run(engine, store, FakeFlow([("a", ok, None)], result=""))

    assert outcome.status is FlowStatus.FAILED
    assert store.filing(filing_id).result is None


def test_filing_shows_waiting_while_the_operator_is_asked(store: Store) -> None:
    seen: list[FilingStatus] = []

    def script(request):  # noqa: ANN001, ANN202
        seen.append(store.filing(request.filing_id).status)
        return "1234"

    engine, _, _ = make_engine(store, ScriptedOperator(script))

    def asks(ctx: FlowContext) -> None:
        ctx.ask(PromptKind.EMAIL_OTP, portal="udyam")

    filing_id, _ = run(
        engine, store, FakeFlow([("mail", asks, None), ("next", ok, None)])
    )

    assert seen == [FilingStatus.WAITING]
    assert store.filing(filing_id).status is FilingStatus.COMPLETED


def test_page_actions_adapter_uses_locators_and_the_driver(tmp_path: Path) -> None:
    class Driver:
        current_url = "http://127.0.0.1:9/x"

        def save_screenshot(self, path: str) -> bool:
            Path(path).write_bytes(b"png")
            return True

    class Actions:  # the browser layer's PageActions, as far as evidence goes
        driver = Driver()
        masked: list[object] = []

        def mask_sensitive(self, locators: list[object]) -> int:
            self.masked = list(locators)
            return len(locators)

        def page_html_without(self, locators: list[object]) -> str:
            return f"<p>{len(locators)} blanked</p>"

    actions = Actions()
    files = EvidenceWriter(tmp_path).capture(
        3, "pan", 1, "x", as_evidence_page(actions), ["#otp", ("id", "pin")]
    )

    assert actions.masked == [("css selector", "#otp"), ("id", "pin")]
    assert sorted(f.kind for f in files) == ["html", "note", "screenshot"]
    html = next(f for f in files if f.kind == "html").path.read_text()
    assert html == "<p>2 blanked</p>"


def test_a_restart_point_must_be_an_earlier_step(store: Store) -> None:
    engine, _, _ = make_engine(store)
    flow = FakeFlow([("a", ok, "b"), ("b", ok, None)])

    with pytest.raises(ValueError, match="earlier step"):
        run(engine, store, flow)


@pytest.mark.browser
def test_evidence_from_a_real_browser_masks_the_aadhaar(store: Store) -> None:
    from desktop_app.automation.portal_config import load_portal_configs
    from desktop_app.automation.runner import browser_session_factory
    from desktop_app.core.settings import Settings
    from desktop_app.simulators.server import start_simulators

    config = load_portal_configs()["udyam"]
    settings = Settings(browser_engine="selenium", headless=True)
    with start_simulators() as sims:
        engine = FlowEngine(
            store,
            ScriptedOperator(),
            browser_session_factory(settings, store.data_dir),
            EvidenceWriter(store.data_dir.evidence),
            FAST,
            portal_urls=sims.urls,
            portal_configs={"udyam": config},
        )

        def type_aadhaar(ctx: FlowContext) -> None:
            ctx.page.open(config.url("registration", ctx.url("udyam")))
            ctx.page.type_text(config.locator("aadhaar"), AADHAAR)
            raise BusinessFailure("The portal refused the Aadhaar")

        filing_id, outcome = run(
            engine, store, FakeFlow([("aadhaar", type_aadhaar, None)])
        )

    assert outcome.failure_kind == "business"
    files = {e.kind: e.path for e in store.evidence(filing_id)}
    assert files["screenshot"].read_bytes().startswith(b"\x89PNG")
    html = files["html"].read_text()
    assert "txtadharno" in html and AADHAAR not in html
    assert json.loads(files["note"].read_text())["url"].startswith(sims.urls["udyam"])


def test_first_accepted_records_the_accepted_name_variant(store: Store) -> None:
    engine, _, _ = make_engine(store)
    tried: list[str] = []

    def pan_name(ctx: FlowContext) -> None:
        def submit(name: str) -> Verdict:
            tried.append(name)
            return Verdict(name == "RAGHAVAN MEENA", "Name mismatch")

        variants = name_variants(ctx.applicant.person.pan_name)
        ctx.state["name"] = ctx.first_accepted("name as in PAN", variants, submit)

    filing_id, outcome = run(engine, store, FakeFlow([("pan", pan_name, None)]))

    assert outcome.status is FlowStatus.COMPLETED
    assert tried == ["MEENA RAGHAVAN", "RAGHAVAN MEENA"]
    logged = [e.message for e in store.events(filing_id)]
    assert "The portal accepted the name as in PAN as 'RAGHAVAN MEENA'." in logged


def test_first_accepted_fails_as_business_when_no_variant_fits(store: Store) -> None:
    engine, _, _ = make_engine(store)

    def pan_name(ctx: FlowContext) -> None:
        ctx.first_accepted(
            "name as in PAN", ["A B", "B A"], lambda n: Verdict(False, "No")
        )

    _, outcome = run(engine, store, FakeFlow([("pan", pan_name, None)]))

    assert (outcome.failure_kind, outcome.message) == (
        "business",
        "The portal accepted no spelling of the name as in PAN (2 tried): No",
    )
