"""The Aadhaar vault: the only place a full Aadhaar number is kept, encrypted.

Modelled on UIDAI's Aadhaar Data Vault: every other table holds a random reference
(``AV-<hex>``) instead of the number. Each entry is sealed with AES-256-GCM; the
reference is the associated data, so a ciphertext copied onto another row will not
open. The rows live in the store's SQLite file (table ``vault``); the vault runs its
statements on the connection it is given and never commits, so a ``put`` is part of
the caller's transaction.

The key is 32 random bytes kept in the OS keyring (service ``filing-desk``, one
username per data folder, so separate books get separate keys). Where the OS offers
no keyring (headless Linux, for one) the key goes to ``vault.key`` in the data folder,
readable by the owner only, and a warning is logged: anyone who copies the whole folder
then has both the lock and the key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import sqlite3
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

KEYRING_SERVICE = "filing-desk"
KEY_BYTES = 32
NONCE_BYTES = 12
REF_PREFIX = "AV-"


class VaultError(Exception):
    """Something is wrong with the vault or its key; the message is for the operator."""


class VaultEntryMissing(VaultError):
    """No entry for this reference."""


class VaultEntryPurged(VaultError):
    """The number was purged after the retention period or on erasure."""


def keyring_username(data_dir: DataDir) -> str:
    """The keyring username for one data folder: a hash of its resolved path."""
    digest = hashlib.sha256(str(data_dir.root.resolve()).encode("utf-8")).hexdigest()
    return f"vault-{digest[:24]}"


def load_or_create_key(data_dir: DataDir) -> bytes:
    """The vault key of ``data_dir``: from its key file, the keyring, or a new one.

    An existing key file wins over the keyring, so a folder that started without a
    keyring keeps opening after one is installed.

    Raises:
        VaultError: the stored key is damaged or unreadable.
    """
    if data_dir.key_file.exists():
        return _read_key_file(data_dir.key_file)
    username = keyring_username(data_dir)
    try:
        return _key_from_keyring(username)
    except keyring.errors.NoKeyringError:
        log.warning(
            "No system keyring is available; the Aadhaar vault key is kept in %s "
            "(readable by this user only). Keep this folder private.",
            data_dir.key_file,
        )
        data_dir.root.mkdir(parents=True, exist_ok=True)
        return _create_key_file(data_dir.key_file)


def _key_from_keyring(username: str) -> bytes:
    # The "fail" backend is what keyring picks when nothing else is usable.
    if isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring):
        raise keyring.errors.NoKeyringError("no usable keyring backend")
    stored = keyring.get_password(KEYRING_SERVICE, username)
    if stored is not None:
        return _decode_key(stored, source="the system keyring")
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    keyring.set_password(KEYRING_SERVICE, username, base64.b64encode(key).decode())
    log.info("Created a new Aadhaar vault key in the system keyring")
    return key


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise VaultError(f"The Aadhaar vault key in {source} is damaged.") from error
    if len(key) != KEY_BYTES:
        raise VaultError(f"The Aadhaar vault key in {source} has the wrong length.")
    return key


def _read_key_file(path: Path) -> bytes:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning(
            "The vault key file %s is readable by other users; fix with chmod 600", path
        )
    return _decode_key(path.read_text(encoding="ascii"), source=str(path))


# FIXME(vault): on Windows without a keyring the key file should be sealed with DPAPI
# (CryptProtectData) rather than rely on the folder being private to the user.
def _create_key_file(path: Path) -> bytes:
    """Write a new key so that no reader ever sees a half-written file.

    The key goes to an owner-only temporary file first and is then hard-linked into
    place; if another process got there first, its key is used instead.
    """
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(key).decode())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            _publish_exclusively(temporary, path)
        except FileExistsError:
            return _read_key_file(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return key


def _publish_exclusively(source: Path, target: Path) -> None:
    """Give ``source`` the name ``target``, failing if ``target`` already exists."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        # No hard links (FAT, some network drives). On Windows rename refuses to
        # overwrite; on POSIX the window between the check and the rename is tiny.
        if target.exists():
            raise FileExistsError(target) from None
        os.rename(source, target)


class AadhaarVault:
    """Seals and opens Aadhaar numbers in the ``vault`` table of a store.

    Args:
        connection: the store's connection; the caller owns transactions and locking.
        key: 32 bytes from :func:`load_or_create_key`.
    """

    def __init__(self, connection: sqlite3.Connection, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise VaultError("The Aadhaar vault key has the wrong length.")
        self._connection = connection
        self._cipher = AESGCM(key)

    def put(self, digits: str) -> str:
        """Seal ``digits`` (12 of them) and return the new reference."""
        if len(digits) != 12 or not digits.isdigit():
            raise ValueError("An Aadhaar number has exactly 12 digits")
        ref = f"{REF_PREFIX}{secrets.token_hex(12)}"
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._cipher.encrypt(nonce, digits.encode("ascii"), ref.encode())
        self._connection.execute(
            "INSERT INTO vault (aadhaar_ref, nonce, ciphertext, created_at, purged) "
            "VALUES (?, ?, ?, ?, 0)",
            (ref, nonce, ciphertext, _now_text()),
        )
        return ref

    def seal(self, secret: str, bound_to: str) -> bytes:
        """Encrypt a short secret (a DSC PIN) for a column of its own row.

        ``bound_to`` (the applicant's ref) is authenticated with it, so a sealed value
        copied onto another row does not open.
        """
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._cipher.encrypt(nonce, secret.encode(), bound_to.encode())

    def unseal(self, sealed: bytes, bound_to: str) -> str:
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._cipher.decrypt(nonce, ciphertext, bound_to.encode()).decode()
        except InvalidTag as error:
            raise VaultError(
                "A sealed value does not open with this computer's key."
            ) from error

    def get(self, ref: str) -> str:
        """The 12 digits behind ``ref``.

        Raises:
            VaultEntryMissing: no such reference.
            VaultEntryPurged: the number has been purged.
            VaultError: the entry does not open with this folder's key.
        """
        row = self._connection.execute(
            "SELECT nonce, ciphertext, purged FROM vault WHERE aadhaar_ref = ?", (ref,)
        ).fetchone()
        if row is None:
            raise VaultEntryMissing(f"No Aadhaar number is stored under {ref}.")
        nonce, ciphertext, purged = row
        if purged:
            raise VaultEntryPurged(
                "This applicant's Aadhaar number was deleted after the retention "
                "period; import the applicant again to file for them."
            )
        try:
            return self._cipher.decrypt(nonce, ciphertext, ref.encode()).decode("ascii")
        except InvalidTag as error:
            raise VaultError(
                "The Aadhaar vault cannot be opened with this computer's key. Was the "
                "data folder copied from another computer or user account?"
            ) from error

    def is_purged(self, ref: str) -> bool:
        row = self._connection.execute(
            "SELECT purged FROM vault WHERE aadhaar_ref = ?", (ref,)
        ).fetchone()
        if row is None:
            raise VaultEntryMissing(f"No Aadhaar number is stored under {ref}.")
        return bool(row[0])

    def purge(self, ref: str) -> bool:
        """Destroy the ciphertext but keep the row; True if something was purged."""
        cursor = self._connection.execute(
            "UPDATE vault SET nonce = NULL, ciphertext = NULL, purged = 1, "
            "purged_at = ? WHERE aadhaar_ref = ? AND purged = 0",
            (_now_text(), ref),
        )
        return cursor.rowcount > 0

    def delete(self, ref: str) -> None:
        """Remove the row entirely (erasure); no other row may still point at it."""
        self._connection.execute("DELETE FROM vault WHERE aadhaar_ref = ?", (ref,))


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
