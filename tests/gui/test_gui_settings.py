"""The settings dialog: built from the model, saved through it, password to keyring."""

from __future__ import annotations

import pytest
from _gui_fixtures import *  # noqa: F403 - fixtures
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from desktop_app.core import secrets
from desktop_app.core import settings as settings_module
from desktop_app.core.settings import Settings
from desktop_app.gui.settings_dialog import SettingsDialog
from desktop_app.paths import DataDir

pytestmark = pytest.mark.gui


@pytest.fixture
def data_dir(tmp_path) -> DataDir:
    return DataDir(tmp_path / "data").ensure()


def test_every_setting_has_an_editor_with_its_description(qtbot, data_dir) -> None:
    dialog = SettingsDialog(Settings(), data_dir)
    qtbot.addWidget(dialog)
    editors = dialog.form.editors
    for name, info in Settings.model_fields.items():
        if name == "schema_version":
            continue
        assert name in editors, f"no editor for {name}"
        assert editors[name].toolTip() == (info.description or "")
    assert isinstance(editors["concurrency"], QSpinBox)
    assert editors["concurrency"].maximum() == 4
    assert isinstance(editors["browser_engine"], QComboBox)
    assert isinstance(editors["headless"], QCheckBox)
    assert isinstance(editors["timeouts.operator_answer"], QDoubleSpinBox)


def test_settings_round_trip_and_password_goes_to_the_keyring(
    qtbot,
    data_dir,
    memory_keyring,
) -> None:
    saved = []
    dialog = SettingsDialog(Settings(), data_dir)
    qtbot.addWidget(dialog)
    dialog.settings_saved.connect(saved.append)
    editors = dialog.form.editors
    editors["concurrency"].setValue(3)
    editors["browser_engine"].setCurrentIndex(
        editors["browser_engine"].findData("selenium")
    )
    editors["partner_username"].setText("office-partner")
    editors["timeouts.operator_answer"].setValue(900)
    portal_edits = editors["portal_urls"].findChildren(QLineEdit)
    portal_edits[0].setText("http://127.0.0.1:9999")
    dialog.password_edit.setText("s3cret-pass")
    dialog.save()

    assert saved, "the dialog saved"
    loaded = settings_module.load(data_dir)
    assert loaded.concurrency == 3
    assert loaded.browser_engine == "selenium"
    assert loaded.timeouts.operator_answer == 900
    assert "http://127.0.0.1:9999" in loaded.portal_urls.values()
    assert secrets.get_partner_password("office-partner") == "s3cret-pass"
    assert "s3cret-pass" not in data_dir.settings.read_text(encoding="utf-8")

    again = SettingsDialog(loaded, data_dir)
    qtbot.addWidget(again)
    assert again.form.editors["concurrency"].value() == 3
    assert again.edited_settings() == loaded


def test_invalid_values_are_refused_without_writing(
    qtbot, data_dir, monkeypatch
) -> None:
    warnings = []
    monkeypatch.setattr(
        "desktop_app.gui.settings_dialog.QMessageBox.warning",
        lambda _parent, _title, text: warnings.append(text),
    )
    dialog = SettingsDialog(Settings(), data_dir)
    qtbot.addWidget(dialog)
    dialog.form.editors["portal_urls"].findChildren(QLineEdit)[0].setText(
        "ftp://nowhere"
    )
    dialog.save()
    assert warnings and "https://" in warnings[0]
    assert not data_dir.settings.exists()


def test_detect_shows_what_was_found(qtbot, data_dir) -> None:
    dialog = SettingsDialog(
        Settings(), data_dir, lambda s: f"Chromium 156 ({s.browser_engine})"
    )
    qtbot.addWidget(dialog)
    dialog.detect_button.click()
    assert dialog.detect_result.text() == "Chromium 156 (undetected)"


def test_a_broken_settings_file_is_kept_and_the_window_says_so(qtbot, tmp_path) -> None:
    from desktop_app.gui.app import LaunchOptions, window_context
    from desktop_app.gui.main_window import MainWindow

    data_dir = DataDir(tmp_path / "office").ensure()
    data_dir.settings.write_text('{"concurrency": 2,', encoding="utf-8")

    options = LaunchOptions(tmp_path / "office", check_browser=False)
    with window_context(options) as context:
        window = MainWindow(context)
        qtbot.addWidget(window)
        window.show()
        banner = window.settings_banner
        assert banner.isVisible()
        assert "could not be read" in banner.text()
        assert context.settings == Settings()
        kept = list(data_dir.root.glob("settings.broken-*.json"))
        assert len(kept) == 1 and kept[0].name in banner.text()
        assert kept[0].read_text(encoding="utf-8") == '{"concurrency": 2,'
        assert not data_dir.settings.exists()  # saving now cannot erase the old one
        window.confirm_close()
        window.close()
