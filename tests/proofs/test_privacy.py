"""Nothing secret is left in the data folder: no full Aadhaar number, no OTP of the
run, no partner password; evidence is masked; retention purges on schedule.

The scan reads every file under the data folder as bytes, in UTF-8 and UTF-16-LE, and
matches each secret as a whole number (no digit right before or after it). Hits inside
compressed images or PDFs are random byte noise, not text; they are printed, and the
screenshots are covered by the masking proof instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from _harness import (
    APP,
    OTP_SCRIPT,
    Child,
    Hit,
    child_env,
    generate,
    link_mobiles,
    run_command,
    scan_tree,
    write_applicants,
)

from desktop_app.core import settings as settings_module
from desktop_app.core.secrets import get_partner_password, set_partner_password
from desktop_app.core.store import FilingStatus, Store, StoreError
from desktop_app.core.vault import VaultError
from desktop_app.paths import DataDir
from desktop_app.simulators.emudhra import DEMO_PARTNER_PASSWORD
from desktop_app.simulators.server import start_simulators

RUN_DEADLINE = 600.0
COMPRESSED = (b"\x89PNG", b"\xff\xd8\xff", b"%PDF")
_PHONE = re.compile(r"phone at (http://\S+)/phone")


def _is_compressed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4).startswith(COMPRESSED)


def _real_leaks(hits: list[Hit]) -> list[Hit]:
    """Hits that are text (not noise inside a compressed image or PDF)."""
    leaks = []
    for hit in hits:
        if _is_compressed(hit.path):
            print(f"noise in compressed data (not text): {hit}")
        else:
            leaks.append(hit)
    return leaks


def _aadhaar_forms(digits: str) -> list[str]:
    return [digits, f"{digits[:4]} {digits[4:8]} {digits[8:]}"]


def _collect_outbox(control: str, codes: set[str]) -> None:
    try:
        with urllib.request.urlopen(f"{control}/outbox.json", timeout=5) as answer:
            messages = json.load(answer)
    except OSError:
        return  # the run has ended and its simulators with it
    codes.update(message["code"] for message in messages if message.get("code"))


def _export(data_dir: Path) -> list[Path]:
    written = []
    for name in ("export.xlsx", "export.csv"):
        target = data_dir / "exports" / name
        target.parent.mkdir(exist_ok=True)
        subprocess.run(
            [str(APP), "--data-dir", str(data_dir), "export", str(target)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        written.append(target)
    return written


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_full_demo_run_leaves_no_aadhaar_otp_or_password(tmp_path: Path) -> None:
    people = generate(("udyam", "dsc_aadhaar", "dsc_pan"), first_n=4200)
    file = write_applicants(tmp_path / "applicants.csv", people)
    data_dir = tmp_path / "data"
    command = [str(APP), "--data-dir", str(data_dir), "run", str(file)]
    command += ["--demo", "--headless", "--json"]
    child = Child(command, child_env(), tmp_path)
    codes: set[str] = set()
    control = ""
    deadline = time.monotonic() + RUN_DEADLINE
    try:
        while child.alive() and time.monotonic() < deadline:
            found = [m for line in list(child.stderr) if (m := _PHONE.search(line))]
            control = control or (found[0].group(1) if found else "")
            if control:  # the demo's own phone: every OTP it sent this run
                _collect_outbox(control, codes)
            time.sleep(0.3)
    finally:
        assert not child.kill_group(), "processes left after the run"
    results = [json.loads(line) for line in child.stdout]
    assert [r["status"] for r in results] == ["completed"] * 3, child.stderr[-20:]
    assert codes, "no OTP was collected from the simulated phone"
    exports = _export(data_dir)
    assert all(path.stat().st_size for path in exports)

    secrets = {code for code in codes}
    for person in people:
        secrets.update(_aadhaar_forms(person.aadhaar))
    secrets.add(DEMO_PARTNER_PASSWORD)
    leaks = _real_leaks(scan_tree(data_dir, secrets))
    files = sum(1 for p in data_dir.rglob("*") if p.is_file())
    print(f"scanned {files} files for {len(codes)} OTPs, 3 Aadhaar numbers, 1 password")
    assert not leaks, "\n".join(
        f"{h.path}: {h.token!r} ({h.encoding}) {h.context}" for h in leaks
    )

    _retention_purges_on_schedule(data_dir)


def _retention_purges_on_schedule(root: Path) -> None:
    """Finished filings keep their numbers; the Aadhaar and evidence go after N days."""
    data_dir = DataDir(root)
    days = settings_module.load(data_dir).evidence_retention_days
    with Store.open(data_dir) as store:
        rows = store.filings()
        assert all(row.status is FilingStatus.COMPLETED for row in rows)
        finished = max(row.finished_at for row in rows if row.finished_at)
        evidence = [e.path for row in rows for e in store.evidence(row.id)]
        assert (
            store.purge_expired(
                now=finished + dt.timedelta(days=days - 1), days=days
            ).applicants
            == 0
        )
        assert all(path.exists() for path in evidence)
        purged = store.purge_expired(
            now=finished + dt.timedelta(days=days + 1), days=days
        )
        assert purged.vault_entries == len({row.applicant_ref for row in rows})
        assert purged.evidence_files == len(evidence)
        assert not any(path.exists() for path in evidence)
        for row in store.filings():
            assert row.result, "a result number was purged"
            with pytest.raises((StoreError, VaultError)):
                store.applicant(row.applicant_ref, reveal=True)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_failure_evidence_is_masked_after_the_aadhaar_was_typed(tmp_path: Path) -> None:
    (person,) = generate(("udyam",), first_n=4300)
    file = write_applicants(tmp_path / "applicant.csv", [person])
    script = tmp_path / "read_phone.py"
    script.write_text(OTP_SCRIPT)
    data_dir = tmp_path / "data"
    # The PAN is refused after the Aadhaar was typed and verified: a business failure
    # whose evidence is taken while the Aadhaar field is still on the page.
    with start_simulators(faults={"pan_invalid": {}}) as sims:
        link_mobiles(sims, [person])
        child = Child(
            run_command(data_dir, [file], sims, script), child_env(), tmp_path
        )
        try:
            child.wait(timeout=RUN_DEADLINE)
        finally:
            assert not child.kill_group()
        codes = {m.code for m in sims.outbox.messages() if m.code}
    (result,) = [json.loads(line) for line in child.stdout]
    assert (result["status"], result["failure_kind"]) == ("failed", "business"), result

    notes = [json.loads(p.read_text()) for p in (data_dir / "evidence").rglob("*.json")]
    shot_notes = [n for n in notes if any(f.endswith(".png") for f in n["files"])]
    assert shot_notes, notes
    for note in shot_notes:
        assert note["masking"]["ran"] is True, note
        assert note["masking"]["fields"] >= 1, note  # the Aadhaar input was masked
    pages = list((data_dir / "evidence").rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for form in _aadhaar_forms(person.aadhaar):
            assert form not in html, page
        for value in re.findall(r"value=\"([^\"]*)\"", html):
            assert not re.fullmatch(r"[\d ]{12,14}", value), (page, value)
    secrets = codes | set(_aadhaar_forms(person.aadhaar)) | {DEMO_PARTNER_PASSWORD}
    leaks = _real_leaks(scan_tree(data_dir, secrets))
    assert not leaks, "\n".join(f"{h.path}: {h.token!r} {h.context}" for h in leaks)


def test_partner_password_lives_only_in_the_keyring(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path / "data").ensure()
    password = "Pa55-word-only-in-keyring-7731"
    settings = settings_module.load(data_dir).model_copy(
        update={"partner_username": "office-partner"}
    )
    settings_module.save(settings, data_dir)
    set_partner_password("office-partner", password)
    with Store.open(data_dir) as store:
        store.log_event(None, "info", "partner login saved")

    assert get_partner_password("office-partner") == password
    hits = scan_tree(data_dir.root, [password]) + [
        Hit(p, password, "utf-8", "")
        for p in data_dir.root.rglob("*")
        if p.is_file() and password.encode() in p.read_bytes()
    ]
    assert not hits, hits
    assert "office-partner" in data_dir.settings.read_text()
