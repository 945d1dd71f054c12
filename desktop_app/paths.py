"""Where the app keeps its files: the per-user data dir and the bundled resources."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

from desktop_app import APP_SLUG


def default_data_dir() -> Path:
    """The per-user data folder (``%LOCALAPPDATA%`` on Windows), never the program's."""
    return Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False))


def resources_dir() -> Path:
    """The ``resources/`` folder, from a source checkout or inside a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


class DataDir:
    """The layout of one data folder; every run of the app works inside exactly one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def database(self) -> Path:
        return self.root / "filing-desk.sqlite3"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def browser_cache(self) -> Path:
        """App-owned chromedriver copies (undetected-chromedriver patches its copy)."""
        return self.root / "browser"

    @property
    def key_file(self) -> Path:
        """Fallback vault key, used only where the OS has no keyring backend."""
        return self.root / "vault.key"

    def ensure(self) -> DataDir:
        for folder in (self.root, self.logs, self.evidence, self.browser_cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self
