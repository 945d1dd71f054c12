"""Both eMudhra KYC routes in headless Chromium, and the faults only JS can show."""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException
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

pytestmark = pytest.mark.browser

WAIT_SECONDS = 10


def _import_serving() -> Any:
    for name in ("tests.simulators._emudhra_serving", "_emudhra_serving"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return importlib.import_module("simulators._emudhra_serving")


serving = _import_serving()


def _chrome() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1200,1000",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture
def driver() -> Iterator[WebDriver]:
    chrome = _chrome()
    try:
        yield chrome
    finally:
        chrome.quit()


def valid_aadhaar(stem: str = "34567890123") -> str:
    return next(stem + str(d) for d in range(10) if verhoeff_ok(stem + str(d)))


# ---------------------------------------------------------------------- page helpers


def wait(driver: WebDriver) -> WebDriverWait:
    return WebDriverWait(driver, WAIT_SECONDS)


def find(driver: WebDriver, element_id: str) -> Any:
    return wait(driver).until(ec.element_to_be_clickable((By.ID, element_id)))


def type_into(driver: WebDriver, element_id: str, text: str) -> None:
    box = find(driver, element_id)
    box.clear()
    box.send_keys(text)


def click(driver: WebDriver, element_id: str) -> None:
    find(driver, element_id).click()


def close_msgbox(driver: WebDriver) -> str:
    """Wait for the msgBox modal, read it, press OK; returns its text."""
    wait(driver).until(ec.visibility_of_element_located((By.ID, "btnMsgBoxOK")))
    text = driver.find_element(By.ID, "msgBoxText").text
    click(driver, "btnMsgBoxOK")
    wait(driver).until(ec.invisibility_of_element_located((By.ID, "msgBox")))
    return text


def wait_for_code(sims: Any, to: str, kind: str, after: int) -> str:
    message = sims.context.outbox.wait_for(to, kind, after=after, timeout=WAIT_SECONDS)
    assert message is not None, f"no {kind} reached {to}"
    return message.code


# ------------------------------------------------------------------------ the walk


def partner_creates(driver: WebDriver, sims: Any, name: str, mobile: str) -> None:
    driver.get(sims.urls["emudhra-partner"] + "/ApplyDSC.jsp")
    type_into(driver, "username", DEMO_PARTNER_USER)
    type_into(driver, "password", DEMO_PARTNER_PASSWORD)
    click(driver, "LoginUser")
    type_into(driver, "applicantName", name)
    type_into(driver, "mobileNumber", mobile)
    click(driver, "btnProceed")
    click(driver, "lnkApplicantLogin")
    wait(driver).until(ec.url_contains(sims.urls["emudhra"] + "/Login.jsp"))


def mobile_login(driver: WebDriver, sims: Any, mobile: str, boxes: int) -> None:
    type_into(driver, "authenticatemobile", mobile)
    after = sims.context.outbox.last_seq
    click(driver, "SpanGetOTP")
    assert "XXXXXX" in close_msgbox(driver)
    code = wait_for_code(sims, mobile, "mobile_otp", after)
    assert len(code) == boxes
    for index, digit in enumerate(code, 1):
        find(driver, f"otp{index}").send_keys(digit)
    assert driver.find_element(By.ID, "hdnMobileOTP").get_attribute("value") == code
    assert "Resend OTP in" in driver.find_element(By.ID, "otpTimer3Block").text
    click(driver, "authenticateMobileOTP")
    find(driver, "rdoAadhaarOtpBased")


def aadhaar_hop(driver: WebDriver, sims: Any, mobile: str) -> None:
    click(driver, "rdoAadhaarOtpBased")
    click(driver, "authenticateAadhaarOTP")
    wait(driver).until(ec.url_contains(sims.urls["emudhra-aadhaar"] + "/index.jsp?X="))
    aadhaar = valid_aadhaar()
    type_into(driver, "txtAadhaar", aadhaar)
    grouped = " ".join(aadhaar[i : i + 4] for i in range(0, 12, 4))
    assert find(driver, "txtAadhaar").get_attribute("value") == grouped
    click(driver, "chkConsent4")
    after = sims.context.outbox.last_seq
    click(driver, "btnOnlineAadhaarOTP")
    close_msgbox(driver)
    type_into(
        driver,
        "txtOnlineAadharAuthOTP",
        wait_for_code(sims, mobile, "aadhaar_otp", after),
    )
    click(driver, "btnAuthenticateOnlineAadhaar")
    wait(driver).until(
        ec.url_contains(sims.urls["emudhra"] + "/PaperlessIndividual.jsp")
    )


def applicant_details(driver: WebDriver) -> None:
    click(driver, "Female")
    type_into(driver, "txtOnlineAadhaarEmail", "neha@example.com")
    type_into(driver, "txtOnlineAadhaarPanNumber", "CDEPS3456L")
    click(driver, "btnAuthOnlineAadhaarApplicantDetails")
    assert close_msgbox(driver) == "Please enter the Name as in PAN."
    type_into(driver, "txtOnlineAadhaarNameAsInPAN", "Neha Sharma")
    Select(find(driver, "userdateAadhaar")).select_by_value("12")
    Select(find(driver, "usermonthAadhaar")).select_by_visible_text("January")
    Select(find(driver, "useryearAadhaar")).select_by_value("1988")
    click(driver, "btnAuthOnlineAadhaarApplicantDetails")


def credentials(driver: WebDriver, sims: Any) -> None:
    type_into(driver, "txtLoginUsername", "CDEPS3456L")
    type_into(driver, "txtLoginDesiredPswd", "135790")
    type_into(driver, "txtLoginConfirmPswd", "135799")
    click(driver, "btnGetOTP")
    assert close_msgbox(driver) == "The PIN and Confirm PIN do not match."
    type_into(driver, "txtLoginConfirmPswd", "135790")
    after = sims.context.outbox.last_seq
    click(driver, "btnGetOTP")
    close_msgbox(driver)
    code = wait_for_code(sims, "neha@example.com", "email_otp", after)
    type_into(driver, "LoginmobileOTP", code)
    click(driver, "btnAuthloginAndOtpDetails")


def application_number(driver: WebDriver) -> str:
    find(driver, "lnkTrackOrder")
    return driver.find_element(By.ID, "dscAppID").get_attribute("value")


# ----------------------------------------------------------------------------- tests


def test_aadhaar_route_with_four_boxes(driver: WebDriver) -> None:
    with serving.serve_emudhra(otp_boxes=4) as sims:
        partner_creates(driver, sims, "Neha Sharma", "9812345670")
        mobile_login(driver, sims, "9812345670", boxes=4)
        aadhaar_hop(driver, sims, "9812345670")
        assert (
            find(driver, "txtOnlineAadhaarNo").get_attribute("value").startswith("XXXX")
        )
        assert not driver.find_element(By.ID, "Female").is_selected()
        applicant_details(driver)
        find(driver, "btnGetOTP")
        issued = driver.find_element(By.ID, "dscAppID").get_attribute("value")
        credentials(driver, sims)
        assert application_number(driver) == issued
        click(driver, "lnkTrackOrder")
        assert "Pending for eMudhra Approval" in find(driver, "lblApprovalStatus").text


def test_pan_route_with_six_boxes_and_uploads(
    driver: WebDriver, tmp_path: Path
) -> None:
    files = {
        "filePanCopy": ("pan.pdf", b"%PDF-1.4\n%%EOF\n"),
        "fileAddressProof": ("address.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        "filePhoto": ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32),
    }
    with serving.serve_emudhra(otp_boxes=6) as sims:
        mobile = "9812345671"
        partner_creates(driver, sims, "Neha Sharma", mobile)
        mobile_login(driver, sims, mobile, boxes=6)
        click(driver, "rdoPan")
        click(driver, "authenticateAadhaarOTP")
        type_into(driver, "txtLoginUsername", "nehasharma")
        type_into(driver, "txtLoginDesiredPswd", "246802")
        type_into(driver, "txtLoginConfirmPswd", "246802")
        type_into(driver, "txtEmailID", "neha.pan@example.com")
        type_into(driver, "txtPanNumber", "DEFPS4567M")
        type_into(driver, "txtNameAsInPAN", "Neha Sharma")
        for field_id, (name, data) in files.items():
            path = tmp_path / name
            path.write_bytes(data)
            driver.find_element(By.ID, field_id).send_keys(str(path))
        click(driver, "btnSubmitPanDetails")

        after = sims.context.outbox.last_seq
        click(driver, "btnPanMobileOTP")
        close_msgbox(driver)
        type_into(
            driver, "txtPanMobileOTP", wait_for_code(sims, mobile, "mobile_otp", after)
        )
        click(driver, "btnVerifyPanMobileOTP")
        find(driver, "lblMobileVerified")
        after = sims.context.outbox.last_seq
        click(driver, "btnPanEmailOTP")
        close_msgbox(driver)
        code = wait_for_code(sims, "neha.pan@example.com", "email_otp", after)
        type_into(driver, "txtPanEmailOTP", code)
        click(driver, "btnVerifyPanEmailOTP")
        assert len(application_number(driver)) == 10


def test_javascript_faults(driver: WebDriver) -> None:
    with serving.serve_emudhra() as sims:
        mobile = "9812345672"
        partner_creates(driver, sims, "Neha Sharma", mobile)

        sims.context.faults.set("get_otp_noop_once")
        driver.get(sims.urls["emudhra"] + "/Login.jsp")
        type_into(driver, "authenticatemobile", mobile)
        click(driver, "btnauthenticatemobileOTP")
        time.sleep(0.8)  # long enough for a real send (300 ms spinner) to have happened
        assert sims.context.outbox.latest(mobile) is None
        assert not driver.find_element(By.ID, "msgBox").is_displayed()
        click(driver, "btnauthenticatemobileOTP")
        assert "sent" in close_msgbox(driver)

        sims.context.faults.set("lossy_typing", min_interval_ms=150)
        sims.context.faults.set("click_overlay")
        driver.get(sims.urls["emudhra"] + "/Login.jsp")
        type_into(driver, "authenticatemobile", mobile)  # all keys at once: too fast
        typed = driver.find_element(By.ID, "authenticatemobile").get_attribute("value")
        assert typed != mobile and mobile.startswith(typed)
        with pytest.raises(ElementClickInterceptedException):
            driver.find_element(By.ID, "btnauthenticatemobileOTP").click()
        button = driver.find_element(By.ID, "btnauthenticatemobileOTP")
        driver.execute_script("arguments[0].click();", button)  # the JS-click fallback
        assert not driver.find_elements(By.ID, "clickOverlay")
