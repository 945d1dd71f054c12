"""Build the Filing Desk one-folder executable, and the helpers ``build.spec`` uses.

Run it from anywhere (PyInstaller does not cross-compile, so it builds for the
platform it runs on)::

    python scripts/build.py                 # dist/FilingDesk, build/ as work folder
    python scripts/build.py --dist /tmp/d   # elsewhere
    FILING_DESK_CONSOLE=1 python scripts/build.py       # with a console window
    FILING_DESK_CONSOLE=debug python scripts/build.py   # + bootloader, imports

``build.spec`` loads this file for the version resource, the data files and the
filters that keep unused Qt parts out of the bundle, so they can be unit-tested
without running PyInstaller. Nothing here may import Qt at module level: the spec
runs inside PyInstaller's process.
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("filing_desk.build")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "desktop_app"
APP_FOLDER = "FilingDesk"  # the name of dist/<folder> and of the window's executable
CLI_NAME = "desktop-app"  # the console executable beside it, for the commands
ICON_STEM = "filing-desk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
CONSOLE_VARIABLE = "FILING_DESK_CONSOLE"

# Python packages the app never imports at run time but that its dependencies may
# drag in: pytest through trio's testing helpers, setuptools for old plugin lookups.
EXCLUDED_MODULES = (
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "setuptools",
    "pkg_resources",
    "tkinter",
    "_tkinter",
    "IPython",
)

# Qt modules Filing Desk does not use (it needs QtCore, QtGui and QtWidgets only).
_UNUSED_QT = [
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDBus",
    "QtDataVisualization",
    "QtDesigner",
    "QtGraphs",
    "QtHelp",
    "QtHttpServer",
    "QtLabsStyleKit",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtQml",
    "QtQmlFeatures",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
]
EXCLUDED_QT_MODULES = tuple(f"PySide6.{name}" for name in _UNUSED_QT)

# Bundle paths (as PyInstaller names them, with "/") that are dropped after analysis.
# PySide6 keeps Qt under PySide6/Qt/ on Linux and macOS but directly under PySide6/
# on Windows; paths are compared in the Windows form (see _qt_relative).
_DROPPED_PREFIXES = (
    # Qt's own translations: the app is in English only, so none is shipped.
    "PySide6/translations/",
    # QML and Qt Quick support that a widgets app never loads.
    "PySide6/qml/",
    "PySide6/plugins/qmltooling/",
    "PySide6/plugins/designer/",
    # The GTK theme pulls in all of GTK; the window uses the Fusion style anyway.
    "PySide6/plugins/platformthemes/libqgtk3",
    # Embedded-device and remote display back ends (framebuffer, EGLFS, VNC, evdev
    # input): a desktop needs xcb, wayland or windows, and offscreen for the checks.
    "PySide6/plugins/platforms/libqeglfs",
    "PySide6/plugins/platforms/libqlinuxfb",
    "PySide6/plugins/platforms/libqminimalegl",
    "PySide6/plugins/platforms/libqvnc",
    "PySide6/plugins/platforms/libqvkkhrdisplay",
    "PySide6/plugins/egldeviceintegrations/",
    "PySide6/plugins/generic/",
    # SQL drivers, network information and TLS back ends: none is used (Chrome does
    # the portals' networking; the simulators are plain Python).
    "PySide6/plugins/sqldrivers/",
    "PySide6/plugins/networkinformation/",
    "PySide6/plugins/tls/",
)
# Shared libraries only the dropped plugins above link to (found with ldd on a
# Debian build). They are matched by file name wherever PyInstaller put them; the
# frozen-build test checks with ldd that nothing left in the bundle needs them.
DROPPED_LIBRARIES = (
    "libQt6EglFSDeviceIntegration.so",
    "libQt6EglFsKmsSupport.so",
    "libgtk-3.so",
    "libgdk-3.so",
    "libgdk_pixbuf-2.0.so",
    "libatk-1.0.so",
    "libatk-bridge-2.0.so",
    "libatspi.so",
    "libcairo-gobject.so",
    "libcairo.so",
    "libpango-1.0.so",
    "libpangocairo-1.0.so",
    "libpangoft2-1.0.so",
    "libepoxy.so",
    "libpixman-1.so",
    "libthai.so",
    "libdatrie.so",
    "libfribidi.so",
    "libharfbuzz.so",
    "libgraphite2.so",
    "libjpeg.so",
    "libXcomposite.so",
    "libXcursor.so",
    "libXdamage.so",
    "libXext.so",
    "libXfixes.so",
    "libXi.so",
    "libXinerama.so",
    "libXrandr.so",
    "libXrender.so",
    # Windows: the software OpenGL fallback (about 20 MB) is for Qt Quick and
    # OpenGL widgets, which the app does not use.
    "opengl32sw.dll",
)
# selenium ships Selenium Manager for every platform; each bundle keeps its own.
_SELENIUM_MANAGER_DIR = "selenium/webdriver/common/"
_SELENIUM_MANAGER_PLATFORMS = ("linux-arm64", "linux-x86_64", "macos", "windows")


# ------------------------------------------------------------------ version


def read_version(init_file: Path) -> str:
    """``__version__`` from the package's ``__init__.py``, read without importing it."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"), str(init_file))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__"
            for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str) and value:
                return value
    raise ValueError(f"{init_file} has no __version__ = '...' line")


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """The four numbers Windows wants: ``"1.2.3rc1"`` -> ``(1, 2, 3, 0)``."""
    numbers = [int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3]]
    if not numbers:
        raise ValueError(f"version {version!r} has no numbers")
    while len(numbers) < 4:
        numbers.append(0)
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def version_strings(
    version: str, app_name: str, executable: str = APP_FOLDER
) -> dict[str, str]:
    """The string table of the Windows version resource (Explorer's Details tab)."""
    return {
        "CompanyName": app_name,
        "FileDescription": app_name,
        "FileVersion": version,
        "InternalName": executable,
        "LegalCopyright": f"(c) {app_name}",
        "OriginalFilename": f"{executable}.exe",
        "ProductName": app_name,
        "ProductVersion": version,
    }


def version_resource(version: str, app_name: str, executable: str = APP_FOLDER) -> Any:
    """A ``VSVersionInfo`` for the executable, or None where PyInstaller cannot use it.

    PyInstaller's version-info module needs ``pefile``, which pip installs with
    PyInstaller on Windows only; elsewhere the resource would be ignored anyway.
    """
    try:
        from PyInstaller.utils.win32 import versioninfo as vi
    except ImportError:
        return None
    numbers = version_tuple(version)
    strings = [
        vi.StringStruct(key, value)
        for key, value in version_strings(version, app_name, executable).items()
    ]
    return vi.VSVersionInfo(
        ffi=vi.FixedFileInfo(filevers=numbers, prodvers=numbers),
        kids=[
            # 0409 = US English, 04B0 = Unicode (code page 1200).
            vi.StringFileInfo([vi.StringTable("040904B0", strings)]),
            vi.VarFileInfo([vi.VarStruct("Translation", [0x0409, 1200])]),
        ],
    )


# ------------------------------------------------------------ what to bundle


def _walk_files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def package_data_files(package_dir: Path) -> list[tuple[str, str]]:
    """Every non-Python file inside the package, as ``(source, bundle folder)``."""
    base = package_dir.parent
    return [
        (str(path), str(path.parent.relative_to(base)))
        for path in _walk_files(package_dir)
        if path.suffix not in (".py", ".pyc", ".pyo")
    ]


def resource_data_files(resources_dir: Path) -> list[tuple[str, str]]:
    """``resources/`` as data. Python files there are developer tools, not data."""
    base = resources_dir.parent
    return [
        (str(path), str(path.parent.relative_to(base)))
        for path in _walk_files(resources_dir)
        if path.suffix not in (".py", ".pyc", ".pyo")
    ]


def package_modules(package_dir: Path) -> list[str]:
    """Every module of the package by name.

    The CLI finds its subcommands by listing ``desktop_app/commands`` at run time,
    which PyInstaller's import analysis cannot see, so all modules are named here.
    """
    base = package_dir.parent
    names = []
    for path in _walk_files(package_dir):
        if path.suffix != ".py":
            continue
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":
            names.append(".".join(parts))
    return names


def selenium_manager_platform(
    system: str | None = None, machine: str | None = None
) -> str:
    """The name of selenium's Selenium Manager folder for this platform."""
    system = system or sys.platform
    machine = (machine or platform.machine()).lower()
    if system.startswith("win"):
        return "windows"
    if system == "darwin":
        return "macos"
    return "linux-arm64" if machine in ("aarch64", "arm64") else "linux-x86_64"


def _qt_relative(path: str) -> str:
    """``PySide6/Qt/plugins/x`` -> ``PySide6/plugins/x`` (the Windows wheel layout)."""
    if path.startswith("PySide6/Qt/"):
        return "PySide6/" + path[len("PySide6/Qt/") :]
    return path


def is_unwanted(bundle_path: str, manager_platform: str | None = None) -> bool:
    """Whether a collected file (its path inside the bundle) should be dropped."""
    path = _qt_relative(bundle_path.replace("\\", "/"))
    if path.startswith(_DROPPED_PREFIXES):
        return True
    name = path.rsplit("/", 1)[-1]
    if name.startswith(DROPPED_LIBRARIES):
        return True
    if path.startswith(_SELENIUM_MANAGER_DIR):
        folder = path[len(_SELENIUM_MANAGER_DIR) :].split("/", 1)[0]
        keep = manager_platform or selenium_manager_platform()
        return folder in _SELENIUM_MANAGER_PLATFORMS and folder != keep
    return False


def without_unwanted(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """A PyInstaller TOC (``(bundle path, source, kind)`` entries) minus the bloat."""
    keep = selenium_manager_platform()
    return [entry for entry in toc if not is_unwanted(entry[0], keep)]


# ----------------------------------------------------------- console / debug


def console_settings(
    env: Mapping[str, str] | None = None,
) -> tuple[bool, bool, list[tuple[str, None, str]]]:
    """``(console, bootloader debug, Python options)`` chosen by FILING_DESK_CONSOLE.

    Unset or ``0``: the windowed build operators get. ``1``: a console window shows
    stdout and stderr. ``debug``: also the bootloader's messages and every import
    (Python's ``-v``), for a bundle that fails before logging starts.
    """
    value = (os.environ if env is None else env).get(CONSOLE_VARIABLE, "").strip()
    if value.lower() == "debug":
        return True, True, [("v", None, "OPTION")]
    if value and value != "0":
        return True, False, []
    return False, False, []


# ------------------------------------------------------------------- icons


def ico_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """An ICO file holding one PNG image per size (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, data in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def _draw_icons(folder: Path) -> None:
    """Render the app mark (drawn by the GUI's icon module) to PNG and ICO files."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QGuiApplication

    from desktop_app.gui.icons import draw_app_image

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    pngs = {}
    for size in ICON_SIZES:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        draw_app_image(size).save(buffer, "PNG")
        pngs[size] = bytes(buffer.data())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ICON_STEM}.png").write_bytes(pngs[max(ICON_SIZES)])
    (folder / f"{ICON_STEM}.ico").write_bytes(ico_bytes(pngs))
    app.quit()


def ensure_icons(icons_dir: Path) -> Path:
    """The ``.ico`` for the executable, drawn first (in a child process) if missing."""
    ico = icons_dir / f"{ICON_STEM}.ico"
    png = icons_dir / f"{ICON_STEM}.png"
    if not (ico.is_file() and png.is_file()):
        log.info("Drawing the app icons into %s", icons_dir)
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "icons", str(icons_dir)],
            check=True,
            cwd=ROOT,
            timeout=120,
        )
    return ico


# -------------------------------------------------------------------- build


def folder_size(folder: Path) -> int:
    """Bytes in ``folder``, each file once (symbolic links are not followed)."""
    return sum(
        path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    )


def build(dist: Path, work: Path, clean: bool = True) -> Path:
    """Run PyInstaller on ``build.spec``; returns the one-folder app's folder."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        f"--distpath={dist}",
        f"--workpath={work}",
        str(ROOT / "build.spec"),
    ]
    if clean:
        command.insert(3, "--clean")
    subprocess.run(command, check=True, cwd=ROOT)
    return dist / APP_FOLDER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="task")
    icons = sub.add_parser("icons", help="only draw the app icons")
    icons.add_argument("folder", type=Path, nargs="?", default=ROOT / "resources/icons")
    version = sub.add_parser("version", help="print the app version (for installers)")
    version.add_argument(
        "--numeric", action="store_true", help="as four numbers: 1.2.3rc1 -> 1.2.3.0"
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument(
        "--keep-cache", action="store_true", help="reuse PyInstaller's cache (faster)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.task == "version":
        value = read_version(ROOT / PACKAGE / "__init__.py")
        if args.numeric:
            value = ".".join(str(number) for number in version_tuple(value))
        sys.stdout.write(value + "\n")
        return 0
    if args.task == "icons":
        sys.path.insert(0, str(ROOT))
        _draw_icons(args.folder)
        return 0
    if shutil.which("ldd") is None and sys.platform.startswith("linux"):
        log.warning("ldd is missing; PyInstaller needs it (apt install libc-bin)")
    started = time.monotonic()
    app = build(args.dist.resolve(), args.work.resolve(), clean=not args.keep_cache)
    seconds = time.monotonic() - started
    size_mb = folder_size(app) / 1_000_000
    sys.stdout.write(f"Built {app} in {seconds:.0f} s ({size_mb:.0f} MB)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
