"""The app's settings: one typed model, stored as ``settings.json`` in the data folder.

Every field has a default and a description (the settings dialog shows it as help).
The file carries a ``schema_version``; :data:`MIGRATIONS` upgrades an older file step
by step before it is validated, so a renamed field never silently resets. A file from
a newer app is refused rather than overwritten with defaults.

Secrets are not settings: the eMudhra partner password lives in the OS keyring
(:mod:`desktop_app.core.secrets`) and never in this file.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

# The four portals and their real addresses (docs/ARCHITECTURE.md).
DEFAULT_PORTAL_URLS: dict[str, str] = {
    "emudhra-partner": "https://partners.emudhradigital.com",
    "emudhra": "https://emudhradigital.com",
    "emudhra-aadhaar": "https://aadhaarauth.e-mudhra.com",
    "udyam": "https://udyamregistration.gov.in",
}

# MIGRATIONS[n] turns the raw dict of a version-n file into version n + 1.
Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


class SettingsError(Exception):
    """The settings file cannot be used; the message is for the operator."""


class Timeouts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_load: float = Field(
        default=60,
        gt=0,
        le=600,
        description="Seconds to wait for a portal page to load.",
    )
    element: float = Field(
        default=20,
        gt=0,
        le=300,
        description="Seconds to wait for a field or button to appear on a page.",
    )
    operator_answer: float = Field(
        default=600,
        gt=0,
        le=3600,
        description="Seconds to wait for the operator to type an OTP or captcha "
        "before the filing is stopped.",
    )


class Settings(BaseModel):
    """Everything an office can change; defaults suit a single operator."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    schema_version: int = Field(
        default=SCHEMA_VERSION, description="Version of this file's layout."
    )
    browser_engine: Literal["undetected", "selenium"] = Field(
        default="undetected",
        description="How Chrome is driven: 'undetected' passes the eMudhra bot check; "
        "'selenium' is plain Selenium, for troubleshooting.",
    )
    chrome_path: Path | None = Field(
        default=None,
        description="Chrome or Chromium to use; empty means find it automatically.",
    )
    chromedriver_path: Path | None = Field(
        default=None,
        description="ChromeDriver matching that Chrome; empty means the bundled or "
        "cached copy.",
    )
    allow_selenium_manager: bool = Field(
        default=False,
        description="Let Selenium download a matching ChromeDriver when none is found "
        "(needs the internet; off so the app never downloads anything by itself).",
    )
    headless: bool = Field(
        default=False,
        description="Run Chrome without a window (only for unattended tests; the "
        "operator normally watches the browser).",
    )
    portal_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PORTAL_URLS),
        description="Address of each portal; change only to use the simulated portals.",
    )
    concurrency: int = Field(
        default=1, ge=1, le=4, description="How many browsers file at the same time."
    )
    timeouts: Timeouts = Field(
        default_factory=Timeouts, description="How long to wait for pages and people."
    )
    technical_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="How often a filing is retried after a technical failure "
        "(timeouts, browser crashes). Portal refusals are never retried.",
    )
    otp_attempts: int = Field(
        default=3, ge=1, le=5, description="How many wrong OTPs are allowed per step."
    )
    evidence_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days after a filing finishes before its screenshots and the "
        "applicant's Aadhaar number are deleted.",
    )
    office_email: str = Field(
        default="", description="The office's e-mail address, shown in exports."
    )
    partner_username: str = Field(
        default="",
        description="eMudhra partner portal user name (the password is kept in the "
        "system keyring, never here).",
    )
    otp_command: str = Field(
        default="",
        description="Optional program that supplies OTPs for unattended runs; empty "
        "means ask the operator.",
    )

    @field_validator("portal_urls")
    @classmethod
    def _check_portals(cls, urls: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(urls) - set(DEFAULT_PORTAL_URLS))
        if unknown:
            raise ValueError(f"unknown portal name(s): {', '.join(unknown)}")
        for name, url in urls.items():
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"the address of {name} must start with https://")
        # A file that names only some portals keeps the defaults for the others.
        return {**DEFAULT_PORTAL_URLS, **{k: v.rstrip("/") for k, v in urls.items()}}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a raw settings dict to :data:`SCHEMA_VERSION`."""
    version = int(raw.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise SettingsError(
            f"settings.json was written by a newer Filing Desk (version {version}); "
            "update the app or move the file away."
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](dict(raw))
        version += 1
        raw["schema_version"] = version
        log.info("Settings upgraded to version %d", version)
    return raw


def load(data_dir: DataDir) -> Settings:
    """The settings of ``data_dir``; defaults when there is no file yet.

    Raises:
        SettingsError: the file is not valid JSON or has invalid values.
    """
    path = data_dir.settings
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(raw, dict):
        raise SettingsError(f"{path} does not hold a settings object.")
    try:
        return Settings.model_validate(migrate(raw))
    except ValidationError as error:
        raise SettingsError(f"{path} has invalid settings:\n{error}") from error


def set_aside(data_dir: DataDir) -> Path:
    """Rename an unreadable ``settings.json`` so saving the defaults cannot erase it.

    Returns the new name (``settings.broken-YYYYMMDD-HHMMSS.json``).
    """
    path = data_dir.settings
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.stem}.broken-{stamp}{path.suffix}")
    path.replace(kept)
    return kept


def save(settings: Settings, data_dir: DataDir) -> Path:
    """Write ``settings.json`` atomically (temporary file, then replace)."""
    path = data_dir.settings
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    text = settings.model_dump_json(indent=2) + "\n"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
