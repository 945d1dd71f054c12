"""The settings dialog, built from the fields and descriptions of the Settings model.

Each field of :class:`desktop_app.core.settings.Settings` becomes an editor chosen by
its type (check box, spin box, choice, path, text); its description is the tooltip and
the help line. Nested models become a group. Saving validates through pydantic, so the
dialog can never write a file the app would refuse to read. The partner password goes
to the OS keyring (:mod:`desktop_app.core.secrets`), never to the settings file.
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import secrets
from desktop_app.core import settings as settings_module
from desktop_app.core.settings import Settings
from desktop_app.paths import DataDir

log = logging.getLogger(__name__)

_LABELS = {
    "browser_engine": "Browser engine",
    "chrome_path": "Chrome",
    "chromedriver_path": "ChromeDriver",
    "headless": "Hide the browser",
    "portal_urls": "Portal addresses",
    "concurrency": "Filings at once",
    "timeouts": "Timeouts",
    "technical_retries": "Retries",
    "otp_attempts": "OTP attempts",
    "evidence_retention_days": "Keep evidence (days)",
    "office_email": "Office e-mail",
    "partner_username": "eMudhra partner user",
    "otp_command": "OTP command",
    "page_load": "Page load (s)",
    "element": "Field wait (s)",
    "operator_answer": "Your answer (s)",
}
_HIDDEN = {"schema_version"}

Getter = Callable[[], Any]


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for item in info.metadata:
        low = (
            getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        )
        low = (
            getattr(item, "gt", None) if getattr(item, "gt", None) is not None else low
        )
        high = (
            getattr(item, "le", None) if getattr(item, "le", None) is not None else high
        )
        high = (
            getattr(item, "lt", None) if getattr(item, "lt", None) is not None else high
        )
    return low, high


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional?) for ``X | None``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


class PathEdit(QWidget):
    """A text field with a Browse button; empty means "find it automatically"."""

    def __init__(self, value: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(str(value) if value else "", self)
        self.edit.setPlaceholderText("Found automatically")
        browse = QPushButton("Browse\u2026", self)
        browse.clicked.connect(self._on_browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def value(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text) if text else None

    @Slot()
    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a program", self.edit.text()
        )
        if path:
            self.edit.setText(path)


class SettingsForm(QWidget):
    """Editors for every field of a pydantic model; :meth:`values` reads them back."""

    def __init__(self, model: BaseModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow
        )
        self.getters: dict[str, Getter] = {}
        self.editors: dict[str, QWidget] = {}
        for name, info in type(model).model_fields.items():
            if name in _HIDDEN:
                continue
            editor, getter = self._editor(name, info, getattr(model, name))
            if info.description:
                editor.setToolTip(info.description)
            self.editors[name] = editor
            self.getters[name] = getter
            self.layout_.addRow(_label(name), editor)

    def values(self) -> dict[str, Any]:
        return {name: getter() for name, getter in self.getters.items()}

    def _editor(self, name: str, info: FieldInfo, value: Any) -> tuple[QWidget, Getter]:
        annotation, _optional = _without_none(info.annotation)
        if isinstance(value, BaseModel):
            return self._group(name, value)
        if annotation is bool:
            box = QCheckBox(info.description or "", self)
            box.setChecked(bool(value))
            return box, box.isChecked
        if typing.get_origin(annotation) is Literal:
            combo = QComboBox(self)
            for choice in typing.get_args(annotation):
                combo.addItem(str(choice), choice)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            return combo, combo.currentData
        if annotation is int:
            return self._spin(QSpinBox(self), info, value)
        if annotation is float:
            return self._spin(QDoubleSpinBox(self), info, value)
        if annotation is Path:
            path_edit = PathEdit(value, self)
            return path_edit, path_edit.value
        if isinstance(value, dict):
            return self._mapping(value)
        edit = QLineEdit("" if value is None else str(value), self)
        return edit, edit.text

    def _spin(
        self, spin: QSpinBox | QDoubleSpinBox, info: FieldInfo, value: Any
    ) -> tuple[QWidget, Getter]:
        low, high = _bounds(info)
        spin.setRange(
            low if low is not None else 0, high if high is not None else 1_000_000
        )
        spin.setValue(value)
        return spin, spin.value

    def _group(self, name: str, value: BaseModel) -> tuple[QWidget, Getter]:
        group = QGroupBox(self)
        inner = SettingsForm(value, group)
        layout = QVBoxLayout(group)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(inner)
        self.editors.update({f"{name}.{k}": v for k, v in inner.editors.items()})
        return group, inner.values

    def _mapping(self, value: dict[str, str]) -> tuple[QWidget, Getter]:
        group = QWidget(self)
        form = QFormLayout(group)
        form.setContentsMargins(0, 0, 0, 0)
        edits = {}
        for key, text in value.items():
            edits[key] = QLineEdit(text, group)
            form.addRow(key, edits[key])
        return group, lambda: {key: edit.text().strip() for key, edit in edits.items()}


class SettingsDialog(QDialog):
    """Edits the settings of one data folder; saves on OK.

    Signals:
        settings_saved(object): the new :class:`Settings`, after it was written.
    """

    settings_saved = Signal(object)

    def __init__(
        self,
        settings: Settings,
        data_dir: DataDir,
        detect_browser: Callable[[Settings], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumSize(640, 560)
        self.settings = settings
        self.data_dir = data_dir
        self._detect_browser = detect_browser
        self.form = SettingsForm(settings)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        self._add_password_row()
        self._add_detect_row(layout)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)

    def _add_password_row(self) -> None:
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Unchanged (kept in the system keyring)")
        self.password_edit.setToolTip(
            "The eMudhra partner password. It is kept in the operating system's "
            "keyring, never in the settings file."
        )
        self.form.layout_.addRow("eMudhra partner password", self.password_edit)

    def _add_detect_row(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        self.detect_button = QPushButton("Detect Chrome", self)
        self.detect_button.setToolTip(
            "Find Chrome and ChromeDriver and show their versions"
        )
        self.detect_button.clicked.connect(self._on_detect)
        self.detect_result = QLabel("", self)
        self.detect_result.setWordWrap(True)
        self.detect_result.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        row.addWidget(self.detect_button)
        row.addWidget(self.detect_result, 1)
        self.detect_button.setEnabled(self._detect_browser is not None)
        layout.addLayout(row)

    def edited_settings(self) -> Settings:
        """The settings as edited; ``ValidationError`` when a value is invalid."""
        return Settings.model_validate(
            {**self.settings.model_dump(), **self.form.values()}
        )

    @Slot()
    def _on_detect(self) -> None:
        if self._detect_browser is None:
            return
        try:
            candidate = self.edited_settings()
        except ValidationError as error:
            self.detect_result.setText(_first_error(error))
            return
        self.detect_result.setText("Looking for Chrome\u2026")
        # FIXME(gui): runs on the GUI thread; finding Chrome takes well under a second
        # here, but a slow network drive would freeze the dialog meanwhile.
        self.detect_result.setText(self._detect_browser(candidate))

    @Slot()
    def save(self) -> None:
        try:
            new = self.edited_settings()
        except ValidationError as error:
            QMessageBox.warning(self, "Settings not saved", _first_error(error))
            return
        password = self.password_edit.text()
        if password:
            if not new.partner_username:
                QMessageBox.warning(
                    self,
                    "Settings not saved",
                    "Enter the partner user name for this password.",
                )
                return
            try:
                secrets.set_partner_password(new.partner_username, password)
            except secrets.SecretStoreUnavailable as error:
                QMessageBox.warning(self, "Password not saved", str(error))
                return
        settings_module.save(new, self.data_dir)
        log.info("Settings saved")
        self.settings = new
        self.settings_saved.emit(new)
        self.accept()


def _first_error(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = " > ".join(_label(str(part)) for part in problem.get("loc", ()))
    return f"{where}: {problem.get('msg', 'invalid value')}"
