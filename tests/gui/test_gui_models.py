"""Queue model diffing, the filter proxy, and the batched log panes."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from _gui_fixtures import *  # noqa: F403 - fixtures
from PySide6.QtCore import Qt

from desktop_app.gui.log_view import (
    BufferLogHandler,
    LogBuffer,
    LogModel,
    LogPump,
    LogView,
)
from desktop_app.gui.queue_model import (
    Column,
    FilingFilterProxy,
    FilingTableModel,
    QueueRow,
)

pytestmark = pytest.mark.gui


def _row(number: int, status: str = "ready", **changes) -> QueueRow:
    values = dict(
        filing_id=number,
        applicant_ref=f"A-{number:05d}",
        name=f"Person {number}",
        masked_aadhaar=f"XXXX XXXX {number % 10000:04d}",
        pan=f"ABCPX{number % 10000:04d}Q",
        service="dsc" if number % 2 else "udyam",
        service_label="eMudhra DSC" if number % 2 else "Udyam registration",
        status=status,
    )
    values.update(changes)
    return QueueRow(**values)


def test_refreshing_5000_rows_touches_only_the_changed_ones(qtbot) -> None:
    model = FilingTableModel()
    model.set_rows([_row(n) for n in range(5000)])
    resets, changed, inserted = [], [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(
        lambda first, last: changed.append((first.row(), last.row()))
    )
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))

    rows = [_row(n) for n in range(5000)]
    rows[10] = _row(10, "running", step_name="Verify PAN", step_index=2, step_total=9)
    rows[4321] = _row(4321, "completed", result="UDYAM-TN-01-0000001")
    started = time.perf_counter()
    model.set_rows([*rows, _row(5000)])
    elapsed = time.perf_counter() - started

    assert resets == []
    assert changed == [(10, 10), (4321, 4321)]
    assert inserted == [(5000, 5000)]
    assert model.index(10, Column.PROGRESS).data() == "2 of 9"
    assert elapsed < 0.5, f"diffing 5,000 rows took {elapsed:.2f} s"


def test_rows_that_left_the_store_are_removed(qtbot) -> None:
    model = FilingTableModel()
    model.set_rows([_row(n) for n in range(10)])
    model.set_rows([_row(n) for n in range(10) if n not in (2, 3, 7)])
    assert [r.filing_id for r in model.rows()] == [0, 1, 4, 5, 6, 8, 9]
    assert model.row_for(8) is not None and model.index_for(8).row() == 5


def test_proxy_filters_by_status_service_and_search(qtbot) -> None:
    model = FilingTableModel()
    model.set_rows([_row(n, "failed" if n % 3 == 0 else "ready") for n in range(30)])
    proxy = FilingFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_statuses(["failed"])
    assert proxy.rowCount() == 10
    proxy.set_services(["dsc"])
    assert proxy.rowCount() == 5
    proxy.set_statuses([])
    proxy.set_services([])
    proxy.set_search("a-00012")
    assert proxy.rowCount() == 1
    proxy.set_search("")
    proxy.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, Column.NAME).data() == "Person 9"


def test_a_burst_of_log_lines_from_threads_arrives_in_few_batches(
    qtbot, no_leaks
) -> None:
    buffer = LogBuffer()
    global_model, step_model = LogModel(limit=1000), LogModel(limit=1000)
    view = LogView(global_model)
    qtbot.addWidget(view)
    pump = LogPump(buffer, global_model, step_model)
    handler = BufferLogHandler(buffer)
    logger = logging.getLogger("tests.gui.burst")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    inserts = []
    global_model.rowsInserted.connect(lambda *_: inserts.append(1))

    def burst() -> None:
        for n in range(2000):
            logger.info("line %d for 2345 6789 0123", n)

    threads = [threading.Thread(target=burst) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    logger.removeHandler(handler)
    pump.start()
    qtbot.waitUntil(lambda: global_model.rowCount() == 1000, timeout=5000)
    pump.stop()
    assert len(inserts) <= 2, "lines are appended in batches, not one by one"
    last = global_model.lines()[-1].message
    assert last.endswith("XXXX XXXX 0123")  # Aadhaar-shaped numbers are masked
    assert "6789" not in last


def test_step_log_shows_history_then_live_lines_of_the_selected_filing(qtbot) -> None:
    from desktop_app.gui.log_view import LogLine

    buffer = LogBuffer()
    global_model, step_model = LogModel(), LogModel()
    pump = LogPump(buffer, global_model, step_model)
    pump.select_filing(7, [LogLine(1.0, 20, "filing", "from the store", 7)])
    buffer.append(LogLine(2.0, 20, "filing", "live for 7", 7))
    buffer.append(LogLine(2.0, 20, "filing", "live for 8", 8))
    pump.drain_now()
    assert [ln.message for ln in step_model.lines()] == ["from the store", "live for 7"]
