"""``desktop-app run --demo --headless --otp-command ...`` files every Udyam sample."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.core import importer
from desktop_app.core.models import Service

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "resources" / "samples" / "applicants.xlsx"
URN = re.compile(r"^UDYAM-[A-Z]{2}-\d{2}-\d{7}$")

# Plays the applicant reading their phone, as an office's script would read an SMS
# gateway: the newest Udyam code of the asked kind. For the captcha it asks the
# simulator's control host (demo only) what the applicant's page shows.
PHONE_SCRIPT = """
import json, os, sys, urllib.parse, urllib.request

control = os.environ["SIMULATOR_CONTROL_URL"]
kind = os.environ["PROMPT_KIND"]
query = urllib.parse.urlencode({"to": os.environ["APPLICANT_MOBILE"]})
if kind == "captcha":
    with urllib.request.urlopen(control + "/captcha.json?" + query, timeout=10) as r:
        shown = json.load(r)
    answers = [item["captcha"] for item in shown]
else:
    with urllib.request.urlopen(control + "/outbox.json?" + query, timeout=10) as r:
        messages = json.load(r)
    answers = [
        m["code"] for m in messages
        if m["kind"] == kind and m["portal"] == "udyam" and m["code"]
    ]
if not answers:
    sys.exit(3)
print(answers[-1])
"""


def test_run_demo_files_every_udyam_sample_applicant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "read_phone.py"
    script.write_text(PHONE_SCRIPT)
    wanted = {
        a.ref
        for a in importer.read_file(SAMPLES).applicants
        if Service.UDYAM in a.services
    }

    code = cli.main(
        [
            "--data-dir",
            str(tmp_path / "data"),
            "run",
            "--demo",
            "--headless",
            "--otp-command",
            f"{sys.executable} {script}",
            str(SAMPLES),
            "--service",
            "udyam",
            "--jobs",
            "2",
            "--json",
        ]
    )

    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["ref"] for r in results} == wanted and len(wanted) == 4
    for result in results:
        assert result["service"] == "udyam"
        assert result["status"] == "completed", result
        assert URN.match(result["result"]), result
    assert len({r["result"] for r in results}) == len(results)
    assert code == 0
