"""Every operator: answered, timed out, cancelled, aborted; ordering; the command."""

from __future__ import annotations

import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.automation.operator import (
    CancelToken,
    CommandOperator,
    Operator,
    PromptKind,
    PromptOutcome,
    PromptRequest,
    PromptResult,
    ScriptedOperator,
    SimulatorOperator,
    TerminalOperator,
)
from desktop_app.simulators.base import Outbox

SECRET_ANSWER = "739151"


def request(
    kind: PromptKind = PromptKind.AADHAAR_OTP, seconds: float = 5.0, **fields: object
) -> PromptRequest:
    values: dict[str, object] = {
        "kind": kind,
        "applicant_ref": "A-7Q3KX2",
        "masked_applicant": "Meena Raghavan (XXXX XXXX 2346)",
        "portal": "udyam",
        "step": "Validate Aadhaar",
        "sent_to": "the mobile ending 3210",
        "mobile": "9876543210",
        "email": "meena@example.in",
        "filing_id": 1,
    }
    values.update(fields)
    return PromptRequest.expiring_in(seconds, **values)


def ask_in_thread(
    operator: Operator, req: PromptRequest, cancel: CancelToken | None = None
) -> tuple[threading.Thread, list[PromptResult]]:
    results: list[PromptResult] = []
    thread = threading.Thread(target=lambda: results.append(operator.ask(req, cancel)))
    thread.start()
    return thread, results


def wait_until(condition, timeout: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# ----------------------------------------------------------------------- scripted


def test_scripted_answers_in_order() -> None:
    operator = ScriptedOperator(["111111", SECRET_ANSWER])

    first, second = operator.ask(request()), operator.ask(request())

    assert first.answered and first.answer == "111111"
    assert second.answer == SECRET_ANSWER
    assert SECRET_ANSWER not in repr(second)


def test_unanswered_request_times_out_at_its_expiry() -> None:
    started = time.monotonic()
    result = ScriptedOperator([None]).ask(request(seconds=0.15))

    assert result.outcome is PromptOutcome.TIMED_OUT
    assert 0.14 <= time.monotonic() - started < 1.0


def test_cancel_token_ends_a_pending_request_at_once() -> None:
    token = CancelToken()
    thread, results = ask_in_thread(
        ScriptedOperator([None]), request(seconds=30), token
    )
    started = time.monotonic()
    time.sleep(0.05)

    token.cancel("Operator pressed Cancel")
    thread.join(5)

    assert results[0].outcome is PromptOutcome.CANCELLED
    assert results[0].reason == "Operator pressed Cancel"
    assert time.monotonic() - started < 1.0


def test_abort_all_aborts_pending_and_later_requests() -> None:
    operator = ScriptedOperator([None, None])
    thread, results = ask_in_thread(operator, request(seconds=30))
    wait_until(lambda: operator.pending())

    operator.abort_all()
    thread.join(5)

    assert results[0].outcome is PromptOutcome.ABORTED
    assert operator.ask(request()).outcome is PromptOutcome.ABORTED


def test_an_aborting_token_aborts_rather_than_cancels() -> None:
    token = CancelToken()
    token.abort()
    assert (
        ScriptedOperator([None]).ask(request(), token).outcome is PromptOutcome.ABORTED
    )


def test_first_ending_wins() -> None:
    operator = ScriptedOperator([SECRET_ANSWER], delay=0.3)
    token = CancelToken()
    thread, results = ask_in_thread(operator, request(), token)
    token.cancel()
    thread.join(5)
    time.sleep(0.4)  # the late answer arrives and is ignored
    assert results[0].outcome is PromptOutcome.CANCELLED


# ----------------------------------------------------------------------- terminal


@pytest.fixture
def terminal() -> Iterator[tuple[TerminalOperator, int, Path]]:
    read_end, write_end = os.pipe()
    log_path = Path(os.devnull)
    with os.fdopen(read_end, "r") as stdin, open(os.devnull, "w") as stderr:
        operator = TerminalOperator(stdin=stdin, stderr=stderr)
        yield operator, write_end, log_path
        operator.abort_all()
    os.close(write_end)


def test_terminal_reads_the_answer(terminal) -> None:  # noqa: ANN001
    operator, keyboard, _ = terminal
    thread, results = ask_in_thread(operator, request())
    os.write(keyboard, f"{SECRET_ANSWER}\n".encode())
    thread.join(5)
    assert results[0].answer == SECRET_ANSWER


def test_terminal_serves_concurrent_requests_oldest_first(terminal) -> None:  # noqa: ANN001
    operator, keyboard, _ = terminal
    asked = []
    for number in range(3):
        asked.append(ask_in_thread(operator, request(step=f"step {number}")))
        wait_until(lambda n=number: len(operator.pending()) == n + 1)

    for answer in ("111111", "222222", "333333"):
        os.write(keyboard, f"{answer}\n".encode())
    for thread, _ in asked:
        thread.join(5)

    assert [results[0].answer for _, results in asked] == ["111111", "222222", "333333"]


def test_terminal_releases_a_question_that_timed_out(terminal) -> None:  # noqa: ANN001
    operator, keyboard, _ = terminal
    first = operator.ask(request(seconds=0.2))
    thread, results = ask_in_thread(operator, request())
    wait_until(lambda: operator.pending())
    os.write(keyboard, b"222222\n")
    thread.join(5)

    assert first.outcome is PromptOutcome.TIMED_OUT
    assert results[0].answer == "222222"  # the line went to the live question


def test_terminal_empty_line_cancels(terminal) -> None:  # noqa: ANN001
    operator, keyboard, _ = terminal
    thread, results = ask_in_thread(operator, request())
    os.write(keyboard, b"\n")
    thread.join(5)
    assert results[0].outcome is PromptOutcome.CANCELLED


def test_terminal_on_a_plain_stream_shows_the_request(tmp_path: Path) -> None:
    import io

    shown = io.StringIO()
    operator = TerminalOperator(stdin=io.StringIO("ABC123\n"), stderr=shown)
    result = operator.ask(
        request(PromptKind.CAPTCHA, image_png=b"\x89PNG", message="Try again")
    )

    assert result.answer == "ABC123"
    text = shown.getvalue()
    assert "captcha for Meena Raghavan (XXXX XXXX 2346) on udyam" in text
    assert "The portal said: Try again" in text


# ------------------------------------------------------------------------ command


def python_command(code: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def test_command_gets_the_contract_environment(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    code = (
        "import os, pathlib, sys\n"
        "names = ['PROMPT_KIND', 'PROMPT_PORTAL', 'PROMPT_ATTEMPT', 'APPLICANT_REF',"
        " 'APPLICANT_MOBILE', 'APPLICANT_EMAIL', 'SIMULATOR_CONTROL_URL']\n"
        "image = pathlib.Path(os.environ['CAPTCHA_IMAGE'])\n"
        f"pathlib.Path({str(seen)!r}).write_text("
        "'|'.join(os.environ[n] for n in names) + '|' + str(image.read_bytes()) + '|'"
        " + str(image))\n"
        "print('  XK3P9Q  ')\n"
    )
    operator = CommandOperator(
        python_command(code), {"SIMULATOR_CONTROL_URL": "http://127.0.0.1:1"}
    )

    result = operator.ask(request(PromptKind.CAPTCHA, image_png=b"PNGDATA", attempt=2))

    assert result.answer == "XK3P9Q"
    *values, image_bytes, image_path = seen.read_text().split("|")
    assert values == [
        "captcha",
        "udyam",
        "2",
        "A-7Q3KX2",
        "9876543210",
        "meena@example.in",
        "http://127.0.0.1:1",
    ]
    assert image_bytes == "b'PNGDATA'"
    assert not Path(image_path).exists()  # deleted afterwards


def test_command_non_zero_exit_cancels() -> None:
    result = CommandOperator(python_command("raise SystemExit(3)")).ask(request())
    assert result.outcome is PromptOutcome.CANCELLED
    assert "exit code 3" in result.reason


def test_command_is_stopped_at_the_prompt_expiry() -> None:
    started = time.monotonic()
    command = python_command("import time; time.sleep(30)")
    result = CommandOperator(command).ask(request(seconds=0.3))

    assert result.outcome is PromptOutcome.TIMED_OUT
    assert time.monotonic() - started < 3


# ---------------------------------------------------------------------- simulator


def test_simulator_operator_reads_the_phone_and_can_be_wrong_first() -> None:
    outbox = Outbox()
    operator = SimulatorOperator(outbox, wrong_first=[PromptKind.AADHAAR_OTP])

    def deliver() -> None:
        time.sleep(0.1)
        outbox.send(
            channel="sms",
            to="9876543210",
            sender="UIDAI",
            portal="udyam",
            kind="aadhaar_otp",
            text=f"OTP {SECRET_ANSWER}",
            code=SECRET_ANSWER,
        )

    threading.Thread(target=deliver).start()
    first = operator.ask(request())
    second = operator.ask(request(attempt=2))

    assert first.answered and first.answer != SECRET_ANSWER
    assert len(first.answer) == len(SECRET_ANSWER)
    assert second.answer == SECRET_ANSWER


def test_simulator_operator_ignores_other_portals_and_old_codes() -> None:
    outbox = Outbox()
    send = dict(channel="sms", to="9876543210", sender="X", kind="aadhaar_otp", text="")
    outbox.send(portal="udyam", code="111111", **send)
    operator = SimulatorOperator(outbox, delivery_timeout=2)
    assert operator.ask(request()).answer == "111111"

    def later() -> None:
        time.sleep(0.1)
        outbox.send(portal="emudhra-aadhaar", code="999999", **send)
        outbox.send(portal="udyam", code="222222", **send)

    threading.Thread(target=later).start()
    assert operator.ask(request()).answer == "222222"


def test_simulator_operator_cancels_without_a_message() -> None:
    operator = SimulatorOperator(Outbox(), delivery_timeout=0.1)
    assert operator.ask(request()).outcome is PromptOutcome.CANCELLED


def test_simulator_operator_ends_the_prompt_when_its_solver_fails() -> None:
    def broken_solver(_request: PromptRequest) -> str:
        raise OSError("control host unreachable")

    operator = SimulatorOperator(Outbox(), captcha_solver=broken_solver)
    started = time.monotonic()
    result = operator.ask(request(PromptKind.CAPTCHA, seconds=30))
    assert result.outcome is PromptOutcome.CANCELLED
    assert "control host unreachable" in result.reason
    assert time.monotonic() - started < 5  # not left waiting for the expiry


# ------------------------------------------------------------------------ privacy


def test_answers_never_reach_the_log(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    ScriptedOperator([SECRET_ANSWER]).ask(request())
    CommandOperator(python_command(f"print({SECRET_ANSWER!r})")).ask(request())
    outbox = Outbox()
    outbox.send(
        channel="sms",
        to="9876543210",
        sender="X",
        portal="udyam",
        kind="aadhaar_otp",
        text="",
        code=SECRET_ANSWER,
    )
    assert SimulatorOperator(outbox).ask(request()).answer == SECRET_ANSWER

    assert caplog.records  # the requests were logged...
    assert SECRET_ANSWER not in caplog.text  # ...their answers never
