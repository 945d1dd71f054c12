"""``desktop-app run --demo --headless --otp-command ...`` files every DSC sample."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.automation.emudhra_flow import NEXT_STEP
from desktop_app.commands import run as run_command
from desktop_app.core import importer
from desktop_app.core.models import Service
from desktop_app.core.secrets import PartnerCredentials
from desktop_app.core.settings import Settings

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "resources" / "samples" / "applicants.xlsx"
RUN_DEADLINE_SECONDS = 300

# Reads the simulated phone (or mailbox) the way an office's script would read a
# real SMS gateway: the newest code of the asked kind, from the asking service.
OTP_COMMAND_SCRIPT = """
import json, os, sys, urllib.parse, urllib.request

kind = os.environ["PROMPT_KIND"]
email = kind == "email_otp"
to = os.environ["APPLICANT_EMAIL" if email else "APPLICANT_MOBILE"]
service = os.environ["PROMPT_PORTAL"].split("-")[0]
query = urllib.parse.urlencode({"to": to})
url = os.environ["SIMULATOR_CONTROL_URL"] + "/outbox.json?" + query
with urllib.request.urlopen(url, timeout=10) as answer:
    messages = json.load(answer)
codes = [
    m["code"] for m in messages
    if m["kind"] == kind and m["code"] and m["portal"].split("-")[0] == service
]
if not codes:
    sys.exit(3)
print(codes[-1])
"""


def _dsc_sample_applicants() -> list:
    report = importer.read_file(SAMPLES)
    return [a for a in report.applicants if Service.DSC in a.services]


def test_run_demo_files_every_dsc_sample_applicant(tmp_path: Path) -> None:
    script = tmp_path / "read_phone.py"
    script.write_text(OTP_COMMAND_SCRIPT)
    command = [
        str(Path(sys.executable).with_name("desktop-app")),
        "--data-dir",
        str(tmp_path / "data"),
        "run",
        "--demo",
        "--headless",
        "--otp-command",
        f"{sys.executable} {script}",
        str(SAMPLES),
        "--service",
        "dsc",
        "--json",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMUDHRA_")}

    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_SECONDS,
        env=env,
        cwd=tmp_path,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    results = [json.loads(line) for line in finished.stdout.splitlines()]
    expected = _dsc_sample_applicants()
    assert expected, "the samples hold no DSC applicant"
    assert sorted(r["name"] for r in results) == sorted(
        a.person.full_name for a in expected
    )
    for result in results:
        assert result["service"] == "dsc"
        assert result["status"] == "completed", result
        assert re.fullmatch(r"\d{10}", result["result"]), result
        assert result["next_step"] == NEXT_STEP
    assert len({r["result"] for r in results}) == len(results)
    # Privacy: no Aadhaar number or PIN reaches the terminal.
    output = finished.stdout + finished.stderr
    for applicant in expected:
        assert applicant.person.aadhaar.reveal() not in output
        if not applicant.dsc.pin_generated:  # a generated PIN differs per import
            assert applicant.dsc.pin not in output


def test_unattended_run_takes_the_partner_login_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMUDHRA_PARTNER_USER", "office-partner")
    monkeypatch.setenv("EMUDHRA_PARTNER_PASSWORD", "not-in-any-file")

    partner = run_command._partner(argparse.Namespace(demo=False), Settings())

    assert partner == PartnerCredentials("office-partner", "not-in-any-file")
    assert "not-in-any-file" not in repr(partner)
