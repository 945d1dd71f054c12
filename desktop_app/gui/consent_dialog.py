"""Recording consent for applicants whose file did not carry it."""

from __future__ import annotations

import datetime as dt
import getpass

from PySide6.QtCore import QDateTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.models import Service


class ConsentDialog(QDialog):
    """Who recorded the consent, when it was given, and for which services."""

    def __init__(
        self, names: list[str], services: set[Service], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Record consent")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        shown = ", ".join(names[:5]) + (
            f" and {len(names) - 5} more" if len(names) > 5 else ""
        )
        intro = QLabel(
            f"Record that <b>{shown}</b> agreed to have these services filed on their "
            "behalf, and to the use of their Aadhaar number for it.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.who = QLineEdit(getpass.getuser(), self)
        self.who.setToolTip("The operator who recorded the consent")
        self.when = QDateTimeEdit(QDateTime.currentDateTime(), self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd MMM yyyy HH:mm")
        self.note = QLineEdit(self)
        self.note.setPlaceholderText("e.g. signed form kept in the client's file")
        form.addRow("Recorded by", self.who)
        form.addRow("Given on", self.when)
        self.boxes: dict[Service, QCheckBox] = {}
        for service in Service:
            box = QCheckBox(service.label, self)
            box.setChecked(service in services)
            box.setEnabled(service in services)
            self.boxes[service] = box
            form.addRow("" if len(self.boxes) > 1 else "Services", box)
        form.addRow("Note", self.note)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.who.textChanged.connect(self._on_changed)
        for box in self.boxes.values():
            box.toggled.connect(self._on_changed)
        self._on_changed()

    def chosen_services(self) -> set[Service]:
        return {service for service, box in self.boxes.items() if box.isChecked()}

    def given_at(self) -> dt.datetime:
        return self.when.dateTime().toPython().astimezone()

    @Slot()
    def _on_changed(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.who.text().strip()) and bool(self.chosen_services()))
