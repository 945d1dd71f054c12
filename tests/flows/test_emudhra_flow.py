"""Smoke (temporary)."""
from __future__ import annotations
import time
import pytest
from _dsc_fixtures import dsc_applicant, dsc_rig, Recorder
from desktop_app.automation.flow import FlowStatus

pytestmark = pytest.mark.browser

def test_aadhaar_smoke(tmp_path):
    with dsc_rig(tmp_path) as rig:
        rec = Recorder()
        started = time.monotonic()
        outcome = rig.file(dsc_applicant("A-1"), listener=rec)
        print("took", time.monotonic() - started)
        print(outcome)
        print(rec.steps)
        print(rec.messages)
        assert outcome.status is FlowStatus.COMPLETED
