"""Queue > Record result: the number the portal sent the applicant, typed by hand."""

from __future__ import annotations

import pytest
from _gui_fixtures import *  # noqa: F403 - fixtures
from _gui_fixtures import make_applicant
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from desktop_app.core.store import FailureKind

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]

NUMBER = "0000004321"  # an eMudhra application number (10 digits)


def _failed_filing(store) -> int:
    (filing_id,) = store.add_applicants([make_applicant(31)], "t").filing_ids
    store.begin_attempt(filing_id)
    store.fail(filing_id, FailureKind.BUSINESS, "The portal already registered ...")
    return filing_id


def _select(window, filing_id: int) -> None:
    index = window.proxy.mapFromSource(window.model.index_for(filing_id))
    window.table.selectRow(index.row())


def _answer_later(text: str, seen: list[str]) -> None:
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QInputDialog)
        seen.append(dialog.labelText())
        dialog.setTextValue(text)
        dialog.accept()

    QTimer.singleShot(50, answer)


def test_record_result_completes_a_failed_filing(window_env, qtbot) -> None:
    filing_id = _failed_filing(window_env.store)
    window = window_env.window()
    assert not window.record_result_action.isEnabled()  # nothing selected
    _select(window, filing_id)
    assert window.record_result_action.isEnabled()
    assert window.record_result_action in window.menuBar().actions()[1].menu().actions()

    seen: list[str] = []
    _answer_later(f" {NUMBER} ", seen)
    window.record_result_action.trigger()

    assert "Test Person 0031" in seen[0]
    row = window_env.store.filing(filing_id)
    assert (row.status.value, row.result) == ("completed", NUMBER)
    qtbot.waitUntil(
        lambda: window.model.row_for(filing_id).status == "completed", timeout=5000
    )
    assert not window.record_result_action.isEnabled()  # completed: nothing to enter


def test_a_wrongly_typed_number_is_refused_with_a_warning(window_env, qtbot) -> None:
    filing_id = _failed_filing(window_env.store)
    window = window_env.window()
    _select(window, filing_id)
    warnings: list[str] = []

    def close_warning() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        warnings.append(box.text())
        box.accept()

    seen: list[str] = []
    _answer_later("UDYAM-TN-25-0001234", seen)
    QTimer.singleShot(300, close_warning)
    window.record_result_action.trigger()

    assert warnings and "is not an eMudhra application number" in warnings[0]
    row = window_env.store.filing(filing_id)
    assert (row.status.value, row.result) == ("failed", None)
