"""Crash harness (long version): SIGKILL the headless runner 20+ times, prove no loss.

Runs ``desktop-app run`` (headless, real Chromium) on fresh applicants against
simulators in this process and kills its whole process group at chosen moments:
during the import, mid-step, while a filing waits for its OTP, right after Udyam
issued a URN, right after eMudhra issued an application number, and at random times.
After each kill a restart (the store opened again, as the app does at start-up) must
show every applicant, every step printed, every number issued, and the filings in
flight as interrupted at their step; no process of the child may survive. At the end
the filings whose number was issued but not yet saved are retried: eMudhra must show
the same number again; Udyam (which refuses a second registration) must end with the
recovery message, its email/SMS notice must carry the URN, and Record result with the
URN read from the SMS must complete the filing.

What is checked, in detail: ``tests/proofs/_crash.py``. The CI version (5 kills) is
``tests/proofs/test_crash.py``.

    .venv/bin/python scripts/crash_harness.py                # 24 kills, seed 8
    .venv/bin/python scripts/crash_harness.py --kills 40 --seed 3

Prints a table per kill and the totals; exits 1 on any loss or problem.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "proofs"))

from _crash import KILL_POINTS, CrashHarness  # noqa: E402

from desktop_app.simulators.server import start_simulators  # noqa: E402

TARGETED = ("import", "otp_wait", "after_urn", "after_app_no", "mid_step")


def kill_plan(kills: int, seed: int) -> list[str]:
    """Every targeted point at least once, the rest drawn (seeded) from all points."""
    rng = random.Random(seed)
    plan = list(TARGETED)
    plan += [rng.choice(KILL_POINTS) for _ in range(max(0, kills - len(plan)))]
    # The first kill is an import kill on an empty folder; shuffle the rest.
    rest = plan[1:]
    rng.shuffle(rest)
    return [plan[0], *rest]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    plan = kill_plan(args.kills, args.seed)
    print(f"{len(plan)} kills (seed {args.seed}): {' '.join(plan)}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with start_simulators(seed=args.seed) as sims:
            harness = CrashHarness(
                workdir, sims, args.seed, ("udyam", "dsc_aadhaar", "dsc_pan")
            )
            for point in plan:
                kill = harness.kill_once(point)
                print(
                    f"kill {kill.number:>2} {kill.point:<12} fired={kill.fired} "
                    f"after {kill.after_s:5.1f}s interrupted={kill.interrupted} "
                    f"orphans={len(kill.orphans)} problems={kill.problems}",
                    flush=True,
                )
            summary = harness.summary()
    print()
    print(summary.table())
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    for problem in summary.problems:
        print(f"PROBLEM: {problem}")
    fired = sum(1 for k in summary.kills if k.fired)
    print(f"kills that fired at their point: {fired} of {len(summary.kills)}")
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
