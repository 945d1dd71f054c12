"""Fault matrix benchmark: every simulator fault alone and two at a time, per flow.

Each case files one fresh applicant with a real headless Chromium against its own
simulators (instant simulated answers, short engine back-off) and checks it ends in
the outcome defined in ``tests/proofs/_faults.py`` (EXPECTED), with evidence, within a
deadline, leaving no browser or driver process. Prints one line per case and a summary
table; exits 1 if any case missed its outcome.

    .venv/bin/python benchmarks/bench_faults.py --singles
    .venv/bin/python benchmarks/bench_faults.py --pairs 30 --seed 8   # sampled pairs
    .venv/bin/python benchmarks/bench_faults.py --pairs all           # 105 x 3 cases
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "proofs"))

from _faults import all_pairs, all_singles, run_matrix  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", action="store_true", help="every fault alone")
    parser.add_argument(
        "--pairs", default="", help="'all', or how many sampled pairs (seeded)"
    )
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--flow", action="append", default=[], help="only this flow")
    args = parser.parse_args()
    cases = all_singles() if args.singles else []
    if args.pairs:
        pairs = all_pairs()
        if args.pairs != "all":
            pairs = random.Random(args.seed).sample(pairs, int(args.pairs))
        cases += pairs
    if args.flow:
        cases = [case for case in cases if case[1] in args.flow]
    if not cases:
        parser.error("choose --singles and/or --pairs")
    print(f"{len(cases)} cases (seed {args.seed})", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faults-") as folder:
        results = run_matrix(
            cases, Path(folder), echo=lambda line: print(line, flush=True)
        )
    summary = collections.Counter(
        (len(r.faults), r.flow, "ok" if r.ok else "FAIL") for r in results
    )
    print("\nfaults  flow          ok  failed")
    for size in sorted({len(r.faults) for r in results}):
        for flow in sorted({r.flow for r in results}):
            ok, bad = summary[(size, flow, "ok")], summary[(size, flow, "FAIL")]
            if ok or bad:
                print(f"{size:>6}  {flow:<12} {ok:>3}  {bad:>6}")
    slowest = max(results, key=lambda r: r.seconds)
    print(
        f"\n{len(results)} cases in {time.monotonic() - started:.0f} s; slowest "
        f"{slowest.seconds:.0f} s ({'+'.join(slowest.faults)} {slowest.flow})"
    )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
