"""``desktop-app export OUT.xlsx|OUT.csv``: the report an office sends its clients.

One row per filing: name, PAN, masked Aadhaar, service, status, date, the portal's
number (application number or Udyam URN) and the next step. Never a full Aadhaar.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop_app.core.store import FilingRow, FilingStatus, Store
from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

NAME = "export"
HELP = "write the filings to an Excel (.xlsx) or CSV file for the clients"

HEADERS = (
    "Name",
    "PAN",
    "Aadhaar (masked)",
    "Service",
    "Status",
    "Date",
    "Application number / URN",
    "Next step",
)

# Cells starting with these are formulas to Excel; a name like "=HYPERLINK(...)" in
# a client file must stay text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path, help="file to write: .xlsx or .csv")
    parser.add_argument(
        "--status",
        choices=[status.value for status in FilingStatus],
        help="only filings with this status",
    )


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        sys.stderr.write("The export file must end in .xlsx or .csv.\n")
        return 2
    status = FilingStatus(args.status) if args.status else None
    with Store.open(DataDir(args.data_dir)) as store:
        filings = store.filings(status=status)
    rows = [export_row(filing) for filing in filings]
    if suffix == ".xlsx":
        write_xlsx(output, rows)
    else:
        write_csv(output, rows)
    log.info("Exported %d filing(s) to %s", len(rows), output)
    sys.stdout.write(f"Wrote {len(rows)} filing(s) to {output}\n")
    return 0


def export_row(filing: FilingRow) -> tuple[str, ...]:
    moment = filing.finished_at or filing.updated_at
    cells = (
        filing.display_name,
        filing.pan,
        filing.masked_aadhaar,
        filing.service.label,
        filing.status.label,
        moment.astimezone().date().isoformat(),
        filing.result or "",
        filing.next_step or _default_next_step(filing),
    )
    return tuple(_as_text(cell) for cell in cells)


def _default_next_step(filing: FilingRow) -> str:
    if filing.status is FilingStatus.PENDING_CONSENT:
        return "Applicant's consent is needed before filing"
    if filing.status is FilingStatus.FAILED:
        return filing.failure_message
    return ""


def _as_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_csv(path: Path, rows: Sequence[tuple[str, ...]]) -> None:
    # utf-8-sig: Excel on Windows then shows Indian names correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: Sequence[tuple[str, ...]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Filings"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, header in zip(sheet.columns, HEADERS, strict=True):
        width = max([len(header), *(len(str(c.value or "")) for c in column)])
        sheet.column_dimensions[column[0].column_letter].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    workbook.save(path)
