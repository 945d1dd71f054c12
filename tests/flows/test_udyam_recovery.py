"""A URN issued just before the app was killed is recoverable, not lost.

The kill window (Final Submit answered, the alert not yet read) is simulated without
a kill: the applicant is registered by a first, complete filing; a second store then
holds the same applicant as the app would find it after a restart, with an earlier
attempt that had started the final step. Retrying must not file again and must tell
the operator where the number went; Record result then completes the filing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _flow_fixtures import (
    Sessions,
    add_applicant,
    run_filing,
    simulator_answers,
    udyam_applicant,
)

from desktop_app import cli
from desktop_app.automation.browser import BrowserCheck, check_browser
from desktop_app.automation.flow import FlowStatus
from desktop_app.automation.operator import ScriptedOperator
from desktop_app.automation.udyam_flow import FINAL_STEP, UdyamFlow
from desktop_app.core.store import FilingStatus, Store
from desktop_app.paths import DataDir
from desktop_app.simulators.server import start_simulators

pytestmark = pytest.mark.browser

URN = re.compile(r"UDYAM-[A-Z]{2}-\d{2}-\d{7}")


@pytest.fixture(scope="module")
def check() -> BrowserCheck:
    found = check_browser(None)
    if not found.ok:
        pytest.skip(found.problem)
    return found


@pytest.fixture
def sessions(check: BrowserCheck, tmp_path: Path) -> Iterator[Sessions]:
    opened = Sessions(check, DataDir(tmp_path / "browser").ensure())
    yield opened
    for session in opened.opened:
        session.quit()


def _as_after_a_kill_at_the_final_step(store: Store, filing_id: int) -> None:
    """The store as a restart finds it when the app died inside the final step."""
    store.begin_attempt(filing_id)
    total = len(UdyamFlow().steps())
    store.step_started(filing_id, FINAL_STEP, total - 1, total)
    assert store.mark_interrupted() == [filing_id]
    store.reset_for_retry(filing_id)


def test_a_urn_the_app_never_read_is_recovered_from_the_applicants_message(
    tmp_path: Path, sessions: Sessions
) -> None:
    applicant = udyam_applicant(41)
    person = applicant.person
    with start_simulators() as sims:
        operator = ScriptedOperator(simulator_answers(sims))
        with Store.open(DataDir(tmp_path / "first").ensure()) as first:
            done = run_filing(
                first, sims, sessions, add_applicant(first, sims, applicant), operator
            )
        assert done.status is FlowStatus.COMPLETED, done.message
        issued = done.result

        root = tmp_path / "after-kill"
        with Store.open(DataDir(root).ensure()) as store:
            filing_id = add_applicant(store, sims, applicant)
            _as_after_a_kill_at_the_final_step(store, filing_id)
            outcome = run_filing(store, sims, sessions, filing_id, operator)
            row = store.filing(filing_id)
        # The same refusal without an earlier final step (registered elsewhere,
        # here by the first store) stays a plain one.
        with Store.open(DataDir(tmp_path / "another").ensure()) as other:
            plain = run_filing(
                other, sims, sessions, add_applicant(other, sims, applicant), operator
            )
        assert sims.portals["udyam"].urns_issued == 1  # nothing was filed twice
        notices = {
            channel: sims.outbox.latest(to, "notice")
            for channel, to in (("email", person.email), ("sms", person.mobile))
        }

    assert (outcome.status, outcome.failure_kind) == (FlowStatus.FAILED, "business")
    assert row.status is FilingStatus.FAILED and row.result is None
    message = row.failure_message
    assert message.startswith("The portal already registered this applicant")
    assert f"mobile ending {person.mobile[-4:]}" in message
    assert f"a***@{person.email.split('@')[1]}" in message
    assert "enter it with Record result" in message
    assert "Record result" in outcome.next_step
    assert (plain.failure_kind, plain.message) == (
        "business",
        "This Aadhaar already has a Udyam registration.",
    )

    # The portal's email and SMS carry the number the app never saw.
    for channel, notice in notices.items():
        assert notice is not None and notice.channel == channel
        assert notice.code == ""  # not an OTP: nothing may answer a prompt with it
        assert URN.findall(notice.text) == [issued]

    argv = ["--data-dir", str(root), "record-result", str(filing_id)]
    assert cli.main([*argv, notices["sms"].text[-40:], "--by", "Ravi"]) == 2
    assert cli.main([*argv, issued, "--by", "Ravi"]) == 0
    with Store.open(DataDir(root)) as store:
        row = store.filing(filing_id)
        log = [event.message for event in store.events(filing_id)]
    assert (row.status, row.result) == (FilingStatus.COMPLETED, issued)
    assert f"Result entered by Ravi from the applicant's message: {issued}" in log
