"""Kill a process that is writing to the store; nothing it committed may be lost."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desktop_app.paths import DataDir

# The child files applicant after applicant and prints each result after its commit.
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, sys.argv[3])
    from _store_fixtures import make_applicant
    from desktop_app.core.models import Service
    from desktop_app.core.store import Store
    from desktop_app.paths import DataDir

    data_dir, run = DataDir(Path(sys.argv[1])), int(sys.argv[2])
    store = Store.open(data_dir)
    store.mark_interrupted()
    print("started", flush=True)
    for n in range(100_000):
        ref = f"C{run}-{n}"
        applicant = make_applicant(
            ref, pan=f"CRASH{run:02d}{n:05d}", consent=frozenset({Service.UDYAM})
        )
        (filing_id,) = store.add_applicants([applicant], "crash test").filing_ids
        store.begin_attempt(filing_id)
        for step in range(1, 4):
            store.step_started(filing_id, f"step {step}", step, 3)
            store.log_event(filing_id, "info", f"working on step {step}")
            store.step_finished(filing_id, f"step {step}", "passed")
        result = f"UDYAM-XX-{run:02d}-{n:07d}"
        store.save_result(filing_id, result)
        print(filing_id, result, flush=True)
    """
)

RUNS = 5
DEADLINE_S = 30


def _run_and_kill(
    script: Path, data_dir: DataDir, run: int, kill_after: float
) -> list[tuple[int, str]]:
    """Start the child, SIGKILL it ``kill_after`` s after start-up, return commits."""
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(data_dir.root),
            str(run),
            str(Path(__file__).parent),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # blocks until the store is open
    assert first == "started\n", child.stderr.read() if child.stderr else first
    time.sleep(kill_after)
    child.kill()  # SIGKILL on POSIX: no clean-up, no atexit
    out, _ = child.communicate(timeout=DEADLINE_S)
    committed = []
    for line in out.splitlines(keepends=True):
        if line.endswith("\n"):  # a cut-off last line was never fully reported
            filing_id, result = line.split()
            committed.append((int(filing_id), result))
    return committed


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL semantics")
def test_results_survive_sigkill_at_random_moments(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    data_dir = DataDir(tmp_path / "office")
    seed = random.randrange(1_000_000)
    chooser = random.Random(seed)
    reported: list[tuple[int, str]] = []

    for run in range(RUNS):
        reported += _run_and_kill(script, data_dir, run, chooser.uniform(0.05, 0.6))
        connection = sqlite3.connect(data_dir.database)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            stored = dict(
                connection.execute(
                    "SELECT id, result FROM filings WHERE status = 'completed'"
                ).fetchall()
            )
        finally:
            connection.close()
        missing = [(i, r) for i, r in reported if stored.get(i) != r]
        assert missing == [], f"lost results (seed {seed}): {missing}"

    assert len(reported) >= RUNS, f"the child committed too little (seed {seed})"
