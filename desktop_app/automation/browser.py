"""Find Chrome and a matching ChromeDriver offline, start a browser, end every process.

Three layers:

* Discovery (:func:`check_browser`): which browser and driver to use and their versions,
  found without the network. A problem becomes a :class:`BrowserSetupError` whose
  message tells the operator what to install.
* Engines (:class:`SeleniumEngine`, :class:`UndetectedEngine`): how a driver is started.
  undetected-chromedriver patches its driver file in place (following symlinks), so it
  only ever sees the app's own patched copy under ``DataDir.browser_cache``.
* :class:`Browser`: one filing's browser. It owns a fresh profile folder, records the
  driver and browser process ids and, on :meth:`Browser.quit`, makes sure every one of
  them is gone. :func:`close_all_browsers` does the same for the whole app at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

EngineName = Literal["undetected", "selenium"]

_VERSION_PATTERN = re.compile(r"(\d+)\.(\d+)\.(\d+)\.(\d+)")
_VERSION_COMMAND_TIMEOUT = 15.0
# Seconds a process gets to end after SIGTERM before it is killed outright.
_TERMINATE_GRACE = 3.0
_KILL_GRACE = 2.0

# Switches every filing's browser gets; see docs in the module header of TOOLCHAIN.md:
# fewer background lookups, and windows that keep receiving input when covered.
BASE_SWITCHES = (
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-blink-features=AutomationControlled",
    # A fixed language keeps portal texts stable and stops uc guessing from the locale.
    "--lang=en-US",
)
# For tests: resolve nothing but the local simulators.
OFFLINE_HOST_RULES = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"

_CREATE_NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0x08000000)


class BrowserSetupError(Exception):
    """The browser or its driver cannot be used; the message says what to do."""


# ---------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrowserCheck:
    """What :func:`check_browser` found. ``problem`` is None when filing can start."""

    browser_path: Path | None
    browser_version: str | None
    driver_path: Path | None
    driver_version: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def browser_major(self) -> int | None:
        return _major(self.browser_version)

    @property
    def driver_major(self) -> int | None:
        return _major(self.driver_version)

    def raise_for_problem(self) -> None:
        """Raise :class:`BrowserSetupError` with the operator message, if any."""
        if self.problem is not None:
            raise BrowserSetupError(self.problem)

    def summary(self) -> str:
        if not self.ok:
            return str(self.problem)
        return (
            f"{browser_label(self.browser_path)} {self.browser_version} at "
            f"{self.browser_path}; ChromeDriver {self.driver_version} at "
            f"{self.driver_path}"
        )


def _major(version: str | None) -> int | None:
    if not version:
        return None
    return int(version.split(".", 1)[0])


def _platform(platform: str | None) -> str:
    return platform or sys.platform


def _is_windows(platform: str | None) -> bool:
    return _platform(platform).startswith("win")


def _is_mac(platform: str | None) -> bool:
    return _platform(platform) == "darwin"


def browser_label(path: Path | None) -> str:
    """ "Chromium" or "Chrome", as the operator sees it in the installed programs."""
    if path is not None and "chromium" in str(path).lower():
        return "Chromium"
    return "Chrome"


def parse_version(text: str) -> str | None:
    """The first ``a.b.c.d`` version number in ``text``."""
    match = _VERSION_PATTERN.search(text)
    return match.group(0) if match else None


def _run_version_command(executable: Path, platform: str | None = None) -> str | None:
    """Run ``executable --version`` (no window on Windows) and parse the answer."""
    # The real OS decides (tests simulate Windows paths on Linux).
    flags = _CREATE_NO_WINDOW if sys.platform.startswith("win") else 0
    try:
        finished = subprocess.run(
            [str(executable), "--version"],
            capture_output=True,
            text=True,
            timeout=_VERSION_COMMAND_TIMEOUT,
            creationflags=flags,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("Could not ask %s for its version: %s", executable, error)
        return None
    return parse_version(finished.stdout) or parse_version(finished.stderr)


def _windows_chrome_dirs(env: Mapping[str, str]) -> list[Path]:
    roots = [
        env.get(name)
        for name in (
            "PROGRAMFILES",
            "PROGRAMFILES(X86)",
            "PROGRAMW6432",
            "LOCALAPPDATA",
        )
    ]
    return [Path(root) / "Google" / "Chrome" / "Application" for root in roots if root]


def _windows_registry_chrome_paths() -> list[Path]:
    """``App Paths\\chrome.exe`` from HKLM and HKCU (the installer writes both)."""
    try:
        import winreg  # type: ignore[import-not-found]
    except ImportError:
        return []
    found = []
    key_name = r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\chrome.exe"
    for hive in (winreg.HKEY_LOCAL_MACHINE, winreg.HKEY_CURRENT_USER):
        try:
            with winreg.OpenKey(hive, key_name) as key:
                value, _kind = winreg.QueryValueEx(key, "")
        except OSError:
            continue
        if value:
            found.append(Path(str(value).strip('"')))
    return found


def browser_candidates(
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    registry: Callable[[], list[Path]] = _windows_registry_chrome_paths,
) -> list[Path]:
    """Places a browser may be installed, most likely first (may not exist)."""
    env = os.environ if env is None else env
    if _is_windows(platform):
        folders = _windows_chrome_dirs(env)
        return [folder / "chrome.exe" for folder in folders] + registry()
    if _is_mac(platform):
        apps = [Path("/Applications"), Path(env.get("HOME", "~")) / "Applications"]
        return [
            app / bundle
            for app in apps
            for bundle in (
                "Google Chrome.app/Contents/MacOS/Google Chrome",
                "Chromium.app/Contents/MacOS/Chromium",
            )
        ]
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    on_path = [shutil.which(name, path=env.get("PATH")) for name in names]
    fixed = [Path("/usr/bin") / name for name in names]
    return (
        [Path(p) for p in on_path if p] + fixed + [Path("/usr/lib/chromium/chromium")]
    )


def _is_executable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_browser(
    configured: Path | None = None,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    registry: Callable[[], list[Path]] = _windows_registry_chrome_paths,
) -> Path | None:
    """The browser to drive: the configured one, else the first installed candidate."""
    if configured is not None:
        return configured if configured.is_file() else None
    for candidate in browser_candidates(platform, env, registry):
        if _is_executable_file(candidate) or (
            _is_windows(platform) and candidate.is_file()
        ):
            return candidate
    return None


def _windows_version_folder(executable: Path) -> str | None:
    """Chrome on Windows sits beside a folder named after its version."""
    versions = [
        child.name
        for child in executable.parent.iterdir()
        if child.is_dir() and _VERSION_PATTERN.fullmatch(child.name)
    ]
    if not versions:
        return None
    return max(versions, key=lambda name: tuple(int(part) for part in name.split(".")))


def _windows_file_version(executable: Path) -> str | None:
    """The version resource of an .exe (Windows only; never starts the program)."""
    if not sys.platform.startswith("win"):
        return None
    import ctypes

    size = ctypes.windll.version.GetFileVersionInfoSizeW(str(executable), None)
    if not size:
        return None
    buffer = ctypes.create_string_buffer(size)
    if not ctypes.windll.version.GetFileVersionInfoW(str(executable), 0, size, buffer):
        return None
    pointer = ctypes.c_void_p()
    length = ctypes.c_uint()
    if not ctypes.windll.version.VerQueryValueW(
        buffer, "\\", ctypes.byref(pointer), ctypes.byref(length)
    ):
        return None
    # VS_FIXEDFILEINFO: dwFileVersionMS and dwFileVersionLS are its 3rd and 4th DWORDs.
    words = ctypes.cast(pointer, ctypes.POINTER(ctypes.c_uint32 * 4)).contents
    ms, ls = words[2], words[3]
    return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"


def browser_version(executable: Path, platform: str | None = None) -> str | None:
    """The browser's version, read offline; on Windows without starting Chrome."""
    if _is_windows(platform):
        return _windows_version_folder(executable) or _windows_file_version(executable)
    return _run_version_command(executable, platform)


def driver_version(executable: Path, platform: str | None = None) -> str | None:
    return _run_version_command(executable, platform)


def _app_folder() -> Path | None:
    """The folder of the frozen app's executable, where a bundled driver would sit."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return None


def driver_candidates(
    platform: str | None = None, env: Mapping[str, str] | None = None
) -> list[Path]:
    """Places a chromedriver may be, in order of preference (may not exist)."""
    env = os.environ if env is None else env
    exe = "chromedriver.exe" if _is_windows(platform) else "chromedriver"
    found: list[Path] = []
    app = _app_folder()
    if app is not None:
        found.append(app / exe)
    on_path = shutil.which(exe, path=env.get("PATH"))
    if on_path:
        found.append(Path(on_path))
    if not _is_windows(platform):
        found += [
            Path("/usr/bin/chromedriver"),
            Path("/usr/lib/chromium/chromedriver"),
            Path("/usr/lib/chromium-browser/chromedriver"),
            Path("/usr/local/bin/chromedriver"),
            Path("/opt/homebrew/bin/chromedriver"),
        ]
    return found


def _is_online(host: str = "googlechromelabs.github.io", timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _selenium_manager_driver(browser: Path) -> Path | None:
    """Ask Selenium Manager for a driver (downloads it). Only called when allowed."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    try:
        paths = SeleniumManager().binary_paths(
            ["--browser", "chrome", "--browser-path", str(browser)]
        )
    except WebDriverException as error:
        log.warning("Selenium Manager could not provide a driver: %s", error)
        return None
    driver = paths.get("driver_path")
    return Path(driver) if driver else None


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen: set[str] = set()
    result = []
    for path in paths:
        key = str(path)
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


def find_driver(
    browser_major: int | None,
    configured: Path | None = None,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Path | None, str | None]:
    """The driver to use and its version.

    A configured driver is used as it is (the check reports a mismatch). Otherwise the
    first candidate whose major version matches the browser wins; failing that the
    first one found is returned so the mismatch can be named.
    """
    if configured is not None:
        if not configured.is_file():
            return None, None
        return configured, driver_version(configured, platform)
    first: tuple[Path | None, str | None] = (None, None)
    for candidate in _unique(driver_candidates(platform, env)):
        if not candidate.is_file():
            continue
        version = driver_version(candidate, platform)
        if version is None:
            continue
        if browser_major is not None and _major(version) == browser_major:
            return candidate, version
        if first[0] is None:
            first = (candidate, version)
    return first


def _install_advice(browser: str, major: int | None, platform: str | None) -> str:
    wanted = f" {major}" if major else ""
    if _is_windows(platform):
        return (
            f"Download ChromeDriver{wanted} for Windows (from "
            "https://googlechromelabs.github.io/chrome-for-testing/), unzip it and set "
            "the path of chromedriver.exe in Settings."
        )
    if _is_mac(platform):
        return (
            f"Install ChromeDriver{wanted} (for example `brew install chromedriver`) "
            "or set its path in Settings."
        )
    if browser == "Chromium":
        return (
            f"Install chromium-driver{wanted} to match Chromium{wanted} "
            "(`sudo apt install chromium-driver`)."
        )
    return (
        f"Install ChromeDriver{wanted} to match Chrome{wanted} and set its path in "
        "Settings."
    )


def _missing_browser_message(configured: Path | None, platform: str | None) -> str:
    if configured is not None:
        return (
            f"The browser set in Settings was not found: {configured}. "
            "Correct the path or clear it to let Filing Desk find Chrome."
        )
    if _is_windows(platform):
        return (
            "Google Chrome was not found. Install it from "
            "https://www.google.com/chrome/ or set the path of chrome.exe in Settings."
        )
    if _is_mac(platform):
        return "Google Chrome was not found in Applications. Install Google Chrome."
    return (
        "Chromium or Google Chrome was not found. Install it "
        "(`sudo apt install chromium chromium-driver`) or set its path in Settings."
    )


def _setting_path(settings: Any, *names: str) -> Path | None:
    for name in names:
        value = getattr(settings, name, None)
        if value:
            return Path(value).expanduser()
    return None


def check_browser(
    settings: Any = None,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    registry: Callable[[], list[Path]] = _windows_registry_chrome_paths,
) -> BrowserCheck:
    """Find the browser and a matching driver without the network.

    Reads ``settings.chrome_path``, ``settings.chromedriver_path`` and
    ``settings.allow_selenium_manager`` (default False) when present. Run it before
    any filing starts; ``result.problem`` is the operator message when it cannot.
    """
    configured_browser = _setting_path(settings, "chrome_path", "browser_path")
    configured_driver = _setting_path(settings, "chromedriver_path", "driver_path")

    browser = find_browser(configured_browser, platform, env, registry)
    if browser is None:
        return BrowserCheck(
            None,
            None,
            None,
            None,
            _missing_browser_message(configured_browser, platform),
        )
    label = browser_label(browser)
    version = browser_version(browser, platform)
    if version is None:
        return BrowserCheck(
            browser,
            None,
            None,
            None,
            f"Could not read the version of {label} at {browser}. Reinstall it or set "
            "another browser in Settings.",
        )
    major = _major(version)

    driver, found_version = find_driver(major, configured_driver, platform, env)
    manager_allowed = bool(getattr(settings, "allow_selenium_manager", False))
    if driver is None and manager_allowed and _is_online():
        driver = _selenium_manager_driver(browser)
        found_version = driver_version(driver, platform) if driver else None
    return _judge(browser, version, driver, found_version, configured_driver, platform)


def _judge(
    browser: Path,
    version: str,
    driver: Path | None,
    found_version: str | None,
    configured_driver: Path | None,
    platform: str | None,
) -> BrowserCheck:
    label = browser_label(browser)
    major = _major(version)
    advice = _install_advice(label, major, platform)
    if driver is None:
        where = (
            f"The ChromeDriver set in Settings was not found: {configured_driver}. "
            if configured_driver is not None
            else f"No ChromeDriver was found for {label} {major}. "
        )
        return BrowserCheck(browser, version, None, None, where + advice)
    if found_version is None:
        problem = f"Could not read the version of ChromeDriver at {driver}. " + advice
        return BrowserCheck(browser, version, driver, None, problem)
    if _major(found_version) != major:
        problem = (
            f"ChromeDriver {_major(found_version)} ({driver}) does not match "
            f"{label} {major} ({browser}). " + advice
        )
        return BrowserCheck(browser, version, driver, found_version, problem)
    return BrowserCheck(browser, version, driver, found_version)


# ---------------------------------------------------------------------------------
# Launch options and engines
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrowserOptions:
    """How one browser is started."""

    engine: EngineName = "undetected"
    headless: bool = False
    # (x, y) and (width, height) so several windows can sit side by side.
    window_position: tuple[int, int] | None = None
    window_size: tuple[int, int] | None = None
    # Tests pass OFFLINE_HOST_RULES so nothing but 127.0.0.1 resolves.
    host_resolver_rules: str | None = None
    page_load_timeout: float = 60.0
    extra_switches: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> BrowserOptions:
        values: dict[str, Any] = {
            "engine": getattr(settings, "browser_engine", "undetected"),
            "headless": bool(getattr(settings, "headless", False)),
        }
        timeouts = getattr(settings, "timeouts", None)
        if timeouts is not None and hasattr(timeouts, "page_load"):
            values["page_load_timeout"] = float(timeouts.page_load)
        values.update(overrides)
        return cls(**values)


def needs_no_sandbox() -> bool:
    """Chromium refuses to start its sandbox as root on Linux."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


def browser_switches(options: BrowserOptions, profile_dir: Path) -> list[str]:
    """The command-line switches for one filing's browser."""
    switches = [*BASE_SWITCHES, f"--user-data-dir={profile_dir}"]
    if options.headless:
        switches.append("--headless=new")
    if needs_no_sandbox():
        switches.append("--no-sandbox")
    if options.host_resolver_rules:
        switches.append(f"--host-resolver-rules={options.host_resolver_rules}")
    if options.window_position:
        switches.append("--window-position={},{}".format(*options.window_position))
    if options.window_size:
        switches.append("--window-size={},{}".format(*options.window_size))
    switches.extend(options.extra_switches)
    return switches


@dataclass
class Launched:
    """A started driver and the process ids it is known to own."""

    driver: Any
    driver_pid: int | None
    browser_pid: int | None


class BrowserEngine(Protocol):
    name: str

    def launch(
        self, check: BrowserCheck, options: BrowserOptions, switches: list[str]
    ) -> Launched: ...


class SeleniumEngine:
    """Plain Selenium with an explicit driver path, so Selenium Manager never runs."""

    name = "selenium"

    def launch(
        self, check: BrowserCheck, options: BrowserOptions, switches: list[str]
    ) -> Launched:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        # Belt and braces: even a code path that forgets the explicit driver stays
        # offline and sends no usage statistics.
        os.environ["SE_OFFLINE"] = "true"
        os.environ["SE_AVOID_STATS"] = "true"
        chrome_options = webdriver.ChromeOptions()
        chrome_options.binary_location = str(check.browser_path)
        for switch in switches:
            chrome_options.add_argument(switch)
        # Hide the "controlled by automated software" bar, as uc does.
        chrome_options.add_experimental_option("excludeSwitches", ["enable-automation"])
        service_kwargs: dict[str, Any] = {"log_output": subprocess.DEVNULL}
        if sys.platform.startswith("win"):
            service_kwargs["creation_flags"] = _CREATE_NO_WINDOW
        service = Service(executable_path=str(check.driver_path), **service_kwargs)
        driver = webdriver.Chrome(service=service, options=chrome_options)
        return Launched(driver, service.process.pid, None)


# Preparing the patched driver copy happens once per process and driver file.
_PREPARE_LOCK = threading.Lock()
_PREPARED: dict[tuple[str, str], Path] = {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prepare_uc_driver(system_driver: Path, cache_dir: Path, version_main: int) -> Path:
    """The app's own patched copy of ``system_driver`` (created on first use).

    The system driver is only ever read. The copy is patched under a temporary name
    and moved into place whole, so no running driver is ever rewritten ("Text file
    busy") and two app instances cannot see a half-patched file.
    """
    import undetected_chromedriver as uc

    source = system_driver.resolve()
    with _PREPARE_LOCK:
        uc.Patcher.data_path = str(cache_dir / "uc-data")
        digest = _sha256(source)
        key = (str(cache_dir), digest)
        if key in _PREPARED and _PREPARED[key].is_file():
            return _PREPARED[key]
        exe = "chromedriver.exe" if sys.platform.startswith("win") else "chromedriver"
        target = cache_dir / "drivers" / f"{version_main}-{digest[:16]}" / exe
        if not (target.is_file() and _is_patched(target)):
            _patch_copy(source, target, version_main)
        _PREPARED[key] = target
        return target


def _is_patched(path: Path) -> bool:
    import undetected_chromedriver as uc

    return bool(uc.Patcher(executable_path=str(path)).is_binary_patched())


def _patch_copy(source: Path, target: Path, version_main: int) -> None:
    import undetected_chromedriver as uc

    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".exe" if target.suffix == ".exe" else ""
    handle, temporary_name = tempfile.mkstemp(
        prefix=".patching-", suffix=suffix, dir=target.parent
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        shutil.copyfile(source, temporary)
        temporary.chmod(0o755)
        patcher = uc.Patcher(executable_path=str(temporary), version_main=version_main)
        patcher.auto()
        if not patcher.is_binary_patched():
            raise BrowserSetupError(
                f"Could not prepare ChromeDriver {version_main} for the browser "
                f"({source}). Choose the 'selenium' browser engine in Settings."
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("Prepared the app's own ChromeDriver copy at %s", target)


# Browser processes uc started, kept until Browser.quit() has waited for them.
_UC_PROCESSES: dict[int, subprocess.Popen[bytes]] = {}


class _UcBrowserPopen(subprocess.Popen):  # type: ignore[type-arg]
    """The Popen uc uses to start the browser, made safe for long runs.

    uc drops its Popen object at once (Python then warns that the process still
    runs) and gives the browser stdout/stderr pipes nobody reads, which would stall
    Chromium once they fill. This keeps the object and sends the output nowhere.
    """

    def __init__(self, args: Any, **kwargs: Any) -> None:
        for stream in ("stdin", "stdout", "stderr"):
            if kwargs.get(stream) == subprocess.PIPE:
                kwargs[stream] = subprocess.DEVNULL
        super().__init__(args, **kwargs)
        _UC_PROCESSES[self.pid] = self


class _SubprocessForUc:
    """What uc sees as its ``subprocess`` module: the real one, but our Popen."""

    Popen = _UcBrowserPopen

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)


def _install_uc_popen() -> None:
    import undetected_chromedriver as uc

    # WORKAROUND for uc 3.5.5 starting Chrome with unread pipes (see _UcBrowserPopen).
    if not isinstance(uc.subprocess, _SubprocessForUc):
        uc.subprocess = _SubprocessForUc()


class UndetectedEngine:
    """undetected-chromedriver on the app's own patched driver copy; never downloads."""

    name = "undetected"

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def launch(
        self, check: BrowserCheck, options: BrowserOptions, switches: list[str]
    ) -> Launched:
        import undetected_chromedriver as uc

        assert check.driver_path is not None and check.browser_major is not None
        driver_copy = prepare_uc_driver(
            check.driver_path, self.cache_dir, check.browser_major
        )
        _install_uc_popen()
        chrome_options = uc.ChromeOptions()
        for switch in switches:
            if not switch.startswith("--headless"):  # uc wants the keyword instead
                chrome_options.add_argument(switch)
        # On Windows uc starts chromedriver through Selenium's Service, which hides
        # its console (STARTUPINFO with SW_HIDE); chrome.exe is a GUI program.
        driver = uc.Chrome(
            options=chrome_options,
            driver_executable_path=str(driver_copy),
            browser_executable_path=str(check.browser_path),
            version_main=check.browser_major,
            headless=options.headless,
            use_subprocess=True,
            user_multi_procs=False,
        )
        return Launched(driver, driver.service.process.pid, driver.browser_pid)


def engine_for(name: str, data_dir: DataDir) -> BrowserEngine:
    if name == "selenium":
        return SeleniumEngine()
    if name == "undetected":
        return UndetectedEngine(data_dir.browser_cache)
    raise BrowserSetupError(
        f"Unknown browser engine {name!r}: use 'undetected' or 'selenium'."
    )


# ---------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    parent: int
    state: str
    start_ticks: int
    cmdline: str


def process_table() -> dict[int, ProcessInfo]:
    """Every live process on Linux, read from /proc (zombies count as gone)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (
                (entry / "cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
        except OSError:  # the process ended while we looked
            continue
        # The command name is in parentheses and may contain spaces itself.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X"):
            continue
        pid = int(entry.name)
        table[pid] = ProcessInfo(
            pid, int(fields[1]), fields[0], int(fields[19]), cmdline
        )
    return table


def descendants(roots: Iterable[int], table: Mapping[int, ProcessInfo]) -> set[int]:
    """``roots`` and every process below them that is still alive."""
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.parent, []).append(info.pid)
    found: set[int] = set()
    pending = [pid for pid in roots if pid in table]
    while pending:
        pid = pending.pop()
        if pid in found:
            continue
        found.add(pid)
        pending.extend(children.get(pid, ()))
    return found


def _reap(pids: Iterable[int]) -> None:
    """Collect exit statuses of our own children so they do not linger as zombies."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _signal_all(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _windows_kill_tree(pid: int) -> None:
    subprocess.run(
        ["taskkill", "/T", "/F", "/PID", str(pid)],
        capture_output=True,
        creationflags=_CREATE_NO_WINDOW,
        timeout=30,
        check=False,
    )


def _windows_alive(pid: int) -> bool:
    finished = subprocess.run(
        ["tasklist", "/FI", f"PID eq {pid}", "/NH"],
        capture_output=True,
        text=True,
        creationflags=_CREATE_NO_WINDOW,
        timeout=30,
        check=False,
    )
    return str(pid) in finished.stdout


# ---------------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------------

_LIVE_LOCK = threading.Lock()
_LIVE: set[Browser] = set()


@dataclass(eq=False)
class Browser:
    """One filing's browser; a context manager that always ends its processes.

    Example::

        with Browser(check, options, data_dir) as browser:
            browser.driver.get(url)
    """

    check: BrowserCheck
    options: BrowserOptions
    data_dir: DataDir
    engine: BrowserEngine | None = None
    driver: Any = field(default=None, init=False)
    driver_pid: int | None = field(default=None, init=False)
    browser_pids: set[int] = field(default_factory=set, init=False)
    profile_dir: Path | None = field(default=None, init=False)
    # (pid, start time) pairs, so a recycled process id is never signalled.
    _known: dict[int, int] = field(default_factory=dict, init=False)
    _closed: bool = field(default=False, init=False)

    def start(self) -> Browser:
        """Start the driver and browser; on failure nothing is left running."""
        self.check.raise_for_problem()
        engine = self.engine or engine_for(self.options.engine, self.data_dir)
        profiles = self.data_dir.browser_cache / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        self.profile_dir = Path(tempfile.mkdtemp(prefix="profile-", dir=profiles))
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            launched = engine.launch(
                self.check,
                self.options,
                browser_switches(self.options, self.profile_dir),
            )
            self.driver = launched.driver
            self.driver_pid = launched.driver_pid
            if launched.browser_pid is not None:
                self.browser_pids.add(launched.browser_pid)
            self._remember_processes()
            self._apply_window_and_timeouts()
        except BaseException:
            self.quit()
            raise
        log.info(
            "Browser started (%s engine, driver pid %s, profile %s)",
            engine.name,
            self.driver_pid,
            self.profile_dir.name,
        )
        return self

    def _apply_window_and_timeouts(self) -> None:
        self.driver.set_page_load_timeout(self.options.page_load_timeout)
        # uc appends its own --window-size and --start-maximized after ours, so the
        # window is placed through WebDriver once it is up.
        if self.options.window_position or self.options.window_size:
            x, y = self.options.window_position or (0, 0)
            rect: dict[str, int] = {"x": x, "y": y}
            if self.options.window_size:
                rect["width"], rect["height"] = self.options.window_size
            self.driver.set_window_rect(**rect)

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.quit()

    # -- process bookkeeping -----------------------------------------------------

    def _remember_processes(self) -> None:
        """Record the driver's and browser's process trees as they are now."""
        if not sys.platform.startswith("linux"):
            return
        table = process_table()
        roots = {pid for pid in (self.driver_pid, *self.browser_pids) if pid}
        owned = descendants(roots, table)
        if self.profile_dir is not None:
            marker = f"--user-data-dir={self.profile_dir}"
            owned |= {pid for pid, info in table.items() if marker in info.cmdline}
        for pid in owned:
            self._known.setdefault(pid, table[pid].start_ticks)
        # The browser proper is the process the driver started (selenium) or the one
        # uc started itself; both carry our profile folder.
        self.browser_pids |= owned - {self.driver_pid}

    def alive_pids(self) -> set[int]:
        """Recorded processes that are still running (same pid and start time)."""
        if sys.platform.startswith("win"):
            roots = [pid for pid in (self.driver_pid, *self.browser_pids) if pid]
            return {pid for pid in roots if _windows_alive(pid)}
        table = process_table()
        return {
            pid
            for pid, started in self._known.items()
            if pid in table and table[pid].start_ticks == started
        }

    # -- ending ------------------------------------------------------------------

    def quit(self) -> None:
        """End the driver and every browser process, then remove the profile.

        Safe to call more than once and from :func:`close_all_browsers`.
        """
        with _LIVE_LOCK:
            if self._closed:
                return
            self._closed = True
            _LIVE.discard(self)
        with contextlib.suppress(OSError):
            self._remember_processes()
        self._quit_driver()
        self._end_leftovers()
        self._remove_profile()

    def _quit_driver(self) -> None:
        if self.driver is None:
            return
        from selenium.common.exceptions import WebDriverException
        from urllib3.exceptions import HTTPError

        try:
            self.driver.quit()
        except (WebDriverException, HTTPError, OSError) as error:
            log.debug("driver.quit() failed, ending processes directly: %s", error)
        # uc's own finaliser would signal browser_pid again later, when that number
        # may belong to another program; our leftover sweep owns the browser now.
        if hasattr(self.driver, "browser_pid"):
            uc_process = _UC_PROCESSES.pop(self.driver.browser_pid, None)
            self.driver.browser_pid = None
            if uc_process is not None:
                self._wait_or_kill(uc_process)
        service = getattr(self.driver, "service", None)
        process = getattr(service, "process", None)
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                process.wait(timeout=_KILL_GRACE)

    @staticmethod
    def _wait_or_kill(process: subprocess.Popen[bytes]) -> None:
        try:
            process.wait(timeout=_TERMINATE_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_KILL_GRACE)

    def _end_leftovers(self) -> None:
        if sys.platform.startswith("win"):
            for pid in [p for p in (self.driver_pid, *self.browser_pids) if p]:
                _windows_kill_tree(pid)
            return
        _reap(self._known)
        leftovers = self.alive_pids()
        if not leftovers:
            return
        log.debug("Ending %d leftover browser processes", len(leftovers))
        _signal_all(leftovers, signal.SIGTERM)
        if self._wait_gone(_TERMINATE_GRACE):
            return
        _signal_all(self.alive_pids(), signal.SIGKILL)
        if not self._wait_gone(_KILL_GRACE):
            log.error("Browser processes did not end: %s", sorted(self.alive_pids()))

    def _wait_gone(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            _reap(self._known)
            if not self.alive_pids():
                return True
            time.sleep(0.05)
        return not self.alive_pids()

    def _remove_profile(self) -> None:
        if self.profile_dir is None:
            return
        deadline = time.monotonic() + _KILL_GRACE
        while True:
            try:
                shutil.rmtree(self.profile_dir)
                return
            except FileNotFoundError:
                return
            except OSError as error:  # a process still writing, or Windows file locks
                if time.monotonic() >= deadline:
                    log.warning(
                        "Could not remove browser profile %s: %s",
                        self.profile_dir,
                        error,
                    )
                    return
                time.sleep(0.1)


def start_browser(
    check: BrowserCheck, options: BrowserOptions, data_dir: DataDir
) -> Browser:
    """A started :class:`Browser` (use it as a context manager or call quit())."""
    return Browser(check, options, data_dir).start()


def open_browsers() -> list[Browser]:
    with _LIVE_LOCK:
        return list(_LIVE)


def close_all_browsers() -> int:
    """Quit every browser this process started and has not quit yet (app shutdown)."""
    browsers = open_browsers()
    for browser in browsers:
        browser.quit()
    if browsers:
        log.info("Closed %d browser(s) at shutdown", len(browsers))
    return len(browsers)


atexit.register(close_all_browsers)
