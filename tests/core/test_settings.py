"""Settings (typed, described, versioned, saved atomically) and the partner password."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from desktop_app.core import secrets, settings
from desktop_app.core.settings import DEFAULT_PORTAL_URLS, Settings, SettingsError
from desktop_app.paths import DataDir

try:
    from ._store_fixtures import MemoryKeyring, installed_keyring, no_keyring
except ImportError:
    from _store_fixtures import MemoryKeyring, installed_keyring, no_keyring


@pytest.fixture
def data_dir(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path)


def _all_fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, info in model.model_fields.items():
        yield prefix + name, info
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _all_fields(annotation, prefix + name + ".")


def test_defaults_match_the_brief() -> None:
    defaults = Settings()
    assert defaults.browser_engine == "undetected" and defaults.headless is False
    assert defaults.concurrency == 1 and defaults.technical_retries == 2
    assert defaults.otp_attempts == 3 and defaults.evidence_retention_days == 30
    assert defaults.timeouts.operator_answer == 600
    assert defaults.portal_urls["udyam"] == "https://udyamregistration.gov.in"
    assert set(defaults.portal_urls) == set(DEFAULT_PORTAL_URLS)
    assert defaults.schema_version == settings.SCHEMA_VERSION


def test_every_field_is_described_and_none_holds_a_password() -> None:
    fields = dict(_all_fields(Settings))
    undocumented = [name for name, info in fields.items() if not info.description]
    assert undocumented == []
    assert not [name for name in fields if "password" in name or "secret" in name]


def test_missing_file_gives_defaults(data_dir: DataDir) -> None:
    assert settings.load(data_dir) == Settings()


def test_save_then_load_round_trips(data_dir: DataDir) -> None:
    chosen = Settings(
        browser_engine="selenium",
        chrome_path=Path("/opt/chrome/chrome"),
        concurrency=3,
        portal_urls={"udyam": "http://127.0.0.1:8301/"},
        office_email="desk@example.in",
    )
    chosen.timeouts.page_load = 90

    path = settings.save(chosen, data_dir)
    loaded = settings.load(data_dir)

    assert path == data_dir.settings and loaded == chosen
    assert loaded.portal_urls["udyam"] == "http://127.0.0.1:8301"
    assert loaded.portal_urls["emudhra"] == DEFAULT_PORTAL_URLS["emudhra"]
    assert json.loads(path.read_text())["schema_version"] == settings.SCHEMA_VERSION
    assert [p.name for p in data_dir.root.iterdir()] == ["settings.json"]


def test_a_failed_save_leaves_the_old_file_whole(
    data_dir: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.save(Settings(concurrency=2), data_dir)

    def broken_replace(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        settings.save(Settings(concurrency=4), data_dir)
    monkeypatch.undo()

    assert settings.load(data_dir).concurrency == 2
    assert [p.name for p in data_dir.root.iterdir()] == ["settings.json"]


@pytest.mark.parametrize(
    "values",
    [
        {"concurrency": 5},
        {"concurrency": 0},
        {"browser_engine": "firefox"},
        {"portal_urls": {"gst": "https://gst.gov.in"}},
        {"portal_urls": {"udyam": "ftp://udyam"}},
        {"timeouts": {"operator_answer": -1}},
        {"no_such_setting": True},
    ],
)
def test_invalid_values_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(values)


def test_broken_or_newer_files_are_reported(data_dir: DataDir) -> None:
    data_dir.settings.write_text("{ not json")
    with pytest.raises(SettingsError, match="not valid JSON"):
        settings.load(data_dir)

    data_dir.settings.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(SettingsError, match="newer"):
        settings.load(data_dir)

    data_dir.settings.write_text(json.dumps({"concurrency": 9}))
    with pytest.raises(SettingsError, match="concurrency"):
        settings.load(data_dir)


def test_older_files_are_migrated_step_by_step(
    data_dir: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend the current layout is version 3 and that two upgrades exist.
    def rename_timeout(raw: dict[str, Any]) -> dict[str, Any]:
        raw["timeouts"] = {"operator_answer": raw.pop("otp_wait_seconds")}
        return raw

    def drop_legacy(raw: dict[str, Any]) -> dict[str, Any]:
        raw.pop("legacy_flag", None)
        return raw

    monkeypatch.setattr(settings, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(settings, "MIGRATIONS", {1: rename_timeout, 2: drop_legacy})
    data_dir.settings.write_text(
        json.dumps({"schema_version": 1, "otp_wait_seconds": 300, "legacy_flag": 1})
    )

    loaded = settings.load(data_dir)

    assert loaded.timeouts.operator_answer == 300 and loaded.schema_version == 3


# ------------------------------------------------------------ partner password


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(secrets.ENV_USER, raising=False)
    monkeypatch.delenv(secrets.ENV_PASSWORD, raising=False)


def test_partner_password_lives_in_the_keyring(clean_env: None) -> None:
    backend = MemoryKeyring()
    with installed_keyring(backend):
        assert secrets.get_partner_password("desk01") is None
        secrets.set_partner_password("desk01", "s3cret-pass")
        assert secrets.get_partner_password("desk01") == "s3cret-pass"
        credentials = secrets.partner_credentials("desk01")
        secrets.delete_partner_password("desk01")
        assert secrets.get_partner_password("desk01") is None

    assert credentials is not None and credentials.password == "s3cret-pass"
    assert "s3cret-pass" not in repr(credentials)
    assert list(backend.passwords) == []


def test_environment_wins_for_unattended_runs(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secrets.ENV_USER, "robot")
    monkeypatch.setenv(secrets.ENV_PASSWORD, "from-env")
    with no_keyring():
        credentials = secrets.partner_credentials("desk01")
        assert secrets.get_partner_password("someone-else") is None
    assert credentials == secrets.PartnerCredentials("robot", "from-env")


def test_without_a_keyring_saving_explains_the_alternative(clean_env: None) -> None:
    with no_keyring():
        with pytest.raises(secrets.SecretStoreUnavailable, match=secrets.ENV_PASSWORD):
            secrets.set_partner_password("desk01", "pw")
        assert secrets.get_partner_password("desk01") is None
        assert secrets.partner_credentials("desk01") is None
