"""Portal data files: selectors, paths, OTP box counts and messages per portal.

Each ``resources/portals/<name>.json`` describes one portal. Flows ask for elements by
name (``config.locator("aadhaar")``), so a portal renaming an id is a data change, not
a code change. Files are validated at start; a bad file names itself and the key.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from selenium.webdriver.common.by import By

from desktop_app.paths import resource_path

log = logging.getLogger(__name__)

_BY = {
    "id": By.ID,
    "css": By.CSS_SELECTOR,
    "xpath": By.XPATH,
    "name": By.NAME,
}


class PortalConfigError(Exception):
    """A portal data file is missing or invalid; the message names file and key."""


class Selector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    by: Literal["id", "css", "xpath", "name"]
    value: str = Field(min_length=1)

    def locator(self) -> tuple[str, str]:
        return (_BY[self.by], self.value)


class PortalOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    # The page a filing (and check-portals) opens first, a key of ``paths``.
    first_page: str
    # Selector names that must be on the first page.
    first_page_selectors: list[str] = Field(default_factory=list)
    # Selector names whose values never go into evidence (screenshots, HTML).
    sensitive: list[str] = Field(default_factory=list)
    # Selector names of loaders/overlays that block the page during a postback.
    loaders: list[str] = Field(default_factory=list)
    # The first page shows its form only behind a one-time link that a filing follows
    # from another portal, so check-portals can see only that the host answers.
    entered_with_token: bool = False
    # Segmented OTP boxes: how many.
    otp_boxes: int | None = Field(default=None, ge=1, le=8)


class PortalConfig(BaseModel):
    """One portal's data file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    base_url: str
    paths: dict[str, str]
    selectors: dict[str, Selector]
    messages: dict[str, str] = Field(default_factory=dict)
    options: PortalOptions
    notes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_resolve(self) -> PortalConfig:
        if self.options.first_page not in self.paths:
            raise ValueError(
                f"options.first_page {self.options.first_page!r} is not in paths"
            )
        lists = {
            "first_page_selectors": self.options.first_page_selectors,
            "sensitive": self.options.sensitive,
            "loaders": self.options.loaders,
        }
        for key, names in lists.items():
            unknown = [name for name in names if name not in self.selectors]
            if unknown:
                raise ValueError(f"options.{key} names unknown selectors: {unknown}")
        for page, path in self.paths.items():
            if not path.startswith("/"):
                raise ValueError(f"paths.{page} must start with '/'")
        return self

    def locator(self, name: str) -> tuple[str, str]:
        """The Selenium locator of a named selector."""
        try:
            return self.selectors[name].locator()
        except KeyError:
            raise KeyError(f"portal {self.name} has no selector {name!r}") from None

    def locators(self, names: list[str]) -> list[tuple[str, str]]:
        return [self.locator(name) for name in names]

    def message(self, name: str) -> str:
        try:
            return self.messages[name]
        except KeyError:
            raise KeyError(f"portal {self.name} has no message {name!r}") from None

    def url(self, page: str, base_url: str | None = None) -> str:
        return (base_url or self.base_url).rstrip("/") + self.paths[page]

    def sensitive_locators(self) -> list[tuple[str, str]]:
        return self.locators(self.options.sensitive)

    def loader_locators(self) -> list[tuple[str, str]]:
        return self.locators(self.options.loaders)

    def otp_box_locators(
        self, prefix_selector: str = "otp_box"
    ) -> list[tuple[str, str]]:
        """``otp_box1`` … ``otp_boxN`` for the configured box count."""
        count = self.options.otp_boxes or 0
        return [self.locator(f"{prefix_selector}{n}") for n in range(1, count + 1)]


def portals_dir() -> Path:
    return resource_path("portals")


def load_portal_config(path: Path) -> PortalConfig:
    """Read and validate one file. Raises :class:`PortalConfigError`."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PortalConfigError(f"Cannot read portal file {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise PortalConfigError(
            f"Portal file {path} is not valid JSON: {error}"
        ) from error
    try:
        config = PortalConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(file)'}: {item['msg']}"
            for item in error.errors()
        )
        raise PortalConfigError(
            f"Portal file {path.name} is invalid: {problems}"
        ) from error
    if config.name != path.stem:
        raise PortalConfigError(
            f"Portal file {path.name} is invalid: name: {config.name!r} must match "
            f"the file name {path.stem!r}"
        )
    return config


def load_portal_configs(folder: Path | None = None) -> dict[str, PortalConfig]:
    """Every portal file in ``folder`` (default ``resources/portals``), validated."""
    folder = folder or portals_dir()
    files = sorted(folder.glob("*.json"))
    if not files:
        raise PortalConfigError(f"No portal files found in {folder}")
    configs = {}
    for path in files:
        config = load_portal_config(path)
        configs[config.name] = config
    log.debug("Loaded portal files: %s", ", ".join(configs))
    return configs
