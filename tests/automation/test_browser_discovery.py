"""Finding the browser and driver offline, with fake installs that print versions."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from desktop_app.automation import browser as browser_module
from desktop_app.automation.browser import (
    BrowserOptions,
    BrowserSetupError,
    browser_switches,
    check_browser,
    find_browser,
)


def fake_program(path: Path, output: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def linux_env(tmp_path, monkeypatch):
    """An empty PATH with only our fake programs; the real /usr/bin is ignored."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setattr(
        browser_module,
        "driver_candidates",
        lambda platform=None, env=None: [bin_dir / "chromedriver"],
    )
    return {"PATH": str(bin_dir)}, bin_dir


def settings(**values):
    return SimpleNamespace(**values)


def test_matching_browser_and_driver_are_found(linux_env):
    env, bin_dir = linux_env
    browser = fake_program(
        bin_dir / "chromium", "Chromium 156.0.8078.114 built on Debian"
    )
    fake_program(bin_dir / "chromedriver", "ChromeDriver 156.0.8078.114 (abc)")
    found = check_browser(settings(chrome_path=browser), platform="linux", env=env)
    assert found.ok, found.problem
    assert found.browser_major == 156 and found.driver_major == 156
    assert found.driver_path == bin_dir / "chromedriver"


def test_mismatch_names_both_versions_and_the_fix(linux_env):
    env, bin_dir = linux_env
    browser = fake_program(bin_dir / "chromium", "Chromium 156.0.8078.114")
    fake_program(bin_dir / "chromedriver", "ChromeDriver 155.0.7000.1 (abc)")
    found = check_browser(settings(chrome_path=browser), platform="linux", env=env)
    assert not found.ok
    assert "ChromeDriver 155" in found.problem and "Chromium 156" in found.problem
    assert "Install chromium-driver 156 to match Chromium 156" in found.problem
    with pytest.raises(BrowserSetupError, match="155"):
        found.raise_for_problem()


def test_missing_driver_and_missing_configured_paths(linux_env, tmp_path):
    env, bin_dir = linux_env
    browser = fake_program(bin_dir / "chromium", "Chromium 156.0.8078.114")
    found = check_browser(settings(chrome_path=browser), platform="linux", env=env)
    assert "No ChromeDriver was found for Chromium 156" in found.problem

    gone = tmp_path / "nowhere" / "chromedriver"
    found = check_browser(
        settings(chrome_path=browser, chromedriver_path=gone), platform="linux", env=env
    )
    assert str(gone) in found.problem

    found = check_browser(
        settings(chrome_path=tmp_path / "no-chrome"), platform="linux"
    )
    assert "The browser set in Settings was not found" in found.problem


def test_linux_browser_is_found_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    fake = fake_program(bin_dir / "google-chrome-stable", "Google Chrome 156.0.1.2")
    assert find_browser(platform="linux", env={"PATH": str(bin_dir)}) in (
        fake,
        # A real install in /usr/bin comes after PATH only when PATH has none.
    )


def test_windows_version_comes_from_the_folder_next_to_chrome(tmp_path):
    local = tmp_path / "LocalAppData"
    application = local / "Google" / "Chrome" / "Application"
    chrome = application / "chrome.exe"
    chrome.parent.mkdir(parents=True)
    chrome.write_bytes(b"MZ not really")  # never executed
    (application / "155.0.1.1").mkdir()
    (application / "156.0.8078.114").mkdir()
    (application / "SetupMetrics").mkdir()
    env = {"LOCALAPPDATA": str(local)}

    found = find_browser(platform="win32", env=env, registry=lambda: [])
    assert found == chrome
    assert browser_module.browser_version(chrome, platform="win32") == "156.0.8078.114"


def test_windows_registry_app_path_is_used(tmp_path):
    chrome = tmp_path / "Custom" / "chrome.exe"
    chrome.parent.mkdir()
    chrome.write_bytes(b"MZ")
    found = find_browser(platform="win32", env={}, registry=lambda: [chrome])
    assert found == chrome


def test_windows_mismatch_advice_points_to_settings(tmp_path, monkeypatch):
    program_files = tmp_path / "Program Files"
    application = program_files / "Google" / "Chrome" / "Application"
    application.mkdir(parents=True)
    (application / "chrome.exe").write_bytes(b"MZ")
    (application / "156.0.8078.114").mkdir()
    driver = fake_program(
        tmp_path / "drivers" / "chromedriver.exe", "ChromeDriver 150.0.1.1"
    )
    found = check_browser(
        settings(chromedriver_path=driver),
        platform="win32",
        env={"PROGRAMFILES": str(program_files)},
        registry=lambda: [],
    )
    assert "ChromeDriver 150" in found.problem and "Chrome 156" in found.problem
    assert "set the path of chromedriver.exe in Settings" in found.problem


def test_missing_browser_message_per_platform(tmp_path):
    found = check_browser(None, platform="win32", env={}, registry=lambda: [])
    assert "Google Chrome was not found" in found.problem


def test_switches_cover_background_input_and_sandbox(tmp_path):
    options = BrowserOptions(
        headless=True, host_resolver_rules="MAP * ~NOTFOUND", window_position=(960, 0)
    )
    switches = browser_switches(options, tmp_path / "profile")
    assert "--disable-backgrounding-occluded-windows" in switches
    assert "--disable-blink-features=AutomationControlled" in switches
    assert "--headless=new" in switches
    assert f"--user-data-dir={tmp_path / 'profile'}" in switches
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in switches
    assert "--window-position=960,0" in switches
    assert ("--no-sandbox" in switches) == (os.geteuid() == 0)
    assert "--headless=new" not in browser_switches(BrowserOptions(), tmp_path)
