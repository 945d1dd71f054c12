"""Two visible browsers side by side under Xvfb both receive typed input."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _local_site import LocalSite

from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    Browser,
    BrowserOptions,
    check_browser,
)
from desktop_app.automation.page import PageActions, by_id
from desktop_app.paths import DataDir

pytestmark = pytest.mark.browser


def _free_display() -> int:
    for number in range(97, 140):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    display = f":{_free_display()}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    socket_file = Path(f"/tmp/.X11-unix/X{display[1:]}")
    while not socket_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            server.wait()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    monkeypatch.setenv("DISPLAY", display)
    try:
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_two_headed_windows_type_concurrently(xvfb, tmp_path):
    check = check_browser(None)
    if not check.ok:
        pytest.skip(check.problem)
    data_dir = DataDir(tmp_path / "data").ensure()
    text = {0: "LEFTWINDOW1234", 1: "RIGHTWINDOW5678"}
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def filing(slot: int) -> None:
        options = BrowserOptions(
            engine="undetected",
            headless=False,
            window_position=(slot * 960, 0),
            window_size=(960, 1000),
            host_resolver_rules=OFFLINE_HOST_RULES,
        )
        try:
            with LocalSite() as site, Browser(check, options, data_dir) as browser:
                page = PageActions(browser.driver)
                page.open(site.url("/typing"))
                for _ in range(3):  # a few rounds so the typing really overlaps
                    page.type_text(by_id("plain"), text[slot])
                results[slot] = page.value(by_id("plain"))
                results[slot + 10] = str(browser.driver.get_window_rect()["x"])
        except BaseException as error:  # re-raised by the test
            errors.append(error)

    threads = [threading.Thread(target=filing, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert results[0] == text[0] and results[1] == text[1]
    # The windows really sit side by side.
    assert int(results[10]) < int(results[11])
    assert os.environ["DISPLAY"] == xvfb
