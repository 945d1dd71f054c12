"""The PyInstaller bundle: build it once, then start the frozen app and use it.

The first part checks the build helpers in ``scripts/build.py`` (fast, no build).
The ``slow`` part builds ``build.spec`` into a temporary folder (about a minute and
a half on two busy cores) and proves the frozen app opens its window, writes only to
the per-user data folder, finds Chrome like the source install, drives it against
the simulated portals and, once a flow exists, files a demo applicant.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import types
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

import desktop_app

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build.py"
SAMPLES = ROOT / "resources" / "samples" / "applicants.csv"
IS_LINUX = sys.platform.startswith("linux")
BUILD_TIMEOUT = 900.0
RUN_TIMEOUT = 120.0
PREBUILT_VARIABLE = "FILING_DESK_FROZEN_APP"

# stderr lines the frozen smoke test may print; any other line fails the test.
ALLOWED_STDERR = (
    # Qt's offscreen platform cannot size a window from hints; harmless.
    re.compile(r"This plugin does not support propagateSizeHints\(\)"),
    # A CI box (and this test's empty HOME) has no keyring service.
    re.compile(r".*WARNING +desktop_app\.core\.vault: No system keyring is available"),
)


def _load_build_helpers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("filing_desk_build", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


helpers = _load_build_helpers()


# --------------------------------------------------------------- the helpers


def test_version_is_read_from_the_package_without_importing_it(tmp_path: Path):
    assert helpers.read_version(ROOT / "desktop_app" / "__init__.py") == (
        desktop_app.__version__
    )
    other = tmp_path / "__init__.py"
    other.write_text('"""Doc."""\nAPP = "x"\n__version__ = "2.5.1rc2"\n')
    assert helpers.read_version(other) == "2.5.1rc2"
    other.write_text('APP = "x"\n')
    with pytest.raises(ValueError, match="__version__"):
        helpers.read_version(other)


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2.5.1rc2", (2, 5, 1, 0)),
        ("3.0.0+local.7", (3, 0, 0, 0)),
        ("10.20.30.40", (10, 20, 30, 0)),
    ],
)
def test_windows_version_numbers(version: str, numbers: tuple[int, ...]):
    assert helpers.version_tuple(version) == numbers


@pytest.fixture
def windows_versioninfo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """PyInstaller's version-info module, importable off Windows for the test."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed")
    import PyInstaller.compat

    # It imports pefile and win32api at the top but needs them only to write
    # into or read from an .exe, which these tests do not do.
    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(
        PyInstaller.compat, "win32api", types.ModuleType("win32api"), raising=False
    )
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", False)
    from PyInstaller.utils.win32 import versioninfo

    return versioninfo


def test_version_resource_carries_the_package_version(
    windows_versioninfo: ModuleType, tmp_path: Path
):
    info = helpers.version_resource("2.5.1rc2", "Filing Desk", "desktop-app")

    text = str(info)
    assert "filevers=(2, 5, 1, 0)" in text and "prodvers=(2, 5, 1, 0)" in text
    assert "StringStruct('ProductVersion', '2.5.1rc2')" in text
    assert "StringStruct('OriginalFilename', 'desktop-app.exe')" in text
    # What PyInstaller does with it on Windows: the text form must load back.
    saved = tmp_path / "version.txt"
    saved.write_text(text, encoding="utf-8")
    loaded = windows_versioninfo.load_version_info_from_text_file(str(saved))
    assert isinstance(loaded, windows_versioninfo.VSVersionInfo)


@pytest.mark.parametrize(
    ("bundle_path", "dropped"),
    [
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/translations/qtbase_hi.qm", True),  # the Windows wheel layout
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", True),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", True),
        ("PySide6/Qt/qml/QtQuick/qmldir", True),
        ("libgtk-3.so.0", True),
        ("libcairo.so.2", True),
        ("PySide6/opengl32sw.dll", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("PySide6/plugins/platforms/qwindows.dll", False),
        ("PySide6/Qt/plugins/imageformats/libqico.so", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", False),
        ("libXinerama-looks-alike.so", False),
        ("libfreetype.so.6", False),
        ("resources/india/states_districts.json", False),
    ],
)
def test_unwanted_files(bundle_path: str, dropped: bool):
    assert helpers.is_unwanted(bundle_path, "linux-x86_64") is dropped


def test_only_this_platforms_selenium_manager_is_kept():
    base = "selenium/webdriver/common"
    for platform in ("windows", "macos", "linux-x86_64", "linux-arm64"):
        kept = [
            folder
            for folder in ("windows", "macos", "linux-x86_64", "linux-arm64")
            if not helpers.is_unwanted(f"{base}/{folder}/selenium-manager", platform)
        ]
        assert kept == [platform]
    assert not helpers.is_unwanted(f"{base}/devtools/v155/network.py", "windows")
    assert helpers.selenium_manager_platform("win32", "AMD64") == "windows"
    assert helpers.selenium_manager_platform("linux", "aarch64") == "linux-arm64"
    assert helpers.selenium_manager_platform("darwin", "arm64") == "macos"


def test_every_command_module_is_a_hidden_import():
    modules = set(helpers.package_modules(ROOT / "desktop_app"))
    commands = {
        f"desktop_app.commands.{path.stem}"
        for path in (ROOT / "desktop_app" / "commands").glob("*.py")
        if path.stem != "__init__"
    }
    assert commands <= modules
    assert {"desktop_app", "desktop_app.gui.app", "desktop_app.simulators"} <= modules
    assert not any(name.endswith("__main__") for name in modules)


def test_non_python_package_files_become_data(tmp_path: Path):
    package = tmp_path / "pkg"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "page.html").write_text("<p>")
    (package / "sub" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    (package / "NOTES.md").write_text("notes")

    found = helpers.package_data_files(package)

    assert sorted(found) == [
        (str(package / "NOTES.md"), "pkg"),
        (str(package / "sub" / "page.html"), str(Path("pkg") / "sub")),
    ]


@pytest.mark.parametrize(
    ("value", "console", "debug"),
    [
        (None, False, False),
        ("0", False, False),
        ("1", True, False),
        ("debug", True, True),
    ],
)
def test_console_only_on_request(value: str | None, console: bool, debug: bool):
    env = {} if value is None else {helpers.CONSOLE_VARIABLE: value}
    got_console, got_debug, options = helpers.console_settings(env)
    assert (got_console, got_debug) == (console, debug)
    assert bool(options) is debug


def test_ico_file_lists_every_size():
    pngs = {16: b"a" * 10, 32: b"b" * 20, 256: b"c" * 30}

    data = helpers.ico_bytes(pngs)

    reserved, kind, count = (
        int.from_bytes(data[i : i + 2], "little") for i in (0, 2, 4)
    )
    assert (reserved, kind, count) == (0, 1, 3)
    entries = [data[6 + 16 * i : 22 + 16 * i] for i in range(count)]
    sides = [entry[0] for entry in entries]
    assert sides == [16, 32, 0]  # 0 stands for 256
    for entry, (size, png) in zip(entries, sorted(pngs.items()), strict=True):
        length = int.from_bytes(entry[8:12], "little")
        offset = int.from_bytes(entry[12:16], "little")
        assert data[offset : offset + length] == png, size


# ------------------------------------------------------------ the frozen app


def _executable(app: Path, name: str = helpers.APP_FOLDER) -> Path:
    """The window's program (FilingDesk) or the console one (desktop-app)."""
    return app / (f"{name}.exe" if sys.platform.startswith("win") else name)


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the bundle once for this module; returns dist/FilingDesk.

    ``FILING_DESK_FROZEN_APP=dist/FilingDesk`` tests a bundle built before instead.
    """
    prebuilt = os.environ.get(PREBUILT_VARIABLE)
    if prebuilt:
        app = Path(prebuilt).resolve()
        assert _executable(app).is_file(), f"{PREBUILT_VARIABLE}: no app in {app}"
        return app
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip(
            "PyInstaller is not installed: pip install -e '.[build]' to run the "
            "frozen-build tests"
        )
    folder = tmp_path_factory.mktemp("frozen")
    log_file = folder / "pyinstaller.log"
    env = {k: v for k, v in os.environ.items() if k != helpers.CONSOLE_VARIABLE}
    started = time.monotonic()
    with open(log_file, "w", encoding="utf-8") as log:
        result = subprocess.run(
            [
                sys.executable,
                str(BUILD_SCRIPT),
                "--dist",
                str(folder / "dist"),
                "--work",
                str(folder / "work"),
                "--keep-cache",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    tail = log_file.read_text(encoding="utf-8")[-3000:]
    assert result.returncode == 0, f"the build failed:\n{tail}"
    app = folder / "dist" / helpers.APP_FOLDER
    sys.stderr.write(
        f"\nfrozen build: {time.monotonic() - started:.0f} s, "
        f"{helpers.folder_size(app) / 1e6:.0f} MB at {app}\n"
    )
    return app


def _run_frozen(
    app: Path,
    args: list[str],
    home: Path,
    timeout: float = RUN_TIMEOUT,
    program: str = helpers.CLI_NAME,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run a frozen program with HOME and the XDG folders inside ``home``."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "SE_OFFLINE": "true",
        "SE_AVOID_STATS": "true",
        **env,
    }
    for name in ("SYSTEMROOT", "LOCALAPPDATA", "APPDATA", "TEMP", "TMP"):
        if name in os.environ:  # Windows cannot start Python without them
            environment.setdefault(name, os.environ[name])
    (home / "runtime").mkdir(parents=True, exist_ok=True, mode=0o700)
    return subprocess.run(
        [str(_executable(app, program)), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if not path.is_symlink()
    }


def _unexpected(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(rule.match(line) for rule in ALLOWED_STDERR)
    ]


def _embedded_modules(app: Path) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(_executable(app)))
    return set(archive.open_embedded_archive("PYZ.pyz").toc)


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_bundle_has_the_data_and_none_of_the_bloat(frozen_app: Path):
    internal = frozen_app / "_internal"
    for program in (helpers.APP_FOLDER, helpers.CLI_NAME):
        assert _executable(frozen_app, program).is_file(), program
    expected = [
        path.relative_to(ROOT)
        for folder in ("resources", "desktop_app")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in (".py", ".pyc")
    ]
    assert Path("resources/india/nic_codes.json") in expected
    missing = [str(path) for path in expected if not (internal / path).is_file()]
    assert not missing, f"not in the bundle: {missing}"

    modules = _embedded_modules(frozen_app)
    assert "desktop_app.commands.run" in modules and "desktop_app.gui.app" in modules
    assert "desktop_app.simulators.server" in modules
    unwanted = {"pytest", "_pytest", "setuptools", "pkg_resources", "tkinter"}
    assert not {name.split(".")[0] for name in modules} & unwanted

    files = [path.relative_to(internal).as_posix() for path in internal.rglob("*")]
    assert not [name for name in files if helpers.is_unwanted(name)]
    platforms = ("windows", "macos", "linux-x86_64", "linux-arm64")
    managers = [
        Path(name).parent.name
        for name in files
        if name.startswith("selenium/") and Path(name).parent.name in platforms
    ]
    assert managers == [helpers.selenium_manager_platform()]


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.skipif(not IS_LINUX or not shutil.which("ldd"), reason="uses ldd")
def test_nothing_left_needs_a_dropped_library(frozen_app: Path):
    internal = frozen_app / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    needs: dict[str, list[str]] = {}
    for path in [_executable(frozen_app), *internal.rglob("*.so*")]:
        if path.is_symlink() or not path.is_file():
            continue
        output = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        ).stdout
        for line in output.splitlines():
            name = line.strip().split(" ", 1)[0]
            if name.startswith(helpers.DROPPED_LIBRARIES):
                needs.setdefault(name, []).append(str(path.relative_to(frozen_app)))
    assert not needs, f"dropped libraries still needed: {needs}"


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.skipif(not IS_LINUX, reason="checks the XDG data folder of Linux")
def test_smoke_test_writes_only_to_the_user_data_folder(
    frozen_app: Path, tmp_path: Path
):
    before = _snapshot(frozen_app)
    home = tmp_path / "home"

    spawned_at = time.time()  # wall clock, to compare with the log's timestamps
    started = time.monotonic()
    result = _run_frozen(frozen_app, ["--smoke-test"], home, program=helpers.APP_FOLDER)
    seconds = time.monotonic() - started

    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
    assert not _unexpected(result.stderr), f"unexpected stderr:\n{result.stderr}"
    data = home / "data" / desktop_app.APP_SLUG
    log_text = (data / "logs" / "filing-desk.log").read_text(encoding="utf-8")
    assert desktop_app.__version__ in result.stdout and log_text
    assert (data / "filing-desk.sqlite3").is_file()
    assert _snapshot(frozen_app) == before, "the app wrote next to the executable"
    shown = _window_shown_at(log_text)
    sys.stderr.write(
        f"\nfrozen --smoke-test: {seconds:.2f} s from start to exit"
        + (f", window shown {shown - spawned_at:.2f} s after start" if shown else "")
        + "\n"
    )


def _window_shown_at(log_text: str) -> float | None:
    """When the log says the window was shown (seconds since the epoch)."""
    match = re.search(r"^(\S+ \S+) .*Window shown", log_text, re.MULTILINE)
    if not match:
        return None
    stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
    return stamp.timestamp()


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_console_program_runs_the_commands(frozen_app: Path, tmp_path: Path):
    data = ["--data-dir", str(tmp_path / "d")]
    template = tmp_path / "applicants.xlsx"

    version = _run_frozen(frozen_app, ["--version"], tmp_path)
    written = _run_frozen(frozen_app, [*data, "template", str(template)], tmp_path)
    checked = _run_frozen(frozen_app, [*data, "check", str(SAMPLES)], tmp_path)

    assert version.stdout.split() == ["desktop-app", desktop_app.__version__]
    assert written.returncode == 0 and template.stat().st_size > 0, written.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ready to import" in checked.stdout
    from_source = _run_source([*data, "check", str(SAMPLES)], tmp_path)
    assert checked.stdout == from_source.stdout


def _write_settings(data_dir: Path, **values: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_text(json.dumps(values), encoding="utf-8")


def _run_source(
    args: list[str], home: Path, timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def _problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("check-portals:")]


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT)
@pytest.mark.parametrize(
    "setting",
    [{"chrome_path": "/nowhere/chrome"}, {"chromedriver_path": "/nowhere/cd"}],
)
def test_missing_browser_message_is_the_same_as_from_source(
    frozen_app: Path, tmp_path: Path, setting: dict[str, str]
):
    frozen_data, source_data = tmp_path / "frozen", tmp_path / "source"
    for folder in (frozen_data, source_data):
        _write_settings(folder, **setting)
    args = ["check-portals", "--demo", "--headless"]

    frozen = _run_frozen(frozen_app, ["--data-dir", str(frozen_data), *args], tmp_path)
    source = _run_source(["--data-dir", str(source_data), *args], tmp_path)

    assert (frozen.returncode, source.returncode) == (2, 2), frozen.stderr
    assert _problem_lines(frozen.stderr) == _problem_lines(source.stderr)
    (line,) = _problem_lines(frozen.stderr)
    assert "/nowhere/" in line and "Settings" in line


def _portal_statuses(stdout: str) -> dict[str, str]:
    """``udyam: ok (http://...)`` -> ``{"udyam": "ok"}`` (the port differs per run)."""
    found = {}
    for line in stdout.splitlines():
        match = re.match(r"^([\w-]+): (.+?) \(http", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_frozen_app_drives_chrome_like_the_source(frozen_app: Path, tmp_path: Path):
    args = ["check-portals", "--demo", "--headless"]

    frozen = _run_frozen(
        frozen_app, ["--data-dir", str(tmp_path / "frozen"), *args], tmp_path
    )
    source = _run_source(["--data-dir", str(tmp_path / "source"), *args], tmp_path)

    statuses = _portal_statuses(frozen.stdout)
    assert frozen.returncode in (0, 1), frozen.stderr
    assert set(statuses) == {"udyam", "emudhra-partner", "emudhra", "emudhra-aadhaar"}
    assert statuses == _portal_statuses(source.stdout)
    assert frozen.returncode == source.returncode
    # The undetected-chromedriver engine patched its own driver copy in the data dir.
    assert list((tmp_path / "frozen" / "browser").rglob("chromedriver*"))


OTP_HELPER = textwrap.dedent(
    """
    # Answers one prompt from the simulated phone, like the applicant reading an SMS.
    import json, os, sys, time, urllib.request

    kind = os.environ["PROMPT_KIND"]
    if kind == "confirm":
        print("yes")
        sys.exit(0)
    if kind == "captcha":
        sys.exit(3)  # nobody can read it here; the filing is cancelled
    to = os.environ["APPLICANT_EMAIL" if kind == "email_otp" else "APPLICANT_MOBILE"]
    state = os.environ["OTP_HELPER_STATE"]
    used = set(open(state).read().split()) if os.path.exists(state) else set()
    url = f"{os.environ['SIMULATOR_CONTROL_URL']}/outbox.json?to={to}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as answer:
            messages = json.load(answer)
        fresh = [
            m for m in messages
            if m["kind"] == kind and m["code"] and str(m["seq"]) not in used
        ]
        if fresh:
            with open(state, "a") as handle:
                handle.write(f"{fresh[-1]['seq']}\\n")
            print(fresh[-1]["code"])
            sys.exit(0)
        time.sleep(0.2)
    sys.exit(4)
    """
)


def _one_applicant_csv(folder: Path, service: str) -> tuple[Path, str]:
    """The first sample row for ``service`` alone in a CSV; returns it and its name."""
    with open(SAMPLES, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    services = header.index("Services")
    row = next(r for r in body if r[services].strip().lower() == service)
    path = folder / "one.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, row])
    return path, row[header.index("Name as per Aadhaar")]


def _flow_for(service: str) -> bool:
    from desktop_app.automation.flows import FLOWS
    from desktop_app.core.models import Service

    return Service(service) in FLOWS


@pytest.fixture
def demo_applicant(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    if not _flow_for("dsc"):
        pytest.skip("no DSC flow is registered in automation/flows.py yet")
    yield _one_applicant_csv(tmp_path, "dsc")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(BUILD_TIMEOUT)
def test_frozen_headless_demo_filing(
    frozen_app: Path, tmp_path: Path, demo_applicant: tuple[Path, str]
):
    applicants, name = demo_applicant
    helper = tmp_path / "otp_helper.py"
    helper.write_text(OTP_HELPER, encoding="utf-8")
    command = f'"{sys.executable}" "{helper}"'
    args = [
        "--data-dir",
        str(tmp_path / "data"),
        "run",
        str(applicants),
        "--demo",
        "--headless",
        "--json",
        "--service",
        "dsc",
        "--otp-command",
        command,
    ]

    result = _run_frozen(
        frozen_app,
        args,
        tmp_path,
        timeout=300,
        OTP_HELPER_STATE=str(tmp_path / "used-otps"),
    )

    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert [line["status"] for line in lines] == ["completed"]
    assert lines[0]["result"], lines
    assert name.split()[0].lower() in lines[0]["name"].lower(), lines
