"""``desktop-app check-portals --demo`` against the simulated portals."""

from __future__ import annotations

import pytest

from desktop_app.cli import main

pytestmark = pytest.mark.browser


def test_every_simulated_portal_has_its_first_page_elements(tmp_path, capsys):
    status = main(
        ["--data-dir", str(tmp_path), "check-portals", "--demo", "--headless"]
    )

    lines = capsys.readouterr().out.splitlines()
    assert status == 0, lines
    reported = {line.split(":", 1)[0]: line for line in lines if ": " in line}
    assert set(reported) == {"udyam", "emudhra-partner", "emudhra", "emudhra-aadhaar"}
    assert all(": ok (" in line for line in reported.values()), lines
    assert "not checked" in reported["emudhra-aadhaar"]
