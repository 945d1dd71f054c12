"""``desktop-app template OUT.xlsx|OUT.csv``: write the applicant template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_app.core.template import TemplateError, write_template

NAME = "template"
HELP = "write an empty applicant file (xlsx with help and drop-downs, or csv)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path, metavar="OUT.xlsx|OUT.csv")
    parser.add_argument(
        "--force", action="store_true", help="replace the file if it already exists"
    )


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    if output.exists() and not args.force:
        sys.stderr.write(f"{output} already exists; use --force to replace it.\n")
        return 2
    try:
        write_template(output)
    except TemplateError as problem:
        sys.stderr.write(f"{problem}\n")
        return 2
    sys.stdout.write(f"Wrote the applicant template to {output}\n")
    return 0
