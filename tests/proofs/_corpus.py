"""A deterministic corpus of malformed applicant files (generated, never committed).

Each :class:`BadFile` is written by :func:`write_corpus` into a folder and says what the
importer must do with it:

* ``unreadable``: :func:`importer.read_file` raises ``ApplicantFileError`` whose
  message names the file;
* ``problems``: the file reads, and every ``(row, column)`` in ``expect`` shows up as
  an error of that row naming that column (row numbers as Excel shows them, header = 1;
  JSON items count from 1);
* ``reads``: the file reads without raising (content may or may not be valid).

Base values are the fictional sample applicant (public test-vector identifiers).
"""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

# The columns and a valid DSC row, as the shipped template writes them.
BASE_ROW: dict[str, Any] = {
    "Ref": "",
    "Services": "DSC",
    "Name as per Aadhaar": "Senthil Kumar Raghavan",
    "Name as per PAN": "SENTHIL KUMAR RAGHAVAN",
    "Date of Birth": "14/08/1986",
    "Gender": "Male",
    "PAN": "BKRPR4521K",
    "Aadhaar": "2341 2341 2346",
    "Mobile": "9840012345",
    "Email": "senthil.raghavan@example.in",
    "Flat / Door No": "14",
    "Road / Street": "South Main Street",
    "City": "Thanjavur",
    "PIN Code": "613001",
    "State": "Tamil Nadu",
    "District": "Thanjavur",
    "Consent given": "Yes",
    "Consent by": "Priya (front desk)",
    "DSC KYC Route": "Aadhaar",
    "DSC Certificate Type": "Signature",
    "DSC Validity Years": "2",
    "DSC Username": "senthil86",
    "DSC PIN": "482915",
}
HEADER = list(BASE_ROW)
# Second public test-vector applicant, so two rows of one file are not duplicates.
SECOND = {
    "Name as per Aadhaar": "Rajesh Kumar Yadav",
    "Name as per PAN": "RAJESH KUMAR YADAV",
    "PAN": "AAPPV8261K",
    "Aadhaar": "9999 4105 7058",
    "Mobile": "9812345670",
    "Email": "rajesh@example.in",
    "DSC Username": "rajesh77",
}


def row(**changes: Any) -> dict[str, Any]:
    """The base row with some columns changed (keys use the header text)."""
    values = dict(BASE_ROW)
    values.update({k.replace("_", " "): v for k, v in changes.items()})
    return values


def second(**changes: Any) -> dict[str, Any]:
    values = row(**SECOND)
    values.update({k.replace("_", " "): v for k, v in changes.items()})
    return values


@dataclass(frozen=True)
class BadFile:
    name: str  # file name, with the suffix the importer dispatches on
    what: str  # "unreadable" | "problems" | "reads"
    build: Callable[[Path], None]
    expect: tuple[tuple[int, str], ...] = field(default=())


# ------------------------------------------------------------------- writers


def _csv_text(rows: list[dict[str, Any]], header: list[str] | None = None) -> str:
    header = header or HEADER
    out = io.StringIO()
    import csv

    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow(
            ["" if values.get(h) is None else values.get(h, "") for h in header]
        )
    return out.getvalue()


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _csv(
    rows: list[dict[str, Any]], encoding: str = "utf-8", header: list[str] | None = None
) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(_csv_text(rows, header).encode(encoding))


def _json(document: Any) -> Callable[[Path], None]:
    return lambda path: path.write_text(json.dumps(document), encoding="utf-8")


def _workbook(
    rows: list[dict[str, Any]],
    header: list[str] | None = None,
    tweak: Callable[[openpyxl.Workbook], None] | None = None,
) -> openpyxl.Workbook:
    header = header or HEADER
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Applicants"
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(h) for h in header])
    if tweak is not None:
        tweak(book)
    return book


def _xlsx(
    rows: list[dict[str, Any]],
    header: list[str] | None = None,
    tweak: Callable[[openpyxl.Workbook], None] | None = None,
) -> Callable[[Path], None]:
    return lambda path: _workbook(rows, header, tweak).save(path)


def _xlsx_bytes(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    _workbook(rows).save(buffer)
    return buffer.getvalue()


def _truncated(fraction: float) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        data = _xlsx_bytes([row(), second()])
        path.write_bytes(data[: int(len(data) * fraction)])

    return build


def _zip_of(members: dict[str, bytes]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        path.write_bytes(buffer.getvalue())

    return build


def _corrupt_member(path: Path) -> None:
    """A real workbook whose sheet XML is cut off mid-element."""
    source = io.BytesIO(_xlsx_bytes([row()]))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            new.writestr(item, data)
    path.write_bytes(out.getvalue())


# ------------------------------------------------------------------ tweaks


def _merge_names(book: openpyxl.Workbook) -> None:
    book.active.merge_cells("C2:C3")  # the name cell spans two applicants' rows


def _formulas(book: openpyxl.Workbook) -> None:
    sheet = book.active
    sheet["H2"] = "=2341*100000000+23412346"  # Aadhaar as a formula, no cached value
    sheet["C3"] = '=CONCAT("Rajesh"," Kumar Yadav")'


def _hide_applicants(book: openpyxl.Workbook) -> None:
    book.active.sheet_state = "hidden"
    decoy = book.create_sheet("Notes")
    decoy.append(["This sheet is only notes"])


def _hidden_first(book: openpyxl.Workbook) -> None:
    hidden = book.create_sheet("Old data", 0)
    hidden.append(["Name as per Aadhaar", "PAN"])
    hidden.append(["Someone Else", "not-a-pan"])
    hidden.sheet_state = "hidden"


def _empty_rows_then_one(book: openpyxl.Workbook) -> None:
    sheet = book.active
    last = sheet.max_row
    for offset in range(1, 10_001):
        sheet.cell(row=last + offset, column=2, value="   ")  # whitespace only
    for column, header in enumerate(HEADER, start=1):
        sheet.cell(row=last + 10_001, column=column, value=second().get(header))


def _error_cells(book: openpyxl.Workbook) -> None:
    sheet = book.active
    sheet["E2"] = "#DIV/0!"
    sheet["E2"].data_type = "e"
    sheet["I2"] = True  # a boolean where the mobile number goes


def _header_in_row_three(book: openpyxl.Workbook) -> None:
    book.active.insert_rows(1, amount=2)


def _numbers_everywhere(book: openpyxl.Workbook) -> None:
    sheet = book.active
    sheet["G2"] = 12345  # PAN as a number
    sheet["I2"] = 9840012345.0  # mobile as a float
    sheet["L2"] = 1.5e300  # road as a huge float


# --------------------------------------------------------------------- corpus

MEGABYTE = "x" * (1024 * 1024)


def corpus() -> list[BadFile]:
    """Every bad file, in a fixed order; at least 30 of them."""
    files = [
        # Unreadable files: the report names the file.
        BadFile("truncated_half.xlsx", "unreadable", _truncated(0.5)),
        BadFile("truncated_head.xlsx", "unreadable", _truncated(0.02)),
        BadFile("corrupt_sheet_xml.xlsx", "unreadable", _corrupt_member),
        BadFile("zip_not_workbook.xlsx", "unreadable", _zip_of({"a.txt": b"hello"})),
        BadFile(
            "old_xls_magic.xlsx",
            "unreadable",
            _bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512),
        ),
        BadFile("csv_named_xlsx.xlsx", "unreadable", _csv([row()])),
        BadFile("empty.csv", "unreadable", _bytes(b"")),
        BadFile("blank_lines.csv", "unreadable", _bytes(b"\r\n \r\n\t\r\n")),
        BadFile("empty.json", "unreadable", _bytes(b"   ")),
        BadFile(
            "truncated.json", "unreadable", _bytes(json.dumps([row()]).encode()[:-40])
        ),
        BadFile("deep.json", "unreadable", _bytes(b"[" * 100_000 + b"]" * 100_000)),
        BadFile("string.json", "unreadable", _json("just a string")),
        BadFile("number.json", "unreadable", _json(42)),
        BadFile(
            "latin1.json",
            "unreadable",
            _bytes(
                json.dumps(
                    [row(Name_as_per_Aadhaar="José Müller")], ensure_ascii=False
                ).encode("latin-1")
            ),
        ),
        BadFile("notes.pdf", "unreadable", _bytes(b"%PDF-1.4\n")),
        BadFile(
            "only_unknown_columns.csv",
            "unreadable",
            _bytes(b"foo,bar,baz\r\n1,2,3\r\n"),
        ),
        BadFile(
            "hidden_applicants_sheet.xlsx",
            "unreadable",
            _xlsx([row()], tweak=_hide_applicants),
        ),
        BadFile(
            "binary_garbage.csv", "reads_or_unreadable", _bytes(bytes(range(256)) * 40)
        ),
        # Encodings.
        BadFile("utf16_bom.csv", "reads", _csv([row(), second()], "utf-16")),
        BadFile(
            "utf16_le_no_bom.csv", "reads_or_unreadable", _csv([row()], "utf-16-le")
        ),
        BadFile(
            "shift_jis.csv",
            "reads",
            _csv(
                [row(Name_as_per_Aadhaar="山田 太郎", Name_as_per_PAN="YAMADA TARO")],
                "shift_jis",
            ),
        ),
        BadFile(
            "latin1_accents.csv",
            "reads",
            _csv([row(Name_as_per_Aadhaar="José Müller Açaí")], "latin-1"),
        ),
        BadFile(
            "utf8_bom.csv",
            "reads",
            lambda p: p.write_bytes(codecs.BOM_UTF8 + _csv_text([row()]).encode()),
        ),
        BadFile(
            "nul_bytes.csv",
            "reads_or_unreadable",
            lambda p: p.write_bytes(
                _csv_text([row(Name_as_per_Aadhaar="Sen\x00thil")]).encode()
            ),
        ),
        BadFile(
            "unbalanced_quote.csv",
            "reads_or_unreadable",
            _bytes(b'PAN,Aadhaar\r\n"BKRPR4521K,2341 2341 2346\r\n'),
        ),
        BadFile(
            "semicolons.csv",
            "reads",
            lambda p: p.write_text(_csv_text([row()]).replace(",", ";")),
        ),
        # Row-level problems: each must name its row and column.
        BadFile(
            "bad_checksum_aadhaar.csv",
            "problems",
            _csv([row(Aadhaar="2341 2341 2347")]),
            ((2, "Aadhaar"),),
        ),
        BadFile(
            "aadhaar_float.xlsx",
            "problems",
            _xlsx([row(Aadhaar=234123412346.0), second(Aadhaar=9.99941057e11)]),
            ((3, "Aadhaar"),),
        ),
        BadFile(
            "aadhaar_sci_text.csv",
            "problems",
            _csv([row(Aadhaar="2.34123E+11")]),
            ((2, "Aadhaar"),),
        ),
        BadFile(
            "formulas.xlsx",
            "problems",
            _xlsx([row(), second()], tweak=_formulas),
            ((2, "Aadhaar"),),
        ),
        BadFile(
            "merged_cells.xlsx",
            "problems",
            _xlsx([row(), second()], tweak=_merge_names),
            ((3, "Name as per Aadhaar"),),
        ),
        BadFile(
            "dates_as_text.csv",
            "problems",
            _csv(
                [
                    row(Date_of_Birth="31/02/1986"),
                    second(Date_of_Birth="sometime in 1986"),
                ]
            ),
            ((2, "Date of Birth"), (3, "Date of Birth")),
        ),
        BadFile(
            "dates_as_numbers.xlsx",
            "problems",
            _xlsx([row(Date_of_Birth=31638), second(Date_of_Birth=-5)]),
            ((3, "Date of Birth"),),
        ),
        BadFile(
            "date_far_future.xlsx",
            "problems",
            _xlsx([row(Date_of_Birth=2_958_465)]),
            ((2, "Date of Birth"),),
        ),
        BadFile(
            "huge_cell.xlsx",
            "problems",
            _xlsx([row(Name_as_per_Aadhaar=MEGABYTE[:32000])]),
            ((2, "Name as per Aadhaar"),),
        ),
        BadFile(
            "huge_cell.csv",
            "problems",
            _csv([row(Name_as_per_Aadhaar=MEGABYTE)]),
            ((2, "Name as per Aadhaar"),),
        ),
        BadFile(
            "huge_pan_cell.csv", "problems", _csv([row(PAN=MEGABYTE)]), ((2, "PAN"),)
        ),
        BadFile(
            "duplicate_headers.csv",
            "reads",
            _bytes(b"PAN,PAN,Aadhaar\r\nBKRPR4521K,AAPPV8261K,2341 2341 2346\r\n"),
        ),
        BadFile(
            "error_cells.xlsx",
            "problems",
            _xlsx([row()], tweak=_error_cells),
            ((2, "Date of Birth"), (2, "Mobile")),
        ),
        BadFile(
            "numbers_everywhere.xlsx",
            "problems",
            _xlsx([row()], tweak=_numbers_everywhere),
            ((2, "PAN"),),
        ),
        BadFile(
            "ten_thousand_empty_rows.xlsx",
            "reads",
            _xlsx([row()], tweak=_empty_rows_then_one),
        ),
        BadFile(
            "header_in_row_three.xlsx",
            "problems",
            _xlsx([row(PAN="nope")], tweak=_header_in_row_three),
            ((4, "PAN"),),
        ),
        BadFile(
            "hidden_sheet_first.xlsx", "reads", _xlsx([row()], tweak=_hidden_first)
        ),
        BadFile("header_only.csv", "reads", _csv([])),
        BadFile(
            "thousand_columns.csv",
            "reads",
            _csv([row()], header=HEADER + [f"extra {n}" for n in range(1000)]),
        ),
        BadFile(
            "json_wrong_types.json",
            "problems",
            _json(
                [
                    {**row(), "Aadhaar": [2341, 2341, 2346]},
                    {**second(), "Name as per Aadhaar": {"first": "Rajesh"}},
                    7,
                    {
                        **row(
                            PAN="ABCPK1234Q", Mobile="9823456701", Email="x@example.in"
                        ),
                        "Date of Birth": True,
                    },
                ]
            ),
            ((1, "Aadhaar"), (3, "(item)"), (4, "Date of Birth")),
        ),
        BadFile(
            "json_numbers.json",
            "problems",
            _json(
                [
                    {**row(), "Aadhaar": 234123412346, "Mobile": 9840012345},
                    {**second(), "Aadhaar": 9.99941057058e11, "PIN Code": 613001.5},
                ]
            ),
            ((2, "PIN Code"),),
        ),
        BadFile(
            "json_nulls.json",
            "problems",
            _json([{k: None for k in HEADER} | {"PAN": "BKRPR4521K"}]),
            ((1, "Aadhaar"),),
        ),
        BadFile("json_empty_list.json", "reads", _json([])),
        BadFile(
            "json_applicants_not_list.json",
            "reads_or_unreadable",
            _json({"applicants": {"a": 1}}),
        ),
        BadFile(
            "json_huge_string.json",
            "problems",
            _json([row(Email=MEGABYTE)]),
            ((1, "Email"),),
        ),
    ]
    return files


def write_corpus(folder: Path) -> list[tuple[BadFile, Path]]:
    """Write every corpus file into ``folder``; returns (entry, path) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in corpus():
        path = folder / entry.name
        entry.build(path)
        written.append((entry, path))
    return written
