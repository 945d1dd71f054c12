"""PageActions against a local site that misbehaves like the real portals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _local_site import LocalSite
from selenium.webdriver.common.by import By

from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    Browser,
    BrowserOptions,
    check_browser,
)
from desktop_app.automation.page import (
    MASK,
    PageActions,
    PageTimeoutError,
    by_css,
    by_id,
)
from desktop_app.automation.timeouts import Timeouts
from desktop_app.paths import DataDir

pytestmark = pytest.mark.browser

FAST = Timeouts(instant=0.3, short=3, element=5, postback=8, page_load=15)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with LocalSite() as running:
        yield running


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    # One browser per test, not per module: the shared leak check (tests/conftest.py)
    # counts every renderer a navigation spawns as a leak of the test that spawned it.
    # Plain selenium starts in about 0.6 s, so this costs little.
    check = check_browser(None)
    if not check.ok:
        pytest.skip(check.problem)
    data_dir = DataDir(tmp_path_factory.mktemp("data")).ensure()
    options = BrowserOptions(
        engine="selenium", headless=True, host_resolver_rules=OFFLINE_HOST_RULES
    )
    with Browser(check, options, data_dir) as started:
        yield started


@pytest.fixture
def page(browser: Browser, site: LocalSite) -> PageActions:
    return PageActions(
        browser.driver, FAST, loaders=[by_id("preloader"), by_id("loader")]
    )


def test_typing_retypes_slowly_when_the_page_drops_fast_keys(page, site):
    page.open(site.url("/typing"))
    # The page really drops keys: a single fast send_keys loses some.
    raw = page.find(by_id("pan"))
    raw.send_keys("ABCDE1234F")
    assert raw.get_attribute("value") != "ABCDE1234F"

    page.type_text(by_id("pan"), "ABCDE1234F")

    assert page.value(by_id("pan")) == "ABCDE1234F"


def test_typing_replaces_what_was_there(page, site):
    page.open(site.url("/typing"))
    page.type_text(by_id("plain"), "first")
    page.type_text(by_id("plain"), "second")
    assert page.value(by_id("plain")) == "second"


def test_click_through_a_permanent_overlay_uses_a_script_click(page, site):
    page.open(site.url("/overlay"))
    page.click(by_id("go"))
    assert page.text(by_id("out")) == "clicked"


def test_click_waits_for_a_loader_to_go(page, site):
    page.open(site.url("/overlay?loader=1"))
    # open() already waits out loaders; make it come back to test click() itself.
    page.driver.execute_script(
        "document.getElementById('preloader').style.display='block';"
        "setTimeout(()=>document.getElementById('preloader')"
        ".style.display='none', 700)"
    )
    started = time.monotonic()
    page.click(by_id("later"))
    assert page.text(by_id("out")) == "later"
    assert time.monotonic() - started >= 0.4  # it waited rather than script-clicking


def test_form_post_replaces_the_page_and_actions_refind(page, site):
    page.open(site.url("/form"))
    page.type_text(by_id("name"), "Meena")
    page.set_checked(by_id("agree"))
    page.set_checked(by_id("g_1"))
    page.click_and_wait(by_id("send"), expect_reload=True)

    assert page.text(by_id("result")) == "Meena|yes|2"
    # The new page has its own #name; typing works without a stale element.
    page.type_text(by_id("name"), "again")
    assert page.value(by_id("name")) == "again"


def test_unticking_a_checkbox(page, site):
    page.open(site.url("/form"))
    page.set_checked(by_id("agree"), True)
    page.set_checked(by_id("agree"), False)
    assert not page.find(by_id("agree")).is_selected()


def test_partial_postback_waits_for_the_update_loader(page, site):
    page.loaders.append(by_id("UpdateProgress4"))
    page.open(site.url("/form"))
    page.type_text(by_id("ajaxfield"), "partial")
    page.click_and_wait(by_id("ajax"))
    assert not page.is_visible(by_id("UpdateProgress4"))
    assert page.text(by_id("echo")) == "partial"


def test_confirm_and_alert_are_answered_and_read(page, site):
    page.open(site.url("/dialogs"))
    page.click(by_id("ask"))
    assert page.accept_alert().startswith("Are you sure")
    assert page.text(by_id("out")) == "yes"

    page.click(by_id("ask"))
    page.dismiss_alert()
    assert page.text(by_id("out")) == "no"

    page.click(by_id("tell"))  # the alert comes 300 ms later
    assert "UDYAM-TN-25-0000001" in page.accept_alert(timeout=3)


def test_accept_alert_times_out_with_context(page, site):
    page.open(site.url("/dialogs"))
    page.step = "final submit"
    with pytest.raises(PageTimeoutError) as raised:
        page.accept_alert(timeout=0.3)
    assert "final submit" in str(raised.value)
    assert "/dialogs" in str(raised.value)


def test_cascade_reselects_the_parent_when_only_the_placeholder_came_back(page, site):
    page.open(site.url("/cascade"))
    chosen = page.select_cascade(by_id("state"), "33", by_id("district"), "603")
    assert chosen == "603"
    assert page.value(by_id("district")) == "603"
    assert page.value(by_id("state")) == "33"


def test_select_by_visible_text_substring_any_case(page, site):
    page.open(site.url("/cascade"))
    assert page.select(by_id("state"), text="karnataka") == "29"
    with pytest.raises(PageTimeoutError):
        page.select(by_id("state"), text="kerala", timeout=0.3)


def test_segmented_otp_boxes_get_one_digit_each_with_keyup(page, site):
    page.open(site.url("/otp"))
    page.fill_otp_boxes([by_id(f"otp{n}") for n in range(1, 5)], "4821")
    assert page.text(by_id("collected")) == "4821"


def test_upload_sends_an_absolute_path(page, site, tmp_path, monkeypatch):
    document = tmp_path / "pan copy.pdf"
    document.write_bytes(b"%PDF-1.4 test")
    monkeypatch.chdir(tmp_path)
    page.open(site.url("/upload"))
    page.upload(by_id("doc"), Path("pan copy.pdf"))  # relative on purpose
    assert page.text(by_id("chosen")) == f"pan copy.pdf:{len(b'%PDF-1.4 test')}"


def test_message_box_is_dismissed_only_when_shown(page, site):
    page.open(site.url("/msgbox"))
    assert page.dismiss_message_box(by_id("msgOk"), timeout=2)
    assert not page.is_visible(by_id("msgBox"))
    assert not page.dismiss_message_box(by_id("msgOk"), timeout=0.2)


def test_sensitive_values_are_masked_and_left_out_of_html(page, site):
    page.open(site.url("/msgbox"))
    page.dismiss_message_box(by_id("msgOk"), timeout=2)
    page.type_text(by_id("pin"), "246810")
    secret = [by_id("aadhaar"), by_css("input[type=password]")]

    html = page.page_html_without(secret)
    assert "123412341234" not in html
    assert 'id="aadhaar"' in html
    # Blanking the copy leaves the live page untouched.
    assert page.value(by_id("aadhaar")) == "123412341234"

    assert page.mask_sensitive(secret) == 2
    assert page.value(by_id("aadhaar")) == MASK
    assert page.value(by_id("pin")) == MASK
    assert "123412341234" not in page.driver.page_source
    assert page.driver.find_element(By.ID, "mobile").get_attribute("value") == ""


def test_waiting_for_a_missing_element_names_it(page, site):
    page.open(site.url("/typing"))
    with pytest.raises(PageTimeoutError, match="id=nothing-here"):
        page.find(by_id("nothing-here"), timeout=0.3)


def test_a_blank_first_load_is_loaded_again_and_the_operator_told(page, site):
    notes: list[str] = []
    page.notify = notes.append
    page.open(site.url("/blank-once"))
    assert page.is_present(by_id("msgOk"))
    assert notes == ["The page came up blank; loading it again."]
