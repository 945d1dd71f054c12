"""Screenshots of the simulated portals for the docs, in headless Chromium.

Run from the repository root::

    .venv/bin/python docs/screenshots/take_simulator_screenshots.py [NAME ...]

Each entry of ``SHOTS`` is a function ``(Shooter) -> None`` that drives one portal and
calls ``shooter.save("name")`` at the pages worth showing; add one per portal (eMudhra
can add its own next to ``udyam``). With no arguments every entry runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from desktop_app.simulators.server import SimulatorSet, start_simulators

HERE = Path(__file__).resolve().parent
WAIT = 10


class Shooter:
    """A headless Chromium plus the running simulators, with small page helpers."""

    def __init__(self, driver: WebDriver, sims: SimulatorSet, prefix: str = "") -> None:
        self.driver = driver
        self.sims = sims
        self.prefix = prefix  # the id prefix of the portal's controls

    def save(self, name: str) -> Path:
        """A full-page PNG at docs/screenshots/<name>.png."""
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1280, min(max(int(height) + 40, 700), 6000))
        time.sleep(0.2)
        path = HERE / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 1000)
        sys.stdout.write(f"wrote {path}\n")
        return path

    def el(self, short_id: str):  # noqa: ANN201 - a WebElement
        return WebDriverWait(self.driver, WAIT).until(
            ec.presence_of_element_located((By.ID, self.prefix + short_id))
        )

    def type(self, short_id: str, text: str) -> None:
        field = self.el(short_id)
        field.clear()
        field.send_keys(text)

    def tick(self, short_id: str) -> None:
        self.el(short_id).click()

    def postback(self, action: Callable[[], None]) -> None:
        root = self.driver.find_element(By.TAG_NAME, "html")
        action()
        WebDriverWait(self.driver, WAIT).until(ec.staleness_of(root))

    def click(self, short_id: str) -> None:
        self.postback(lambda: self.el(short_id).click())

    def choose(self, short_id: str, value: str) -> None:
        self.postback(lambda: Select(self.el(short_id)).select_by_value(value))


def udyam(shot: Shooter) -> None:
    """Step 1, the main form, final OTP + captcha, and the success message."""
    from desktop_app.simulators.udyam import ID, PAGE

    aadhaar, mobile = "234123412346", "9876543210"  # public test vector, fictional
    shot.prefix = ID
    shot.sims.context.link_mobile(aadhaar, mobile)
    shot.driver.get(shot.sims.urls["udyam"] + PAGE)
    shot.type("txtadharno", aadhaar)
    shot.type("txtownername", "Asha Verma")
    shot.save("udyam-step1")
    shot.click("btnValidateAadhaar")
    shot.type("txtOtp1", shot.sims.outbox.latest(mobile, "aadhaar_otp").code)
    shot.click("btnValidate")
    shot.choose("ddlTypeofOrg", "1")
    for short_id, value in (
        ("txtPan", "ACUPA7085R"),
        ("txtPanName", "ASHA VERMA"),
        ("txtdob", "01/02/1985"),
    ):
        shot.type(short_id, value)
    shot.tick("chkDecarationP")
    shot.click("btnValidatePan")
    shot.click("btnGetPanData")
    shot.tick("rblITR_0")
    shot.tick("rblWhetherGstn_1")
    for short_id, value in (
        ("txtDepCost", "500000"),
        ("txtExCost", "0"),
        ("txtTotalTurnoverA", "2500000"),
        ("txtTotalTurnoverB", "0"),
    ):
        shot.type(short_id, value)
    shot.click("btnEnterprisedetail")
    _udyam_main_form(shot, mobile)
    shot.save("udyam-main-form")
    root = shot.driver.find_element(By.TAG_NAME, "html")
    shot.el("btnsubmit").click()
    WebDriverWait(shot.driver, WAIT).until(ec.alert_is_present()).accept()
    WebDriverWait(shot.driver, WAIT).until(ec.staleness_of(root))
    shot.type("txtOtp", shot.sims.outbox.latest(mobile, "final_otp").code)
    shot.driver.execute_script(
        f"document.getElementById('{ID}txtOtp').scrollIntoView({{block: 'center'}});"
    )
    shot.save("udyam-final-otp-captcha")
    sid = shot.driver.get_cookie("ASP.NET_SessionId")["value"]
    answer = shot.sims.portals["udyam"].sessions._sessions[sid]["udyam"].captcha_text
    shot.type("txtCaptcha", answer)
    root = shot.driver.find_element(By.TAG_NAME, "html")
    shot.el("btn_finalsubmit").click()
    WebDriverWait(shot.driver, WAIT).until(ec.staleness_of(root))
    WebDriverWait(shot.driver, WAIT).until(ec.alert_is_present()).accept()
    shot.save("udyam-success")


def _udyam_main_form(shot: Shooter, mobile: str) -> None:
    for short_id, value in (
        ("txtenterprisename", "Verma Traders"),
        ("txtmobile", mobile),
        ("txtemail", "asha@example.com"),
        ("txtUnitName", "Main Unit"),
    ):
        shot.type(short_id, value)
    for short_id in ("rdbcategory_0", "rbtGender_1", "rbtPh_1"):
        shot.tick(short_id)
    shot.click("btnAddUnit")
    shot.choose("ddlUnitName", "1")
    shot.choose("ddlPState", "33")
    shot.choose("ddlPDistrict", "25")
    for short_id, value in (
        ("txtPFlat", "12"),
        ("txtPCity", "Thanjavur"),
        ("txtPpin", "613001"),
    ):
        shot.type(short_id, value)
    shot.click("BtnPAdd")
    for short_id, value in (
        ("txtOffFlatNo", "12"),
        ("txtOffCity", "Thanjavur"),
        ("txtOffPin", "613001"),
        ("txtdateIncorporation", "01/04/2020"),
        ("txtBankName", "State Bank of India"),
        ("txtifsccode", "SBIN0040278"),
        ("txtaccountno", "12345678901"),
    ):
        shot.type(short_id, value)
    shot.choose("ddlstate", "33")
    shot.choose("ddlDistrict", "25")
    shot.tick("rdbPreviousEM_0")
    shot.tick("rblcommenced_0")
    shot.type("txtcommencedate", "15/04/2020")
    shot.postback(lambda: shot.tick("rdbCatgg_1"))
    shot.postback(lambda: shot.tick("rdbSubCategg_1"))
    shot.postback(lambda: shot.tick("rdbCatggMultiple_2"))
    shot.choose("ddl2NicCode", "47")
    shot.choose("ddl4NicCode", "4721")
    shot.choose("ddl5NicCode", "47211")
    shot.click("btnAddMore")
    for short_id, value in (
        ("txtNoofpersonMale", "2"),
        ("txtNoofpersonFemale", "3"),
        ("txtNoofpersonOthers", "0"),
    ):
        shot.type(short_id, value)
    shot.el("txtNoofpersonOthers").send_keys(Keys.TAB)
    for short_id in (
        "rblGeM_1",
        "rblTReDS_1",
        "rblNCS_0",
        "rblnsic_1",
        "rblsid_1",
        "chkDeclaration",
    ):
        shot.tick(short_id)
    Select(shot.el("ddlDIC")).select_by_value("25")


SHOTS: dict[str, Callable[[Shooter], None]] = {"udyam": udyam}


def make_driver() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--window-size=1280,1000",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main(names: list[str]) -> int:
    unknown = set(names) - set(SHOTS)
    if unknown:
        sys.stderr.write(
            f"unknown: {', '.join(sorted(unknown))}; known: {', '.join(SHOTS)}\n"
        )
        return 2
    driver = make_driver()
    try:
        for name in names or list(SHOTS):
            with start_simulators(seed=1) as sims:
                SHOTS[name](Shooter(driver, sims))
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
