"""A real flow run from the window against the simulated portals, in a real Chromium.

The OTP dialog is answered by the test from the simulated phone: a wrong code first,
then the right one. Skipped while no real flow is registered in
``desktop_app/automation/flows.py``.
"""

from __future__ import annotations

import pytest
from _gui_fixtures import *  # noqa: F403 - fixtures
from PySide6.QtCore import QTimer

from desktop_app.automation.flows import FLOWS
from desktop_app.core.models import Service
from desktop_app.core.settings import Settings
from desktop_app.gui.core_api import default_runner_factory

pytestmark = [pytest.mark.gui, pytest.mark.browser, pytest.mark.slow]

PREFERRED = (Service.UDYAM, Service.DSC)


def _service_with_flow() -> Service | None:
    return next((service for service in PREFERRED if service in FLOWS), None)


def _wrong(code: str) -> str:
    return "".join(str((int(ch) + 1) % 10) for ch in code)


@pytest.mark.skipif(
    _service_with_flow() is None,
    reason="no real flow is registered in desktop_app/automation/flows.py yet "
    "(UdyamFlow or EmudhraAadhaarFlow)",
)
def test_window_files_on_the_simulators_with_a_wrong_then_right_otp(
    window_env, qtbot
) -> None:
    from desktop_app.commands.run import simulator_captcha_solver
    from desktop_app.core.importer import read_file
    from desktop_app.gui.app import link_demo_mobiles
    from desktop_app.paths import resource_path
    from desktop_app.simulators.server import start_simulators

    service = _service_with_flow()
    report = read_file(resource_path("samples", "applicants.xlsx"))
    applicant = next(a for a in report.applicants if service in a.services)
    applicant = applicant.model_copy(update={"services": frozenset({service})})
    added = window_env.store.add_applicants([applicant], "samples")
    window_env.store.record_consent(applicant.ref, "test", {service})
    filing_id = added.filing_ids[0]

    with start_simulators(seed=7) as sims:
        link_demo_mobiles(window_env.store, sims)
        settings = Settings(headless=True, browser_engine="selenium")
        window = window_env.window(default_runner_factory, settings)
        window.context.portal_urls = {
            k: v for k, v in sims.urls.items() if k != "control"
        }
        attempts: list[int] = []
        solve_captcha = simulator_captcha_solver(sims)

        def on_shown(prompt) -> None:
            request = prompt.request
            if request.kind.is_otp:
                attempts.append(request.attempt)
            dialog = window.prompts.dialog
            if request.kind.is_otp:
                message = sims.outbox.latest(request.mobile or request.email)
                code = message.code if message else "000000"
                text = _wrong(code) if len(attempts) == 1 else code
                QTimer.singleShot(50, lambda: _submit(dialog, text))
            elif request.kind == "captcha":
                # The simulator knows the captcha it drew (the run command's helper).
                text = solve_captcha(request) or "unknown"
                QTimer.singleShot(50, lambda: _type_captcha(dialog, text))
            else:
                QTimer.singleShot(50, dialog.answer_button.click)

        window.prompts.prompt_shown.connect(on_shown)
        with qtbot.waitSignal(window.filing_finished, timeout=180_000) as finished:
            window.start_all_ready()
        assert finished.args[0].status == "completed", finished.args[0].message
        assert attempts[:2] == [1, 2]
        assert window.store.filing(filing_id).result


def _submit(dialog, text: str) -> None:
    dialog.otp_edit.setText(text)
    dialog.answer_button.click()


def _type_captcha(dialog, text: str) -> None:
    dialog.text_edit.setText(text)
    dialog.answer_button.click()
