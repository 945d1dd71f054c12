"""``desktop-app status``: every filing in the queue, as a table or JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from desktop_app.core.store import FilingRow, Store
from desktop_app.paths import DataDir

NAME = "status"
HELP = "list every filing with its status, last step and result"

_COLUMNS = (
    "Ref",
    "Name",
    "Service",
    "Status",
    "Last step",
    "Tries",
    "Result / problem",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line instead of a table (for scripts)",
    )


def run(args: argparse.Namespace) -> int:
    with Store.open(DataDir(args.data_dir)) as store:
        filings = store.filings()
    if args.json:
        for filing in filings:
            sys.stdout.write(json.dumps(filing_json(filing), ensure_ascii=False) + "\n")
    elif not filings:
        sys.stdout.write("The queue is empty.\n")
    else:
        sys.stdout.write(format_table([_table_cells(f) for f in filings]))
    return 0


def filing_json(filing: FilingRow) -> dict[str, Any]:
    """The JSON form of one filing (masked Aadhaar only)."""
    return {
        "id": filing.id,
        "ref": filing.applicant_ref,
        "name": filing.display_name,
        "aadhaar": filing.masked_aadhaar,
        "service": filing.service.value,
        "status": filing.status.value,
        "step": filing.step_name,
        "step_index": filing.step_index,
        "step_total": filing.step_total,
        "attempts": filing.attempts,
        "result": filing.result,
        "next_step": filing.next_step,
        "failure_kind": filing.failure_kind.value if filing.failure_kind else None,
        "failure_message": filing.failure_message,
        "updated_at": filing.updated_at.isoformat(),
    }


def _table_cells(filing: FilingRow) -> tuple[str, ...]:
    if filing.result:
        outcome = filing.result
    elif filing.failure_kind:
        outcome = f"{filing.failure_kind.value}: {filing.failure_message}"
    else:
        outcome = filing.failure_message
    return (
        filing.applicant_ref,
        filing.display_name,
        filing.service.label,
        filing.status.label,
        filing.step_text,
        str(filing.attempts),
        outcome,
    )


def format_table(rows: list[tuple[str, ...]], max_width: int = 40) -> str:
    """Left-aligned columns, each cell cut to ``max_width`` characters."""
    cut = [tuple(_shorten(cell, max_width) for cell in row) for row in rows]
    widths = [
        max(len(header), *(len(row[i]) for row in cut))
        for i, header in enumerate(_COLUMNS)
    ]
    lines = [_COLUMNS, tuple("-" * width for width in widths), *cut]
    return "".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        + "\n"
        for line in lines
    )


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
