"""The main window: queue, import by drag and drop, running, prompts, closing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from _gui_fixtures import *  # noqa: F403 - fixtures
from _gui_fixtures import GOOD_OTP, make_applicant
from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QObject,
    QPoint,
    QPointF,
    QRect,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop_app.core.models import Service
from desktop_app.core.store import FilingStatus
from desktop_app.gui.app import smoke_check
from desktop_app.gui.prompts import OtpDialog
from desktop_app.gui.queue_model import Column

pytestmark = [
    pytest.mark.gui,
    # Any Qt warning (such as "QThread: Destroyed while thread is still running")
    # fails a test; the offscreen plugin's notes on what it cannot do are harmless.
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


def _select(window, filing_id: int) -> None:
    index = window.proxy.mapFromSource(window.model.index_for(filing_id))
    window.table.selectRow(index.row())


def _status(window, filing_id: int) -> str:
    return window.store.filing(filing_id).status.value


def test_window_has_its_parts_and_shows_the_queue(window_env) -> None:
    result = window_env.store.add_applicants([make_applicant(n) for n in range(3)], "t")
    window = window_env.window()
    assert smoke_check(window) == []
    assert window.model.rowCount() == 3
    row = window.model.rows()[0]
    assert row.masked_aadhaar.startswith("XXXX XXXX ")
    assert window.model.index_for(result.filing_ids[0]).isValid()


def test_search_and_filters_narrow_the_table(window_env, qtbot) -> None:
    applicants = [make_applicant(n, consent=n != 2) for n in range(4)]
    window_env.store.add_applicants(applicants, "t")
    window = window_env.window()
    qtbot.keyClicks(window.search, "ABCPT0001")
    assert window.proxy.rowCount() == 1
    window.search.clear()
    window.status_filter.setCurrentIndex(
        window.status_filter.findData("pending_consent")
    )
    assert window.proxy.rowCount() == 1
    pending = window.proxy.index(0, Column.STATUS).data()
    assert pending == "Needs consent"


def test_recording_consent_makes_a_filing_ready(window_env, qtbot) -> None:
    result = window_env.store.add_applicants([make_applicant(7, consent=False)], "t")
    filing_id = result.filing_ids[0]
    window = window_env.window()
    _select(window, filing_id)
    assert window.consent_action.isEnabled()

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        dialog.who.setText("Operator One")
        dialog.accept()

    QTimer.singleShot(50, answer)
    window.consent_action.trigger()
    qtbot.waitUntil(lambda: _status(window, filing_id) == "ready", timeout=5000)
    qtbot.waitUntil(
        lambda: window.model.row_for(filing_id).status == "ready", timeout=5000
    )
    audit = window_env.store.consent_audit("A-T00007")
    assert audit[-1].who == "Operator One"


def _drop(window, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, drop)


def test_dropping_a_file_previews_rows_with_their_errors(
    window_env, qtbot, tmp_path
) -> None:
    from desktop_app.core.template import write_template

    template = write_template(tmp_path / "template.csv")
    lines = template.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 2, "the template should carry an example row"
    header, example = lines[0], lines[1]
    broken = example.replace(example.split(",")[_pan_index(header)], "NOTAPAN", 1)
    clients = tmp_path / "clients.csv"
    clients.write_text("\n".join([header, example, broken]) + "\n", encoding="utf-8")

    window = window_env.window()
    _drop(window, [clients])
    qtbot.waitUntil(
        lambda: getattr(window, "import_dialog", None) is not None, timeout=5000
    )
    dialog = window.import_dialog
    model = dialog.model
    assert model.rowCount() == 2
    statuses = [model.index(r, 1).data() for r in range(2)]
    assert statuses[0].startswith("OK") and "error" in statuses[1]
    bad_cells = [
        model.index(1, c)
        for c in range(5, model.columnCount())
        if model.index(1, c).data()
    ]
    assert bad_cells, "the error is shown in the column it concerns"
    assert bad_cells[0].data(Qt.ItemDataRole.BackgroundRole) is not None
    assert bad_cells[0].data(Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(dialog.imported, timeout=5000):
        dialog.import_button.click()
    qtbot.waitUntil(lambda: window.model.rowCount() >= 1, timeout=5000)

    window.import_dialog = None
    _drop(window, [clients])  # the same file again: flagged as already queued
    qtbot.waitUntil(lambda: window.import_dialog is not None, timeout=5000)
    again = window.import_dialog
    assert "Duplicate" in again.model.index(0, 1).data()
    assert not again.import_button.isEnabled()
    again.reject()


def _pan_index(header: str) -> int:
    names = [h.strip().lower() for h in header.split(",")]
    return next(
        i
        for i, name in enumerate(names)
        if name.startswith("pan") and "name" not in name
    )


def _answer_otps(qtbot, window, answers: list[str], seen: list[OtpDialog]) -> None:
    """Answer the next OTP dialogs in order, from the event loop (as a person would)."""

    def on_shown(prompt) -> None:
        dialog = window.prompts.dialog
        seen.append(
            (dialog.view.attempt, dialog.view.message, prompt.request.applicant_ref)
        )
        if answers:
            text = answers.pop(0)
            QTimer.singleShot(20, lambda: _type_and_submit(qtbot, dialog, text))

    window.prompts.prompt_shown.connect(on_shown)


def _type_and_submit(qtbot, dialog, text: str) -> None:
    qtbot.keyClicks(dialog.otp_edit, text)
    dialog.answer_button.click()


def test_a_filing_runs_and_a_wrong_otp_reopens_the_dialog(
    window_env, qtbot, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    result = window_env.store.add_applicants([make_applicant(1)], "t")
    filing_id = result.filing_ids[0]
    window = window_env.window()
    seen: list = []
    _answer_otps(
        qtbot, window, ["111111", f"Your OTP is {GOOD_OTP}. Do not share"], seen
    )
    _select(window, filing_id)
    with qtbot.waitSignal(window.filing_finished, timeout=20_000) as finished:
        window.start_selected()
    assert finished.args[0].status == "completed"
    assert [s[0] for s in seen] == [1, 2]
    assert "Incorrect OTP" in seen[1][1]
    qtbot.waitUntil(
        lambda: window.model.row_for(filing_id).status == "completed", timeout=5000
    )
    row = window.model.row_for(filing_id)
    assert row.result == f"ORDER-{filing_id:05d}"
    assert (row.step_index, row.step_total) == (3, 3)
    assert GOOD_OTP not in caplog.text and "111111" not in caplog.text
    qtbot.waitUntil(
        lambda: any("Opened" in ln.message for ln in window.step_log_model.lines()),
        timeout=5000,
    )


def test_cancel_while_waiting_for_the_operator(window_env, qtbot) -> None:
    result = window_env.store.add_applicants([make_applicant(2)], "t")
    filing_id = result.filing_ids[0]
    window = window_env.window()
    with qtbot.waitSignal(window.prompts.prompt_shown, timeout=10_000):
        window.start_all_ready()
    _select(window, filing_id)
    with qtbot.waitSignal(window.filing_finished, timeout=10_000) as finished:
        window.cancel_selected()
    assert finished.args[0].status == "cancelled"
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    assert _status(window, filing_id) == "cancelled"
    _select(window, filing_id)
    assert window.retry_action.isEnabled()


def test_skip_in_the_dialog_cancels_only_that_filing(window_env, qtbot) -> None:
    window_env.store.add_applicants([make_applicant(3)], "t")
    window = window_env.window()
    with qtbot.waitSignal(window.prompts.prompt_shown, timeout=10_000):
        window.start_all_ready()
    with qtbot.waitSignal(window.filing_finished, timeout=10_000) as finished:
        window.prompts.dialog.skip_button.click()
    assert finished.args[0].status == "cancelled"


def test_two_at_once_queue_their_dialogs_oldest_first(window_env, qtbot) -> None:
    result = window_env.store.add_applicants([make_applicant(n) for n in (4, 5)], "t")
    window = window_env.window()
    window.concurrency.setValue(2)
    with qtbot.waitSignal(window.prompts.prompt_shown, timeout=10_000) as first:
        window.start_all_ready()
    qtbot.waitUntil(lambda: window.prompts.pending_count() == 2, timeout=10_000)
    assert "2 waiting" in window.prompt_label.text()
    first_ref = first.args[0].request.applicant_ref
    with qtbot.waitSignal(window.prompts.prompt_shown, timeout=10_000) as second:
        _type_and_submit(qtbot, window.prompts.dialog, GOOD_OTP)
    assert second.args[0].request.applicant_ref != first_ref
    with qtbot.waitSignals(
        [window.filing_finished, window.filing_finished], timeout=20_000
    ):
        _type_and_submit(qtbot, window.prompts.dialog, GOOD_OTP)
    qtbot.waitUntil(
        lambda: all(_status(window, i) == "completed" for i in result.filing_ids),
        timeout=10_000,
    )


def test_closing_while_a_filing_waits_asks_then_stops_it(window_env, qtbot) -> None:
    result = window_env.store.add_applicants([make_applicant(6)], "t")
    filing_id = result.filing_ids[0]
    window = window_env.window()
    with qtbot.waitSignal(window.prompts.prompt_shown, timeout=10_000):
        window.start_all_ready()
    asked = []

    def answer_yes() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.button(QMessageBox.StandardButton.Yes).click()
        else:
            QTimer.singleShot(50, answer_yes)

    QTimer.singleShot(0, answer_yes)
    window.prompts.dialog.hide()  # the question box must be the active modal widget
    window.close()
    assert asked and "still running" in asked[0]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert window.store.filing(filing_id).status in (
        FilingStatus.INTERRUPTED,
        FilingStatus.CANCELLED,
    )


def test_export_writes_the_core_format(window_env, tmp_path) -> None:
    window_env.store.add_applicants([make_applicant(n) for n in range(2)], "t")
    window = window_env.window()
    target = tmp_path / "out.csv"
    assert window.export_results(target) == 2
    text = target.read_text(encoding="utf-8-sig")
    assert "Test Person 0001" in text
    assert Service.DSC.label in text or "dsc" in text.lower()


def test_the_pin_the_app_chose_is_shown_only_when_asked(window_env, qtbot) -> None:
    from desktop_app.core.models import DscRequest

    applicant = make_applicant(9)
    applicant.dsc = DscRequest(pin="582917", pin_generated=True)
    result = window_env.store.add_applicants([applicant], "t")
    window = window_env.window()
    _select(window, result.filing_ids[0])
    qtbot.waitUntil(lambda: window.details.show_pin.isVisible(), timeout=5000)
    assert all(
        "582917" not in window.details.facts.itemAt(i).widget().text()
        for i in range(window.details.facts.count())
        if window.details.facts.itemAt(i).widget() is not None
    )
    shown: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        shown.append(box.text())
        box.accept()

    QTimer.singleShot(50, read_and_close)
    window.details.show_pin.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "582917" in shown[0]


class _PaintedRects(QObject):
    """Records the rectangles the table's viewport repaints."""

    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())
        return False


def test_a_dialog_over_the_window_repaints_only_the_focused_row(
    window_env, qtbot
) -> None:
    window_env.store.add_applicants([make_applicant(n) for n in range(40)], "t")
    window = window_env.window()
    window.table.setFocus()
    window.table.selectRow(2)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    painted = _PaintedRects()
    window.table.viewport().installEventFilter(painted)
    row_height = window.table.rowHeight(2)

    dialog = QDialog(window)
    dialog.open()  # modal, like an OTP dialog: the window loses its activation
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    dialog.accept()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    QApplication.processEvents()

    assert painted.rects, "the selected row is repainted for its new look"
    assert all(rect.height() <= row_height for rect in painted.rects)
    assert window.table.currentIndex().row() == 2
