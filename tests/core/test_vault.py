"""The Aadhaar vault: encryption, key storage in the keyring or an owner-only file."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.store import MIGRATIONS
from desktop_app.core.vault import (
    KEYRING_SERVICE,
    AadhaarVault,
    VaultEntryMissing,
    VaultEntryPurged,
    VaultError,
    keyring_username,
    load_or_create_key,
)
from desktop_app.paths import DataDir

try:
    from ._store_fixtures import AADHAAR_NUMBERS, MemoryKeyring, installed_keyring
    from ._store_fixtures import no_keyring as no_keyring_backend
except ImportError:
    from _store_fixtures import AADHAAR_NUMBERS, MemoryKeyring, installed_keyring
    from _store_fixtures import no_keyring as no_keyring_backend


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    with installed_keyring(backend):
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    with no_keyring_backend():
        yield


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    for statement in MIGRATIONS[0]:
        connection.execute(statement)
    yield connection
    connection.close()


def test_key_lives_in_the_keyring_one_per_data_folder(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    office_a, office_b = DataDir(tmp_path / "a"), DataDir(tmp_path / "b")

    key_a = load_or_create_key(office_a)
    key_b = load_or_create_key(office_b)

    assert len(key_a) == 32 and key_a != key_b
    assert load_or_create_key(office_a) == key_a
    usernames = {user for service, user in memory_keyring.passwords}
    assert usernames == {keyring_username(office_a), keyring_username(office_b)}
    assert {service for service, _ in memory_keyring.passwords} == {KEYRING_SERVICE}
    assert not office_a.key_file.exists()


def test_without_a_keyring_the_key_goes_to_an_owner_only_file(
    no_keyring: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = DataDir(tmp_path)

    with caplog.at_level(logging.WARNING, logger="desktop_app.core.vault"):
        key = load_or_create_key(data_dir)

    assert any("No system keyring" in r.getMessage() for r in caplog.records)
    assert load_or_create_key(data_dir) == key
    if os.name == "posix":
        assert stat.S_IMODE(data_dir.key_file.stat().st_mode) == 0o600
    assert list(tmp_path.glob("*.tmp")) == []


def test_existing_key_file_wins_over_a_keyring_installed_later(
    tmp_path: Path,
) -> None:
    data_dir = DataDir(tmp_path)
    with no_keyring_backend():
        key = load_or_create_key(data_dir)
    backend = MemoryKeyring()
    with installed_keyring(backend):
        assert load_or_create_key(data_dir) == key
    assert backend.passwords == {}


def test_threads_creating_the_key_file_at_once_agree_on_one_key(
    no_keyring: None, tmp_path: Path
) -> None:
    data_dir = DataDir(tmp_path)
    keys: list[bytes] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait(timeout=10)
        keys.append(load_or_create_key(data_dir))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(keys) == 6 and len(set(keys)) == 1
    assert list(tmp_path.glob("*.tmp")) == []


def test_damaged_key_file_is_reported(no_keyring: None, tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    data_dir.key_file.write_text("not base64 at all!")
    with pytest.raises(VaultError, match="damaged"):
        load_or_create_key(data_dir)


def test_put_get_round_trip_and_ciphertext_hides_the_digits(
    connection: sqlite3.Connection,
) -> None:
    vault = AadhaarVault(connection, os.urandom(32))

    refs = [vault.put(number) for number in AADHAAR_NUMBERS]

    assert [vault.get(ref) for ref in refs] == list(AADHAAR_NUMBERS)
    assert all(ref.startswith("AV-") for ref in refs) and len(set(refs)) == 3
    for (blob,) in connection.execute("SELECT ciphertext FROM vault"):
        assert not any(number.encode() in blob for number in AADHAAR_NUMBERS)


def test_ciphertext_is_bound_to_its_reference(connection: sqlite3.Connection) -> None:
    vault = AadhaarVault(connection, os.urandom(32))
    first, second = vault.put(AADHAAR_NUMBERS[0]), vault.put(AADHAAR_NUMBERS[1])
    # Copy the first entry's sealed number onto the second reference.
    connection.execute(
        "UPDATE vault SET (nonce, ciphertext) = (SELECT nonce, ciphertext FROM vault "
        "WHERE aadhaar_ref = ?) WHERE aadhaar_ref = ?",
        (first, second),
    )
    with pytest.raises(VaultError, match="cannot be opened"):
        vault.get(second)


def test_another_key_cannot_open_the_vault(connection: sqlite3.Connection) -> None:
    ref = AadhaarVault(connection, os.urandom(32)).put(AADHAAR_NUMBERS[0])
    with pytest.raises(VaultError):
        AadhaarVault(connection, os.urandom(32)).get(ref)


def test_purge_destroys_the_number_but_keeps_the_row(
    connection: sqlite3.Connection,
) -> None:
    vault = AadhaarVault(connection, os.urandom(32))
    ref = vault.put(AADHAAR_NUMBERS[2])

    assert vault.purge(ref) is True
    assert vault.purge(ref) is False

    with pytest.raises(VaultEntryPurged):
        vault.get(ref)
    assert vault.is_purged(ref)
    assert connection.execute(
        "SELECT nonce, ciphertext FROM vault WHERE aadhaar_ref = ?", (ref,)
    ).fetchone() == (None, None)
    with pytest.raises(VaultEntryMissing):
        vault.get("AV-unknown")


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "23412341234X"])
def test_put_refuses_anything_but_twelve_digits(
    connection: sqlite3.Connection, bad: str
) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        AadhaarVault(connection, os.urandom(32)).put(bad)
