"""Reading applicant files: good and broken files of each kind, made in tmp_path."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.identifiers import aadhaar_check_digit
from desktop_app.core.importer import ApplicantFileError, read_file, read_files
from desktop_app.core.models import KycRoute, Service
from desktop_app.paths import resource_path

HEADERS = [
    "Services",
    "Name as per Aadhaar",
    "Name as per PAN",
    "DOB",
    "Gender",
    "PAN No",
    "Aadhar No",
    "Mobile No",
    "Email",
]


def aadhaar(first11: str) -> str:
    return first11 + aadhaar_check_digit(first11)


def person(number: int, **changes) -> list:
    row = {
        "Services": "DSC",
        "Name as per Aadhaar": f"Kavya Ramesh {chr(65 + number)}",
        "Name as per PAN": f"Kavya Ramesh {chr(65 + number)}",
        "DOB": "02/03/1990",
        "Gender": "Female",
        "PAN No": f"BKRPR452{number}K",
        "Aadhar No": aadhaar(f"4821593760{number}"),
        "Mobile No": f"984001234{number}",
        "Email": f"kavya{number}@example.in",
    }
    row.update(changes)
    return [row[h] for h in HEADERS]


def write_xlsx(path: Path, rows: list[list], *, sheet="Applicants", extra=None):
    workbook = openpyxl.Workbook()
    if extra:
        hidden = workbook.active
        hidden.title = extra
        hidden.sheet_state = "hidden"
        hidden.append(["junk"])
        sheet_obj = workbook.create_sheet(sheet)
    else:
        sheet_obj = workbook.active
        sheet_obj.title = sheet
    sheet_obj.append(HEADERS)
    for row in rows:
        sheet_obj.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list], *, sep=",", encoding="utf-8") -> Path:
    lines = [sep.join(HEADERS)] + [sep.join(str(c) for c in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_xlsx_good_rows_and_excel_row_numbers(tmp_path):
    bad = person(2, **{"Aadhar No": "234123412347"})
    path = write_xlsx(tmp_path / "a.xlsx", [person(1), [None] * 9, bad])
    report = read_file(path)
    assert [row.row for row in report.rows] == [2, 4]
    assert len(report.applicants) == 1
    assert report.has_errors
    error = report.rows[1].errors[0]
    assert (error.column, report.rows[1].row) == ("Aadhar No", 4)
    assert report.file_warnings == []


def test_xlsx_numeric_cells_are_normalised(tmp_path):
    row = person(
        1, **{"Aadhar No": int(aadhaar("48215937601")), "Mobile No": 9840012341}
    )
    report = read_file(write_xlsx(tmp_path / "n.xlsx", [row]))
    assert report.rows[0].valid, report.rows[0].errors
    assert report.applicants[0].person.mobile == "9840012341"
    assert any("holds numbers" in warning for warning in report.file_warnings)


def test_xlsx_date_cells(tmp_path):
    import datetime as dt

    row = person(1, DOB=dt.datetime(1990, 3, 2))
    report = read_file(write_xlsx(tmp_path / "d.xlsx", [row]))
    assert report.applicants[0].person.date_of_birth == dt.date(1990, 3, 2)


def test_xlsx_first_visible_sheet_when_no_applicants_sheet(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", [person(1)], sheet="Clients", extra="Secret")
    report = read_file(path)
    assert len(report.applicants) == 1
    assert "read the sheet 'Clients'" in report.file_warnings[0]


def test_xlsx_trailing_empty_rows_are_fast(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Applicants"
    sheet.append(HEADERS)
    sheet.append(person(1))
    for number in range(3, 10_003):
        for column in range(1, 10):
            sheet.cell(number, column, "")
    path = tmp_path / "trailing.xlsx"
    workbook.save(path)
    started = time.monotonic()
    report = read_file(path)
    assert time.monotonic() - started < 5
    assert len(report.rows) == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("cut.xlsx", None, "damaged"),
        ("junk.xlsx", bytes(range(256)) * 4, "not an Excel workbook"),
        ("empty.xlsx", b"", "empty"),
        ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password"),
        ("zip.xlsx", b"PK\x03\x04" + b"\0" * 100, "damaged"),
        ("notes.docx", b"hello", "not '.docx'"),
        ("noext", b"hello", "no extension"),
        ("binary.csv", bytes(range(256)) * 8, "not a text"),
        ("blank.csv", b"\r\n \r\n", "empty"),
        ("random.csv", b"colour,size\nred,10\n", "does not look like an applicant"),
        ("bad.json", b"{not json", "not a valid JSON"),
        ("scalar.json", b"42", "list of applicants"),
        ("deep.json", b"[" * 100_000, "not a valid JSON"),
    ],
)
def test_unreadable_files_raise_one_clear_error(tmp_path, name, content, fragment):
    path = tmp_path / name
    if content is None:
        good = write_xlsx(tmp_path / "good.xlsx", [person(1)]).read_bytes()
        content = good[: len(good) // 2]
    path.write_bytes(content)
    with pytest.raises(ApplicantFileError, match=fragment) as caught:
        read_file(path)
    assert caught.value.path == path


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ApplicantFileError, match="does not exist"):
        read_file(tmp_path / "gone.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ApplicantFileError, match="folder"):
        read_file(tmp_path / "folder.csv")


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [(",", "utf-8"), (",", "utf-8-sig"), (";", "cp1252"), ("\t", "utf-16")],
)
def test_csv_encodings_and_separators(tmp_path, sep, encoding):
    row = person(
        1,
        **{"Name as per Aadhaar": "Zoë Fernandes", "Name as per PAN": "Zoë Fernandes"},
    )
    report = read_file(
        write_csv(tmp_path / "a.csv", [row, person(2)], sep=sep, encoding=encoding)
    )
    assert [row.valid for row in report.rows] == [True, True], report.rows[0].errors
    assert report.applicants[0].person.full_name == "Zoë Fernandes"


def test_csv_quoted_fields_and_unknown_columns_reported_once(tmp_path):
    path = tmp_path / "q.csv"
    header = ",".join(HEADERS) + ",Favourite Colour,"
    rows = [",".join(person(n)) + f',"blue, green",stray{n}' for n in (1, 2, 3)]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    report = read_file(path)
    assert len(report.applicants) == 3
    assert report.file_warnings == [
        "Columns Filing Desk does not use (ignored): Favourite Colour",
        "Column K has values but no header; ignored",
    ]


def test_csv_excel_mangled_aadhaar(tmp_path):
    path = write_csv(tmp_path / "m.csv", [person(1, **{"Aadhar No": "4.82159E+11"})])
    error = read_file(path).rows[0].errors[0]
    assert (
        error.column == "Aadhar No"
        and "format the Aadhaar column as Text" in error.message
    )


def test_json_list_of_applicants_with_nested_address(tmp_path):
    items = [dict(zip(HEADERS, person(1), strict=True)), "not an applicant"]
    items[0]["address"] = {"PIN Code": "613001", "City": "Thanjavur"}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    report = read_file(path)
    assert report.rows[0].valid
    assert report.applicants[0].person.address.pin == "613001"
    assert (report.rows[1].row, report.rows[1].errors[0].column) == (2, "(item)")


def test_json_old_api_body_and_list_of_bodies(tmp_path):
    def body(number, route):
        return {
            "result": {"payload": {"filing_type": route}},
            "people_data": {
                "aadhaar": aadhaar(f"4821593760{number}"),
                "mobile": f"984001234{number}",
                "pan": f"BKRPR452{number}K",
                "name": "Kavya Ramesh",
                "dob": "1990-03-02",
                "gender": "F",
                "email": f"k{number}@example.in",
                "desired_pin": "731904",
            },
        }

    single = tmp_path / "one.json"
    single.write_text(json.dumps(body(1, "Aadhaar")), encoding="utf-8")
    report = read_file(single)
    applicant = report.applicants[0]
    assert applicant.services == {Service.DSC}
    assert applicant.dsc.kyc_route is KycRoute.AADHAAR and applicant.dsc.pin == "731904"
    many = tmp_path / "many.json"
    many.write_text(json.dumps([body(1, "Aadhaar"), body(2, "PAN")]), encoding="utf-8")
    report = read_file(many)
    assert report.rows[0].valid
    second = {issue.column for issue in report.rows[1].errors}
    assert second == {"PAN Copy File", "Address Proof File", "Photo File"}


def test_json_wrong_types_become_row_errors(tmp_path):
    item = dict(zip(HEADERS, person(1), strict=True))
    item.update(
        {"Aadhar No": [1, 2], "Mobile No": {"x": 1}, "DOB": True, "Gender": 3.5}
    )
    path = tmp_path / "types.json"
    path.write_text(json.dumps([item]), encoding="utf-8")
    report = read_file(path)
    columns = {issue.column for issue in report.rows[0].errors}
    assert {"Aadhar No", "DOB", "Gender"} <= columns


def test_read_files_cross_checks_across_files(tmp_path):
    first = write_csv(tmp_path / "a.csv", [person(1)])
    second = write_csv(tmp_path / "b.csv", [person(1)])
    batch = read_files([first, tmp_path / "missing.csv", second])
    assert [failure.path.name for failure in batch.failures] == ["missing.csv"]
    assert batch.reports[0].rows[0].valid
    assert "Duplicate" in batch.reports[1].rows[0].errors[0].message
    assert len(batch.applicants) == 1


@pytest.mark.parametrize(
    "name",
    ["applicants.xlsx", "applicants.csv", "applicants.json", "old_api_request.json"],
)
def test_bundled_samples_are_all_valid(name):
    report = read_file(resource_path("samples", name))
    assert report.rows and not report.has_errors, [r.errors for r in report.rows]
    services = [a.services for a in report.applicants]
    if name != "old_api_request.json":
        assert len(report.applicants) >= 6
        assert {Service.DSC, Service.UDYAM} in services
        routes = {a.dsc.kyc_route for a in report.applicants if a.dsc}
        assert routes == {KycRoute.AADHAAR, KycRoute.PAN}
        assert all(a.consent and a.consent.given_by for a in report.applicants)
    mobiles = [a.person.mobile for a in report.applicants]
    assert len(set(mobiles)) == len(mobiles)


def test_error_sample_has_errors_and_warnings():
    report = read_file(resource_path("samples", "applicants_with_errors.csv"))
    assert report.has_errors and report.applicants
    assert any(row.warnings for row in report.rows)


_reader_suffixes = st.sampled_from([".xlsx", ".csv", ".json", ".txt", ".xlsm"])
_prefixes = st.sampled_from(
    [
        b"",
        b"PK\x03\x04",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"[",
        b'{"result":',
        ",".join(HEADERS).encode() + b"\n",
    ]
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(suffix=_reader_suffixes, prefix=_prefixes, body=st.binary(max_size=400))
def test_no_bytes_make_a_reader_raise_anything_else(tmp_path, suffix, prefix, body):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(prefix + body)
    try:
        report = read_file(path)
    except ApplicantFileError as failure:
        assert failure.message
    else:
        assert all(row.valid or row.errors for row in report.rows)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(min_value=0, max_value=5000), flip=st.integers(0, 255))
def test_damaged_workbooks_raise_only_the_file_error(tmp_path, cut, flip):
    good = write_xlsx(tmp_path / "good.xlsx", [person(1)]).read_bytes()
    damaged = bytearray(good[: max(cut, 1)] if cut < len(good) else good)
    damaged[len(damaged) // 2] ^= flip
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(damaged))
    with contextlib.suppress(ApplicantFileError):
        read_file(path)
