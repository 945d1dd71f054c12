"""Portal data files load, validate, and failures name the file and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _local_site import LocalSite

from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    Browser,
    BrowserOptions,
    check_browser,
)
from desktop_app.automation.page import PageActions
from desktop_app.automation.portal_config import (
    PortalConfig,
    PortalConfigError,
    load_portal_config,
    load_portal_configs,
)
from desktop_app.commands.check_portals import check_portal, parse_portal_arguments
from desktop_app.paths import DataDir


def test_shipped_files_load_with_the_known_ids():
    configs = load_portal_configs()
    assert set(configs) == {"udyam", "emudhra-partner", "emudhra", "emudhra-aadhaar"}
    udyam = configs["udyam"]
    assert udyam.locator("aadhaar") == ("id", "ctl00_ContentPlaceHolder1_txtadharno")
    assert udyam.url("registration") == (
        "https://udyamregistration.gov.in/UdyamRegistration.aspx"
    )
    assert "Incorrect OTP" in udyam.message("otp_incorrect")
    emudhra = configs["emudhra"]
    assert [v for _, v in emudhra.otp_box_locators()] == [
        "otp1",
        "otp2",
        "otp3",
        "otp4",
    ]
    assert emudhra.locator("application_number") == ("id", "dscAppID")
    for config in configs.values():
        assert "inferred" in config.notes


def _write(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def _minimal(name: str = "demo") -> dict:
    return {
        "name": name,
        "base_url": "http://127.0.0.1",
        "paths": {"start": "/typing"},
        "selectors": {"field": {"by": "id", "value": "pan"}},
        "options": {"first_page": "start", "first_page_selectors": ["field"]},
    }


def test_bad_selector_kind_names_file_and_key(tmp_path):
    data = _minimal()
    data["selectors"]["field"]["by"] = "tag"
    path = _write(tmp_path, "demo", data)
    with pytest.raises(PortalConfigError, match=r"demo\.json.*selectors\.field\.by"):
        load_portal_config(path)


def test_unknown_selector_in_options_is_refused(tmp_path):
    data = _minimal()
    data["options"]["sensitive"] = ["nope"]
    with pytest.raises(PortalConfigError, match="sensitive.*nope"):
        load_portal_configs(_write(tmp_path, "demo", data).parent)


def test_name_must_match_file_and_json_must_parse(tmp_path):
    with pytest.raises(PortalConfigError, match="must match"):
        load_portal_config(_write(tmp_path, "other", _minimal("demo")))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(PortalConfigError, match="broken.json is not valid JSON"):
        load_portal_config(broken)


def test_portal_arguments_are_parsed_and_checked():
    assert parse_portal_arguments(["udyam=http://127.0.0.1:8000/"]) == {
        "udyam": "http://127.0.0.1:8000"
    }
    with pytest.raises(ValueError, match="NAME=URL"):
        parse_portal_arguments(["udyam"])


@pytest.mark.browser
def test_check_portal_reports_missing_first_page_elements(tmp_path):
    check = check_browser(None)
    if not check.ok:
        pytest.skip(check.problem)
    data = _minimal()
    data["selectors"]["gone"] = {"by": "css", "value": "#renamed-field"}
    data["options"]["first_page_selectors"] = ["field", "gone"]
    config = PortalConfig.model_validate(data)
    options = BrowserOptions(
        engine="selenium", headless=True, host_resolver_rules=OFFLINE_HOST_RULES
    )
    data_dir = DataDir(tmp_path / "data").ensure()
    with LocalSite() as site, Browser(check, options, data_dir) as browser:
        report = check_portal(PageActions(browser.driver), config, site.base_url)
    assert report.missing == ["gone (css=#renamed-field)"]
    assert not report.ok
    assert report.url.endswith("/typing")
