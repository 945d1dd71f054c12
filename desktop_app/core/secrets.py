"""The eMudhra partner password: kept in the OS keyring, never in a file.

For unattended runs (a scheduled job, CI) the environment variables
``EMUDHRA_PARTNER_USER`` and ``EMUDHRA_PARTNER_PASSWORD`` take precedence over the
keyring. The user name itself is an ordinary setting
(:attr:`desktop_app.core.settings.Settings.partner_username`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import keyring
import keyring.errors

log = logging.getLogger(__name__)

PARTNER_SERVICE = "filing-desk/emudhra-partner"
ENV_USER = "EMUDHRA_PARTNER_USER"
ENV_PASSWORD = "EMUDHRA_PARTNER_PASSWORD"


class SecretStoreUnavailable(Exception):
    """There is no keyring to keep the password in; the message says what to do."""


@dataclass(frozen=True)
class PartnerCredentials:
    username: str
    password: str = field(repr=False)  # never shown in a traceback or log


def get_partner_password(username: str) -> str | None:
    """The partner password for ``username``, or None when none is stored.

    The environment wins when ``EMUDHRA_PARTNER_PASSWORD`` is set and
    ``EMUDHRA_PARTNER_USER`` is unset or names the same user.
    """
    env_password = os.environ.get(ENV_PASSWORD)
    env_user = os.environ.get(ENV_USER)
    if env_password and (not env_user or env_user == username):
        return env_password
    try:
        return keyring.get_password(PARTNER_SERVICE, username)
    except keyring.errors.NoKeyringError:
        log.warning(
            "No system keyring is available, so the eMudhra partner password cannot "
            "be looked up; set %s for unattended runs.",
            ENV_PASSWORD,
        )
        return None


def set_partner_password(username: str, password: str) -> None:
    """Keep the partner password in the system keyring.

    Raises:
        SecretStoreUnavailable: there is no keyring on this computer.
    """
    if not username:
        raise ValueError("Enter the partner user name first")
    try:
        keyring.set_password(PARTNER_SERVICE, username, password)
    except keyring.errors.NoKeyringError as error:
        raise SecretStoreUnavailable(
            "This computer has no password store (keyring), so the partner password "
            f"cannot be saved. Set {ENV_USER} and {ENV_PASSWORD} instead."
        ) from error
    log.info("eMudhra partner password saved in the system keyring for %s", username)


def delete_partner_password(username: str) -> None:
    try:
        keyring.delete_password(PARTNER_SERVICE, username)
    except keyring.errors.PasswordDeleteError:
        log.debug("No partner password was stored for %s", username)
    except keyring.errors.NoKeyringError as error:
        raise SecretStoreUnavailable("This computer has no password store.") from error


def partner_credentials(settings_username: str) -> PartnerCredentials | None:
    """User name (environment, else settings) and password, or None if incomplete."""
    username = os.environ.get(ENV_USER) or settings_username
    if not username:
        return None
    password = get_partner_password(username)
    return PartnerCredentials(username, password) if password else None
