"""The queue of filings as a Qt table model, plus the sort/filter proxy over it.

The model holds plain :class:`QueueRow` values (what the table shows, already masked).
Refreshing from the store goes through :meth:`FilingTableModel.set_rows`, which diffs by
filing id and emits ``dataChanged`` only for rows that changed, so a queue of thousands
of filings stays smooth while a few of them run.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFocusEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
)

from desktop_app.gui.icons import status_colour, status_icon, status_label

ModelIndex = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FILING_ID_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  # (done, total) for the progress delegate

# Roles as plain ints, compared on every data() call without an enum look-up.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_ROLES_ANSWERED = frozenset(
    {
        int(SORT_ROLE),
        int(FILING_ID_ROLE),
        int(PROGRESS_ROLE),
        _DECORATION,
        _FOREGROUND,
        _TOOLTIP,
        _ALIGNMENT,
    }
)
_CENTRED = Qt.AlignmentFlag.AlignCenter.value
_MUTED = QColor("#4a5568")


@dataclasses.dataclass(frozen=True)
class QueueRow:
    """One filing as the queue table shows it. Sensitive values are already masked."""

    filing_id: int
    applicant_ref: str
    name: str
    masked_aadhaar: str
    pan: str
    service: str  # Service value, e.g. "dsc"
    service_label: str
    status: str  # FilingStatus value, e.g. "running"
    step_name: str = ""
    step_index: int = 0  # steps finished or in progress, 1-based when running
    step_total: int = 0
    attempts: int = 0
    result: str = ""
    message: str = ""

    @functools.cached_property
    def texts(self) -> tuple[str, ...]:
        """The cell texts by column, worked out once: a paint asks for every cell."""
        return tuple(_display(self, column) for column in Column)


class Column(enum.IntEnum):
    REF = 0
    NAME = 1
    AADHAAR = 2
    PAN = 3
    SERVICE = 4
    STATUS = 5
    STEP = 6
    PROGRESS = 7
    ATTEMPTS = 8
    RESULT = 9
    MESSAGE = 10


HEADERS = {
    Column.REF: "Ref",
    Column.NAME: "Applicant",
    Column.AADHAAR: "Aadhaar",
    Column.PAN: "PAN",
    Column.SERVICE: "Service",
    Column.STATUS: "Status",
    Column.STEP: "Current step",
    Column.PROGRESS: "Progress",
    Column.ATTEMPTS: "Attempts",
    Column.RESULT: "Result",
    Column.MESSAGE: "Last message",
}


def progress_text(row: QueueRow) -> str:
    if row.step_total <= 0:
        return ""
    return f"{row.step_index} of {row.step_total}"


def _display(row: QueueRow, column: Column) -> str:
    values = {
        Column.REF: row.applicant_ref,
        Column.NAME: row.name,
        Column.AADHAAR: row.masked_aadhaar,
        Column.PAN: row.pan,
        Column.SERVICE: row.service_label,
        Column.STATUS: status_label(row.status),
        Column.STEP: row.step_name,
        Column.PROGRESS: progress_text(row),
        Column.ATTEMPTS: str(row.attempts) if row.attempts else "",
        Column.RESULT: row.result,
        Column.MESSAGE: row.message,
    }
    return values[column]


def _sort_key(row: QueueRow, column: Column) -> Any:
    if column == Column.PROGRESS:
        return row.step_index / row.step_total if row.step_total else -1.0
    if column == Column.ATTEMPTS:
        return row.attempts
    if column == Column.STATUS:
        return status_label(row.status)
    return row.texts[column].casefold()


class FilingTableModel(QAbstractTableModel):
    """Rows of :class:`QueueRow`, refreshed by diff (never a reset per event)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueRow] = []
        self._position: dict[int, int] = {}  # filing id -> row number

    # -- Qt interface -------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return HEADERS[Column(section)]
        return None

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        # Called from C++ for every role of every visible cell on each paint (about
        # 1,400 calls for a screenful), so the common answers come first and cheap.
        if role == _DISPLAY:
            return self._rows[index.row()].texts[index.column()]
        if role not in _ROLES_ANSWERED or not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == SORT_ROLE:
            return _sort_key(row, Column(column))
        if role == FILING_ID_ROLE:
            return row.filing_id
        if role == PROGRESS_ROLE and column == Column.PROGRESS:
            return (row.step_index, row.step_total)
        return self._decoration(row, column, role)

    def _decoration(self, row: QueueRow, column: int, role: int) -> Any:
        if column == Column.STATUS:
            if role == _DECORATION:
                return status_icon(row.status)
            if role == _FOREGROUND:
                return status_colour(row.status)
        if role == _TOOLTIP and column == Column.MESSAGE and row.message:
            return row.message
        if role == _ALIGNMENT and column == Column.ATTEMPTS:
            return _CENTRED
        if role == _FOREGROUND and column == Column.AADHAAR:
            return _MUTED
        return None

    # -- content ------------------------------------------------------------------

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def row_for(self, filing_id: int) -> QueueRow | None:
        position = self._position.get(filing_id)
        return None if position is None else self._rows[position]

    def index_for(self, filing_id: int, column: int = 0) -> QModelIndex:
        position = self._position.get(filing_id)
        return QModelIndex() if position is None else self.index(position, column)

    def set_rows(self, rows: Iterable[QueueRow]) -> None:
        """Make the model hold exactly ``rows``: removes, updates in place, appends."""
        wanted = {row.filing_id: row for row in rows}
        self._remove_missing(set(wanted))
        new_rows = []
        for filing_id, row in wanted.items():
            if filing_id in self._position:
                self.update_row(row)
            else:
                new_rows.append(row)
        self._append(new_rows)

    def update_row(self, row: QueueRow) -> bool:
        """Replace one known row; emits ``dataChanged`` only when something differs."""
        position = self._position.get(row.filing_id)
        if position is None:
            self._append([row])
            return True
        if self._rows[position] == row:
            return False
        self._rows[position] = row
        last = self.columnCount() - 1
        self.dataChanged.emit(self.index(position, 0), self.index(position, last))
        return True

    def _append(self, rows: Sequence[QueueRow]) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        for offset, row in enumerate(rows):
            self._rows.append(row)
            self._position[row.filing_id] = first + offset
        self.endInsertRows()

    def _remove_missing(self, keep: set[int]) -> None:
        doomed = sorted(
            (pos for fid, pos in self._position.items() if fid not in keep),
            reverse=True,
        )
        if not doomed:
            return
        for start, stop in _contiguous_runs(doomed):
            self.beginRemoveRows(QModelIndex(), start, stop)
            del self._rows[start : stop + 1]
            self.endRemoveRows()
        self._position = {row.filing_id: pos for pos, row in enumerate(self._rows)}


def _contiguous_runs(descending: list[int]) -> list[tuple[int, int]]:
    """Group row numbers (sorted high to low) into (start, stop) runs, highest first."""
    runs: list[tuple[int, int]] = []
    for pos in descending:
        if runs and runs[-1][0] == pos + 1:
            runs[-1] = (pos, runs[-1][1])
        else:
            runs.append((pos, pos))
    return runs


class FilingFilterProxy(QSortFilterProxyModel):
    """Filters by status and service and searches name, PAN and ref (any case)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._statuses: frozenset[str] = frozenset()
        self._services: frozenset[str] = frozenset()
        self._search = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)  # re-sorting on every dataChanged is costly

    def set_statuses(self, statuses: Iterable[str]) -> None:
        self._change_filter("_statuses", frozenset(str(s) for s in statuses))

    def set_services(self, services: Iterable[str]) -> None:
        self._change_filter("_services", frozenset(str(s) for s in services))

    def set_search(self, text: str) -> None:
        self._change_filter("_search", text.strip().casefold())

    def _change_filter(self, attribute: str, value: object) -> None:
        # Qt 6.9 replaced invalidateRowsFilter() with a begin/end pair.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            setattr(self, attribute, value)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            setattr(self, attribute, value)
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, FilingTableModel):
            return True
        row = model._rows[source_row]
        if self._statuses and row.status not in self._statuses:
            return False
        if self._services and row.service not in self._services:
            return False
        if not self._search:
            return True
        haystack = (row.name, row.pan, row.applicant_ref, row.result)
        return any(self._search in value.casefold() for value in haystack)


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a small bar with "k of n"."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex
    ) -> None:
        value = index.data(PROGRESS_ROLE)
        if not value or not value[1]:
            super().paint(painter, option, index)
            return
        done, total = value
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 4, -3, -4)
        bar.minimum, bar.maximum, bar.progress = 0, total, min(done, total)
        bar.text = f"{done} of {total}"
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(
            QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget
        )


_ACTIVATION_EVENTS = frozenset(
    {QEvent.Type.WindowActivate, QEvent.Type.WindowDeactivate}
)


class QueueTable(QTableView):
    """The queue's table view, repainting less when the window loses focus.

    Qt repaints a whole item view on every focus and activation change, and every
    OTP dialog takes the focus from the window and gives it back: two full paints
    of a big table per prompt, the longest pauses of the window while filings run.
    When only the window's activation changed, just the rows whose look depends on
    focus (the current and the selected ones) are repainted. Nothing else in the
    base handlers matters then: the table is not editable, so no input method is
    left to commit.
    """

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        if event.reason() == Qt.FocusReason.ActiveWindowFocusReason:
            self._update_focus_rows()
        else:
            super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        if event.reason() == Qt.FocusReason.ActiveWindowFocusReason:
            self._update_focus_rows()
        else:
            super().focusOutEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Item views repaint the whole viewport when the window (de)activates.
        if event.type() in _ACTIVATION_EVENTS:
            self._update_focus_rows()
            return False  # the viewport's own handling, without the full repaint
        return super().viewportEvent(event)

    def _update_focus_rows(self) -> None:
        rows = {index.row() for index in self.selectionModel().selectedRows()}
        if self.currentIndex().isValid():
            rows.add(self.currentIndex().row())
        viewport = self.viewport()
        for row in rows:
            top, height = self.rowViewportPosition(row), self.rowHeight(row)
            if -height < top < viewport.height():
                viewport.update(0, top, viewport.width(), height)
