"""The core must stay free of Qt: flows and simulators run without a QApplication."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import desktop_app

PACKAGE_DIR = Path(desktop_app.__file__).parent
CORE_PACKAGES = ("core", "simulators", "automation")


def _core_modules() -> list[str]:
    modules = []
    for package in CORE_PACKAGES:
        for path in sorted((PACKAGE_DIR / package).rglob("*.py")):
            relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
            name = ".".join(relative.parts)
            modules.append(name.removesuffix(".__init__"))
    return modules


def test_core_modules_exist():
    assert len(_core_modules()) > 5


def test_core_imports_no_qt():
    # A fresh interpreter, so nothing else in the test session has imported Qt already.
    script = (
        "import importlib, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = ('PySide6', 'shiboken')\n"
        "leaked = sorted(m for m in sys.modules if m.startswith(qt))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"core imported Qt: {result.stdout.strip()}"


def test_no_print_in_app_code():
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        if "commands" in path.parts:
            continue  # commands print their results: that is their output
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("print("):
                offenders.append(f"{path.name}:{number}")
    assert not offenders, f"print() in app code: {offenders}"
