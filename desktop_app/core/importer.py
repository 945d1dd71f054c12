"""Read applicant files (XLSX, CSV, JSON) into an :class:`ImportReport`.

The report holds every row that was not empty: the valid ones carry an
:class:`~desktop_app.core.models.Applicant`, the others their errors, each with the row
number as Excel shows it and the column as the file names it. Nothing is dropped
silently; importing only the valid rows is the operator's choice.

A file that cannot be read at all (missing, empty, damaged, password-protected, not an
applicant file) raises :class:`ApplicantFileError` and nothing else: callers catch one
class and show its message.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any

import python_calamine

from desktop_app.core.models import Applicant
from desktop_app.core.validation import (
    COLUMN_BY_KEY,
    COLUMNS,
    Issue,
    RowResult,
    cell_text,
    check_across_rows,
    match_header,
    validate_row,
)

log = logging.getLogger(__name__)

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})
JSON_SUFFIXES = frozenset({".json"})
SUPPORTED_SUFFIXES = XLSX_SUFFIXES | CSV_SUFFIXES | JSON_SUFFIXES
PREFERRED_SHEET = "applicants"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted .xlsx
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REQUIRED_ALWAYS = tuple(c.key for c in COLUMNS if c.required_for == "all")


class ApplicantFileError(Exception):
    """An applicant file that cannot be read at all; ``message`` is for the operator."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path.name}: {message}")


@dataclass
class ImportReport:
    """Everything read from one file."""

    path: Path
    rows: list[RowResult] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)

    @property
    def applicants(self) -> list[Applicant]:
        """The applicants of the rows without errors."""
        return [row.applicant for row in self.rows if row.valid and row.applicant]

    @property
    def bad_rows(self) -> list[RowResult]:
        return [row for row in self.rows if not row.valid]

    @property
    def has_errors(self) -> bool:
        return any(not row.valid for row in self.rows)

    def to_json(self) -> dict[str, Any]:
        """The shape ``desktop-app check --json`` prints for one file."""
        return {
            "path": str(self.path),
            "rows": [
                {
                    "row": row.row,
                    "ref": row.ref or None,
                    "errors": [_issue_json(issue) for issue in row.errors],
                    "warnings": [_issue_json(issue) for issue in row.warnings],
                }
                for row in self.rows
            ],
            "file_warnings": list(self.file_warnings),
        }


@dataclass
class ImportBatch:
    """Several files read together: cross-row checks span all of them."""

    reports: list[ImportReport] = field(default_factory=list)
    failures: list[ApplicantFileError] = field(default_factory=list)

    @property
    def applicants(self) -> list[Applicant]:
        return [applicant for report in self.reports for applicant in report.applicants]

    @property
    def has_errors(self) -> bool:
        return bool(self.failures) or any(r.has_errors for r in self.reports)


def _issue_json(issue: Issue) -> dict[str, str]:
    return {"column": issue.column, "message": issue.message}


def read_file(path: Path | str, *, now: dt.datetime | None = None) -> ImportReport:
    """Read and check one applicant file.

    Raises:
        ApplicantFileError: the file cannot be read as an applicant file.
    """
    with _collector_paused():
        report = _read(Path(path), now)
        check_across_rows(report.rows)
    return report


def read_files(
    paths: Iterable[Path | str], *, now: dt.datetime | None = None
) -> ImportBatch:
    """Read several files; unreadable ones are collected in ``failures``, in order."""
    batch = ImportBatch()
    with _collector_paused():
        for path in paths:
            try:
                batch.reports.append(_read(Path(path), now))
            except ApplicantFileError as failure:
                batch.failures.append(failure)
        check_across_rows([row for report in batch.reports for row in report.rows])
    return batch


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while rows are built.

    A 100,000-row file creates millions of small objects and none of them form
    cycles; the collector's repeated passes over them cost a third of the import.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _age_tracked_objects()
            gc.enable()


def _age_tracked_objects() -> None:
    """Move every tracked object to the oldest generation, without a pass over them.

    Otherwise the first collection after the pause walks all the millions of new
    objects at once (half a second per 20,000 rows). In the oldest generation they
    are checked only in the collector's rare full passes, like any long-lived data.
    """
    gc.freeze()  # all tracked objects -> the permanent generation (a list splice)
    gc.unfreeze()  # ... and back into the oldest generation


def _read(path: Path, now: dt.datetime | None) -> ImportReport:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ApplicantFileError(
            path,
            f"Filing Desk reads .xlsx, .csv and .json applicant files, not "
            f"'{suffix or 'no extension'}'. Save the file as an Excel workbook (.xlsx)",
        )
    if not path.exists():
        raise ApplicantFileError(path, "The file does not exist")
    if path.is_dir():
        raise ApplicantFileError(path, "This is a folder, not a file")
    report = ImportReport(path=path)
    # One import time for the whole file (consent times, future-date checks) rather
    # than asking the clock on every row.
    now = now or dt.datetime.now()
    if suffix in XLSX_SUFFIXES:
        header, rows = _xlsx_table(path, report)
        _validate_table(report, header, rows, now)
    elif suffix in CSV_SUFFIXES:
        header, rows = _csv_table(path)
        _validate_table(report, header, rows, now, text_only=True)
    else:
        _validate_json(report, _json_items(path), now)
    _warn_numeric_identifiers(report)
    valid = sum(1 for row in report.rows if row.valid)
    log.info("Read %s: %d rows, %d valid", path.name, len(report.rows), valid)
    return report


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise ApplicantFileError(
            path, f"Cannot open the file ({problem.strerror})"
        ) from None
    if not data.strip():
        raise ApplicantFileError(path, "The file is empty")
    return data


# -- Tables (XLSX and CSV) -----------------------------------------------------------

Table = tuple[list[Any], Iterator[tuple[int, Sequence[Any]]]]


def _xlsx_table(path: Path, report: ImportReport) -> Table:
    data = _read_bytes(path)
    if data.startswith(_OLE_MAGIC):
        raise ApplicantFileError(
            path,
            "This workbook is password-protected (or an old .xls file). Open it in "
            "Excel, remove the password and save it as an Excel Workbook (.xlsx)",
        )
    if not data.startswith(_ZIP_MAGIC):
        raise ApplicantFileError(
            path, "This is not an Excel workbook, or the file is damaged"
        )
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet_name = _pick_sheet(path, workbook)
        cells = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except python_calamine.PasswordError:
        raise ApplicantFileError(
            path, "This workbook is password-protected; remove the password in Excel"
        ) from None
    except python_calamine.CalamineError as problem:
        log.debug("calamine could not read %s: %r", path.name, problem)
        raise ApplicantFileError(
            path, "The Excel file is damaged or not a workbook Filing Desk can read"
        ) from None
    if sheet_name.lower() != PREFERRED_SHEET:
        report.file_warnings.append(
            f"No sheet named 'Applicants'; read the sheet '{sheet_name}'"
        )
    rows = iter(enumerate(cells, start=1))
    for _number, row in rows:
        if not _is_empty(row):
            # Later rows keep their sheet numbers, even below blank rows.
            return list(row), rows
    raise ApplicantFileError(path, f"The sheet '{sheet_name}' is empty")


def _pick_sheet(path: Path, workbook: python_calamine.CalamineWorkbook) -> str:
    visible = [
        sheet.name
        for sheet in workbook.sheets_metadata
        if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
        and sheet.visible == python_calamine.SheetVisibleEnum.Visible
    ]
    for name in visible:
        if name.strip().lower() == PREFERRED_SHEET:
            return name
    if not visible:
        raise ApplicantFileError(path, "The workbook has no visible worksheet")
    return visible[0]


def _is_empty(row: Sequence[Any]) -> bool:
    for cell in row:
        if cell is None:
            continue
        if isinstance(cell, str):
            if cell.strip():
                return False
            continue
        return False
    return True


def _csv_table(path: Path) -> Table:
    text = _decode_text(path, _read_bytes(path))
    # csv refuses fields over 128 KiB and would reject the whole file; a huge cell is
    # a row problem that validation reports by row and column (issue 8 fix).
    if csv.field_size_limit() < len(text):
        csv.field_size_limit(len(text) + 1)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as problem:
        raise ApplicantFileError(
            path, f"The CSV file is damaged near line {reader.line_num}: {problem}"
        ) from None
    numbered = iter(enumerate(records, start=1))
    for _number, record in numbered:
        if "".join(record).strip():
            return record, numbered
    raise ApplicantFileError(path, "The file has no rows")


def _decode_text(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)  # Excel's "Unicode Text"
    else:
        # utf-8-sig also reads plain UTF-8; cp1252 is Excel's "CSV" on Windows.
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_CHARS.search(text):
            break
        return text
    raise ApplicantFileError(
        path, "This is not a text (CSV) file; save the sheet as CSV UTF-8 from Excel"
    )


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in many locales) or tab, from the first line."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _map_headers(
    report: ImportReport, header: Sequence[Any]
) -> tuple[dict[int, str], dict[str, str]]:
    """Column index -> key, and key -> header as written; file warnings for the rest."""
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        key = match_header(text)
        if key is None:
            unknown.append(text)
        elif key in written:
            report.file_warnings.append(
                f"Columns '{written[key]}' and '{text}' both mean "
                f"{COLUMN_BY_KEY[key].header}; only '{written[key]}' is used"
            )
        else:
            by_index[index] = key
            written[key] = text
    if unknown:
        report.file_warnings.append(
            "Columns Filing Desk does not use (ignored): " + ", ".join(unknown)
        )
    return by_index, written


def _check_known_columns(report: ImportReport, written: dict[str, str]) -> None:
    if not written:
        raise ApplicantFileError(
            report.path,
            "This does not look like an applicant file: no column header is one "
            "Filing Desk knows (such as Name as per Aadhaar, PAN, Aadhaar, Mobile). "
            "Start from the template (desktop-app template)",
        )
    missing = [
        COLUMN_BY_KEY[key].header for key in _REQUIRED_ALWAYS if key not in written
    ]
    if missing:
        report.file_warnings.append("Missing columns: " + ", ".join(missing))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _validate_table(
    report: ImportReport,
    header: Sequence[Any],
    rows: Iterator[tuple[int, Sequence[Any]]],
    now: dt.datetime | None,
    text_only: bool = False,
) -> None:
    """Validate every row; ``text_only``: every cell is a string (a CSV file)."""
    by_index, written = _map_headers(report, header)
    _check_known_columns(report, written)
    mapped = sorted(by_index.items())
    # When the known columns are the first ones, in a row (the template's layout), a
    # row's cells pair up with the keys directly; else None and each is looked up.
    keys_in_order = [key for _, key in mapped]
    if [index for index, _ in mapped] != list(range(len(mapped))):
        keys_in_order = None
    header_width = len(header)
    headless: set[int] = set()
    base_dir = report.path.resolve().parent
    name = report.path.name
    for number, row in rows:
        if not row or _is_empty(row):
            continue
        width = len(row)
        cells = _row_cells(row, width, mapped, keys_in_order, text_only)
        if width > header_width or len(by_index) < header_width:
            _note_headless(row, header, headless)
        report.rows.append(
            validate_row(
                cells,
                row=number,
                headers=written,
                base_dir=base_dir,
                source=f"{name} row {number}",
                now=now,
            )
        )
    for index in sorted(headless):
        report.file_warnings.append(
            f"Column {_column_letter(index)} has values but no header; ignored"
        )


def _row_cells(
    row: Sequence[Any],
    width: int,
    mapped: Sequence[tuple[int, str]],
    keys_in_order: Sequence[str] | None,
    text_only: bool,
) -> dict[str, Any]:
    """Column key -> cell value. Empty cells are left out: an absent key is the
    cheapest case for the checks."""
    if text_only and keys_in_order is not None:
        # Only strings: an empty cell is exactly a false one, so compress() picks the
        # filled cells without a Python-level test per cell (~60 cells a row).
        return dict(compress(zip(keys_in_order, row, strict=False), row))
    if keys_in_order is not None:  # zip stops at the shorter of row and keys
        return {
            key: cell
            for key, cell in zip(keys_in_order, row, strict=False)
            if cell != "" and cell is not None
        }
    return {
        key: cell
        for index, key in mapped
        if index < width and (cell := row[index]) != "" and cell is not None
    }


def _note_headless(row: Sequence[Any], header: Sequence[Any], found: set[int]) -> None:
    for index, cell in enumerate(row):
        if index in found:
            continue
        has_header = index < len(header) and cell_text(header[index])
        if not has_header and not _is_empty((cell,)):
            found.add(index)


# -- JSON ---------------------------------------------------------------------------


def _json_items(path: Path) -> list[Any]:
    data = _read_bytes(path)
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as problem:
        detail = f" ({problem})" if isinstance(problem, json.JSONDecodeError) else ""
        raise ApplicantFileError(
            path, f"This is not a valid JSON file{detail}"
        ) from None
    if isinstance(document, dict) and isinstance(document.get("applicants"), list):
        return document["applicants"]
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise ApplicantFileError(
        path, "The JSON file must hold a list of applicants (objects with fields)"
    )


def _is_old_api_body(item: dict[str, Any]) -> bool:
    return isinstance(item.get("people_data"), dict) or isinstance(
        item.get("result"), dict
    )


def _flatten(item: dict[str, Any]) -> dict[str, Any]:
    """One level of nesting folded in (``{"address": {"pin": ..}}`` -> ``pin``)."""
    flat: dict[str, Any] = {}
    if _is_old_api_body(item):
        # The old web API: {"result": {"payload": {...}}, "people_data": {...}}.
        result = item.get("result")
        payload = result.get("payload") if isinstance(result, dict) else None
        sources = [item.get("people_data"), payload]
        flat["services"] = "DSC"
        for source in sources:
            if isinstance(source, dict):
                flat.update(_flatten(source))
        if isinstance(payload, dict) and "filing_type" in payload:
            flat["filing_type"] = payload["filing_type"]
        return flat
    for key, value in item.items():
        if isinstance(value, dict):
            for child_key, child in value.items():
                flat.setdefault(str(child_key), child)
        else:
            flat[str(key)] = value
    return flat


def _validate_json(
    report: ImportReport, items: list[Any], now: dt.datetime | None
) -> None:
    flattened = [_flatten(item) if isinstance(item, dict) else None for item in items]
    header: list[str] = []
    seen: set[str] = set()
    for item in flattened:
        for key in item or ():
            if key not in seen:
                seen.add(key)
                header.append(key)
    by_index, written = _map_headers(report, header)
    if not items:
        report.file_warnings.append("The file holds no applicants")
    elif header:
        _check_known_columns(report, written)
    key_of = {header[index]: key for index, key in by_index.items()}
    base_dir = report.path.resolve().parent
    name = report.path.name
    for number, item in enumerate(flattened, start=1):
        source = f"{name} item {number}"
        if item is None:
            result = RowResult(row=number, source=source)
            result.errors.append(
                Issue(
                    "(item)", f"Item {number} is not an applicant (expected an object)"
                )
            )
            report.rows.append(result)
            continue
        cells = {key_of[k]: v for k, v in item.items() if k in key_of}
        if not cells:
            continue
        report.rows.append(
            validate_row(
                cells,
                row=number,
                headers=written,
                base_dir=base_dir,
                source=source,
                now=now,
            )
        )


def _warn_numeric_identifiers(report: ImportReport) -> None:
    columns = sorted({column for row in report.rows for column in row.numeric_columns})
    for column in columns:
        report.file_warnings.append(
            f"Column '{column}' holds numbers, not text. Excel shows long numbers like "
            "2.34E+11 and loses digits when the file is saved again: format the "
            "column as Text"
        )
