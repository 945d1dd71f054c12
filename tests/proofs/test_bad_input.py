"""Malformed applicant files never crash the importer; every problem names its place.

The corpus (``_corpus.py``) is generated into a temporary folder on every run; the
hypothesis tests throw random cells and random bytes at the same readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _corpus import HEADER, BadFile, corpus, row, write_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core import importer
from desktop_app.core.importer import ApplicantFileError, ImportReport
from desktop_app.core.validation import COLUMNS

KNOWN_HEADERS = {column.header for column in COLUMNS}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[BadFile, Path]]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


def _read(path: Path) -> ImportReport | ApplicantFileError:
    """The report, or the one exception class the importer may raise."""
    try:
        return importer.read_file(path)
    except ApplicantFileError as failure:
        return failure


def assert_problems_are_placed(report: ImportReport, headers: set[str]) -> None:
    """Every row with an error says its row number, its file and its column."""
    for result in report.rows:
        assert result.row >= 1
        if not result.errors:
            continue
        assert report.path.name in result.source, result.source
        assert str(result.row) in result.source, result.source
        for issue in result.errors:
            assert issue.column, (result.source, issue)
            assert issue.message.strip(), (result.source, issue)
            named = issue.column in headers or issue.column in KNOWN_HEADERS
            assert named or issue.column == "(item)", (result.source, issue)


def test_the_corpus_is_large_enough() -> None:
    entries = corpus()
    assert len(entries) >= 30
    assert len({entry.name for entry in entries}) == len(entries)


@pytest.mark.parametrize("entry", corpus(), ids=lambda entry: entry.name)
def test_bad_file_is_reported_not_crashed(
    entry: BadFile, written: list[tuple[BadFile, Path]]
) -> None:
    path = dict((e.name, p) for e, p in written)[entry.name]
    outcome = _read(path)  # anything but ApplicantFileError fails the test here

    if isinstance(outcome, ApplicantFileError):
        assert entry.what in ("unreadable", "reads_or_unreadable"), str(outcome)
        assert path.name in str(outcome)
        assert outcome.message.strip()
        return
    assert entry.what != "unreadable", f"{entry.name} was read: {outcome.rows}"
    assert_problems_are_placed(outcome, set(HEADER) | {"first"})
    found = {(r.row, issue.column) for r in outcome.rows for issue in r.errors}
    for expected in entry.expect:
        assert expected in found, f"{entry.name}: {expected} not in {sorted(found)}"


def test_rows_below_ten_thousand_blank_rows_keep_their_numbers(
    written: list[tuple[BadFile, Path]],
) -> None:
    path = dict((e.name, p) for e, p in written)["ten_thousand_empty_rows.xlsx"]
    report = importer.read_file(path)
    assert [r.row for r in report.rows] == [2, 10_003]
    assert len(report.applicants) == 2


def test_a_megabyte_cell_is_a_row_problem_not_a_damaged_file(
    written: list[tuple[BadFile, Path]],
) -> None:
    # Regression: csv's 128 KiB field limit used to reject the whole file.
    path = dict((e.name, p) for e, p in written)["huge_cell.csv"]
    report = importer.read_file(path)
    (bad,) = report.bad_rows
    assert bad.row == 2
    assert "Name as per Aadhaar" in {issue.column for issue in bad.errors}


# ---------------------------------------------------------------- fuzzing

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every CI run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

cells = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789 -/.E+", max_size=20),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1)),
)
fuzz_rows = st.lists(
    st.dictionaries(st.sampled_from(HEADER), cells, max_size=12), min_size=1, max_size=4
)


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value)


def _fuzzed_file(kind: str, rows: list[dict[str, Any]], folder: Path) -> Path:
    full = [
        row(**{k.replace(" ", "_"): v for k, v in changes.items()}) for changes in rows
    ]
    path = folder / f"fuzz.{kind}"
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for values in full:
            writer.writerow([_cell_text(values.get(h)) for h in HEADER])
        path.write_text(out.getvalue(), encoding="utf-8")
    elif kind == "json":
        path.write_text(json.dumps(full, default=str), encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(HEADER)
        for values in full:
            sheet.append([_xlsx_safe(values.get(h)) for h in HEADER])
        book.save(path)
    return path


def _xlsx_safe(value: Any) -> Any:
    if isinstance(value, str):  # openpyxl refuses control characters
        return "".join(ch for ch in value if ch >= " " or ch == "\t")
    return value


@FUZZ
@given(kind=st.sampled_from(["csv", "json", "xlsx"]), rows=fuzz_rows)
def test_fuzzed_cells_never_crash_and_are_placed(
    kind: str, rows: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _fuzzed_file(kind, rows, Path(folder))
        outcome = _read(path)
        if isinstance(outcome, ApplicantFileError):
            assert path.name in str(outcome)
            return
        assert_problems_are_placed(outcome, set(HEADER))
        assert len(outcome.rows) == len(rows)


@FUZZ
@given(
    suffix=st.sampled_from([".csv", ".json", ".xlsx", ".txt"]),
    data=st.binary(min_size=1, max_size=2000),
)
def test_random_bytes_are_a_file_error_or_a_placed_report(
    suffix: str, data: bytes
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        outcome = _read(path)
        if isinstance(outcome, ApplicantFileError):
            assert path.name in str(outcome)
        else:
            headers = set()
            assert_problems_are_placed(outcome, headers | _written_headers(outcome))


def _written_headers(report: ImportReport) -> set[str]:
    return {issue.column for r in report.rows for issue in r.errors}
