"""Command line: ``desktop-app [--data-dir DIR] COMMAND ...``.

Every subcommand lives in its own module under :mod:`desktop_app.commands` and is found
at start-up, so adding a command never means editing this file. A command module
provides ``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from desktop_app import __version__, commands
from desktop_app.paths import default_data_dir

log = logging.getLogger(__name__)


def _command_modules() -> list[ModuleType]:
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    return sorted(found, key=lambda module: module.NAME)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-app",
        description="Filing Desk: eMudhra DSC and Udyam filings, operator in the loop.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder for the database, logs, settings and evidence "
        f"(default: {default_data_dir()})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show debug messages on the terminal",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        sub = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.HELP
        )
        module.configure(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        # No subcommand: the desktop window (with its own options, such as --demo).
        from desktop_app.commands import _gui_entry

        return _gui_entry.run_window(args, extra)
    if extra:
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    args.data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
    from desktop_app.logging_setup import configure_logging

    configure_logging(args.data_dir, verbose=args.verbose)
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
