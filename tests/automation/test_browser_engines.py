"""Both engines start offline; uc leaves the system driver alone; no orphans."""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from _local_site import LocalSite

from desktop_app.automation import browser as browser_module
from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    Browser,
    BrowserCheck,
    BrowserOptions,
    check_browser,
    close_all_browsers,
    open_browsers,
    process_table,
)
from desktop_app.paths import DataDir

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def check() -> BrowserCheck:
    found = check_browser(None)
    if not found.ok:
        pytest.skip(found.problem)
    return found


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with LocalSite() as running:
        yield running


@pytest.fixture
def data_dir(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data").ensure()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any download attempt by uc is recorded and fails; proxies lead nowhere."""
    import undetected_chromedriver.patcher as patcher

    attempts: list[str] = []

    def refuse(url: object, *args: object, **kwargs: object) -> None:
        attempts.append(str(url))
        raise OSError("network is not allowed in this test")

    monkeypatch.setattr(patcher, "urlopen", refuse)
    monkeypatch.setattr(patcher, "urlretrieve", refuse)
    # urllib builds its shared opener, proxies included, on the first urlopen: one
    # built here would send every later test's loopback request to the dead proxy.
    monkeypatch.setattr(urllib.request, "_opener", None)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return attempts


def options(engine: str) -> BrowserOptions:
    return BrowserOptions(
        engine=engine, headless=True, host_resolver_rules=OFFLINE_HOST_RULES
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.resolve().read_bytes()).hexdigest()


def processes_using(profile_root: Path) -> set[int]:
    """Live processes whose command line names a profile under ``profile_root``."""
    marker = str(profile_root)
    return {pid for pid, info in process_table().items() if marker in info.cmdline}


@pytest.mark.parametrize("engine", ["selenium", "undetected"])
def test_engine_starts_offline_and_loads_a_local_page(
    engine, check, site, data_dir, no_network
):
    with Browser(check, options(engine), data_dir) as browser:
        browser.driver.get(site.url("/typing"))
        assert browser.driver.title == "typing"
        assert browser.driver_pid in browser.alive_pids()
        assert browser.browser_pids & browser.alive_pids()
        webdriver_flag = browser.driver.execute_script("return navigator.webdriver")
    if engine == "undetected":
        assert webdriver_flag is False
    assert no_network == []


def test_uc_never_modifies_the_system_driver(check, data_dir, no_network):
    before = sha256(check.driver_path)
    with Browser(check, options("undetected"), data_dir) as browser:
        driver_file = Path(browser.driver.patcher.executable_path)
    assert sha256(check.driver_path) == before
    # The driver uc ran is the app's own patched copy under the data folder.
    assert driver_file.is_relative_to(data_dir.browser_cache)
    assert b"undetected chromedriver" in driver_file.read_bytes()
    assert sha256(driver_file) != before
    assert no_network == []


def test_two_uc_workers_start_at_once_without_a_race(check, data_dir, no_network):
    # A fresh data folder: the first two starts race to prepare the driver copy.
    browser_module._PREPARED.clear()
    errors: list[BaseException] = []
    titles: list[str] = []

    def worker() -> None:
        try:
            with Browser(check, options("undetected"), data_dir) as browser:
                browser.driver.get("data:text/html,<title>ok</title>")
                titles.append(browser.driver.title)
        except BaseException as error:  # collected and re-raised by the test
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert titles == ["ok", "ok"]


@pytest.mark.parametrize("engine", ["selenium", "undetected"])
def test_no_orphans_after_quit_and_profile_removed(engine, check, data_dir):
    profiles = data_dir.browser_cache / "profiles"
    browser = Browser(check, options(engine), data_dir).start()
    pids = browser.alive_pids()
    assert len(pids) >= 2 and processes_using(profiles)
    profile = browser.profile_dir
    assert profile is not None and profile.is_dir()

    browser.quit()

    assert not browser.alive_pids()
    assert not processes_using(profiles)
    assert not profile.exists()
    assert all(not Path(f"/proc/{pid}").exists() or _is_zombie(pid) for pid in pids)


def test_no_orphans_after_an_exception_inside_the_block(check, data_dir):
    profiles = data_dir.browser_cache / "profiles"
    browser = Browser(check, options("undetected"), data_dir)
    with pytest.raises(RuntimeError, match="filing broke"), browser:
        assert processes_using(profiles)
        raise RuntimeError("filing broke")
    assert not browser.alive_pids()
    assert not processes_using(profiles)


def test_close_all_browsers_ends_everything(check, data_dir):
    profiles = data_dir.browser_cache / "profiles"
    started = [
        Browser(check, options(engine), data_dir).start()
        for engine in ("selenium", "undetected")
    ]
    assert set(started) <= set(open_browsers())
    assert close_all_browsers() >= 2
    assert not open_browsers()
    assert not processes_using(profiles)
    assert not any(browser.alive_pids() for browser in started)
    assert not list(profiles.iterdir())


def test_a_killed_driver_still_leaves_no_browser(check, data_dir):
    """The driver dies first (a crash): quit() still finds and ends the browser."""
    profiles = data_dir.browser_cache / "profiles"
    browser = Browser(check, options("selenium"), data_dir).start()
    os.kill(browser.driver_pid, 9)
    browser.quit()
    assert not processes_using(profiles)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"
