"""Fixtures every test shares: an isolated keyring and leak checks.

Any test that leaves a non-daemon thread or a browser/driver process running fails:
a leak in a test is a leak in an operator's day.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Selenium Manager must never reach for the network from a test.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

BROWSER_NAMES = ("chromium", "chrome", "chromedriver", "undetected_chro")
LEAK_GRACE_SECONDS = 5.0


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives and dies with the test session; nothing reaches the OS."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def restored_root_logger() -> Iterator[None]:
    """Take off the handlers a test's CLI call put on the root logger.

    Otherwise they outlive the test: a console handler keeps writing to the stderr
    pytest captured (and closed) for it, and a file handler into a deleted folder.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _is_helper_process(pid: int, name: str) -> bool:
    """Renderers, GPU and crash helpers come and go with the browser that owns them."""
    if "crashpad" in name:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"--type=" in cmdline


def _descendant_browser_pids() -> set[int]:
    """Driver and main browser processes started (directly or not) by this test process.

    Only those are counted, so a browser shared by a module's tests does not look like a
    leak when it opens a new renderer during a test.
    """
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name sits in parentheses and may itself contain spaces.
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":  # zombies are gone for our purposes
            continue
        parents[int(entry.name)] = int(fields[1])
        names[int(entry.name)] = name
    me = os.getpid()
    found = set()
    for pid, name in names.items():
        if not name.lower().startswith(BROWSER_NAMES) or _is_helper_process(pid, name):
            continue
        ancestor = parents.get(pid)
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor == me:
            found.add(pid)
    return found


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(autouse=True)
def no_leaked_threads_or_browsers():
    threads_before = set(threading.enumerate())
    linux = Path("/proc/self/stat").exists()
    browsers_before = _descendant_browser_pids() if linux else set()
    yield

    def new_threads() -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t not in threads_before and t.is_alive() and not t.daemon
        ]

    def new_browsers() -> set[int]:
        return _descendant_browser_pids() - browsers_before if linux else set()

    _wait_until(lambda: not new_threads() and not new_browsers(), LEAK_GRACE_SECONDS)
    leaked_threads = new_threads()
    leaked_browsers = new_browsers()
    assert not leaked_threads, f"test left threads running: {leaked_threads}"
    assert not leaked_browsers, (
        f"test left browser processes running: {leaked_browsers}"
    )
