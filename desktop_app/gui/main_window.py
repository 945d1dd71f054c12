"""The operator's window: the queue, its details and logs, and every action on them.

The window owns no filing logic. It shows the store (through :class:`QueueFeed`),
starts and controls filings through the core :class:`FilingRunner`, answers prompts
through :class:`GuiOperator`, and imports and exports with the core functions.
"""

from __future__ import annotations

import collections
import dataclasses
import getpass
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QSplitter,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME, __version__
from desktop_app.automation.runner import FilingRunner
from desktop_app.commands import export as export_command
from desktop_app.core import settings as settings_module
from desktop_app.core.models import Service
from desktop_app.core.settings import Settings
from desktop_app.core.store import FilingStatus, Store, StoreError
from desktop_app.core.vault import VaultError
from desktop_app.gui.consent_dialog import ConsentDialog
from desktop_app.gui.core_api import RunnerFactory, default_runner_factory
from desktop_app.gui.details import DetailsPane
from desktop_app.gui.icons import app_icon, status_icon, status_label
from desktop_app.gui.log_view import (
    BufferLogHandler,
    LogBuffer,
    LogModel,
    LogPump,
    LogView,
)
from desktop_app.gui.prompts import GuiOperator, PromptCenter
from desktop_app.gui.queue_feed import QueueFeed
from desktop_app.gui.queue_model import (
    FILING_ID_ROLE,
    Column,
    FilingFilterProxy,
    FilingTableModel,
    ProgressDelegate,
    QueueTable,
)
from desktop_app.gui.workers import (
    CallWorker,
    GuiFlowListener,
    RunnerBridge,
    start_in_thread,
)
from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

# A number the applicant received can be entered for a filing that did not finish.
_RESULT_STATUSES = frozenset({"failed", "interrupted", "cancelled"})
_RESULT_NAMES = {"udyam": "Udyam Registration Number", "dsc": "application number"}

IMPORTABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".json")
SHUTDOWN_DEADLINE_S = 20.0


@dataclasses.dataclass
class WindowContext:
    """What the window works on: one data folder, its store and settings."""

    data_dir: DataDir
    store: Store
    settings: Settings
    portal_urls: dict[str, str]
    demo: bool = False
    outbox: Any = None  # the simulators' Outbox in demo mode
    browser_problem: str | None = None  # shown as a banner on first run
    settings_problem: str | None = None  # the settings file could not be read


class MainWindow(QMainWindow):
    """The queue window.

    Signals:
        filing_finished(object): a filing ended (the runner's ``FlowOutcome``).
        closed(): the window finished closing (runner stopped, threads ended).
    """

    filing_finished = Signal(object)
    closed = Signal()

    def __init__(
        self,
        context: WindowContext,
        runner_factory: RunnerFactory = default_runner_factory,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.store = context.store
        self.settings = context.settings
        self._runner_factory = runner_factory
        self._runner: FilingRunner | None = None
        self._closing = False
        self._close_confirmed = False
        self._shutdown_thread: Any = None
        self._shutdown_done = False
        self.setWindowTitle(f"{APP_NAME}{' - demo' if context.demo else ''}")
        self.setWindowIcon(app_icon())
        self.resize(1360, 820)
        self.setAcceptDrops(True)

        self.tray = self._make_tray()
        self.prompts = PromptCenter(self, self.tray, self)
        self.prompts.pause_requested.connect(self.pause_queue)
        self.prompts.pending_changed.connect(self._on_prompts_pending)
        self.operator = GuiOperator(self.prompts)
        self.bridge = RunnerBridge(self)
        self.bridge.filing_finished.connect(self._on_filing_finished)
        self.listener = GuiFlowListener(self.bridge)

        self._build_logs()
        self._build_central()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self.demo_panel = self._build_demo_panel()

        self.feed = QueueFeed(self.store, self.model, self.step_buffer, self)
        self.feed.filings_changed.connect(self._on_filings_changed)
        self.feed.refreshed.connect(self._update_counts)
        self.feed.start()
        self.log_pump.start()
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self._update_actions()
        self._update_counts()

    # ------------------------------------------------------------------ building

    def _make_tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        tray.setToolTip(APP_NAME)
        tray.show()
        return tray

    def _build_logs(self) -> None:
        self.global_buffer = LogBuffer()
        self.step_buffer = self.global_buffer  # one buffer, two channels (filing_id)
        self.global_log_model = LogModel(parent=self)
        self.step_log_model = LogModel(parent=self)
        self.log_handler = BufferLogHandler(self.global_buffer, logging.INFO)
        logging.getLogger().addHandler(self.log_handler)
        self.log_pump = LogPump(
            self.global_buffer, self.global_log_model, self.step_log_model, self
        )

    def _build_central(self) -> None:
        self.model = FilingTableModel(self)
        self.proxy = FilingFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.table = QueueTable(self)
        self.table.setObjectName("queueTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setItemDelegateForColumn(
            Column.PROGRESS, ProgressDelegate(self.table)
        )
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        widths = {
            Column.REF: 90,
            Column.NAME: 180,
            Column.AADHAAR: 125,
            Column.PAN: 100,
            Column.SERVICE: 135,
            Column.STATUS: 135,
            Column.STEP: 150,
            Column.PROGRESS: 90,
            Column.ATTEMPTS: 65,
            Column.RESULT: 170,
        }
        for column, width in widths.items():
            header.resizeSection(column, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(self._on_row_double_clicked)

        self.details = DetailsPane(self)
        self.details.setObjectName("detailsPane")
        self.details.copied.connect(self._on_copied)
        self.details.pin_requested.connect(self._on_pin_requested)

        self.step_log = LogView(self.step_log_model, self)
        self.step_log.setObjectName("stepLog")
        self.global_log = LogView(self.global_log_model, self)
        self.global_log.setObjectName("globalLog")
        self.log_tabs = QTabWidget(self)
        self.log_tabs.addTab(self.step_log, "Steps of the selected filing")
        self.log_tabs.addTab(self.global_log, "Activity log")

        queue_box = QWidget(self)
        queue_layout = QVBoxLayout(queue_box)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        self.banner = self._build_banner()
        queue_layout.addWidget(self.banner)
        self.settings_banner = self._build_settings_banner()
        queue_layout.addWidget(self.settings_banner)
        queue_layout.addLayout(self._build_filter_bar())
        queue_layout.addWidget(self.table, 1)

        left = QSplitter(Qt.Orientation.Vertical, self)
        left.addWidget(queue_box)
        left.addWidget(self.log_tabs)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        main = QSplitter(Qt.Orientation.Horizontal, self)
        main.addWidget(left)
        main.addWidget(self.details)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 1)
        main.setSizes([1060, 380])
        self.setCentralWidget(main)

    def _build_banner(self) -> QLabel:
        banner = QLabel(self)
        banner.setObjectName("browserBanner")
        banner.setWordWrap(True)
        banner.setStyleSheet(
            "#browserBanner { background: #fffaf0; color: #7b341e; border: 1px solid "
            "#fbd38d; border-radius: 4px; padding: 8px; }"
        )
        problem = self.context.browser_problem
        banner.setText(
            f"<b>Chrome is needed before filings can start.</b> {problem or ''} "
            "Then open Settings and press <i>Detect Chrome</i>."
        )
        banner.setVisible(bool(problem))
        return banner

    def _build_settings_banner(self) -> QLabel:
        banner = QLabel(self.context.settings_problem or "", self)
        banner.setObjectName("settingsBanner")
        banner.setWordWrap(True)
        banner.setStyleSheet(
            "#settingsBanner { background: #fff5f5; color: #822727; border: 1px solid "
            "#feb2b2; border-radius: 4px; padding: 8px; }"
        )
        banner.setVisible(bool(self.context.settings_problem))
        return banner

    def _build_filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 4, 0, 4)
        self.search = QLineEdit(self)
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search name, PAN, reference or result")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_search)
        self.status_filter = QComboBox(self)
        self.status_filter.addItem("All statuses", None)
        for status in FilingStatus:
            self.status_filter.addItem(
                status_icon(status.value), status_label(status.value), status.value
            )
        self.status_filter.currentIndexChanged.connect(self._on_status_filter)
        self.service_filter = QComboBox(self)
        self.service_filter.addItem("All services", None)
        for service in Service:
            self.service_filter.addItem(service.label, service.value)
        self.service_filter.currentIndexChanged.connect(self._on_service_filter)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.service_filter)
        return bar

    def _action(
        self,
        text: str,
        slot: Any,
        shortcut: str | QKeySequence | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        return action

    def _build_actions(self) -> None:
        self.import_action = self._action(
            "&Import applicants\u2026",
            self._on_import_triggered,
            QKeySequence.StandardKey.Open,
            "Read an Excel, CSV or JSON file of applicants",
        )
        self.template_action = self._action(
            "Download &template\u2026",
            self._on_template_triggered,
            None,
            "Save an empty applicants workbook with every column explained",
        )
        self.export_action = self._action(
            "&Export results\u2026",
            self._on_export_triggered,
            "Ctrl+E",
            "Save the filings and their result numbers as Excel or CSV",
        )
        self.data_folder_action = self._action(
            "Open &data folder",
            self._on_open_data_folder,
            None,
            "Open the folder with the database, logs and evidence",
        )
        self.settings_action = self._action(
            "&Settings\u2026",
            self._on_settings_triggered,
            QKeySequence.StandardKey.Preferences,
            "Browser, portals, timeouts and other settings",
        )
        self.quit_action = self._action(
            "&Quit", self.close, QKeySequence.StandardKey.Quit
        )
        self.start_selected_action = self._action(
            "Start selected",
            self.start_selected,
            "Ctrl+R",
            "File the selected applicants now",
        )
        self.start_all_action = self._action(
            "Start all ready",
            self.start_all_ready,
            "Ctrl+Shift+R",
            "File every ready applicant",
        )
        self.pause_action = self._action(
            "Pause queue",
            self._on_pause_toggled,
            None,
            "Running filings stop at their next step; nothing new starts",
        )
        self.pause_action.setCheckable(True)
        self.cancel_action = self._action(
            "Cancel filing", self.cancel_selected, None, "Stop the selected filing"
        )
        self.retry_action = self._action(
            "Retry",
            self.retry_selected,
            None,
            "Queue a failed or interrupted filing again",
        )
        self.record_result_action = self._action(
            "Record result\u2026",
            self.record_result_selected,
            None,
            "Enter the number the portal sent the applicant, for a filing the app "
            "could not finish",
        )
        self.consent_action = self._action(
            "Record consent\u2026",
            self._on_consent_triggered,
            None,
            "Record the selected applicants' consent to file",
        )
        self.about_action = self._action("&About", self._on_about)

    def _build_menus_and_toolbar(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for action in (self.import_action, self.template_action, self.export_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.data_folder_action)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        queue_menu = menu.addMenu("&Queue")
        for action in (
            self.start_selected_action,
            self.start_all_action,
            self.pause_action,
        ):
            queue_menu.addAction(action)
        queue_menu.addSeparator()
        for action in (
            self.cancel_action,
            self.retry_action,
            self.record_result_action,
            self.consent_action,
        ):
            queue_menu.addAction(action)
        self.view_menu = menu.addMenu("&View")
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.about_action)

        toolbar = QToolBar("Queue", self)
        toolbar.setObjectName("queueToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.import_action)
        toolbar.addAction(self.consent_action)
        toolbar.addSeparator()
        toolbar.addAction(self.start_selected_action)
        toolbar.addAction(self.start_all_action)
        toolbar.addAction(self.pause_action)
        toolbar.addAction(self.cancel_action)
        toolbar.addAction(self.retry_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" At once: ", self))
        self.concurrency = QSpinBox(self)
        self.concurrency.setObjectName("concurrency")
        self.concurrency.setRange(1, 4)
        self.concurrency.setValue(self.settings.concurrency)
        self.concurrency.setToolTip(
            "How many filings run at the same time (one Chrome each)"
        )
        self.concurrency.valueChanged.connect(self._on_concurrency_changed)
        toolbar.addWidget(self.concurrency)
        toolbar.addSeparator()
        toolbar.addAction(self.export_action)
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        self.counts_label = QLabel(self)
        self.prompt_label = QLabel(self)
        self.prompt_label.setStyleSheet("color: #c05621; font-weight: bold;")
        self.statusBar().addPermanentWidget(self.prompt_label)
        self.statusBar().addPermanentWidget(self.counts_label)

    def _build_demo_panel(self) -> Any:
        if self.context.outbox is None:
            return None
        from desktop_app.gui.demo_panel import DemoPanel

        panel = DemoPanel(self.context.outbox, self)
        dock = QDockWidget("Simulated phone", self)
        dock.setObjectName("demoDock")
        dock.setWidget(panel)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return panel

    # ------------------------------------------------------------------ the runner

    @property
    def runner(self) -> FilingRunner:
        """The core runner, made on first use (it starts no thread until asked)."""
        if self._runner is None:
            self._runner = self._runner_factory(
                self.store,
                self.settings,
                self.operator,
                self.listener,
                self.context.portal_urls,
            )
            self._runner.jobs = self.settings.concurrency
        return self._runner

    def selected_filing_ids(self) -> list[int]:
        rows = self.table.selectionModel().selectedRows()
        return [index.data(FILING_ID_ROLE) for index in rows]

    @Slot()
    def start_selected(self) -> list[int]:
        ids = self.selected_filing_ids()
        return self._start(ids) if ids else []

    @Slot()
    def start_all_ready(self) -> list[int]:
        return self._start(None)

    def _start(self, filing_ids: Iterable[int] | None) -> list[int]:
        if self._closing:
            return []
        if self.context.browser_problem:
            QMessageBox.warning(self, "Chrome is needed", self.context.browser_problem)
            return []
        wanted = None if filing_ids is None else list(filing_ids)
        if wanted is not None:
            self._warn_not_ready(wanted)
        queued = self.runner.start(wanted)
        self.statusBar().showMessage(
            f"Started {len(queued)} filing(s)" if queued else "Nothing ready to start",
            5000,
        )
        self._update_actions()
        return queued

    def _warn_not_ready(self, filing_ids: list[int]) -> None:
        blocked = [
            row
            for row in (self.model.row_for(i) for i in filing_ids)
            if row is not None and row.status == FilingStatus.PENDING_CONSENT
        ]
        if blocked:
            names = ", ".join(sorted({row.name for row in blocked})[:5])
            self.statusBar().showMessage(f"Record consent first for: {names}", 8000)

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self.pause_queue()
        else:
            self.resume_queue()

    @Slot()
    def pause_queue(self) -> None:
        self.runner.pause()
        self.pause_action.setChecked(True)
        self.pause_action.setText("Resume queue")
        self.statusBar().showMessage(
            "Queue paused: filings stop at their next step", 5000
        )

    @Slot()
    def resume_queue(self) -> None:
        self.runner.resume()
        self.pause_action.setChecked(False)
        self.pause_action.setText("Pause queue")
        self.statusBar().showMessage("Queue resumed", 3000)

    @Slot()
    def cancel_selected(self) -> None:
        for filing_id in self.selected_filing_ids():
            self.cancel_filing(filing_id)

    def cancel_filing(self, filing_id: int) -> None:
        row = self.model.row_for(filing_id)
        if row is None:
            return
        if self._runner is not None and filing_id in self._runner.running():
            self._runner.cancel(filing_id, "Cancelled by the operator.")
            self.operator.cancel_filing(filing_id, "Cancelled by the operator.")
            return
        if row.status in (FilingStatus.READY, FilingStatus.PENDING_CONSENT):
            if self._runner is not None:
                self._runner.cancel(filing_id)  # drops it if queued
            self._store_call(self.store.cancel, filing_id, "Cancelled by the operator")

    @Slot()
    def retry_selected(self) -> list[int]:
        retried = []
        for filing_id in self.selected_filing_ids():
            row = self.model.row_for(filing_id)
            if row is None or row.status not in ("failed", "interrupted", "cancelled"):
                continue
            status = self._store_call(self.store.reset_for_retry, filing_id)
            if status == FilingStatus.READY:
                retried.append(filing_id)
        if retried:
            self._start(retried)
        return retried

    @Slot()
    def record_result_selected(self) -> str | None:
        """Ask for the number the portal sent the applicant; complete the filing."""
        ids = self.selected_filing_ids()
        row = self.model.row_for(ids[0]) if len(ids) == 1 else None
        if row is None or row.status not in _RESULT_STATUSES:
            return None
        number, ok = QInputDialog.getText(
            self,
            "Record result",
            f"The {_RESULT_NAMES.get(row.service, 'number')} the portal sent "
            f"{row.name} by email or SMS:",
        )
        if not ok or not number.strip():
            return None
        recorded = self._store_call(
            self.store.record_recovered_result, ids[0], number, getpass.getuser()
        )
        if recorded:
            self.statusBar().showMessage(f"{row.name}: completed with {recorded}", 5000)
        return recorded

    def _store_call(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except StoreError as error:
            QMessageBox.warning(self, APP_NAME, str(error))
            return None

    @Slot(int)
    def _on_concurrency_changed(self, value: int) -> None:
        self.settings = self.settings.model_copy(update={"concurrency": value})
        settings_module.save(self.settings, self.context.data_dir)
        if self._runner is not None:
            self._runner.jobs = value

    @Slot(object)
    def _on_filing_finished(self, outcome: Any) -> None:
        self.filing_finished.emit(outcome)
        self._update_actions()

    # ------------------------------------------------------------------ selection

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, *_: Any) -> None:
        self._update_actions()
        self._show_current_details()

    def _show_current_details(self) -> None:
        ids = self.selected_filing_ids()
        if len(ids) != 1:
            self.details.clear()
            self.log_pump.select_filing(None, [])
            return
        filing_id = ids[0]
        try:
            filing = self.store.filing(filing_id)
            applicant = self.store.applicant(filing.applicant_ref)
            steps = self.store.steps(filing_id)
            evidence = self.store.evidence(filing_id)
        except StoreError as error:
            self.statusBar().showMessage(str(error), 5000)
            return
        self.details.show_filing(filing, applicant, steps, evidence)
        self.log_pump.select_filing(filing_id, self.feed.history(filing_id))

    @Slot(list)
    def _on_filings_changed(self, ids: list[int]) -> None:
        selected = self.selected_filing_ids()
        if len(selected) == 1 and selected[0] in ids:
            self._show_current_details()
        self._update_actions()

    @Slot(QModelIndex)
    def _on_row_double_clicked(self, index: QModelIndex) -> None:
        self.log_tabs.setCurrentWidget(self.step_log)

    def _update_actions(self) -> None:
        rows = [self.model.row_for(i) for i in self.selected_filing_ids()]
        statuses = {row.status for row in rows if row is not None}
        self.start_selected_action.setEnabled("ready" in statuses)
        self.cancel_action.setEnabled(
            bool(statuses & {"running", "waiting", "ready", "pending_consent"})
        )
        self.retry_action.setEnabled(
            bool(statuses & {"failed", "interrupted", "cancelled"})
        )
        self.record_result_action.setEnabled(
            len(rows) == 1 and bool(statuses & _RESULT_STATUSES)
        )
        self.consent_action.setEnabled("pending_consent" in statuses)
        self.start_all_action.setEnabled(not self._closing)

    @Slot()
    def _update_counts(self) -> None:
        counts = collections.Counter(row.status for row in self.model.rows())
        order = [
            "ready",
            "running",
            "waiting",
            "completed",
            "failed",
            "pending_consent",
            "interrupted",
            "cancelled",
        ]
        parts = [f"{status_label(s)}: {counts[s]}" for s in order if counts.get(s)]
        self.counts_label.setText(
            "   ".join(parts) or "The queue is empty: import applicants to begin"
        )

    @Slot(int)
    def _on_prompts_pending(self, count: int) -> None:
        self.prompt_label.setText(f"{count} waiting for you" if count else "")

    @Slot(int)
    def _on_status_filter(self, _index: int) -> None:
        value = self.status_filter.currentData()
        self.proxy.set_statuses([value] if value else [])

    @Slot(int)
    def _on_service_filter(self, _index: int) -> None:
        value = self.service_filter.currentData()
        self.proxy.set_services([value] if value else [])

    @Slot(str)
    def _on_copied(self, text: str) -> None:
        self.statusBar().showMessage("Copied to the clipboard", 3000)

    # ------------------------------------------------------------------ consent

    @Slot(str)
    def _on_pin_requested(self, ref: str) -> None:
        try:
            applicant = self.store.applicant(ref, reveal=True)
        except (StoreError, VaultError) as error:
            QMessageBox.warning(self, APP_NAME, str(error))
            return
        pin = applicant.dsc.pin if applicant.dsc else ""
        if not pin:
            QMessageBox.information(self, APP_NAME, "No DSC PIN is kept for them.")
            return
        QMessageBox.information(
            self,
            "DSC login PIN",
            f"Filing Desk chose the eMudhra PIN {pin} for {applicant.display_name}.\n\n"
            "Give it to the applicant: they need it to log in to eMudhra and to "
            "download their certificate.",
        )

    @Slot()
    def _on_consent_triggered(self) -> None:
        rows = [
            r for r in (self.model.row_for(i) for i in self.selected_filing_ids()) if r
        ]
        pending = [r for r in rows if r.status == FilingStatus.PENDING_CONSENT]
        if not pending:
            return
        refs = sorted({r.applicant_ref for r in pending})
        names = sorted({r.name for r in pending})
        services = {Service(r.service) for r in pending}
        dialog = ConsentDialog(names, services, self)
        dialog.accepted.connect(self._on_consent_accepted)
        dialog.setProperty("refs", refs)
        self._consent_dialog = dialog
        dialog.open()

    @Slot()
    def _on_consent_accepted(self) -> None:
        dialog = self._consent_dialog
        refs = dialog.property("refs")
        by_ref: dict[str, set[Service]] = {}
        for row in self.model.rows():
            if row.applicant_ref in refs and row.status == FilingStatus.PENDING_CONSENT:
                by_ref.setdefault(row.applicant_ref, set()).add(Service(row.service))
        chosen = dialog.chosen_services()
        for ref, services in by_ref.items():
            wanted = services & chosen
            if wanted:
                self._store_call(
                    self.store.record_consent,
                    ref,
                    dialog.who.text().strip(),
                    wanted,
                    dialog.note.text().strip(),
                    dialog.given_at(),
                )
        self.statusBar().showMessage(
            f"Consent recorded for {len(by_ref)} applicant(s)", 5000
        )

    # ------------------------------------------------------------------ import

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._importable(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._importable(event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._importable(event.mimeData().urls())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        # Leave the drop handler first: the preview is modal.
        self._dropped = paths
        QTimer.singleShot(0, self._on_dropped)

    @Slot()
    def _on_dropped(self) -> None:
        self.import_files(self._dropped)

    @staticmethod
    def _importable(urls: Iterable[QUrl]) -> list[Path]:
        return [
            Path(url.toLocalFile())
            for url in urls
            if url.isLocalFile()
            and Path(url.toLocalFile()).suffix.lower() in IMPORTABLE_SUFFIXES
        ]

    @Slot()
    def _on_import_triggered(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import applicants",
            str(Path.home()),
            "Applicant files (*.xlsx *.xlsm *.csv *.json);;All files (*)",
        )
        if paths:
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> None:
        """Preview each file in turn; the operator decides what is added."""
        from desktop_app.gui.import_preview import ImportPreviewDialog

        self._import_queue = list(paths)
        if not self._import_queue:
            return
        path = self._import_queue.pop(0)
        dialog = ImportPreviewDialog(path, self.store, self)
        dialog.imported.connect(self._on_imported)
        dialog.finished.connect(self._on_import_dialog_finished)
        self.import_dialog = dialog
        dialog.open()

    @Slot(int)
    def _on_import_dialog_finished(self, _result: int) -> None:
        if self._import_queue:
            QTimer.singleShot(0, self._on_next_import)

    @Slot()
    def _on_next_import(self) -> None:
        self.import_files(self._import_queue)

    @Slot(object)
    def _on_imported(self, result: Any) -> None:
        self.feed.reload()
        added = len(getattr(result, "filing_ids", ()))
        skipped = len(getattr(result, "duplicates", ()))
        message = f"Added {added} filing(s)"
        if skipped:
            message += f"; {skipped} duplicate(s) left out"
        self.statusBar().showMessage(message, 8000)

    # ------------------------------------------------------------------ files

    @Slot()
    def _on_template_triggered(self) -> None:
        from desktop_app.core import template

        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the applicants template",
            str(Path.home() / "applicants-template.xlsx"),
            "Excel workbook (*.xlsx)",
        )
        if path:
            template.write_template(Path(path))
            self.statusBar().showMessage(f"Template saved to {path}", 8000)

    @Slot()
    def _on_export_triggered(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export results",
            str(Path.home() / "filing-results.xlsx"),
            "Excel workbook (*.xlsx);;CSV file (*.csv)",
        )
        if path:
            count = self.export_results(Path(path))
            self.statusBar().showMessage(f"Exported {count} filing(s) to {path}", 8000)

    def export_results(self, path: Path) -> int:
        """Write every filing with the core export (the ``export`` command's format)."""
        if path.suffix.lower() not in (".xlsx", ".csv"):
            path = path.with_suffix(".xlsx")
        rows = [export_command.export_row(f) for f in self.store.filings()]
        if path.suffix.lower() == ".csv":
            export_command.write_csv(path, rows)
        else:
            export_command.write_xlsx(path, rows)
        return len(rows)

    @Slot()
    def _on_open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.data_dir.root)))

    @Slot()
    def _on_settings_triggered(self) -> None:
        from desktop_app.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self.settings, self.context.data_dir, _detect_browser, self
        )
        dialog.settings_saved.connect(self._on_settings_saved)
        self.settings_dialog = dialog
        dialog.open()

    @Slot(object)
    def _on_settings_saved(self, settings: Settings) -> None:
        self.settings = settings
        self.concurrency.setValue(settings.concurrency)
        problem = _browser_problem(settings)
        self.context.browser_problem = problem
        self.banner.setVisible(bool(problem))
        self.settings_banner.setVisible(False)  # saved settings replace the broken ones
        if not self.context.demo:
            self.context.portal_urls = dict(settings.portal_urls)
        self.statusBar().showMessage("Settings saved; new filings use them", 5000)

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>Files eMudhra DSC and Udyam "
            "registrations "
            "with the operator in the loop.<br>Data folder: "
            f"{self.context.data_dir.root}",
        )

    # ------------------------------------------------------------------ closing

    def has_running_filings(self) -> bool:
        return bool(self._runner is not None and self._runner.running())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._shutdown_done:
            event.accept()
            return
        if self._closing:
            event.ignore()  # already stopping; closes itself when done
            return
        if self.has_running_filings() and not self._close_confirmed:
            answer = QMessageBox.question(
                self,
                "Filings are running",
                "Filings are still running. Stop them and close? They can be retried "
                "later.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        event.ignore()
        self.begin_shutdown()

    def confirm_close(self) -> None:
        """Tests and the smoke test: close without asking."""
        self._close_confirmed = True

    def begin_shutdown(self) -> None:
        """Stop everything, off the GUI thread, then close the window."""
        if self._closing:
            return
        self._closing = True
        self.setEnabled(False)
        self.statusBar().showMessage(
            "Stopping filings and closing their browsers\u2026"
        )
        self.prompts.abort_all("The app is closing.")
        self.operator.abort_all("The app is closing.")
        self.feed.stop()
        if self._runner is None:
            self._finish_shutdown()
            return
        runner = self._runner
        worker = CallWorker(_RunnerStopper(runner), "Stopping the filings")
        worker.done.connect(self._on_runner_stopped)
        worker.errored.connect(self._on_runner_stopped)
        self._shutdown_worker = worker
        self._shutdown_thread = start_in_thread(worker, "stop-runner")
        self._shutdown_thread.finished.connect(self._finish_shutdown)

    @Slot(object)
    def _on_runner_stopped(self, result: object) -> None:
        if result is False:
            log.warning("Some filings did not stop in time; their browsers were closed")

    @Slot()
    def _finish_shutdown(self) -> None:
        self.log_pump.stop()
        logging.getLogger().removeHandler(self.log_handler)
        if self.demo_panel is not None:
            self.demo_panel.stop()
        if self.tray is not None:
            self.tray.hide()
        self._shutdown_done = True
        self.closed.emit()
        # Not close() here: this may run inside closeEvent, where Qt ignores it.
        QTimer.singleShot(0, self.close)


class _RunnerStopper:
    """Callable run on the shutdown QThread: cancel, then wait for the workers."""

    def __init__(self, runner: FilingRunner) -> None:
        self.runner = runner

    def __call__(self) -> bool:
        self.runner.cancel_all("The app is closing.")
        return self.runner.shutdown(SHUTDOWN_DEADLINE_S)


def _browser_problem(settings: Settings) -> str | None:
    from desktop_app.automation.browser import check_browser

    return check_browser(settings).problem


def _detect_browser(settings: Settings) -> str:
    from desktop_app.automation.browser import check_browser

    return check_browser(settings).summary()


def portal_urls_for(
    settings: Settings, simulated: Mapping[str, str] | None
) -> dict[str, str]:
    urls = dict(settings.portal_urls)
    if simulated:
        urls.update({k: v for k, v in simulated.items() if k in urls})
    return urls
