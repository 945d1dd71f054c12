"""SIGKILL the headless runner at chosen moments; a restart must have lost nothing.

The short CI version of ``scripts/crash_harness.py`` (which does 20+ kills): one kill
during the import, one while a filing waits for its OTP, one right after Udyam
issued a URN, one right after eMudhra issued an application number, one mid-step.
Then the filings whose number was not saved are retried. ``_crash.py`` says what is
proved after each kill.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _crash import run_kills

from desktop_app.simulators.server import start_simulators

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CI_KILLS = ("import", "otp_wait", "after_urn", "after_app_no", "mid_step")


@pytest.mark.timeout(900)
def test_kills_lose_nothing(tmp_path: Path) -> None:
    with start_simulators(seed=8) as sims:
        summary = run_kills(
            tmp_path, sims, CI_KILLS, seed=8, kinds=("udyam", "dsc_aadhaar")
        )
    print(summary.table())  # the figures, with -s

    assert [k.point for k in summary.kills] == list(CI_KILLS)
    fired = {k.point for k in summary.kills if k.fired}
    # The two targeted kills must really have happened at their moment.
    assert {"otp_wait", "after_urn", "after_app_no"} <= fired, summary.table()
    assert all(not k.orphans for k in summary.kills), summary.table()
    assert any(k.interrupted for k in summary.kills), "no kill caught a filing"
    assert not summary.problems, "\n".join(summary.problems)
    issued = summary.saved + summary.logged + summary.portal_only
    assert issued >= 2, "the portals issued no number during the run"
    # Every number not saved was retried: eMudhra gave the same number again, Udyam
    # refused a duplicate registration.
    assert summary.retried == summary.portal_only
    assert summary.recovered + summary.refused_again == summary.retried
