"""The applicant template an office fills in: XLSX with help and drop-downs, or CSV."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from desktop_app.core.validation import COLUMNS, REQUIRED_LABELS, Column

log = logging.getLogger(__name__)

SHEET_NAME = "Applicants"
HELP_SHEET_NAME = "Help"
TEMPLATE_ROWS = 2000  # drop-downs and Text format reach this far down
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


class TemplateError(Exception):
    """The template cannot be written; the message is for the operator."""


def write_template(path: Path) -> Path:
    """Write the template to ``path`` (``.xlsx`` or ``.csv``) and return the path.

    Raises:
        TemplateError: unknown extension or the file cannot be written.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            _write_xlsx(path)
        elif suffix == ".csv":
            _write_csv(path)
        else:
            raise TemplateError(
                "The template can be written as .xlsx or .csv, "
                f"not '{suffix or path.name}'"
            )
    except OSError as problem:
        raise TemplateError(f"Cannot write {path}: {problem.strerror}") from None
    log.info("Wrote the applicant template %s", path.name)
    return path


def _write_csv(path: Path) -> None:
    # utf-8-sig so Excel shows names in Indian scripts correctly when it opens the file.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(column.header for column in COLUMNS)
        writer.writerow(_example_row())


def _example_row() -> list[str]:
    # The examples are one consistent applicant, so the example row itself passes.
    return [column.example for column in COLUMNS]


def _write_xlsx(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required_for == "all" else _HEADER_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.header) + 4)
        if column.text:
            # Text, so Excel keeps all 12 Aadhaar digits and leading zeros.
            sheet.column_dimensions[letter].number_format = "@"
        if column.choices:
            _add_drop_down(sheet, column, letter)
    sheet.freeze_panes = "B2"
    _write_help(workbook.create_sheet(HELP_SHEET_NAME))
    workbook.save(path)


def _add_drop_down(sheet, column: Column, letter: str) -> None:  # noqa: ANN001
    options = ",".join(column.choices)
    validation = DataValidation(
        type="list",
        formula1=f'"{options}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=column.header,
        error=f"Choose one of: {', '.join(column.choices)}",
    )
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
    sheet.add_data_validation(validation)


def _write_help(sheet) -> None:  # noqa: ANN001
    sheet.append(["Column", "Required for", "Format", "Example", "Choices"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for column in COLUMNS:
        sheet.append(
            [
                column.header,
                REQUIRED_LABELS[column.required_for],
                column.fmt,
                column.example,
                ", ".join(column.choices),
            ]
        )
    sheet.append([])
    sheet.append(
        [
            "Notes",
            "",
            "One row per applicant. Dates as DD/MM/YYYY. Keep Aadhaar, PAN, mobile, "
            "PIN code, IFSC and account number columns formatted as Text. A mobile "
            "number or email may belong to one applicant only. File paths are read "
            "relative to this workbook.",
        ]
    )
    for letter, width in zip("ABCDE", (26, 18, 70, 24, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
