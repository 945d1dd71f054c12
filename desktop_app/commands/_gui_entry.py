"""The desktop window, run when ``desktop-app`` is given no subcommand.

Options of the window itself (``--demo``, ``--smoke-test``, files to import) come in
``extra``, the arguments the main parser did not know; they are parsed here so the
core CLI never imports Qt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop_app.paths import default_data_dir


def window_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-app", description="Open the Filing Desk window."
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the practice portals and load fictional applicants (a separate "
        "'demo' queue in the data folder)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window, check its parts and exit (used by packaging)",
    )
    parser.add_argument("files", nargs="*", type=Path, help="applicant files to import")
    return parser


def run_window(args: argparse.Namespace, extra: list[str]) -> int:
    """Parse the window's own options from ``extra`` and run the window."""
    options = window_parser().parse_args(extra)
    data_root = (args.data_dir or default_data_dir()).expanduser().resolve()

    from desktop_app.logging_setup import configure_logging

    configure_logging(data_root, verbose=getattr(args, "verbose", False))

    from desktop_app.gui.app import LaunchOptions, run_app

    return run_app(
        LaunchOptions(
            data_root=data_root,
            demo=options.demo,
            smoke_test=options.smoke_test,
            files=[path.expanduser().resolve() for path in options.files],
        )
    )
