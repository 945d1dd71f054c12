"""FilingRunner: workers, pause, cancel, shutdown; fake flows, the real store."""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fakes import (
    FakeFlow,
    RecordingListener,
    SessionFactory,
    add_filings,
    ok,
    open_store,
)

from desktop_app import cli
from desktop_app.automation.flow import (
    EngineSettings,
    Flow,
    FlowContext,
    FlowStatus,
    FlowStop,
    Step,
)
from desktop_app.automation.flows import FLOWS
from desktop_app.automation.operator import PromptKind, ScriptedOperator
from desktop_app.automation.runner import FilingRunner
from desktop_app.commands import run as run_module
from desktop_app.core.models import Service
from desktop_app.core.settings import Settings
from desktop_app.core.store import FilingStatus, Store

FAST = EngineSettings(
    retries=1, backoff=(0.01,), prompt_timeout=10.0, cancel_grace=0.05
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "data") as opened:
        yield opened


class Concurrency:
    """Tracks how many flows run at once and on which threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.threads: set[str] = set()

    def step(self, ctx: FlowContext) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.threads.add(threading.current_thread().name)
        time.sleep(0.1)
        with self.lock:
            self.now -= 1


def make_runner(
    store: Store,
    flow_factory,  # noqa: ANN001
    operator: ScriptedOperator | None = None,
    jobs: int = 2,
) -> tuple[FilingRunner, SessionFactory, RecordingListener]:
    sessions, listener = SessionFactory(), RecordingListener()
    runner = FilingRunner(
        store,
        Settings(),
        operator or ScriptedOperator(),
        sessions,
        {"udyam": "http://127.0.0.1:9"},
        {Service.UDYAM: flow_factory},
        jobs=jobs,
        listener=listener,
        engine_settings=FAST,
    )
    return runner, sessions, listener


def test_two_workers_file_four_filings_each_with_its_own_browser(store: Store) -> None:
    ids = add_filings(store, "A-1", "A-2", "A-3", "A-4")
    tracker = Concurrency()
    runner, sessions, listener = make_runner(
        store, lambda: FakeFlow([("work", tracker.step, None)])
    )

    outcomes = runner.run()

    assert [o.filing_id for o in outcomes] == ids
    assert all(o.status is FlowStatus.COMPLETED for o in outcomes)
    assert tracker.most == 2 and len(tracker.threads) == 2
    assert all(store.filing(i).status is FilingStatus.COMPLETED for i in ids)
    assert len(sessions.sessions) == 4
    for session in sessions.sessions:  # created, used and quit on one worker thread
        assert session.opened_on == session.quit_on
        assert session.opened_on.startswith("filing-worker-")
    assert len(listener.of("filing_finished")) == 4


def test_pause_holds_new_filings_until_resume(store: Store) -> None:
    ids = add_filings(store, "A-1", "A-2")
    runner, _, _ = make_runner(store, lambda: FakeFlow([("a", ok, None)]), jobs=1)

    runner.pause()
    runner.start()
    time.sleep(0.2)
    assert all(store.filing(i).status is FilingStatus.READY for i in ids)

    runner.resume()
    assert runner.wait(10)
    assert all(store.filing(i).status is FilingStatus.COMPLETED for i in ids)


def test_cancel_a_running_and_a_queued_filing(store: Store) -> None:
    first, second = add_filings(store, "A-1", "A-2")

    def asks(ctx: FlowContext) -> None:
        ctx.ask(PromptKind.MOBILE_OTP, portal="udyam")

    operator = ScriptedOperator([None])  # never answers
    runner, _, _ = make_runner(
        store, lambda: FakeFlow([("otp", asks, None)]), operator, 1
    )

    runner.start()
    deadline = time.monotonic() + 5
    while not operator.pending():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    runner.cancel(second)  # still queued
    runner.cancel(first)  # waiting for the OTP
    assert runner.wait(5)

    assert store.filing(first).status is FilingStatus.CANCELLED
    assert store.filing(second).status is FilingStatus.CANCELLED
    assert {o.status for o in runner.outcomes.values()} == {FlowStatus.CANCELLED}


def test_shutdown_aborts_pending_prompts_and_leaves_filings_interrupted(
    store: Store,
) -> None:
    (filing_id,) = add_filings(store, "A-1")
    endings: list[str] = []

    def asks(ctx: FlowContext) -> None:
        try:
            ctx.ask(PromptKind.AADHAAR_OTP, portal="udyam")
        except FlowStop as stop:
            endings.append(type(stop).__name__)
            raise

    operator = ScriptedOperator([None])
    runner, sessions, _ = make_runner(
        store, lambda: FakeFlow([("otp", asks, None)]), operator
    )
    runner.start()
    deadline = time.monotonic() + 5
    while not operator.pending():
        assert time.monotonic() < deadline
        time.sleep(0.01)

    started = time.monotonic()
    assert runner.shutdown(deadline=5)

    assert time.monotonic() - started < 2
    assert runner.outcomes[filing_id].status is FlowStatus.INTERRUPTED
    assert store.filing(filing_id).status is FilingStatus.INTERRUPTED
    assert sessions.sessions[0].quit_on is not None
    assert endings == ["FlowAborted"] and not operator.pending()


def test_service_without_a_flow_is_reported_and_stays_ready(store: Store) -> None:
    (filing_id,) = add_filings(store, "A-1", service=Service.DSC)
    runner, sessions, _ = make_runner(store, lambda: FakeFlow([("a", ok, None)]))

    (outcome,) = runner.run()

    assert outcome.status is FlowStatus.SKIPPED
    assert outcome.message == "There is no flow for eMudhra DSC yet."
    assert store.filing(filing_id).status is FilingStatus.READY
    assert sessions.sessions == []


# ------------------------------------------------------------- the run command

SAMPLE = (
    Path(__file__).resolve().parents[2] / "resources" / "samples" / "applicants.csv"
)


def one_applicant_csv(folder: Path, with_consent: bool = True) -> Path:
    """The sample file's first applicant (a DSC filing), optionally without consent."""
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, first = rows[0], rows[1]
    keep = [i for i, name in enumerate(header) if with_consent or "Consent" not in name]
    path = folder / "one.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([header[i] for i in keep])
        writer.writerow([first[i] if i < len(first) else "" for i in keep])
    return path


class AskingFlow(Flow):
    service = Service.DSC
    title = "Asks one OTP"
    portals = ("emudhra",)

    def steps(self) -> list[Step]:
        return [Step("otp", "Mobile OTP", self.otp)]

    def otp(self, ctx: FlowContext) -> None:
        answer = ctx.ask(PromptKind.MOBILE_OTP, portal="emudhra")
        ctx.result = f"DSC-{answer}"


def run_command(argv: list[str], data_dir: Path) -> int:
    args = cli.build_parser().parse_args(["--data-dir", str(data_dir), *argv])
    args.data_dir = data_dir
    return args.handler(args)


@pytest.fixture
def fake_browsers(monkeypatch: pytest.MonkeyPatch) -> SessionFactory:
    sessions = SessionFactory()
    monkeypatch.setattr(run_module, "browser_session_factory", lambda s, d: sessions)
    monkeypatch.setattr(run_module, "_browser_ok", lambda settings: True)
    return sessions


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_run_without_flows_reports_it_and_exits_1(
    tmp_path: Path,
    capsys,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for service in list(FLOWS):
        monkeypatch.delitem(FLOWS, service)
    code = run_command(
        ["run", str(one_applicant_csv(tmp_path)), "--json"], tmp_path / "d"
    )

    (result,) = json_lines(capsys.readouterr().out)
    assert code == 1
    assert (result["service"], result["status"]) == ("dsc", "skipped")
    assert result["message"] == "There is no flow for eMudhra DSC yet."
    assert {"ref", "result", "failure_kind", "next_step"} <= set(result)


def test_run_answers_through_the_otp_command(
    tmp_path: Path,
    capsys,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    fake_browsers: SessionFactory,
) -> None:
    monkeypatch.setitem(FLOWS, Service.DSC, AskingFlow)
    command = 'printf "%s-%s" "$PROMPT_KIND" "$APPLICANT_MOBILE"'
    argv = ["run", str(one_applicant_csv(tmp_path)), "--json", "--otp-command", command]

    code = run_command(argv, tmp_path / "d")

    (result,) = json_lines(capsys.readouterr().out)
    assert code == 0
    assert result["status"] == "completed"
    assert result["result"] == "DSC-mobile_otp-9840012345"
    assert len(fake_browsers.sessions) == 1


def test_run_without_consent_waits_unless_consent_by_is_given(
    tmp_path: Path,
    capsys,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    fake_browsers: SessionFactory,
) -> None:
    monkeypatch.setitem(FLOWS, Service.DSC, AskingFlow)
    path = one_applicant_csv(tmp_path, with_consent=False)
    command = "echo 1234"

    first = run_command(
        ["run", str(path), "--json", "--otp-command", command], tmp_path / "d"
    )
    (waiting,) = json_lines(capsys.readouterr().out)
    second = run_command(
        ["run", str(path), "--json", "--otp-command", command, "--consent-by", "Priya"],
        tmp_path / "e",
    )
    (filed,) = json_lines(capsys.readouterr().out)

    assert (first, waiting["status"]) == (1, "pending_consent")
    assert "--consent-by" in waiting["message"]
    assert (second, filed["status"], filed["result"]) == (0, "completed", "DSC-1234")


def test_run_non_zero_otp_command_cancels_the_filing(
    tmp_path: Path,
    capsys,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    fake_browsers: SessionFactory,
) -> None:
    monkeypatch.setitem(FLOWS, Service.DSC, AskingFlow)
    argv = [
        "run",
        str(one_applicant_csv(tmp_path)),
        "--json",
        "--otp-command",
        "exit 4",
    ]

    code = run_command(argv, tmp_path / "d")

    (result,) = json_lines(capsys.readouterr().out)
    assert (code, result["status"], result["failure_kind"]) == (
        1,
        "cancelled",
        "cancelled",
    )


@pytest.mark.parametrize(
    "extra",
    [["--portal", "nowhere=http://127.0.0.1:1"], ["--portal", "udyam=ftp://x"]],
)
def test_run_bad_options_exit_2(tmp_path: Path, extra: list[str], capsys) -> None:  # noqa: ANN001
    code = run_command(
        ["run", str(one_applicant_csv(tmp_path)), *extra], tmp_path / "d"
    )
    assert code == 2
    assert "--portal" in capsys.readouterr().err


def test_run_unreadable_file_exits_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code = run_command(["run", str(tmp_path / "missing.xlsx")], tmp_path / "d")
    assert code == 2
    assert "missing.xlsx" in capsys.readouterr().err


def test_demo_records_consent_and_gives_the_command_the_control_url(
    tmp_path: Path,
    capsys,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    fake_browsers: SessionFactory,
) -> None:
    monkeypatch.setitem(FLOWS, Service.DSC, AskingFlow)
    command = 'case "$SIMULATOR_CONTROL_URL" in http://127.0.0.1:*) echo ok;; esac'
    path = one_applicant_csv(tmp_path, with_consent=False)

    code = run_command(
        ["run", str(path), "--demo", "--json", "--otp-command", command], tmp_path / "d"
    )

    (result,) = json_lines(capsys.readouterr().out)
    assert (code, result["status"], result["result"]) == (0, "completed", "DSC-ok")
    with open_store(tmp_path / "d") as store:
        assert store.consent_audit(result["ref"])[-1].who == "demo"
