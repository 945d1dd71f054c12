"""``desktop-app status`` and ``desktop-app export`` over a small queue."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop_app.commands import export, status
from desktop_app.core.models import Service
from desktop_app.core.store import FailureKind, Store
from desktop_app.paths import DataDir

try:
    from ._store_fixtures import AADHAAR_NUMBERS, PANS, make_applicant, no_keyring
except ImportError:
    from _store_fixtures import AADHAAR_NUMBERS, PANS, make_applicant, no_keyring

UDYAM = frozenset({Service.UDYAM})


@pytest.fixture
def data_root(tmp_path: Path) -> Iterator[Path]:
    """A book with one completed, one failed and one pending filing."""
    root = tmp_path / "office"
    with no_keyring():
        with Store.open(DataDir(root)) as store:
            store.add_applicants(
                [
                    make_applicant(
                        "A-1",
                        name="Meena Raghavan",
                        pan=PANS[0],
                        aadhaar=AADHAAR_NUMBERS[0],
                        consent=UDYAM,
                    ),
                    make_applicant(
                        "A-2",
                        name='=HYPERLINK("x")',
                        pan=PANS[1],
                        aadhaar=AADHAAR_NUMBERS[1],
                        consent=UDYAM,
                    ),
                    make_applicant(
                        "A-3",
                        name="Arjun Pillai",
                        pan=PANS[2],
                        aadhaar=AADHAAR_NUMBERS[2],
                        services=frozenset({Service.DSC}),
                    ),
                ],
                "clients.xlsx",
            )
            done, failed, _pending = (f.id for f in store.filings())
            for filing_id in (done, failed):
                store.begin_attempt(filing_id)
                store.step_started(filing_id, "Final submit", 9, 9)
            store.save_result(done, "UDYAM-TN-29-0012345", "Send the certificate")
            store.fail(failed, FailureKind.BUSINESS, "Name does not match PAN")
        yield root


def _parse(module: object, *argv: str, data_root: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.configure(parser)  # type: ignore[attr-defined]
    args = parser.parse_args(list(argv))
    args.data_dir = data_root
    return args


def _no_full_aadhaar(text: str) -> None:
    for number in AADHAAR_NUMBERS:
        assert number not in text
        assert f"{number[:4]} {number[4:8]} {number[8:]}" not in text


def test_status_table(data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with no_keyring():
        assert status.run(_parse(status, data_root=data_root)) == 0
    lines = capsys.readouterr().out.splitlines()

    assert lines[0].split()[:3] == ["Ref", "Name", "Service"]
    assert len(lines) == 2 + 3
    done = next(line for line in lines if line.startswith("A-1"))
    assert "Completed" in done and "UDYAM-TN-29-0012345" in done
    assert "Final submit (9 of 9)" in done
    failed = next(line for line in lines if line.startswith("A-2"))
    assert "business: Name does not match PAN" in failed
    assert "Pending consent" in next(line for line in lines if line.startswith("A-3"))
    _no_full_aadhaar("\n".join(lines))


def test_status_json_lines(data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with no_keyring():
        status.run(_parse(status, "--json", data_root=data_root))
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert [(r["ref"], r["status"]) for r in records] == [
        ("A-1", "completed"),
        ("A-2", "failed"),
        ("A-3", "pending_consent"),
    ]
    assert records[0]["result"] == "UDYAM-TN-29-0012345"
    assert records[0]["aadhaar"] == "XXXX XXXX 2346"
    assert records[1]["failure_kind"] == "business" and records[1]["attempts"] == 1
    _no_full_aadhaar(json.dumps(records))


def test_status_of_an_empty_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with no_keyring():
        status.run(_parse(status, data_root=tmp_path / "new"))
    assert capsys.readouterr().out == "The queue is empty.\n"


def test_export_xlsx(data_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    with no_keyring():
        assert export.run(_parse(export, str(out), data_root=data_root)) == 0

    sheet = load_workbook(out).active
    rows = [tuple(cell.value or "" for cell in row) for row in sheet.iter_rows()]
    assert rows[0] == export.HEADERS
    by_pan = {row[1]: row for row in rows[1:]}
    assert by_pan[PANS[0]][6:] == ("UDYAM-TN-29-0012345", "Send the certificate")
    assert by_pan[PANS[0]][2] == "XXXX XXXX 2346"
    assert by_pan[PANS[1]][0] == '\'=HYPERLINK("x")'  # text, not a formula
    assert by_pan[PANS[1]][7] == "Name does not match PAN"
    assert "consent" in by_pan[PANS[2]][7]
    _no_full_aadhaar(repr(rows))


def test_export_csv_filtered_by_status(data_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "done.csv"
    with no_keyring():
        export.run(
            _parse(export, str(out), "--status", "completed", data_root=data_root)
        )

    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == list(export.HEADERS)
    assert [row[0] for row in rows[1:]] == ["Meena Raghavan"]
    assert rows[1][3:5] == ["Udyam registration", "Completed"]
    _no_full_aadhaar(text)


def test_export_refuses_other_formats(
    data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with no_keyring():
        code = export.run(_parse(export, str(tmp_path / "r.pdf"), data_root=data_root))
    assert code == 2 and ".xlsx or .csv" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()
