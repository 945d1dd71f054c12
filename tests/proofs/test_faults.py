"""Simulator faults end in their defined outcome, with evidence, in bounded time, and
leave no browser or driver behind.

The outcome table is ``_faults.EXPECTED``. CI runs a seeded sample (printed, so a
failure can be re-run with ``benchmarks/bench_faults.py``); the full singles matrix
and the pairs are in that benchmark. Set PROOFS_FAULT_SEED to draw another sample.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from _faults import (
    EXPECTED,
    FAULT_PARAMS,
    FLOWS,
    Outcome,
    all_pairs,
    all_singles,
    expected_for,
    run_case,
)

from desktop_app.simulators.base import FAULT_NAMES

SEED = int(os.environ.get("PROOFS_FAULT_SEED", "8"))
SINGLES = 4
PAIRS = 1


def _sample() -> list[tuple[tuple[str, ...], str]]:
    """One single fault per flow, more singles drawn from all, and a pair."""
    rng = random.Random(SEED)
    singles = all_singles()
    chosen = [rng.choice([c for c in singles if c[1] == flow]) for flow in FLOWS]
    rest = [c for c in singles if c not in chosen]
    chosen += rng.sample(rest, SINGLES - len(chosen))
    return chosen + rng.sample(all_pairs(), PAIRS)


def test_every_fault_has_an_outcome_for_every_flow() -> None:
    assert set(EXPECTED) == set(FAULT_NAMES) == set(FAULT_PARAMS)
    for fault, by_flow in EXPECTED.items():
        assert set(by_flow) == set(FLOWS), fault
        assert all(by_flow.values()), fault


def test_pairs_allow_whichever_failure_bites_first() -> None:
    assert expected_for(("latency", "click_overlay"), "udyam") <= {
        Outcome.RECOVERED,
        Outcome.RETRIED,
    }
    both = expected_for(("session_expiry", "pan_invalid"), "udyam")
    assert both == {Outcome.TECHNICAL, Outcome.BUSINESS}
    assert expected_for(("pan_invalid", "latency"), "dsc_aadhaar") <= {
        Outcome.RECOVERED,
        Outcome.RETRIED,
    }


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("faults", "flow"),
    _sample(),
    ids=lambda v: "+".join(v) if isinstance(v, tuple) else v,
)
def test_fault_ends_in_its_defined_outcome(
    faults: tuple[str, ...], flow: str, tmp_path: Path
) -> None:
    print(f"seed {SEED}: {'+'.join(faults)} on {flow}")
    result = run_case(faults, flow, tmp_path, number=SEED * 100 + len(faults))
    print(result.line())
    assert result.outcome is not None, f"no end within the deadline: {result.line()}"
    assert result.outcome in result.expected, result.line()
    assert result.evidence > 0 or result.outcome in (Outcome.RECOVERED, Outcome.RETRIED)
    assert not result.leftover_pids, result.line()
