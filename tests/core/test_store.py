"""The store: queue rules, consent, history, retention, erasure, privacy, threads."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.models import DscRequest, Service
from desktop_app.core.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AadhaarSealed,
    ConsentRequired,
    FailureKind,
    FilingStatus,
    InvalidTransition,
    SealedAadhaar,
    Store,
    StoreChange,
    StoreError,
    UnknownApplicant,
)
from desktop_app.core.vault import VaultEntryPurged
from desktop_app.logging_setup import configure_logging
from desktop_app.paths import DataDir

try:
    from ._store_fixtures import (
        AADHAAR_NUMBERS,
        PANS,
        MemoryKeyring,
        installed_keyring,
        make_applicant,
        no_keyring,
    )
except ImportError:
    from _store_fixtures import (
        AADHAAR_NUMBERS,
        PANS,
        MemoryKeyring,
        installed_keyring,
        make_applicant,
        no_keyring,
    )

UDYAM = frozenset({Service.UDYAM})
BOTH = frozenset({Service.UDYAM, Service.DSC})


@pytest.fixture
def data_dir(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "office")


@pytest.fixture
def store(data_dir: DataDir) -> Iterator[Store]:
    with installed_keyring(MemoryKeyring()):
        opened = Store.open(data_dir)
        yield opened
        opened.close()


def _add_ready(store: Store, ref: str = "A-1", **kwargs: object) -> int:
    kwargs.setdefault("consent", UDYAM)
    result = store.add_applicants([make_applicant(ref, **kwargs)], "test")  # type: ignore[arg-type]
    assert result.added == (ref,)
    return result.filing_ids[0]


# ----------------------------------------------------------------- opening


def test_open_sets_wal_foreign_keys_and_latest_schema(store: Store) -> None:
    connection = store._connection
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_database_files_are_readable_by_the_owner_only(store: Store) -> None:
    _add_ready(store)
    files = list(store.data_dir.root.glob("filing-desk.sqlite3*"))
    assert len(files) == 3  # the database, -wal and -shm
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}


def test_version_1_database_is_migrated_and_keeps_its_data(data_dir: DataDir) -> None:
    data_dir.ensure()
    old = sqlite3.connect(data_dir.database, isolation_level=None)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    old.execute(
        "INSERT INTO vault VALUES ('AV-old', NULL, NULL, '2024-01-01T00:00:00+00:00', "
        "1, '2024-02-01T00:00:00+00:00')"
    )
    old.execute(
        "INSERT INTO applicants (ref, display_name, masked_aadhaar, pan, mobile, "
        "email, services, data_json, aadhaar_ref, created_at) VALUES ('A-OLD', "
        "'Old Client', 'XXXX XXXX 2346', 'ACUPA7085R', '9876543210', 'o@example.in', "
        "'udyam', '{}', 'AV-old', '2024-01-01T00:00:00+00:00')"
    )
    old.execute(
        "INSERT INTO filings (applicant_ref, service, status, result, created_at, "
        "updated_at) VALUES ('A-OLD', 'udyam', 'completed', 'UDYAM-TN-29-0000001', "
        "'2024-01-01T00:00:00+00:00', '2024-01-02T00:00:00+00:00')"
    )
    old.close()

    with installed_keyring(MemoryKeyring()), Store.open(data_dir) as store:
        version = store._connection.execute("PRAGMA user_version").fetchone()[0]
        (filing,) = store.filings()
        store.set_priority(filing.id, 5)
        assert store.filing(filing.id).priority == 5

    assert version == SCHEMA_VERSION == 3
    assert filing.display_name == "Old Client"
    assert filing.result == "UDYAM-TN-29-0000001"
    assert filing.status is FilingStatus.COMPLETED and filing.priority == 0


def test_database_from_a_newer_app_is_refused(data_dir: DataDir) -> None:
    data_dir.ensure()
    newer = sqlite3.connect(data_dir.database)
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.close()
    with installed_keyring(MemoryKeyring()), pytest.raises(StoreError, match="newer"):
        Store.open(data_dir)


# --------------------------------------------------------------- adding


def test_duplicates_by_ref_and_by_pan_and_service_are_flagged(store: Store) -> None:
    first = store.add_applicants(
        [make_applicant("A-1", pan=PANS[0], services=BOTH)], "day1.xlsx"
    )
    second = store.add_applicants(
        [
            make_applicant("A-1", pan=PANS[1]),  # same ref
            make_applicant("A-2", pan=PANS[0], services=BOTH),  # same PAN, both
            make_applicant("A-3", pan=PANS[2]),  # new
            make_applicant("A-4", pan=PANS[2]),  # same PAN as A-3 in this batch
        ],
        "day2.xlsx",
    )

    assert first.added == ("A-1",) and len(first.filing_ids) == 2
    assert second.added == ("A-3",)
    flagged = {(d.ref, d.service, d.existing_ref) for d in second.duplicates}
    assert flagged == {
        ("A-1", None, "A-1"),
        ("A-2", Service.DSC, "A-1"),
        ("A-2", Service.UDYAM, "A-1"),
        ("A-4", Service.UDYAM, "A-3"),
    }
    assert "ACUPA7085R" in next(d.reason for d in second.duplicates if d.ref == "A-2")
    assert [a.ref for a in store.applicants()] == ["A-1", "A-3"]
    assert len(store.filings()) == 3


def test_a_failed_filing_does_not_block_a_corrected_row(store: Store) -> None:
    filing_id = _add_ready(store, "A-1")
    store.begin_attempt(filing_id)
    store.fail(filing_id, FailureKind.BUSINESS, "Name does not match PAN")

    result = store.add_applicants([make_applicant("A-1b", consent=UDYAM)], "fixed")

    assert result.added == ("A-1b",) and result.duplicates == ()


def test_only_the_new_service_is_added_when_one_clashes(store: Store) -> None:
    _add_ready(store, "A-1", pan=PANS[0])
    result = store.add_applicants(
        [make_applicant("A-2", pan=PANS[0], services=BOTH)], "more"
    )
    assert result.added == ("A-2",)
    assert [
        (f.applicant_ref, f.service) for f in store.filings(service=Service.DSC)
    ] == [("A-2", Service.DSC)]


# -------------------------------------------------------------- consent


def test_filing_waits_for_consent_and_cannot_start_without_it(store: Store) -> None:
    (filing_id,) = store.add_applicants([make_applicant("A-1")], "x").filing_ids
    assert store.filing(filing_id).status is FilingStatus.PENDING_CONSENT
    assert store.ready_filings() == []

    with pytest.raises(ConsentRequired, match="consent"):
        store.begin_attempt(filing_id)

    consent = store.record_consent("A-1", "operator meena", [Service.UDYAM])

    assert consent.covers(Service.UDYAM)
    assert store.filing(filing_id).status is FilingStatus.READY
    assert store.applicant("A-1").can_file(Service.UDYAM)
    (audit,) = store.consent_audit("A-1")
    assert (audit.action, audit.who, audit.services) == (
        "given",
        "operator meena",
        UDYAM,
    )
    assert store.begin_attempt(filing_id) == 1


def test_consent_for_one_service_leaves_the_other_pending(store: Store) -> None:
    store.add_applicants([make_applicant("A-1", services=BOTH)], "x")
    store.record_consent("A-1", "op", [Service.DSC])
    statuses = {f.service: f.status for f in store.filings()}
    assert statuses == {
        Service.DSC: FilingStatus.READY,
        Service.UDYAM: FilingStatus.PENDING_CONSENT,
    }
    with pytest.raises(UnknownApplicant):
        store.record_consent("nobody", "op", [Service.DSC])


# ----------------------------------------------------------- applicants


def test_applicant_is_sealed_unless_revealed(store: Store) -> None:
    original = make_applicant("A-1", aadhaar=AADHAAR_NUMBERS[1], consent=UDYAM)
    store.add_applicants([original], "x")

    sealed = store.applicant("A-1")
    revealed = store.applicant("A-1", reveal=True)

    assert isinstance(sealed.person.aadhaar, SealedAadhaar)
    assert str(sealed.person.aadhaar) == "XXXX XXXX 7058"
    with pytest.raises(AadhaarSealed):
        sealed.person.aadhaar.reveal()
    assert revealed.person.aadhaar.reveal() == AADHAAR_NUMBERS[1]
    assert revealed.model_dump(exclude={"consent"}) == original.model_dump(
        exclude={"consent"}
    )
    assert revealed.consent is not None and revealed.consent.services == UDYAM
    with pytest.raises(UnknownApplicant):
        store.applicant("A-404")


# -------------------------------------------------------------- lifecycle


def test_a_filing_from_start_to_result(store: Store) -> None:
    filing_id = _add_ready(store)
    seen: list[StoreChange] = []
    unsubscribe = store.subscribe(seen.append)

    assert store.begin_attempt(filing_id) == 1
    store.step_started(filing_id, "Verify Aadhaar", 1, 3)
    store.set_status(filing_id, FilingStatus.WAITING)
    assert store.filing(filing_id).status is FilingStatus.WAITING
    store.set_status(filing_id, FilingStatus.RUNNING)
    store.step_finished(filing_id, "Verify Aadhaar", "passed", "OTP accepted")
    store.step_started(filing_id, "Submit", 3, 3)
    store.log_event(filing_id, "info", f"typed {AADHAAR_NUMBERS[0]} into the form")
    store.save_result(filing_id, "UDYAM-TN-29-0012345", "Print the certificate")
    unsubscribe()
    store.log_event(filing_id, "info", "after unsubscribing")

    filing = store.filing(filing_id)
    assert filing.status is FilingStatus.COMPLETED and filing.is_finished
    assert (filing.result, filing.next_step) == (
        "UDYAM-TN-29-0012345",
        "Print the certificate",
    )
    assert filing.step_text == "Submit (3 of 3)" and filing.finished_at is not None
    steps = store.steps(filing_id)
    assert [(s.step_name, s.outcome, s.attempt) for s in steps] == [
        ("Verify Aadhaar", "passed", 1),
        ("Submit", None, 1),
    ]
    assert steps[0].duration_s is not None and steps[0].duration_s >= 0
    messages = [e.message for e in store.events(filing_id)]
    assert messages[0] == "typed XXXX XXXX 2346 into the form"
    assert "Filed: UDYAM-TN-29-0012345" in messages
    assert [c.what for c in seen] == [
        "status", "step", "status", "status", "step", "step", "log", "result",
    ]  # fmt: skip
    assert {c.filing_id for c in seen} == {filing_id}


def test_a_completed_filing_keeps_its_result(store: Store) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    store.save_result(filing_id, "DSC-APP-778899")

    with pytest.raises(InvalidTransition):
        store.fail(filing_id, FailureKind.TECHNICAL, "browser crashed")
    with pytest.raises(InvalidTransition):
        store.cancel(filing_id)
    with pytest.raises(InvalidTransition):
        store.reset_for_retry(filing_id)
    assert store.filing(filing_id).result == "DSC-APP-778899"


def test_a_result_arriving_after_cancel_is_still_saved(store: Store) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    store.cancel(filing_id)
    store.save_result(filing_id, "UDYAM-KA-03-0000042")
    filing = store.filing(filing_id)
    assert (filing.status, filing.result) == (
        FilingStatus.COMPLETED,
        "UDYAM-KA-03-0000042",
    )


def test_a_number_issued_mid_flow_survives_a_later_failure(store: Store) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    store.record_issued_number(filing_id, "3100000042")
    assert store.filing(filing_id).status is FilingStatus.RUNNING

    store.fail(filing_id, FailureKind.TECHNICAL, "browser crashed on the last page")
    failed = store.filing(filing_id)
    assert (failed.status, failed.result) == (FilingStatus.FAILED, "3100000042")
    # Filing again would start a second application on the portal.
    with pytest.raises(InvalidTransition, match="already issued 3100000042"):
        store.reset_for_retry(filing_id)


def test_a_number_issued_before_a_crash_is_on_the_interrupted_filing(
    store: Store,
) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    store.record_issued_number(filing_id, "UDYAM-TN-25-0000007")
    assert store.mark_interrupted() == [filing_id]
    interrupted = store.filing(filing_id)
    assert interrupted.status is FilingStatus.INTERRUPTED
    assert interrupted.result == "UDYAM-TN-25-0000007"


def test_failure_retry_and_attempt_numbers(store: Store) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    store.step_started(filing_id, "Open portal", 1, 5)
    store.fail(filing_id, FailureKind.TIMEOUT, "No OTP was typed in 10 minutes")

    failed = store.filing(filing_id)
    assert (failed.status, failed.failure_kind) == (
        FilingStatus.FAILED,
        FailureKind.TIMEOUT,
    )
    with pytest.raises(InvalidTransition, match="not ready"):
        store.begin_attempt(filing_id)
    with pytest.raises(InvalidTransition):
        store.set_status(filing_id, FilingStatus.WAITING)
    with pytest.raises(ValueError):
        store.set_status(filing_id, FilingStatus.COMPLETED)

    assert store.reset_for_retry(filing_id) is FilingStatus.READY
    assert store.filing(filing_id).failure_kind is None
    assert store.begin_attempt(filing_id) == 2
    assert store.begin_attempt(filing_id) == 3  # a technical retry inside one run

    store.fail(filing_id, FailureKind.CANCELLED, "Operator pressed Skip")
    assert store.filing(filing_id).status is FilingStatus.CANCELLED


def test_ready_filings_by_priority_then_age(store: Store) -> None:
    ids = [_add_ready(store, f"A-{n}", pan=PANS[n]) for n in range(3)]
    store.set_priority(ids[2], 10)
    assert [f.id for f in store.ready_filings()] == [ids[2], ids[0], ids[1]]
    assert store.ready_filings(service=Service.DSC) == []


def test_start_up_marks_running_and_waiting_filings_interrupted(
    data_dir: DataDir,
) -> None:
    with installed_keyring(MemoryKeyring()):
        with Store.open(data_dir) as store:
            running = _add_ready(store, "A-1", pan=PANS[0])
            waiting = _add_ready(store, "A-2", pan=PANS[1])
            idle = _add_ready(store, "A-3", pan=PANS[2])
            for filing_id in (running, waiting):
                store.begin_attempt(filing_id)
                store.step_started(filing_id, "Enter OTP", 4, 9)
            store.set_status(waiting, FilingStatus.WAITING)

        with Store.open(data_dir) as store:
            assert store.mark_interrupted() == [running, waiting]
            interrupted = store.filing(running)
            assert interrupted.status is FilingStatus.INTERRUPTED
            assert interrupted.step_text == "Enter OTP (4 of 9)"
            assert store.filing(idle).status is FilingStatus.READY
            assert store.reset_for_retry(waiting) is FilingStatus.READY


# ------------------------------------------------------ retention, erasure


def _finish_with_evidence(store: Store, data_dir: DataDir, ref: str, pan: str) -> Path:
    filing_id = _add_ready(store, ref, pan=pan)
    store.begin_attempt(filing_id)
    shot = data_dir.evidence / f"{ref}.png"
    shot.write_bytes(b"\x89PNG fake")
    store.add_evidence(filing_id, "screenshot", shot)
    store.save_result(filing_id, f"UDYAM-TN-29-{ref}")
    return shot


def test_purge_expired_removes_aadhaar_and_evidence_but_keeps_results(
    store: Store, data_dir: DataDir
) -> None:
    old_shot = _finish_with_evidence(store, data_dir, "A-1", PANS[0])
    busy_id = _add_ready(store, "A-2", pan=PANS[1])  # still queued: untouched

    assert store.purge_expired(days=30).vault_entries == 0  # nothing old enough yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    result = store.purge_expired(now=later, days=30)

    assert (result.applicants, result.vault_entries, result.evidence_files) == (1, 1, 1)
    assert not old_shot.exists()
    (done,) = store.filings(status=FilingStatus.COMPLETED)
    assert done.result == "UDYAM-TN-29-A-1" and store.evidence(done.id) == []
    with pytest.raises(VaultEntryPurged):
        store.applicant("A-1", reveal=True)
    assert str(store.applicant("A-1").person.aadhaar) == "XXXX XXXX 2346"
    assert store.applicant("A-2", reveal=True).person.aadhaar.reveal()
    assert store.filing(busy_id).status is FilingStatus.READY
    assert store.purge_expired(now=later, days=30).applicants == 0


def test_purged_applicant_cannot_be_filed_again(
    store: Store, data_dir: DataDir
) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    store.fail(filing_id, FailureKind.BUSINESS, "PAN name mismatch")
    store.purge_expired(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=40), days=30)
    store.reset_for_retry(filing_id)
    with pytest.raises(StoreError, match="retention"):
        store.begin_attempt(filing_id)


def test_evidence_outside_the_data_folder_is_never_deleted(
    store: Store, tmp_path: Path
) -> None:
    filing_id = _add_ready(store)
    outside = tmp_path / "not-ours.txt"
    outside.write_text("keep me")
    store.add_evidence(filing_id, "page", outside)
    store.cancel(filing_id)
    store.purge_expired(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    assert outside.exists() and store.evidence(filing_id) == []


def test_erase_applicant_leaves_only_the_audit_trail(
    store: Store, data_dir: DataDir
) -> None:
    shot = _finish_with_evidence(store, data_dir, "A-1", PANS[0])
    keep = _add_ready(store, "A-2", pan=PANS[1])
    store.log_event(None, "info", "queue opened")

    store.erase_applicant("A-1", requested_by="client letter 12/2025")

    assert not shot.exists()
    assert [f.id for f in store.filings()] == [keep]
    with pytest.raises(UnknownApplicant):
        store.applicant("A-1")
    tables = ("step_events", "log_events", "evidence", "vault")
    counts = {
        table: store._connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in tables
    }
    assert counts == {"step_events": 0, "log_events": 1, "evidence": 0, "vault": 1}
    assert [a.action for a in store.consent_audit("A-1")] == ["given", "erased"]
    fk_problems = store._connection.execute("PRAGMA foreign_key_check").fetchall()
    assert fk_problems == []


def test_erase_is_refused_while_a_filing_runs(store: Store) -> None:
    store.begin_attempt(_add_ready(store))
    with pytest.raises(InvalidTransition, match="in progress"):
        store.erase_applicant("A-1")


# ---------------------------------------------------------------- privacy


def _aadhaar_patterns(number: str) -> list[bytes]:
    spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
    dashed = spaced.replace(" ", "-")
    found = []
    for text in (number, spaced, dashed):
        found += [text.encode("utf-8"), text.encode("utf-16-le")]
    return found


def _assert_no_aadhaar_in(folder: Path) -> int:
    files = [path for path in folder.rglob("*") if path.is_file()]
    for path in files:
        raw = path.read_bytes()
        for number in AADHAAR_NUMBERS:
            for pattern in _aadhaar_patterns(number):
                assert pattern not in raw, f"{path.name} contains an Aadhaar number"
    return len(files)


def test_no_full_aadhaar_in_any_file_of_the_data_folder(data_dir: DataDir) -> None:
    configure_logging(data_dir.root, verbose=False)
    try:
        with no_keyring(), Store.open(data_dir) as store:
            store.add_applicants(
                [
                    make_applicant(f"A-{n}", aadhaar=number, pan=PANS[n], consent=UDYAM)
                    for n, number in enumerate(AADHAAR_NUMBERS)
                ],
                "clients.xlsx",
            )
            filing_id = store.filings()[0].id
            store.begin_attempt(filing_id)
            store.log_event(filing_id, "info", f"Aadhaar {AADHAAR_NUMBERS[0]} typed")
            store.fail(filing_id, "technical", f"field showed {AADHAAR_NUMBERS[1]}")
            store.step_started(filing_id, "Aadhaar 9999 4105 7058", 1, 2)
            assert store.applicant("A-2", reveal=True).person.aadhaar.reveal()
            # While open: the WAL and shared-memory files hold the latest pages.
            assert _assert_no_aadhaar_in(data_dir.root) >= 3
        assert _assert_no_aadhaar_in(data_dir.root) >= 2
        assert re.search(rb"XXXX XXXX 2346", data_dir.database.read_bytes())
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_filing_desk", False):
                logging.getLogger().removeHandler(handler)
                handler.close()


# ---------------------------------------------------------------- threads


def test_many_threads_write_at_once(store: Store) -> None:
    workers, rounds = 6, 25
    ids = [_add_ready(store, f"T-{n}", pan=f"AAAP{n}0000A") for n in range(workers)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work(filing_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            store.begin_attempt(filing_id)
            for step in range(1, rounds + 1):
                store.step_started(filing_id, f"step {step}", step, rounds)
                store.log_event(filing_id, "info", f"filing {filing_id} step {step}")
                store.step_finished(filing_id, f"step {step}", "passed")
            store.save_result(filing_id, f"R-{filing_id}")
        except BaseException as error:  # handed to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for filing_id in ids:
        assert store.filing(filing_id).result == f"R-{filing_id}"
        assert len(store.steps(filing_id)) == rounds
        assert all(s.outcome == "passed" for s in store.steps(filing_id))
        assert len(store.events(filing_id)) == rounds + 1
    check = store._connection.execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


# ------------------------------------------------------------------- DSC PIN


def test_the_dsc_pin_is_kept_sealed_and_opens_only_on_reveal(data_dir: DataDir) -> None:
    pin = "582917"
    applicant = make_applicant("P-1", services=frozenset({Service.DSC}))
    applicant.dsc = DscRequest(pin=pin, pin_generated=True)
    with Store.open(data_dir) as store:
        store.add_applicants([applicant], "clients.xlsx")
        hidden = store.applicant("P-1")
        assert hidden.dsc is not None
        assert (hidden.dsc.pin, hidden.dsc.pin_generated) == ("", True)
        assert store.applicant("P-1", reveal=True).dsc.pin == pin
    for path in data_dir.root.rglob("*"):
        if path.is_file():
            assert pin.encode() not in path.read_bytes(), path.name


def test_purging_an_applicant_also_drops_the_sealed_pin(data_dir: DataDir) -> None:
    applicant = make_applicant(
        "P-2", services=frozenset({Service.DSC}), consent=frozenset({Service.DSC})
    )
    applicant.dsc = DscRequest(pin="582917")
    with Store.open(data_dir) as store:
        store.add_applicants([applicant], "clients.xlsx")
        filing_id = store.filings()[0].id
        store.begin_attempt(filing_id)
        store.save_result(filing_id, "3100000001")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
        assert store.purge_expired(now=later, days=30).vault_entries == 1
        sealed = store._connection.execute(
            "SELECT dsc_pin_sealed FROM applicants WHERE ref = 'P-2'"
        ).fetchone()[0]
        assert sealed is None


def test_results_are_committed_power_cut_safe_and_step_writes_stay_cheap(
    store: Store,
) -> None:
    filing_id = _add_ready(store)
    store.begin_attempt(filing_id)
    statements: list[str] = []
    store._connection.set_trace_callback(statements.append)
    try:
        store.log_event(filing_id, "info", "typed the OTP")
        cheap = list(statements)
        statements.clear()
        store.save_result(filing_id, "UDYAM-TN-25-0000001")
    finally:
        store._connection.set_trace_callback(None)

    assert not any("synchronous" in s for s in cheap)
    full = statements.index("PRAGMA synchronous = FULL")
    assert full < statements.index("BEGIN IMMEDIATE") < statements.index("COMMIT")
    assert statements[-1] == "PRAGMA synchronous = NORMAL"
    assert store._connection.execute("PRAGMA synchronous").fetchone()[0] == 1
