"""Entering by hand a number the portal issued but the app never read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.core.models import Service
from desktop_app.core.store import (
    FailureKind,
    FilingStatus,
    InvalidResult,
    InvalidTransition,
    Store,
)
from desktop_app.paths import DataDir

try:
    from ._store_fixtures import PANS, make_applicant
except ImportError:
    from _store_fixtures import PANS, make_applicant

URN = "UDYAM-TN-25-0001234"
UDYAM = frozenset({Service.UDYAM})
DSC = frozenset({Service.DSC})


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "office"


@pytest.fixture
def store(root: Path) -> Iterator[Store]:
    with Store.open(DataDir(root)) as opened:
        yield opened


def _interrupted_filing(store: Store, services=UDYAM, pan: str = PANS[0]) -> int:
    """A filing the app was stopped in at its final step (as after a kill)."""
    applicant = make_applicant("A-1", pan=pan, services=services, consent=services)
    (filing_id,) = store.add_applicants([applicant], "test").filing_ids
    store.begin_attempt(filing_id)
    store.step_started(filing_id, "submit", 10, 11)
    assert store.mark_interrupted() == [filing_id]
    return filing_id


def test_a_valid_urn_completes_the_filing_with_a_log_line(store: Store) -> None:
    filing_id = _interrupted_filing(store)
    stored = store.record_recovered_result(filing_id, " udyam-tn-25-0001234 ", "Ravi")
    assert stored == URN
    row = store.filing(filing_id)
    assert row.status is FilingStatus.COMPLETED
    assert row.result == URN and row.failure_message == ""
    assert row.finished_at is not None
    messages = [event.message for event in store.events(filing_id)]
    assert f"Result entered by Ravi from the applicant's message: {URN}" in messages
    assert f"Filed: {URN}" in messages


def test_a_failed_dsc_filing_takes_a_ten_digit_application_number(
    store: Store,
) -> None:
    filing_id = _interrupted_filing(store, DSC)
    store.reset_for_retry(filing_id)
    store.begin_attempt(filing_id)
    store.fail(filing_id, FailureKind.TECHNICAL, "The browser closed")
    store.record_recovered_result(filing_id, "0000001234", "Ravi")
    assert store.filing(filing_id).result == "0000001234"


@pytest.mark.parametrize(
    ("services", "number", "expected"),
    [
        (UDYAM, "UDYAM-TN-25-123", "UDYAM-TN-25-0001234"),
        (UDYAM, "0000001234", "is not a Udyam Registration Number"),
        (DSC, URN, "is not an eMudhra application number"),
        (DSC, "12345", "10 digits"),
    ],
)
def test_a_number_of_the_wrong_format_is_refused(
    store: Store, services: frozenset[Service], number: str, expected: str
) -> None:
    filing_id = _interrupted_filing(store, services)
    with pytest.raises(InvalidResult, match=expected):
        store.record_recovered_result(filing_id, number, "Ravi")
    row = store.filing(filing_id)
    assert row.status is FilingStatus.INTERRUPTED and row.result is None


def test_a_completed_or_running_filing_is_refused(store: Store) -> None:
    filing_id = _interrupted_filing(store)
    store.record_recovered_result(filing_id, URN, "Ravi")
    with pytest.raises(InvalidTransition, match="completed"):
        store.record_recovered_result(filing_id, "UDYAM-TN-25-0009999", "Ravi")
    assert store.filing(filing_id).result == URN

    other = make_applicant("A-2", pan=PANS[1], services=UDYAM, consent=UDYAM)
    (running,) = store.add_applicants([other], "test").filing_ids
    store.begin_attempt(running)
    with pytest.raises(InvalidTransition, match="running"):
        store.record_recovered_result(running, URN, "Ravi")


def test_another_number_already_on_the_filing_is_not_replaced(store: Store) -> None:
    filing_id = _interrupted_filing(store)
    store.record_issued_number(filing_id, URN)
    with pytest.raises(InvalidTransition, match=URN):
        store.record_recovered_result(filing_id, "UDYAM-TN-25-0009999", "Ravi")
    store.record_recovered_result(filing_id, URN, "Ravi")  # the same one: completes
    assert store.filing(filing_id).status is FilingStatus.COMPLETED


def test_who_entered_it_is_required(store: Store) -> None:
    filing_id = _interrupted_filing(store)
    with pytest.raises(InvalidResult, match="who"):
        store.record_recovered_result(filing_id, URN, "  ")


# ------------------------------------------------------------------------ CLI


def test_cli_records_the_number(root: Path, capsys: pytest.CaptureFixture) -> None:
    with Store.open(DataDir(root)) as store:
        filing_id = _interrupted_filing(store)
    argv = ["--data-dir", str(root), "record-result", str(filing_id), URN]
    assert cli.main([*argv, "--by", "Ravi Kumar"]) == 0
    assert capsys.readouterr().out == f"Filing {filing_id} completed with {URN}.\n"
    with Store.open(DataDir(root)) as store:
        assert store.filing(filing_id).result == URN
        assert any("Ravi Kumar" in e.message for e in store.events(filing_id))


def test_cli_refuses_a_bad_number_with_a_clear_message(
    root: Path, capsys: pytest.CaptureFixture
) -> None:
    with Store.open(DataDir(root)) as store:
        filing_id = _interrupted_filing(store)
    argv = ["--data-dir", str(root), "record-result", str(filing_id), "UDYAM-12"]
    assert cli.main([*argv, "--by", "Ravi"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Not recorded: 'UDYAM-12' is not a Udyam Registration Number" in (
        captured.err
    )
    assert cli.main(["--data-dir", str(root), "record-result", "99", URN]) == 2
    assert "There is no filing number 99" in capsys.readouterr().err
    with Store.open(DataDir(root)) as store:
        assert store.filing(filing_id).status is FilingStatus.INTERRUPTED
