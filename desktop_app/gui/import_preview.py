"""The import preview: every row of a file with its errors and warnings in place.

The core importer reads and checks the file (:func:`desktop_app.core.importer.
read_file`); this dialog shows its :class:`ImportReport` as a table, one column per
file column that has an issue, with the message in the cell (red for an error, amber
for a warning, the full text as the tooltip). The operator imports the valid rows,
opens the file to fix it (then the dialog reads it again), or cancels.

Rows that duplicate something already queued or filed are flagged before import from
the store's filings, and the store's own answer after import is what counts.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.importer import ApplicantFileError, ImportReport, read_file
from desktop_app.core.store import BLOCKING_STATUSES, Store
from desktop_app.core.validation import RowResult

log = logging.getLogger(__name__)

ERROR_BACKGROUND = QColor("#fed7d7")
WARNING_BACKGROUND = QColor("#feebc8")
DUPLICATE_BACKGROUND = QColor("#e9d8fd")
FIXED_COLUMNS = ("Row", "Status", "Applicant", "PAN", "Services")

ModelIndex = QModelIndex | QPersistentModelIndex


def find_duplicates(store: Store, rows: list[RowResult]) -> dict[int, str]:
    """Row number -> why it duplicates a filing already queued or filed.

    FIXME(store): the store decides duplicates only inside ``add_applicants``; this
    mirrors its rule (same ref, or same PAN and service with a blocking status) so the
    preview can warn first. The store's answer after import is the one reported.
    """
    refs = set()
    taken: dict[tuple[str, str], str] = {}
    for filing in store.filings():
        refs.add(filing.applicant_ref)
        if filing.status in BLOCKING_STATUSES:
            taken[(filing.pan.upper(), filing.service.value)] = filing.applicant_ref
    found: dict[int, str] = {}
    for row in rows:
        applicant = row.applicant
        if applicant is None:
            continue
        if applicant.ref in refs:
            found[row.row] = f"{applicant.ref} is already in the queue"
            continue
        clashes = [
            f"{service.label} already filed or queued under {taken[key]}"
            for service in sorted(applicant.services)
            if (key := (applicant.person.pan.upper(), service.value)) in taken
        ]
        if clashes and len(clashes) == len(applicant.services):
            found[row.row] = "; ".join(clashes)
    return found


class ImportReportModel(QAbstractTableModel):
    """Rows of an :class:`ImportReport`, issues shown in the column they concern."""

    def __init__(
        self, report: ImportReport, duplicates: dict[int, str], parent: Any = None
    ):
        super().__init__(parent)
        self.report = report
        self.duplicates = duplicates
        columns: list[str] = []
        for row in report.rows:
            for issue in (*row.errors, *row.warnings):
                if issue.column and issue.column not in columns:
                    columns.append(issue.column)
        self.issue_columns = columns

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.report.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED_COLUMNS) + len(self.issue_columns)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation != Qt.Orientation.Horizontal
            or role != Qt.ItemDataRole.DisplayRole
        ):
            return None
        if section < len(FIXED_COLUMNS):
            return FIXED_COLUMNS[section]
        return self.issue_columns[section - len(FIXED_COLUMNS)]

    def row_status(self, row: RowResult) -> str:
        if row.errors:
            return f"{len(row.errors)} error(s)"
        if row.row in self.duplicates:
            return "Duplicate"
        if row.warnings:
            return f"OK, {len(row.warnings)} warning(s)"
        return "OK"

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.report.rows[index.row()]
        column = index.column()
        if column < len(FIXED_COLUMNS):
            return self._fixed(row, column, role)
        return self._issue_cell(
            row, self.issue_columns[column - len(FIXED_COLUMNS)], role
        )

    def _fixed(self, row: RowResult, column: int, role: int) -> Any:
        applicant = row.applicant
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(row.row)
            if column == 1:
                return self.row_status(row)
            if applicant is None:  # a row with errors: show what the checks kept
                return ["", "", row.ref, row.keys.pan, ""][column]
            return [
                "",
                "",
                applicant.display_name,
                applicant.person.pan,
                ", ".join(sorted(s.label for s in applicant.services)),
            ][column]
        if column == 1 and role == Qt.ItemDataRole.BackgroundRole:
            if row.errors:
                return QBrush(ERROR_BACKGROUND)
            if row.row in self.duplicates:
                return QBrush(DUPLICATE_BACKGROUND)
            if row.warnings:
                return QBrush(WARNING_BACKGROUND)
        if column == 1 and role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{i.column}: {i.message}" for i in (*row.errors, *row.warnings)]
            if row.row in self.duplicates:
                lines.append(self.duplicates[row.row])
            return "\n".join(lines) or None
        return None

    def _issue_cell(self, row: RowResult, header: str, role: int) -> Any:
        errors = [i.message for i in row.errors if i.column == header]
        warnings = [i.message for i in row.warnings if i.column == header]
        if not errors and not warnings:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (errors or warnings)[0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(
                [*(f"Error: {m}" for m in errors), *(f"Warning: {m}" for m in warnings)]
            )
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(ERROR_BACKGROUND if errors else WARNING_BACKGROUND)
        return None

    def importable(self) -> list[RowResult]:
        return [r for r in self.report.rows if r.valid and r.row not in self.duplicates]


class ImportPreviewDialog(QDialog):
    """Shows one file's rows; imports the valid ones on request.

    Signals:
        imported(object): the store's :class:`AddResult` after an import.
    """

    imported = Signal(object)

    def __init__(self, path: Path, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.store = store
        self.report: ImportReport | None = None
        self.model: ImportReportModel | None = None
        self.result: Any = None
        self.setWindowTitle(f"Import {path.name}")
        self.resize(1100, 560)
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        self.table = QTableView(self)
        self.table.setObjectName("importTable")
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        layout.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(self)
        self.import_button = QPushButton("Import valid rows", self)
        self.import_button.setDefault(True)
        self.fix_button = QPushButton("Open the file to fix it", self)
        self.reread_button = QPushButton("Read it again", self)
        self.buttons.addButton(
            self.import_button, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(self.fix_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(
            self.reread_button, QDialogButtonBox.ButtonRole.ActionRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.import_valid_rows)
        self.fix_button.clicked.connect(self._on_fix)
        self.reread_button.clicked.connect(self.reload)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reload()

    @Slot()
    def reload(self) -> None:
        """Read (or read again) the file and show what the importer found."""
        try:
            self.report = read_file(self.path)
        except ApplicantFileError as error:
            self.report = None
            self.table.setModel(None)
            self.summary.setText(
                f"<b>This file cannot be imported.</b><br>{_html(error.message)}"
            )
            self.import_button.setEnabled(False)
            return
        duplicates = find_duplicates(self.store, self.report.rows)
        self.model = ImportReportModel(self.report, duplicates, self)
        self.table.setModel(self.model)
        for column, width in enumerate((50, 120, 180, 100, 180)):
            self.table.setColumnWidth(column, width)
        for column in range(len(FIXED_COLUMNS), self.model.columnCount()):
            self.table.setColumnWidth(column, 260)
        self._summarise(duplicates)

    def _summarise(self, duplicates: dict[int, str]) -> None:
        assert self.report is not None and self.model is not None
        rows = self.report.rows
        bad = sum(1 for r in rows if r.errors)
        warned = sum(1 for r in rows if r.warnings and not r.errors)
        ready = len(self.model.importable())
        parts = [
            f"<b>{len(rows)}</b> row(s) read from <b>{_html(self.path.name)}</b>:",
            f"<span style='color:#276749'><b>{ready}</b> can be imported</span>",
        ]
        if bad:
            parts.append(
                f"<span style='color:#9b2c2c'><b>{bad}</b> have errors and will be"
                " left out</span>"
            )
        if duplicates:
            parts.append(
                f"<span style='color:#553c9a'><b>{len(duplicates)}</b> are already"
                " queued or filed</span>"
            )
        if warned:
            parts.append(
                f"<span style='color:#975a16'><b>{warned}</b> have warnings to look"
                " at</span>"
            )
        text = ", ".join(parts[1:])
        summary = f"{parts[0]} {text}."
        for warning in self.report.file_warnings:
            summary += f"<br>\u26a0 {_html(warning)}"
        summary += (
            "<br><small>Point at a coloured cell to read the whole message.</small>"
        )
        self.summary.setText(summary)
        self.import_button.setEnabled(ready > 0)
        self.import_button.setText(f"Import {ready} valid row(s)")

    @Slot()
    def import_valid_rows(self) -> None:
        if self.model is None:
            return
        applicants = [r.applicant for r in self.model.importable() if r.applicant]
        if not applicants:
            return
        self.result = self.store.add_applicants(applicants, self.path.name)
        log.info(
            "Imported %d applicant(s) from %s", len(self.result.added), self.path.name
        )
        if self.result.duplicates:
            reasons = "\n".join(
                f"\u2022 {d.ref}: {d.reason}" for d in self.result.duplicates[:10]
            )
            QMessageBox.information(self, "Some rows were already queued", reasons)
        self.imported.emit(self.result)
        self.accept()

    @Slot()
    def _on_fix(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))
        self.summary.setText(
            self.summary.text() + "<br><b>Save the file after fixing it, then press"
            " \u201cRead it again\u201d.</b>"
        )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
