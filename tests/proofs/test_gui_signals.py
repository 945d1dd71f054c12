"""The window survives a long day of signals.

Found by ``benchmarks/bench_load.py``: with PySide6-Essentials 6.12.0 every
``Signal.emit`` loses one reference to ``True``. On Python 3.11 ``True`` is an ordinary
counted object, so after a few thousand emits (two filings at once over a 1,000-row
queue) the process aborts with "bool_dealloc: deallocating True or False".
6.11.3 does not have the bug; the fix is pinning the dependency.
"""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.gui


def test_signal_emit_keeps_its_references_to_true() -> None:
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        ping = Signal(int)
        carried = Signal(object)

    probe = Probe()
    received: list[object] = []
    probe.carried.connect(received.append)
    before = sys.getrefcount(True)
    for number in range(20):
        probe.ping.emit(number)
        probe.carried.emit(number)
    lost = before - sys.getrefcount(True)

    assert received == list(range(20))
    assert lost <= 0, f"Signal.emit lost {lost} references to True in 40 emits"
