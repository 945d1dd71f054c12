"""The local store: one SQLite file that is the single source of truth for the queue.

Design rules, in the order they matter:

* **A result number is never lost.** :meth:`Store.save_result` writes the number and
  the ``completed`` status in one transaction. Every commit survives the app being
  killed (WAL with ``synchronous=NORMAL``); the writes that matter most (results,
  issued numbers, imported applicants, consent) are committed with
  ``synchronous=FULL`` and also survive a power cut. Step and log writes stay cheap,
  because one sits between the operator's OTP and the first keystroke.
  A crash loses at most the step that was running.
* **No full Aadhaar number outside the vault.** Applicants are stored as JSON in which
  the Aadhaar serialises masked; the digits go to :class:`~desktop_app.core.vault.
  AadhaarVault` (AES-GCM) and the row keeps only a random reference. There is no call
  that takes an OTP. Messages are passed through the Aadhaar mask before they are
  written, as a second line of defence.
* **Every write is one transaction** (``BEGIN IMMEDIATE`` ... ``COMMIT``). One
  connection is shared by every thread behind a re-entrant lock; SQLite serialises
  writers anyway, and one connection keeps the locking simple and deadlock free.
* **Consent first.** A filing is created ``pending_consent`` unless the applicant's
  consent covers its service, and :meth:`Store.begin_attempt` refuses to start one
  without it.

Schema changes are forward migrations in :data:`MIGRATIONS`, applied in order, each in
its own transaction, tracked by ``PRAGMA user_version``.

Reading an applicant: :meth:`Store.applicant` returns the applicant with a
:class:`SealedAadhaar` (it prints masked and knows the last four digits, but refuses to
``reveal()``) unless ``reveal=True``, which opens the vault. Only the filing step that
types the number into the portal should ask for ``reveal=True``.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.core.models import AadhaarNumber, Applicant, Consent, Service
from desktop_app.core.vault import AadhaarVault, load_or_create_key
from desktop_app.logging_setup import mask_aadhaar_like
from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


class FilingStatus(enum.StrEnum):
    PENDING_CONSENT = "pending_consent"
    READY = "ready"
    RUNNING = "running"
    WAITING = "waiting"  # for the operator (OTP, captcha, confirmation)
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the app stopped while it was running

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


FINISHED_STATUSES = frozenset(
    {FilingStatus.COMPLETED, FilingStatus.FAILED, FilingStatus.CANCELLED}
)
ACTIVE_STATUSES = frozenset({FilingStatus.RUNNING, FilingStatus.WAITING})
RETRYABLE_STATUSES = frozenset(
    {FilingStatus.FAILED, FilingStatus.INTERRUPTED, FilingStatus.CANCELLED}
)
# A second filing for the same PAN and service is refused while one of these exists.
# Failed and cancelled ones do not count: the office may correct a row and file again.
BLOCKING_STATUSES = frozenset(FilingStatus) - {
    FilingStatus.FAILED,
    FilingStatus.CANCELLED,
}


class FailureKind(enum.StrEnum):
    BUSINESS = "business"  # the portal said no (name mismatch...): never auto-retried
    TECHNICAL = "technical"  # timeouts, stale pages, driver crashes: retried
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"  # the operator did not answer in time


class StepOutcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class StoreError(Exception):
    """A store call that cannot be done; the message is for the operator."""


class UnknownApplicant(StoreError):
    pass


class UnknownFiling(StoreError):
    pass


class ConsentRequired(StoreError):
    """The applicant has not consented to this service (Aadhaar Act s.29, DPDP Act)."""


class InvalidTransition(StoreError):
    """The filing is not in a status that allows this call."""


class InvalidResult(StoreError, ValueError):
    """A result number typed by hand does not have the service's format."""


class AadhaarSealed(StoreError):
    """``reveal()`` on an applicant loaded without ``reveal=True``."""


class SealedAadhaar(AadhaarNumber):
    """An Aadhaar number whose digits stayed in the vault.

    It masks like the real thing (``XXXX XXXX 1234``) so lists and messages work, but
    ``reveal()`` raises: nothing can type a made-up number into a portal.
    """

    __slots__ = ()

    def __init__(self, last4: str) -> None:
        super().__init__("00000000" + last4)

    def reveal(self) -> str:
        raise AadhaarSealed(
            "The Aadhaar number was not loaded from the vault; "
            "load the applicant with reveal=True."
        )

    def __repr__(self) -> str:
        return f"SealedAadhaar({self.masked!r})"


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class FilingRow:
    """One filing as lists, exports and the runner see it (no full Aadhaar)."""

    id: int
    applicant_ref: str
    display_name: str
    masked_aadhaar: str
    pan: str
    service: Service
    status: FilingStatus
    attempts: int
    step_name: str
    step_index: int
    step_total: int
    result: str | None
    next_step: str
    failure_kind: FailureKind | None
    failure_message: str
    priority: int
    consent_given: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    updated_at: dt.datetime

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def step_text(self) -> str:
        """``"Verify PAN (4 of 9)"``, or the bare name when no index is known."""
        if not self.step_name:
            return ""
        if self.step_total:
            return f"{self.step_name} ({self.step_index} of {self.step_total})"
        return self.step_name


@dataclass(frozen=True)
class StepEvent:
    id: int
    filing_id: int
    attempt: int
    step_name: str
    step_index: int
    step_total: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_s: float | None
    outcome: str | None
    message: str


@dataclass(frozen=True)
class LogEvent:
    id: int
    filing_id: int | None
    at: dt.datetime
    level: str
    message: str


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    filing_id: int
    kind: str
    path: Path
    created_at: dt.datetime


@dataclass(frozen=True)
class ConsentAuditRow:
    id: int
    applicant_ref: str
    action: str  # "given" or "erased"
    who: str
    at: dt.datetime
    services: frozenset[Service]
    note: str


@dataclass(frozen=True)
class Duplicate:
    """An applicant (``service`` None) or one of its filings that was not added."""

    ref: str
    service: Service | None
    existing_ref: str
    reason: str


@dataclass(frozen=True)
class AddResult:
    added: tuple[str, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    filing_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class PurgeResult:
    applicants: int = 0
    vault_entries: int = 0
    evidence_files: int = 0


@dataclass(frozen=True)
class StoreChange:
    """What a subscriber is told after a commit: which filing, and what about it.

    ``what`` is one of ``added``, ``consent``, ``status``, ``step``, ``log``,
    ``result``, ``evidence``, ``purged``, ``erased``. ``filing_id`` is None for changes
    that are not about one filing.
    """

    filing_id: int | None
    what: str


StoreListener = Callable[[StoreChange], None]


# --------------------------------------------------------------------- migrations

# Version 1: the first release's schema.
_SCHEMA_V1 = (
    """CREATE TABLE vault (
        aadhaar_ref TEXT PRIMARY KEY,
        nonce BLOB,
        ciphertext BLOB,
        created_at TEXT NOT NULL,
        purged INTEGER NOT NULL DEFAULT 0,
        purged_at TEXT
    )""",
    """CREATE TABLE applicants (
        ref TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        masked_aadhaar TEXT NOT NULL,
        pan TEXT NOT NULL,
        mobile TEXT NOT NULL,
        email TEXT NOT NULL,
        services TEXT NOT NULL,
        data_json TEXT NOT NULL,
        aadhaar_ref TEXT NOT NULL REFERENCES vault (aadhaar_ref),
        source TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        consent_given_at TEXT,
        consent_given_by TEXT,
        consent_services TEXT,
        consent_note TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE filings (
        id INTEGER PRIMARY KEY,
        applicant_ref TEXT NOT NULL REFERENCES applicants (ref) ON DELETE CASCADE,
        service TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending_consent', 'ready',
            'running', 'waiting', 'completed', 'failed', 'cancelled',
            'interrupted')),
        attempts INTEGER NOT NULL DEFAULT 0,
        step_name TEXT NOT NULL DEFAULT '',
        step_index INTEGER NOT NULL DEFAULT 0,
        step_total INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        next_step TEXT NOT NULL DEFAULT '',
        failure_kind TEXT CHECK (failure_kind IS NULL OR failure_kind IN
            ('business', 'technical', 'cancelled', 'timeout')),
        failure_message TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (applicant_ref, service)
    )""",
    """CREATE TABLE step_events (
        id INTEGER PRIMARY KEY,
        filing_id INTEGER NOT NULL REFERENCES filings (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        step_name TEXT NOT NULL,
        step_index INTEGER NOT NULL,
        step_total INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        duration_s REAL,
        outcome TEXT,
        message TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE log_events (
        id INTEGER PRIMARY KEY,
        filing_id INTEGER REFERENCES filings (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    """CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        filing_id INTEGER NOT NULL REFERENCES filings (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    # No foreign key: the audit trail outlives an erased applicant (it holds only the
    # pseudonymous ref, who and when).
    """CREATE TABLE consent_audit (
        id INTEGER PRIMARY KEY,
        applicant_ref TEXT NOT NULL,
        action TEXT NOT NULL,
        who TEXT NOT NULL,
        at TEXT NOT NULL,
        services TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    )""",
)

# Version 2: queue priority (higher runs first) and the indexes the lists need.
_SCHEMA_V2 = (
    "ALTER TABLE filings ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX filings_by_status ON filings (status, priority DESC, id)",
    "CREATE INDEX applicants_by_pan ON applicants (pan)",
    "CREATE INDEX step_events_by_filing ON step_events (filing_id, id)",
    "CREATE INDEX log_events_by_filing ON log_events (filing_id, id)",
    "CREATE INDEX evidence_by_filing ON evidence (filing_id)",
)

# Version 3: the DSC PIN the applicant will log in to eMudhra with is a password, so
# it moves out of data_json into a column sealed with the vault key.
_SCHEMA_V3 = ("ALTER TABLE applicants ADD COLUMN dsc_pin_sealed BLOB",)

# MIGRATIONS[n] takes a database from version n to n + 1. Append; never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; returns the version found.

    The connection must be in autocommit mode (``isolation_level=None``).
    """
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"This database was written by a newer Filing Desk (schema {found}; this "
            f"version knows up to {SCHEMA_VERSION}). Update the app to open it."
        )
    for version in range(found, SCHEMA_VERSION):
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated already.
            current = connection.execute("PRAGMA user_version").fetchone()[0]
            if current == version:
                for statement in MIGRATIONS[version]:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        log.info("Database schema migrated to version %d", version + 1)
    return found


# ------------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _moment(text: str) -> dt.datetime:
    """A timestamp from a NOT NULL column."""
    return dt.datetime.fromisoformat(text)


def _services_text(services: Iterable[Service]) -> str:
    return ",".join(sorted(Service(s).value for s in services))


def _services_from(text: str | None) -> frozenset[Service]:
    return frozenset(Service(part) for part in (text or "").split(",") if part)


def _clean(message: str) -> str:
    """Messages are written masked, whatever the caller passed."""
    return mask_aadhaar_like(message)


class _Transaction:
    """The open transaction handed to a write; collects change events to publish."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.changes: list[StoreChange] = []

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)

    def changed(self, filing_id: int | None, what: str) -> None:
        self.changes.append(StoreChange(filing_id, what))


_FILING_SELECT = """
    SELECT f.id, f.applicant_ref, a.display_name, a.masked_aadhaar, a.pan, f.service,
           f.status, f.attempts, f.step_name, f.step_index, f.step_total, f.result,
           f.next_step, f.failure_kind, f.failure_message, f.priority,
           a.consent_services, f.created_at, f.started_at, f.finished_at, f.updated_at
    FROM filings f JOIN applicants a ON a.ref = f.applicant_ref
"""


def _filing_row(row: sqlite3.Row) -> FilingRow:
    service = Service(row["service"])
    kind = row["failure_kind"]
    return FilingRow(
        id=row["id"],
        applicant_ref=row["applicant_ref"],
        display_name=row["display_name"],
        masked_aadhaar=row["masked_aadhaar"],
        pan=row["pan"],
        service=service,
        status=FilingStatus(row["status"]),
        attempts=row["attempts"],
        step_name=row["step_name"],
        step_index=row["step_index"],
        step_total=row["step_total"],
        result=row["result"],
        next_step=row["next_step"],
        failure_kind=FailureKind(kind) if kind else None,
        failure_message=row["failure_message"],
        priority=row["priority"],
        consent_given=service in _services_from(row["consent_services"]),
        created_at=_moment(row["created_at"]),
        started_at=_parse(row["started_at"]),
        finished_at=_parse(row["finished_at"]),
        updated_at=_moment(row["updated_at"]),
    )


# -------------------------------------------------------------------------- store


@dataclass
class _Listeners:
    callbacks: list[StoreListener] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Store:
    """The queue, the applicants, their history and evidence. Thread safe.

    Open with :meth:`open`; close with :meth:`close` (or use it as a context manager).
    """

    def __init__(
        self, connection: sqlite3.Connection, vault: AadhaarVault, data_dir: DataDir
    ) -> None:
        self._connection = connection
        self._vault = vault
        self._data_dir = data_dir
        self._lock = threading.RLock()
        self._listeners = _Listeners()
        self._closed = False

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def open(cls, data_dir: DataDir) -> Store:
        """Open (creating and migrating as needed) the database of ``data_dir``."""
        data_dir.ensure()
        key = load_or_create_key(data_dir)
        _make_private(data_dir.database)
        connection = sqlite3.connect(
            data_dir.database,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,  # shared behind Store._lock
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        try:
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                log.warning("The database could not use WAL mode (got %s)", mode)
            # NORMAL survives the app being killed; _write(durable=True) raises it to
            # FULL for the commits that must also survive a power cut.
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (erasure, purge) are overwritten, not left in free pages.
            connection.execute("PRAGMA secure_delete = ON")
            migrate(connection)
        except BaseException:
            connection.close()
            raise
        return cls(connection, AadhaarVault(connection, key), data_dir)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def data_dir(self) -> DataDir:
        return self._data_dir

    def subscribe(self, callback: StoreListener) -> Callable[[], None]:
        """Call ``callback(change)`` after every commit; returns an unsubscribe call.

        The callback runs on the thread that wrote, after the store's lock is released;
        a GUI must hand the event over to its own thread (a queued signal).
        """
        with self._listeners.lock:
            self._listeners.callbacks.append(callback)

        def unsubscribe() -> None:
            with self._listeners.lock:
                if callback in self._listeners.callbacks:
                    self._listeners.callbacks.remove(callback)

        return unsubscribe

    # --------------------------------------------------------------- plumbing

    @contextmanager
    def _write(self, durable: bool = False) -> Iterator[_Transaction]:
        transaction = _Transaction(self._connection)
        with self._lock:
            self._check_open()
            if durable:
                self._connection.execute("PRAGMA synchronous = FULL")
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield transaction
                self._connection.execute("COMMIT")
            except BaseException:
                # Also covers a failed COMMIT, which leaves the transaction open.
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise
            finally:
                if durable:
                    self._connection.execute("PRAGMA synchronous = NORMAL")
        self._publish(transaction.changes)

    def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            self._check_open()
            return self._connection.execute(sql, parameters).fetchall()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("The store is closed.")

    def _publish(self, changes: list[StoreChange]) -> None:
        if not changes:
            return
        with self._listeners.lock:
            callbacks = list(self._listeners.callbacks)
        for change in changes:
            for callback in callbacks:
                try:
                    callback(change)
                except Exception:
                    # The write is committed; a broken view must not fail the filing.
                    log.exception("A store listener failed on %s", change)

    @staticmethod
    def _filing_status(tx: _Transaction, filing_id: int) -> FilingStatus:
        row = tx.execute(
            "SELECT status FROM filings WHERE id = ?", (filing_id,)
        ).fetchone()
        if row is None:
            raise UnknownFiling(f"There is no filing number {filing_id}.")
        return FilingStatus(row[0])

    # ------------------------------------------------------------- applicants

    def add_applicants(self, applicants: Iterable[Applicant], source: str) -> AddResult:
        """Add applicants and one filing per service they ask for, in one transaction.

        An applicant whose ref is already stored is skipped. A service for which the
        same PAN already has a filing (anything but failed or cancelled) is flagged and
        not added; an applicant left with no new filing is not stored at all.

        Args:
            applicants: validated applicants (with real Aadhaar digits).
            source: where they came from ("clients.xlsx"), kept with each row.
        """
        added: list[str] = []
        duplicates: list[Duplicate] = []
        filing_ids: list[int] = []
        with self._write(durable=True) as tx:
            for applicant in applicants:
                ids = self._add_one(tx, applicant, source, duplicates)
                if ids:
                    added.append(applicant.ref)
                    filing_ids.extend(ids)
        log.info(
            "Added %d applicant(s) from %s; %d duplicate(s) skipped",
            len(added),
            source,
            len(duplicates),
        )
        return AddResult(tuple(added), tuple(duplicates), tuple(filing_ids))

    def _add_one(
        self,
        tx: _Transaction,
        applicant: Applicant,
        source: str,
        duplicates: list[Duplicate],
    ) -> list[int]:
        if tx.execute(
            "SELECT 1 FROM applicants WHERE ref = ?", (applicant.ref,)
        ).fetchone():
            duplicates.append(
                Duplicate(applicant.ref, None, applicant.ref, "already in the queue")
            )
            return []
        pan = applicant.person.pan.upper()
        services = []
        for service in sorted(applicant.services):
            clash = tx.execute(
                "SELECT a.ref, f.status FROM filings f JOIN applicants a "
                "ON a.ref = f.applicant_ref WHERE a.pan = ? AND f.service = ? "
                f"AND f.status IN ({','.join('?' * len(BLOCKING_STATUSES))})",
                (pan, service.value, *sorted(BLOCKING_STATUSES)),
            ).fetchone()
            if clash:
                reason = (
                    f"PAN {pan} already has a {service.label} filing "
                    f"({FilingStatus(clash[1]).label.lower()}) under {clash[0]}"
                )
                duplicates.append(Duplicate(applicant.ref, service, clash[0], reason))
            else:
                services.append(service)
        if not services:
            return []
        self._insert_applicant(tx, applicant, source)
        return [self._insert_filing(tx, applicant, service) for service in services]

    def _insert_applicant(
        self, tx: _Transaction, applicant: Applicant, source: str
    ) -> None:
        aadhaar_ref = self._vault.put(applicant.person.aadhaar.reveal())
        stored, sealed_pin = self._seal_pin(applicant)
        consent = applicant.consent
        now = _text(_now())
        tx.execute(
            "INSERT INTO applicants (ref, display_name, masked_aadhaar, pan, mobile, "
            "email, services, data_json, aadhaar_ref, source, created_at, "
            "consent_given_at, consent_given_by, consent_services, consent_note, "
            "dsc_pin_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                applicant.ref,
                applicant.display_name,
                applicant.masked_aadhaar,
                applicant.person.pan.upper(),
                applicant.person.mobile,
                applicant.person.email,
                _services_text(applicant.services),
                stored.model_dump_json(),  # the Aadhaar serialises masked
                aadhaar_ref,
                applicant.source or source,
                now,
                _text(consent.given_at) if consent else None,
                consent.given_by if consent else None,
                _services_text(consent.services) if consent else None,
                consent.note if consent else "",
                sealed_pin,
            ),
        )
        if consent:
            self._audit(
                tx,
                applicant.ref,
                "given",
                consent.given_by,
                consent.given_at,
                consent.services,
                consent.note,
            )

    def _seal_pin(self, applicant: Applicant) -> tuple[Applicant, bytes | None]:
        """The applicant without the DSC PIN in clear, and the PIN sealed."""
        if applicant.dsc is None or not applicant.dsc.pin:
            return applicant, None
        sealed = self._vault.seal(applicant.dsc.pin, applicant.ref)
        dsc = applicant.dsc.model_copy(update={"pin": ""})
        return applicant.model_copy(update={"dsc": dsc}), sealed

    def _unseal_pin(self, row: sqlite3.Row) -> str:
        sealed = row["dsc_pin_sealed"]
        return self._vault.unseal(sealed, row["ref"]) if sealed else ""

    @staticmethod
    def _insert_filing(tx: _Transaction, applicant: Applicant, service: Service) -> int:
        status = (
            FilingStatus.READY
            if applicant.can_file(service)
            else FilingStatus.PENDING_CONSENT
        )
        now = _text(_now())
        cursor = tx.execute(
            "INSERT INTO filings (applicant_ref, service, status, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?)",
            (applicant.ref, service.value, status.value, now, now),
        )
        filing_id = int(cursor.lastrowid or 0)
        tx.changed(filing_id, "added")
        return filing_id

    @staticmethod
    def _audit(
        tx: _Transaction,
        ref: str,
        action: str,
        who: str,
        at: dt.datetime,
        services: Iterable[Service],
        note: str = "",
    ) -> None:
        tx.execute(
            "INSERT INTO consent_audit (applicant_ref, action, who, at, services, "
            "note) VALUES (?, ?, ?, ?, ?, ?)",
            (ref, action, who, _text(at), _services_text(services), _clean(note)),
        )

    def applicant(self, ref: str, reveal: bool = False) -> Applicant:
        """The stored applicant.

        Args:
            ref: the applicant's reference.
            reveal: open the vault and put the real Aadhaar digits back. Without it
                the Aadhaar is a :class:`SealedAadhaar`: masked, and ``reveal()``
                raises :class:`AadhaarSealed`.

        Raises:
            UnknownApplicant: no such ref.
            desktop_app.core.vault.VaultEntryPurged: ``reveal`` after the purge.
        """
        with self._lock:
            self._check_open()
            row = self._connection.execute(
                "SELECT * FROM applicants WHERE ref = ?", (ref,)
            ).fetchone()
            if row is None:
                raise UnknownApplicant(f"There is no applicant {ref} in the queue.")
            aadhaar: AadhaarNumber = (
                AadhaarNumber(self._vault.get(row["aadhaar_ref"]))
                if reveal
                else SealedAadhaar(row["masked_aadhaar"][-4:])
            )
            pin = self._unseal_pin(row) if reveal else ""
        return _applicant_from_row(row, aadhaar, pin)

    def applicants(self) -> list[Applicant]:
        """Every applicant, oldest first, each with a :class:`SealedAadhaar`."""
        rows = self._read("SELECT * FROM applicants ORDER BY created_at, ref")
        return [
            _applicant_from_row(row, SealedAadhaar(row["masked_aadhaar"][-4:]))
            for row in rows
        ]

    # FIXME(store): there is no call to withdraw consent for one service (DPDP Rules:
    # withdrawing must be as easy as giving); erase_applicant is the only way today.
    def record_consent(
        self,
        ref: str,
        given_by: str,
        services: Iterable[Service],
        note: str = "",
        at: dt.datetime | None = None,
    ) -> Consent:
        """Record the applicant's consent for ``services`` (added to any earlier one).

        Filings waiting for consent that it now covers become ``ready``.
        """
        services = frozenset(Service(s) for s in services)
        if not services:
            raise ValueError("Consent must name at least one service")
        at = at or _now()
        with self._write(durable=True) as tx:
            row = tx.execute(
                "SELECT consent_services FROM applicants WHERE ref = ?", (ref,)
            ).fetchone()
            if row is None:
                raise UnknownApplicant(f"There is no applicant {ref} in the queue.")
            covered = services | _services_from(row[0])
            tx.execute(
                "UPDATE applicants SET consent_given_at = ?, consent_given_by = ?, "
                "consent_services = ?, consent_note = ? WHERE ref = ?",
                (_text(at), given_by, _services_text(covered), _clean(note), ref),
            )
            self._audit(tx, ref, "given", given_by, at, services, note)
            for service in services:
                for (filing_id,) in tx.execute(
                    "UPDATE filings SET status = 'ready', updated_at = ? WHERE "
                    "applicant_ref = ? AND service = ? AND status = 'pending_consent' "
                    "RETURNING id",
                    (_text(_now()), ref, service.value),
                ).fetchall():
                    tx.changed(filing_id, "consent")
        log.info("Consent recorded for %s by %s", ref, given_by)
        return Consent(given_at=at, given_by=given_by, services=covered, note=note)

    def consent_audit(self, ref: str | None = None) -> list[ConsentAuditRow]:
        """The consent trail (all applicants, or one), oldest first."""
        where, parameters = ("WHERE applicant_ref = ?", (ref,)) if ref else ("", ())
        rows = self._read(
            f"SELECT * FROM consent_audit {where} ORDER BY id", parameters
        )
        return [
            ConsentAuditRow(
                id=row["id"],
                applicant_ref=row["applicant_ref"],
                action=row["action"],
                who=row["who"],
                at=_moment(row["at"]),
                services=_services_from(row["services"]),
                note=row["note"],
            )
            for row in rows
        ]

    # ----------------------------------------------------------------- filings

    def filings(
        self, status: FilingStatus | None = None, service: Service | None = None
    ) -> list[FilingRow]:
        """Filings in queue order (oldest first), optionally filtered."""
        clauses, parameters = [], []
        if status is not None:
            clauses.append("f.status = ?")
            parameters.append(FilingStatus(status).value)
        if service is not None:
            clauses.append("f.service = ?")
            parameters.append(Service(service).value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._read(f"{_FILING_SELECT} {where} ORDER BY f.id", parameters)
        return [_filing_row(row) for row in rows]

    def filing(self, filing_id: int) -> FilingRow:
        rows = self._read(f"{_FILING_SELECT} WHERE f.id = ?", (filing_id,))
        if not rows:
            raise UnknownFiling(f"There is no filing number {filing_id}.")
        return _filing_row(rows[0])

    def ready_filings(self, service: Service | None = None) -> list[FilingRow]:
        """Filings the runner may start, highest priority first, then oldest."""
        parameters: list[Any] = []
        where = "WHERE f.status = 'ready'"
        if service is not None:
            where += " AND f.service = ?"
            parameters.append(Service(service).value)
        rows = self._read(
            f"{_FILING_SELECT} {where} ORDER BY f.priority DESC, f.id", parameters
        )
        return [_filing_row(row) for row in rows]

    def set_priority(self, filing_id: int, priority: int) -> None:
        with self._write() as tx:
            self._filing_status(tx, filing_id)
            tx.execute(
                "UPDATE filings SET priority = ?, updated_at = ? WHERE id = ?",
                (priority, _text(_now()), filing_id),
            )
            tx.changed(filing_id, "status")

    def begin_attempt(self, filing_id: int) -> int:
        """Start a new attempt at a ``ready`` (or already ``running``) filing.

        ``running`` is allowed so that a flow's technical retry within one run counts
        as a new attempt. Returns the attempt number (1 for the first).

        Raises:
            ConsentRequired: the applicant's consent does not cover the service.
            InvalidTransition: the filing is not ready.
            desktop_app.core.vault.VaultEntryPurged: the Aadhaar number is gone.
        """
        with self._write() as tx:
            row = tx.execute(
                "SELECT f.status, f.service, f.attempts, a.consent_services, "
                "a.aadhaar_ref, a.display_name FROM filings f JOIN applicants a "
                "ON a.ref = f.applicant_ref WHERE f.id = ?",
                (filing_id,),
            ).fetchone()
            if row is None:
                raise UnknownFiling(f"There is no filing number {filing_id}.")
            service = Service(row["service"])
            if service not in _services_from(row["consent_services"]):
                raise ConsentRequired(
                    f"{row['display_name']} has not given consent for "
                    f"{service.label}; record their consent before filing."
                )
            status = FilingStatus(row["status"])
            if status not in (FilingStatus.READY, FilingStatus.RUNNING):
                raise InvalidTransition(
                    f"Filing {filing_id} is {status.label.lower()}, not ready to start."
                )
            if self._vault.is_purged(row["aadhaar_ref"]):
                raise StoreError(
                    f"The Aadhaar number of {row['display_name']} was deleted after "
                    "the retention period; import the applicant again to file."
                )
            attempt = row["attempts"] + 1
            now = _text(_now())
            tx.execute(
                "UPDATE filings SET status = 'running', attempts = ?, started_at = ?, "
                "finished_at = NULL, failure_kind = NULL, failure_message = '', "
                "step_name = '', step_index = 0, step_total = 0, updated_at = ? "
                "WHERE id = ?",
                (attempt, now, now, filing_id),
            )
            tx.changed(filing_id, "status")
        return attempt

    def set_status(self, filing_id: int, status: FilingStatus) -> None:
        """Switch a started filing between ``running`` and ``waiting``.

        Other statuses have their own calls (:meth:`save_result`, :meth:`fail`,
        :meth:`cancel`, ...) because they carry more than a status.
        """
        status = FilingStatus(status)
        if status not in ACTIVE_STATUSES:
            raise ValueError(f"set_status only sets running or waiting, not {status}")
        with self._write() as tx:
            current = self._filing_status(tx, filing_id)
            if current not in ACTIVE_STATUSES:
                raise InvalidTransition(
                    f"Filing {filing_id} is {current.label.lower()}, not running."
                )
            tx.execute(
                "UPDATE filings SET status = ?, updated_at = ? WHERE id = ?",
                (status.value, _text(_now()), filing_id),
            )
            tx.changed(filing_id, "status")

    def step_started(self, filing_id: int, name: str, index: int, total: int) -> None:
        """Record that step ``index`` of ``total`` (1-based), ``name``, has begun."""
        name, now = _clean(name), _text(_now())
        with self._write() as tx:
            self._filing_status(tx, filing_id)
            tx.execute(
                "UPDATE filings SET step_name = ?, step_index = ?, step_total = ?, "
                "updated_at = ? WHERE id = ?",
                (name, index, total, now, filing_id),
            )
            tx.execute(
                "INSERT INTO step_events (filing_id, attempt, step_name, step_index, "
                "step_total, started_at) VALUES (?, (SELECT attempts FROM filings "
                "WHERE id = ?), ?, ?, ?, ?)",
                (filing_id, filing_id, name, index, total, now),
            )
            tx.changed(filing_id, "step")

    def step_finished(
        self, filing_id: int, name: str, outcome: StepOutcome | str, message: str = ""
    ) -> None:
        """Close the open record of step ``name`` with its outcome and duration."""
        name, finished = _clean(name), _now()
        with self._write() as tx:
            self._filing_status(tx, filing_id)
            row = tx.execute(
                "SELECT id, started_at FROM step_events WHERE filing_id = ? AND "
                "step_name = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
                (filing_id, name),
            ).fetchone()
            if row is None:
                # Finished without a start on record: keep the outcome anyway.
                log.debug(
                    "Step %r of filing %d finished without a start", name, filing_id
                )
                tx.execute(
                    "INSERT INTO step_events (filing_id, attempt, step_name, "
                    "step_index, step_total, started_at) SELECT id, attempts, ?, "
                    "step_index, step_total, ? FROM filings WHERE id = ?",
                    (name, _text(finished), filing_id),
                )
                row = tx.execute(
                    "SELECT id, started_at FROM step_events WHERE rowid = "
                    "last_insert_rowid()"
                ).fetchone()
            duration = (finished - _moment(row["started_at"])).total_seconds()
            tx.execute(
                "UPDATE step_events SET finished_at = ?, duration_s = ?, outcome = ?, "
                "message = ? WHERE id = ?",
                (
                    _text(finished),
                    max(duration, 0.0),
                    str(outcome),
                    _clean(message),
                    row["id"],
                ),
            )
            tx.changed(filing_id, "step")

    def steps(self, filing_id: int) -> list[StepEvent]:
        rows = self._read(
            "SELECT * FROM step_events WHERE filing_id = ? ORDER BY id", (filing_id,)
        )
        return [
            StepEvent(
                id=row["id"],
                filing_id=row["filing_id"],
                attempt=row["attempt"],
                step_name=row["step_name"],
                step_index=row["step_index"],
                step_total=row["step_total"],
                started_at=_moment(row["started_at"]),
                finished_at=_parse(row["finished_at"]),
                duration_s=row["duration_s"],
                outcome=row["outcome"],
                message=row["message"],
            )
            for row in rows
        ]

    def log_event(self, filing_id: int | None, level: str, message: str) -> int:
        """Append a line to the persisted live log; returns its id."""
        with self._write() as tx:
            if filing_id is not None:
                self._filing_status(tx, filing_id)
            cursor = tx.execute(
                "INSERT INTO log_events (filing_id, at, level, message) "
                "VALUES (?, ?, ?, ?)",
                (filing_id, _text(_now()), level.upper(), _clean(message)),
            )
            tx.changed(filing_id, "log")
        return int(cursor.lastrowid or 0)

    def events(self, filing_id: int | None = None, after_id: int = 0) -> list[LogEvent]:
        """Log lines of one filing (or of all, with None) newer than ``after_id``."""
        if filing_id is None:
            sql, parameters = "SELECT * FROM log_events WHERE id > ?", (after_id,)
        else:
            sql = "SELECT * FROM log_events WHERE filing_id = ? AND id > ?"
            parameters = (filing_id, after_id)
        rows = self._read(f"{sql} ORDER BY id", parameters)
        return [
            LogEvent(
                id=row["id"],
                filing_id=row["filing_id"],
                at=_moment(row["at"]),
                level=row["level"],
                message=row["message"],
            )
            for row in rows
        ]

    def save_result(self, filing_id: int, result: str, next_step: str = "") -> None:
        """Store the portal's number and mark the filing completed, in one commit.

        Accepted whatever the current status: a number the portal has issued is a
        fact, even if the operator pressed Cancel a moment too late.
        """
        result = result.strip()
        if not result:
            raise ValueError("A result number cannot be empty")
        now = _text(_now())
        with self._write(durable=True) as tx:
            previous = self._filing_status(tx, filing_id)
            tx.execute(
                "UPDATE filings SET status = 'completed', result = ?, next_step = ?, "
                "failure_kind = NULL, failure_message = '', finished_at = ?, "
                "updated_at = ? WHERE id = ?",
                (result, _clean(next_step), now, now, filing_id),
            )
            tx.execute(
                "INSERT INTO log_events (filing_id, at, level, message) "
                "VALUES (?, ?, 'INFO', ?)",
                (filing_id, now, _clean(f"Filed: {result}")),
            )
            tx.changed(filing_id, "result")
        if (
            previous is not FilingStatus.RUNNING
            and previous is not FilingStatus.WAITING
        ):
            log.warning(
                "Result saved for filing %d while it was %s", filing_id, previous
            )

    def record_recovered_result(self, filing_id: int, number: str, by: str) -> str:
        """Complete a filing with a number the operator got from the applicant.

        For a filing whose number the portal issued but the app never read (it was
        stopped at that moment): the portal emails or texts it to the applicant.
        The number must have the service's format; returns it as stored.

        Raises:
            InvalidResult: the number does not look like this service's number,
                or ``by`` is empty. The message is for the operator.
            InvalidTransition: the filing is completed, still at work, or already
                holds another number.
        """
        who = " ".join(by.split())
        if not who:
            raise InvalidResult("Say who is entering the number.")
        with self._write(durable=True) as tx:
            row = tx.execute(
                "SELECT status, service, result FROM filings WHERE id = ?",
                (filing_id,),
            ).fetchone()
            if row is None:
                raise UnknownFiling(f"There is no filing number {filing_id}.")
            number = _checked_result(Service(row["service"]), number)
            status = FilingStatus(row["status"])
            if status not in _RECORDABLE_STATUSES:
                raise InvalidTransition(
                    f"Filing {filing_id} is {status.label.lower()}; a result can be "
                    "entered only for a failed, interrupted, cancelled or queued "
                    "filing."
                )
            if row["result"] and row["result"] != number:
                raise InvalidTransition(
                    f"Filing {filing_id} already holds {row['result']} from the "
                    f"portal, not {number}."
                )
            now = _text(_now())
            tx.execute(
                "UPDATE filings SET status = 'completed', result = ?, "
                "failure_kind = NULL, failure_message = '', finished_at = ?, "
                "updated_at = ? WHERE id = ?",
                (number, now, now, filing_id),
            )
            for message in (
                f"Result entered by {who} from the applicant's message: {number}",
                f"Filed: {number}",
            ):
                tx.execute(
                    "INSERT INTO log_events (filing_id, at, level, message) "
                    "VALUES (?, ?, 'INFO', ?)",
                    (filing_id, now, _clean(message)),
                )
            tx.changed(filing_id, "result")
        log.info("Result of filing %d entered by hand", filing_id)
        return number

    def record_issued_number(self, filing_id: int, number: str) -> None:
        """Keep a number the portal issued mid-flow, leaving the status as it is.

        The filing is completed later by :meth:`save_result`; if it fails or the app
        dies first, the number stays on the filing for the operator to see.
        """
        number = number.strip()
        if not number:
            raise ValueError("A result number cannot be empty")
        now = _text(_now())
        with self._write(durable=True) as tx:
            self._filing_status(tx, filing_id)
            tx.execute(
                "UPDATE filings SET result = ?, updated_at = ? WHERE id = ?",
                (number, now, filing_id),
            )
            tx.changed(filing_id, "result")

    def fail(self, filing_id: int, kind: FailureKind, message: str) -> None:
        """End the filing as failed (``cancelled`` when ``kind`` is cancelled).

        Raises:
            InvalidTransition: the filing is completed; its result is kept.
        """
        kind = FailureKind(kind)
        status = (
            FilingStatus.CANCELLED
            if kind is FailureKind.CANCELLED
            else (FilingStatus.FAILED)
        )
        self._finish(filing_id, status, kind, message)

    def cancel(
        self, filing_id: int, message: str = "Cancelled by the operator"
    ) -> None:
        self._finish(filing_id, FilingStatus.CANCELLED, FailureKind.CANCELLED, message)

    def _finish(
        self, filing_id: int, status: FilingStatus, kind: FailureKind, message: str
    ) -> None:
        now = _text(_now())
        with self._write() as tx:
            current = self._filing_status(tx, filing_id)
            if current is FilingStatus.COMPLETED:
                raise InvalidTransition(
                    f"Filing {filing_id} is already completed; it cannot be "
                    f"{status.label.lower()}."
                )
            tx.execute(
                "UPDATE filings SET status = ?, failure_kind = ?, failure_message = ?, "
                "finished_at = ?, updated_at = ? WHERE id = ?",
                (status.value, kind.value, _clean(message), now, now, filing_id),
            )
            tx.changed(filing_id, "status")

    def reset_for_retry(self, filing_id: int) -> FilingStatus:
        """Put a failed, interrupted or cancelled filing back in the queue.

        Returns the new status: ``ready``, or ``pending_consent`` without consent.
        """
        with self._write() as tx:
            row = tx.execute(
                "SELECT f.status, f.service, f.result, a.consent_services "
                "FROM filings f JOIN applicants a ON a.ref = f.applicant_ref "
                "WHERE f.id = ?",
                (filing_id,),
            ).fetchone()
            if row is None:
                raise UnknownFiling(f"There is no filing number {filing_id}.")
            current = FilingStatus(row["status"])
            if current not in RETRYABLE_STATUSES:
                raise InvalidTransition(
                    f"Filing {filing_id} is {current.label.lower()}; only failed, "
                    "interrupted or cancelled filings can be retried."
                )
            if row["result"]:
                # Filing again would be refused (Udyam) or start a second order
                # (eMudhra): the operator must settle the first one on the portal.
                raise InvalidTransition(
                    f"The portal already issued {row['result']} for this filing; "
                    "check it on the portal instead of filing again."
                )
            consented = Service(row["service"]) in _services_from(
                row["consent_services"]
            )
            status = FilingStatus.READY if consented else FilingStatus.PENDING_CONSENT
            tx.execute(
                "UPDATE filings SET status = ?, failure_kind = NULL, "
                "failure_message = '', finished_at = NULL, updated_at = ? WHERE id = ?",
                (status.value, _text(_now()), filing_id),
            )
            tx.changed(filing_id, "status")
        return status

    def mark_interrupted(self) -> list[int]:
        """On start-up: every running or waiting filing becomes ``interrupted``.

        The step it was on is kept so the operator sees where it stopped. Returns the
        ids changed.
        """
        with self._write() as tx:
            ids = [
                row[0]
                for row in tx.execute(
                    "UPDATE filings SET status = 'interrupted', failure_message = "
                    "'The app stopped while this filing was in progress', "
                    "updated_at = ? WHERE status IN ('running', 'waiting') "
                    "RETURNING id",
                    (_text(_now()),),
                ).fetchall()
            ]
            for filing_id in ids:
                tx.changed(filing_id, "status")
        if ids:
            log.warning("%d filing(s) were interrupted by the last shutdown", len(ids))
        return sorted(ids)

    # ---------------------------------------------------------------- evidence

    def add_evidence(self, filing_id: int, kind: str, path: Path) -> int:
        """Remember a file saved for a filing (screenshot, page source, certificate)."""
        with self._write() as tx:
            self._filing_status(tx, filing_id)
            cursor = tx.execute(
                "INSERT INTO evidence (filing_id, kind, path, created_at) "
                "VALUES (?, ?, ?, ?)",
                (filing_id, _clean(kind), str(path), _text(_now())),
            )
            tx.changed(filing_id, "evidence")
        return int(cursor.lastrowid or 0)

    def evidence(self, filing_id: int) -> list[EvidenceRow]:
        rows = self._read(
            "SELECT * FROM evidence WHERE filing_id = ? ORDER BY id", (filing_id,)
        )
        return [
            EvidenceRow(
                id=row["id"],
                filing_id=row["filing_id"],
                kind=row["kind"],
                path=Path(row["path"]),
                created_at=_moment(row["created_at"]),
            )
            for row in rows
        ]

    # --------------------------------------------------------- retention, erasure

    def purge_expired(
        self, now: dt.datetime | None = None, days: int = 30
    ) -> PurgeResult:
        """Apply the retention period.

        For every applicant whose filings are all finished (completed, failed or
        cancelled) and whose last one finished more than ``days`` ago: the Aadhaar
        number is purged from the vault and the evidence files and rows are deleted.
        Result numbers, names and PAN stay so the office can answer the client.
        """
        cutoff = _text((now or _now()) - dt.timedelta(days=days))
        finished = sorted(FINISHED_STATUSES)
        marks = ",".join("?" * len(finished))
        with self._write() as tx:
            rows = tx.execute(
                "SELECT a.ref, a.aadhaar_ref FROM applicants a WHERE "
                "NOT EXISTS (SELECT 1 FROM filings f WHERE f.applicant_ref = a.ref "
                f"AND (f.status NOT IN ({marks}) OR f.finished_at IS NULL "
                "OR f.finished_at > ?)) "
                "AND EXISTS (SELECT 1 FROM filings f WHERE f.applicant_ref = a.ref)",
                (*finished, cutoff),
            ).fetchall()
            vault_entries = files = 0
            touched = 0
            for ref, aadhaar_ref in rows:
                purged = self._vault.purge(aadhaar_ref)
                tx.execute(
                    "UPDATE applicants SET dsc_pin_sealed = NULL WHERE ref = ?", (ref,)
                )
                deleted = self._delete_evidence(tx, ref)
                vault_entries += int(purged)
                files += deleted
                touched += int(purged or deleted > 0)
            if touched:
                tx.changed(None, "purged")
        result = PurgeResult(touched, vault_entries, files)
        if touched:
            log.info(
                "Retention: purged %d Aadhaar number(s) and %d evidence file(s)",
                vault_entries,
                files,
            )
        return result

    def _delete_evidence(self, tx: _Transaction, ref: str) -> int:
        """Delete one applicant's evidence files and rows; returns files removed."""
        rows = tx.execute(
            "SELECT e.id, e.path FROM evidence e JOIN filings f ON f.id = e.filing_id "
            "WHERE f.applicant_ref = ?",
            (ref,),
        ).fetchall()
        removed = sum(self._remove_file(Path(path)) for _, path in rows)
        tx.execute(
            "DELETE FROM evidence WHERE filing_id IN "
            "(SELECT id FROM filings WHERE applicant_ref = ?)",
            (ref,),
        )
        return removed

    def _remove_file(self, path: Path) -> bool:
        # Only ever delete inside our own data folder, whatever a row says.
        root = self._data_dir.root.resolve()
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            log.warning(
                "Evidence file %s is outside the data folder; not deleted", path
            )
            return False
        try:
            resolved.unlink()
        except FileNotFoundError:
            return False
        return True

    def erase_applicant(self, ref: str, requested_by: str = "operator") -> None:
        """Erase everything about an applicant (DPDP Act right to erasure).

        Deletes evidence files, the vault entry, the applicant, its filings, steps and
        log lines. Only the consent trail keeps the ref, with an ``erased`` entry.

        Raises:
            InvalidTransition: one of its filings is running.
        """
        with self._write() as tx:
            row = tx.execute(
                "SELECT aadhaar_ref, services FROM applicants WHERE ref = ?", (ref,)
            ).fetchone()
            if row is None:
                raise UnknownApplicant(f"There is no applicant {ref} in the queue.")
            if tx.execute(
                "SELECT 1 FROM filings WHERE applicant_ref = ? AND status IN "
                "('running', 'waiting')",
                (ref,),
            ).fetchone():
                raise InvalidTransition(
                    f"A filing for {ref} is in progress; stop it before erasing."
                )
            self._delete_evidence(tx, ref)
            tx.execute("DELETE FROM applicants WHERE ref = ?", (ref,))
            self._vault.delete(row["aadhaar_ref"])
            self._audit(
                tx, ref, "erased", requested_by, _now(), _services_from(row["services"])
            )
            tx.changed(None, "erased")
        log.info("Applicant %s erased at %s's request", ref, requested_by)


_RECORDABLE_STATUSES = RETRYABLE_STATUSES | {FilingStatus.READY}

# What a result number looks like, per service.
_RESULT_FORMATS = {
    Service.UDYAM: (
        re.compile(r"UDYAM-[A-Z]{2}-\d{2}-\d{7}"),
        "a Udyam Registration Number",
        "UDYAM-TN-25-0001234",
    ),
    # FIXME(dsc): 10 digits is the simulator's application number; the real
    # eMudhra format was not found (PORTALS.md, #dscAppID).
    Service.DSC: (
        re.compile(r"\d{10}"),
        "an eMudhra application number",
        "10 digits, such as 0012345678",
    ),
}


def _checked_result(service: Service, number: str) -> str:
    """``number`` tidied (spaces gone, upper case) if it has the service's format."""
    tidy = "".join(number.split()).upper()
    pattern, kind, example = _RESULT_FORMATS[service]
    if not pattern.fullmatch(tidy):
        raise InvalidResult(
            f"'{number.strip()}' is not {kind}; it should look like {example}."
        )
    return tidy


def _make_private(database: Path) -> None:
    """Create the database owner-only (SQLite gives its -wal and -shm the same mode).

    Names, PANs and mobile numbers are personal data; other accounts on a shared
    computer have no business reading them.
    """
    if os.name != "posix":
        return  # %LOCALAPPDATA% is already private to the Windows user
    descriptor = os.open(database, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    if stat.S_IMODE(database.stat().st_mode) & 0o077:
        database.chmod(0o600)
        log.info("Made %s readable by this user only", database.name)


def _applicant_from_row(
    row: sqlite3.Row, aadhaar: AadhaarNumber, pin: str = ""
) -> Applicant:
    data = json.loads(row["data_json"])
    data["person"]["aadhaar"] = aadhaar
    if pin and data.get("dsc"):
        data["dsc"]["pin"] = pin
    services = _services_from(row["consent_services"])
    data["consent"] = (
        {
            "given_at": row["consent_given_at"],
            "given_by": row["consent_given_by"],
            "services": services,
            "note": row["consent_note"],
        }
        if services
        else None
    )
    return Applicant.model_validate(data)
