"""The whole Udyam registration in headless Chromium against the simulator."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("selenium")

from _udyam_client import AADHAAR, MOBILE, PAN  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    ElementClickInterceptedException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from desktop_app.simulators.server import SimulatorSet, start_simulators  # noqa: E402
from desktop_app.simulators.udyam import CONFIRM_TEXT, PAGE  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromedriver").exists(), reason="chromedriver not installed"
    ),
]

ID = "ctl00_ContentPlaceHolder1_"
WAIT = 10


def make_driver(page_load_strategy: str = "normal") -> WebDriver:
    options = webdriver.ChromeOptions()
    options.page_load_strategy = page_load_strategy
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--window-size=1280,1600",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture
def sims() -> Iterator[SimulatorSet]:
    with start_simulators() as running:
        running.context.link_mobile(AADHAAR, MOBILE)
        yield running


@pytest.fixture
def driver() -> Iterator[WebDriver]:
    chrome = make_driver()
    try:
        yield chrome
    finally:
        chrome.quit()


class Udyam:
    """Small page helper: every action that posts back waits for the new DOM."""

    def __init__(self, driver: WebDriver, sims: SimulatorSet) -> None:
        self.driver = driver
        self.sims = sims

    def el(self, short_id: str) -> WebElement:
        return WebDriverWait(self.driver, WAIT).until(
            ec.presence_of_element_located((By.ID, ID + short_id))
        )

    def type(self, short_id: str, text: str) -> None:
        field = self.el(short_id)
        field.clear()
        field.send_keys(text)

    def postback(self, action: Callable[[], None]) -> None:
        root = self.driver.find_element(By.TAG_NAME, "html")
        action()
        WebDriverWait(self.driver, WAIT).until(ec.staleness_of(root))
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def click(self, short_id: str) -> None:
        self.postback(lambda: self.el(short_id).click())

    def choose(self, short_id: str, value: str) -> None:
        self.postback(lambda: Select(self.el(short_id)).select_by_value(value))

    def radio(self, short_id: str) -> None:
        self.el(short_id).click()

    def text(self, short_id: str) -> str:
        return self.el(short_id).text

    def captcha_answer(self) -> str:
        sid = self.driver.get_cookie("ASP.NET_SessionId")["value"]
        session = self.sims.portals["udyam"].sessions._sessions[sid]
        return session["udyam"].captcha_text


def test_whole_registration_in_chromium(driver: WebDriver, sims: SimulatorSet) -> None:
    started = time.monotonic()
    page = Udyam(driver, sims)
    driver.get(sims.urls["udyam"] + PAGE)
    assert "UDYAM REGISTRATION FORM" in driver.title
    assert not page.el("UpdateProgress4").is_displayed()
    assert page.el("chkDecarationA").is_selected()

    # Step 1: Aadhaar, name, consent; the old handle is stale after the postback.
    page.type("txtadharno", AADHAAR)
    page.type("txtownername", "Asha Verma")
    old_name_field = page.el("txtownername")
    page.click("btnValidateAadhaar")
    with pytest.raises(StaleElementReferenceException):
        old_name_field.get_attribute("value")
    assert "OTP has been sent to *******3210" in page.text("lblOtpRes1")
    page.type("txtOtp1", sims.outbox.latest(MOBILE, "aadhaar_otp").code)
    page.click("btnValidate")
    assert "successfully verified" in page.text("lblmsg")

    # PAN
    page.choose("ddlTypeofOrg", "1")
    page.type("txtPan", PAN)
    page.type("txtPanName", "ASHA VERMA")
    page.type("txtdob", "01/02/1985")
    page.radio("chkDecarationP")
    page.click("btnValidatePan")
    assert "Your PAN has been successfully verified" in page.text("lblPanError")
    page.click("btnGetPanData")

    # ITR, GSTIN, investment, turnover
    page.radio("rblITR_0")
    page.radio("rblWhetherGstn_1")
    for short_id, value in (
        ("txtDepCost", "500000"),
        ("txtExCost", "0"),
        ("txtTotalTurnoverA", "2500000"),
        ("txtTotalTurnoverB", "0"),
    ):
        page.type(short_id, value)
    page.click("btnEnterprisedetail")

    # Main form
    for short_id, value in (
        ("txtenterprisename", "Verma Traders"),
        ("txtmobile", MOBILE),
        ("txtemail", "asha@example.com"),
    ):
        page.type(short_id, value)
    for short_id in ("rdbcategory_0", "rbtGender_1", "rbtPh_1"):
        page.radio(short_id)
    page.type("txtUnitName", "Main Unit")
    page.click("btnAddUnit")
    page.choose("ddlUnitName", "1")
    page.choose("ddlPState", "33")
    page.choose("ddlPDistrict", "25")
    for short_id, value in (
        ("txtPFlat", "12"),
        ("txtPCity", "Thanjavur"),
        ("txtPpin", "613001"),
    ):
        page.type(short_id, value)
    page.click("BtnPAdd")
    assert "Main Unit" in page.text("gvPlant")
    for short_id, value in (
        ("txtOffFlatNo", "12"),
        ("txtOffCity", "Thanjavur"),
        ("txtOffPin", "613001"),
        ("txtdateIncorporation", "01/04/2020"),
        ("txtBankName", "State Bank of India"),
        ("txtifsccode", "SBIN0040278"),
        ("txtaccountno", "12345678901"),
    ):
        page.type(short_id, value)
    page.choose("ddlstate", "33")
    page.choose("ddlDistrict", "25")
    page.radio("rdbPreviousEM_0")
    page.radio("rblcommenced_0")
    assert page.el("txtcommencedate").is_displayed()  # shown by JS, no postback
    page.type("txtcommencedate", "15/04/2020")
    page.postback(lambda: page.radio("rdbCatgg_1"))
    page.postback(lambda: page.radio("rdbSubCategg_1"))
    page.postback(lambda: page.radio("rdbCatggMultiple_2"))
    page.choose("ddl2NicCode", "47")
    page.choose("ddl4NicCode", "4721")
    page.choose("ddl5NicCode", "47211")
    page.click("btnAddMore")
    assert "47211" in page.text("gvNic")
    page.type("txtNoofpersonMale", "2")
    page.type("txtNoofpersonFemale", "3")
    page.el("txtNoofpersonFemale").send_keys(Keys.TAB)
    page.type("txtNoofpersonOthers", "0")
    page.el("txtNoofpersonOthers").send_keys(Keys.TAB)
    assert page.el("txttotalemp").get_attribute("value") == "5"  # computed on blur
    for short_id in ("rblGeM_1", "rblTReDS_1", "rblNCS_0", "rblnsic_1", "rblsid_1"):
        page.radio(short_id)
    Select(page.el("ddlDIC")).select_by_value("25")
    page.radio("chkDeclaration")

    # Submit: confirm(), then the final OTP and captcha.
    root = driver.find_element(By.TAG_NAME, "html")
    page.el("btnsubmit").click()
    confirm = WebDriverWait(driver, WAIT).until(ec.alert_is_present())
    assert confirm.text == CONFIRM_TEXT
    confirm.accept()
    WebDriverWait(driver, WAIT).until(ec.staleness_of(root))
    assert page.el("imgCaptcha").get_attribute("naturalWidth") != "0"
    page.type("txtOtp", sims.outbox.latest(MOBILE, "final_otp").code)
    page.type("txtCaptcha", page.captcha_answer())
    root = driver.find_element(By.TAG_NAME, "html")
    page.el("btn_finalsubmit").click()
    WebDriverWait(driver, WAIT).until(ec.staleness_of(root))
    success = WebDriverWait(driver, WAIT).until(ec.alert_is_present())
    urn = re.search(r"UDYAM-[A-Z]{2}-\d{2}-\d{7}", success.text)
    assert urn is not None and urn.group() == "UDYAM-TN-25-0000001"
    success.accept()
    assert urn.group() in page.text("lblmsg")
    assert time.monotonic() - started < 60


def test_click_overlay_and_lossy_typing(driver: WebDriver, sims: SimulatorSet) -> None:
    sims.faults.set("click_overlay")
    sims.faults.set("lossy_typing", min_interval_ms=150)
    driver.get(sims.urls["udyam"] + PAGE)
    page = Udyam(driver, sims)
    field = page.el("txtownername")
    with pytest.raises(ElementClickInterceptedException):
        field.click()
    driver.find_element(By.ID, "sim-click-overlay").click()  # a person clicks it away
    assert not driver.find_elements(By.ID, "sim-click-overlay")
    field.send_keys("ASHA")  # all four keys inside 150 ms: only the first survives
    assert field.get_attribute("value") == "A"
    for char in "SHA":
        time.sleep(0.2)
        field.send_keys(char)
    assert field.get_attribute("value") == "ASHA"


def test_loader_covers_the_page_during_a_slow_postback(
    driver: WebDriver, sims: SimulatorSet
) -> None:
    driver.get(sims.urls["udyam"] + PAGE)
    page = Udyam(driver, sims)
    page.type("txtadharno", AADHAAR)
    page.type("txtownername", "Asha Verma")
    # A click waits for the next page, so record what the old page showed as it posted
    # (sessionStorage outlives the navigation).
    driver.execute_script(_RECORD_LOADER)
    sims.faults.set("slow_loader", ms=1200)
    started = time.monotonic()
    page.click("btnValidateAadhaar")
    assert time.monotonic() - started >= 1.2
    display, width = driver.execute_script(
        "return [sessionStorage.getItem('loaderDisplay'), "
        "Number(sessionStorage.getItem('loaderWidth'))];"
    )
    assert display == "block" and width >= 1000  # on screen, covering the page
    assert page.el("txtOtp1") is not None
    assert not page.el("UpdateProgress4").is_displayed()


_RECORD_LOADER = f"""
document.forms.aspnetForm.addEventListener('submit', function () {{
  var loader = document.getElementById('{ID}UpdateProgress4');
  sessionStorage.setItem('loaderDisplay', getComputedStyle(loader).display);
  sessionStorage.setItem('loaderWidth', loader.getBoundingClientRect().width);
}});
"""
