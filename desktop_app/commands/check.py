"""``desktop-app check FILE...``: check applicant files before importing them.

Exit status: 0 when every row is valid, 1 when some rows have errors, 2 when a file
cannot be read at all. ``--json`` prints the report for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from desktop_app.core.importer import ApplicantFileError, ImportReport, read_files

NAME = "check"
HELP = "check applicant files (xlsx, csv, json) and list every problem by row"

EXIT_OK, EXIT_ROW_ERRORS, EXIT_UNREADABLE = 0, 1, 2
_MESSAGE_WIDTH = 72


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--json", action="store_true", help="print the report as JSON (for scripts)"
    )


def run(args: argparse.Namespace) -> int:
    batch = read_files(args.files)
    failures = {failure.path: failure for failure in batch.failures}
    reports = {report.path: report for report in batch.reports}
    ordered = [failures.get(path) or reports[path] for path in args.files]
    if args.json:
        entries = [_json_entry(item) for item in ordered]
        sys.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(_text_entry(item) for item in ordered))
    if batch.failures:
        return EXIT_UNREADABLE
    return EXIT_ROW_ERRORS if batch.has_errors else EXIT_OK


def _json_entry(item: ImportReport | ApplicantFileError) -> dict[str, Any]:
    if isinstance(item, ApplicantFileError):
        return {"path": str(item.path), "error": item.message}
    return item.to_json()


def _text_entry(item: ImportReport | ApplicantFileError) -> str:
    if isinstance(item, ApplicantFileError):
        return f"{item.path}\n  CANNOT READ: {item.message}\n"
    valid = sum(1 for row in item.rows if row.valid)
    warned = sum(1 for row in item.rows if row.warnings)
    lines = [
        f"{item.path}",
        f"  {len(item.rows)} rows: {valid} ready to import, "
        f"{len(item.rows) - valid} with errors, {warned} with warnings",
    ]
    lines += [f"  Note: {warning}" for warning in item.file_warnings]
    table = [
        (str(row.row), row.ref or "-", kind, issue.column, issue.message)
        for row in item.rows
        for kind, issues in (("ERROR", row.errors), ("warning", row.warnings))
        for issue in issues
    ]
    if table:
        lines.append(format_table(("Row", "Ref", "Kind", "Column", "Problem"), table))
    return "\n".join(lines) + "\n"


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain text table; the last column wraps so lines stay readable."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header[:-1])
    ]
    indent = "  "
    lead = sum(widths) + 2 * len(widths)

    def line(cells: tuple[str, ...]) -> list[str]:
        fixed = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False))
        wrapped = textwrap.wrap(cells[-1], _MESSAGE_WIDTH) or [""]
        out = [f"{indent}{fixed}  {wrapped[0]}"]
        out += [f"{indent}{' ' * lead}{more}" for more in wrapped[1:]]
        return out

    rule = [tuple("-" * len(h) for h in header)]
    text = [row_line for cells in [header, *rule, *rows] for row_line in line(cells)]
    return "\n".join(text)
