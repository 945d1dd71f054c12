"""``desktop-app template`` and ``desktop-app check``, run through the real CLI."""

from __future__ import annotations

import csv
import json

import openpyxl

from desktop_app.cli import main
from desktop_app.core.importer import read_file
from desktop_app.core.validation import COLUMNS
from desktop_app.paths import resource_path


def run(tmp_path, *args):
    return main(["--data-dir", str(tmp_path / "data"), *args])


def test_xlsx_template_has_columns_help_dropdowns_and_text_format(tmp_path):
    out = tmp_path / "template.xlsx"
    assert run(tmp_path, "template", str(out)) == 0
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Applicants", "Help"]
    sheet = workbook["Applicants"]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [column.header for column in COLUMNS]

    letter = {c.value: c.column_letter for c in sheet[1]}
    for header in ("Aadhaar", "PAN", "Mobile"):
        assert sheet.column_dimensions[letter[header]].number_format == "@"
    lists = {
        str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1
        for v in sheet.data_validations.dataValidation
    }
    for header in (
        "Services",
        "DSC KYC Route",
        "Gender",
        "Organisation Type",
        "Social Category",
        "Major Activity",
        "Has GSTIN",
        "Consent given",
    ):
        assert letter[header] in lists, header
    assert "Proprietary" in lists[letter["Organisation Type"]]

    help_rows = list(workbook["Help"].iter_rows(min_row=2, values_only=True))
    documented = {row[0]: row for row in help_rows if row[0]}
    aadhaar_help = documented["Aadhaar"]
    assert aadhaar_help[1] == "Always" and "12 digits" in aadhaar_help[2]
    assert documented["Enterprise Name"][1] == "Udyam"
    assert documented["PAN Copy File"][1] == "DSC by PAN route"


def test_empty_xlsx_template_reads_as_no_rows(tmp_path):
    out = tmp_path / "template.xlsx"
    run(tmp_path, "template", str(out))
    report = read_file(out)
    assert report.rows == [] and report.file_warnings == []


def test_csv_template_is_a_header_and_one_valid_example(tmp_path):
    out = tmp_path / "template.csv"
    assert run(tmp_path, "template", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [column.header for column in COLUMNS]
    assert len(rows) == 2
    report = read_file(out)
    assert report.rows[0].valid, report.rows[0].errors


def test_template_refuses_to_overwrite_and_unknown_types(tmp_path, capsys):
    out = tmp_path / "t.csv"
    out.write_text("mine")
    assert run(tmp_path, "template", str(out)) == 2
    assert out.read_text() == "mine"
    assert run(tmp_path, "template", "--force", str(out)) == 0
    assert run(tmp_path, "template", str(tmp_path / "t.pdf")) == 2
    assert ".xlsx or .csv" in capsys.readouterr().err


def test_check_exit_codes(tmp_path, capsys):
    good = resource_path("samples", "applicants.csv")
    bad = resource_path("samples", "applicants_with_errors.csv")
    assert run(tmp_path, "check", str(good)) == 0
    assert "7 rows: 7 ready to import" in capsys.readouterr().out
    assert run(tmp_path, "check", str(bad)) == 1
    table = capsys.readouterr().out
    assert "ERROR" in table and "Aadhaar" in table and "XXXX XXXX 2347" in table
    assert "234123412347" not in table
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"junk")
    assert run(tmp_path, "check", str(good), str(junk)) == 2
    assert "CANNOT READ" in capsys.readouterr().out


def test_check_json_shape(tmp_path, capsys):
    bad = resource_path("samples", "applicants_with_errors.csv")
    missing = tmp_path / "missing.json"
    assert run(tmp_path, "check", "--json", str(bad), str(missing)) == 2
    entries = json.loads(capsys.readouterr().out)
    assert entries[1] == {"path": str(missing), "error": "The file does not exist"}
    first = entries[0]
    assert first["path"] == str(bad)
    assert (
        "Columns Filing Desk does not use (ignored): Favourite Colour"
        in (first["file_warnings"])
    )
    rows = {row["row"]: row for row in first["rows"]}
    assert rows[2]["errors"] == [] and rows[2]["ref"].startswith("A-")
    assert {"column": "Email", "message": "Email address is missing"} in rows[8][
        "errors"
    ]
    for row in rows.values():
        for issue in row["errors"] + row["warnings"]:
            assert set(issue) == {"column", "message"}


def test_check_on_samples_leaves_no_full_aadhaar_in_the_data_dir(tmp_path):
    samples = [
        resource_path("samples", n) for n in ("applicants.xlsx", "applicants.json")
    ]
    run(tmp_path, "-v", "check", *map(str, samples))
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "234123412346" not in text and "999941057058" not in text
