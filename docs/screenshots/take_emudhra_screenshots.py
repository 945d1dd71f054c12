"""Screenshots of the simulated eMudhra pages: docs/screenshots/emudhra-*.png.

Run from the repository root::

    .venv/bin/python docs/screenshots/take_emudhra_screenshots.py

It starts the simulators, walks the Aadhaar route in headless Chromium and saves one
picture per key page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from desktop_app.simulators.emudhra import (
    DEMO_PARTNER_PASSWORD,
    DEMO_PARTNER_USER,
    verhoeff_ok,
)
from desktop_app.simulators.server import SimulatorSet, start_simulators

OUT = Path(__file__).resolve().parent
MOBILE = "9876501234"
EMAIL = "priya@example.com"


def chrome() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--window-size=1100,1050"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Walk:
    """Drives one applicant through the pages and saves the screenshots."""

    def __init__(self, driver: WebDriver, sims: SimulatorSet) -> None:
        self.driver = driver
        self.sims = sims
        self.wait = WebDriverWait(driver, 10)

    def el(self, element_id: str):  # noqa: ANN201 - a Selenium WebElement
        return self.wait.until(ec.element_to_be_clickable((By.ID, element_id)))

    def type(self, element_id: str, text: str) -> None:
        self.el(element_id).clear()
        self.el(element_id).send_keys(text)

    def ok(self) -> None:
        self.el("btnMsgBoxOK").click()
        self.wait.until(ec.invisibility_of_element_located((By.ID, "msgBox")))

    def code(self, to: str, kind: str, after: int) -> str:
        message = self.sims.outbox.wait_for(to, kind, after=after, timeout=10)
        if message is None:
            raise RuntimeError(f"no {kind} arrived")
        return message.code

    def shot(self, name: str) -> None:
        path = OUT / f"emudhra-{name}.png"
        self.driver.save_screenshot(str(path))
        sys.stdout.write(f"wrote {path}\n")

    def run(self) -> None:
        urls = self.sims.urls
        self.driver.get(urls["emudhra-partner"] + "/ApplyDSC.jsp")
        self.type("username", DEMO_PARTNER_USER)
        self.shot("partner-login")
        self.type("password", DEMO_PARTNER_PASSWORD)
        self.el("LoginUser").click()
        self.type("applicantName", "Priya Nair")
        self.type("mobileNumber", MOBILE)
        self.el("btnProceed").click()
        self.el("lnkApplicantLogin").click()

        self.type("authenticatemobile", MOBILE)
        after = self.sims.outbox.last_seq
        self.el("btnauthenticatemobileOTP").click()
        self.wait.until(ec.visibility_of_element_located((By.ID, "btnMsgBoxOK")))
        self.shot("login-otp-sent")
        self.ok()
        for index, digit in enumerate(self.code(MOBILE, "mobile_otp", after), 1):
            self.el(f"otp{index}").send_keys(digit)
        self.shot("login-otp-boxes")
        self.el("authenticateMobileOTP").click()
        self.el("rdoAadhaarOtpBased")
        self.shot("kyc-choice")
        self.el("authenticateAadhaarOTP").click()

        stem = "45678901234"
        self.type(
            "txtAadhaar", next(stem + d for d in "0123456789" if verhoeff_ok(stem + d))
        )
        self.el("chkConsent4").click()
        after = self.sims.outbox.last_seq
        self.el("btnOnlineAadhaarOTP").click()
        self.ok()
        self.type("txtOnlineAadharAuthOTP", self.code(MOBILE, "aadhaar_otp", after))
        self.shot("aadhaar")
        self.el("btnAuthenticateOnlineAadhaar").click()

        self.el("Female").click()
        self.type("txtOnlineAadhaarEmail", EMAIL)
        self.type("txtOnlineAadhaarPanNumber", "EFGPN5678Q")
        self.el("btnAuthOnlineAadhaarApplicantDetails").click()
        self.wait.until(ec.visibility_of_element_located((By.ID, "btnMsgBoxOK")))
        self.shot("name-as-in-pan-msgbox")
        self.ok()
        self.type("txtOnlineAadhaarNameAsInPAN", "Priya Nair")
        Select(self.el("userdateAadhaar")).select_by_value("3")
        Select(self.el("usermonthAadhaar")).select_by_value("1")
        Select(self.el("useryearAadhaar")).select_by_value("1991")
        self.shot("applicant-details")
        self.el("btnAuthOnlineAadhaarApplicantDetails").click()

        self.type("txtLoginUsername", "EFGPN5678Q")
        self.type("txtLoginDesiredPswd", "192837")
        self.type("txtLoginConfirmPswd", "192837")
        after = self.sims.outbox.last_seq
        self.el("btnGetOTP").click()
        self.ok()
        self.type("LoginmobileOTP", self.code(EMAIL, "email_otp", after))
        self.shot("credentials")
        self.el("btnAuthloginAndOtpDetails").click()
        self.el("lnkTrackOrder")
        self.shot("submitted")
        self.el("lnkTrackOrder").click()
        self.el("lblApprovalStatus")
        self.shot("track-order")


def main() -> int:
    with start_simulators(seed=1) as sims:
        driver = chrome()
        try:
            Walk(driver, sims).run()
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
