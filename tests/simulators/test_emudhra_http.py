"""The three eMudhra hosts over plain HTTP: both KYC routes, every fault, the tokens."""

from __future__ import annotations

import importlib
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.simulators.emudhra import (
    DEMO_PARTNER_PASSWORD,
    DEMO_PARTNER_USER,
    MSG_KYC_EXISTS,
    MSG_MOBILE_TAKEN,
    MSG_NAME_AS_IN_PAN,
    MSG_NAME_MISMATCH,
    MSG_OTP_LOCKED,
    MSG_SESSION_EXPIRED,
    MSG_WRONG_OTP,
    Application,
    EmudhraPortal,
    registry_for,
    verhoeff_ok,
)


def _import_serving() -> Any:
    for name in ("tests.simulators._emudhra_serving", "_emudhra_serving"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return importlib.import_module("simulators._emudhra_serving")


serving = _import_serving()
Browser, Page = serving.Browser, serving.Page

PAN = "ABCPE1234F"
NAME = "Asha Rao"

# The ids PORTALS.md marks [C], step by step; each must be on the page of its step.
CONFIRMED_IDS: dict[str, tuple[str, ...]] = {
    "partner_login": ("username", "password", "LoginUser"),
    "partner_apply": ("applicantName", "mobileNumber", "btnProceed"),
    "login": (
        "authenticatemobile", "SpanGetOTP", "btnauthenticatemobileOTP",
        "otpTimer3Block", "authenticateMobileOTP", "reCaptchaSiteKey",
        "turnstile-captcha", "cf-turnstile-response", "msgBox",
    ),
    "kyc_choice": (
        "rdoAadhaarOtpBased", "rdoAadhaarBioBased", "rdoAadhaar", "rdoPan",
        "authenticateAadhaarOTP",
    ),
    "aadhaar": (
        "txtAadhaar", "chkConsent4", "btnOnlineAadhaarOTP", "txtOnlineAadharAuthOTP",
        "btnAuthenticateOnlineAadhaar",
    ),
    "details": (
        "Male", "Female", "Others", "txtOnlineAadhaarEmail",
        "txtOnlineAadhaarPanNumber",
        "onlineAadhaarNameInDscPAN", "onlineAadhaarNameInDscAadhaar",
        "txtOnlineAadhaarNameAsInPAN", "userdateAadhaar", "usermonthAadhaar",
        "useryearAadhaar", "btnAuthOnlineAadhaarApplicantDetails",
    ),
    "credentials": (
        "dscAppID", "txtLoginUsername", "txtLoginDesiredPswd", "txtLoginConfirmPswd",
        "txtEmailID", "btnGetOTP", "LoginmobileOTP", "btnAuthloginAndOtpDetails",
    ),
    "pan_form": (
        "txtLoginUsername", "txtLoginDesiredPswd", "txtLoginConfirmPswd", "txtEmailID",
        "txtPanNumber", "txtNameAsInPAN", "filePanCopy", "fileAddressProof",
        "filePhoto",
    ),
    "done": ("dscAppID", "lblApplicationNumber", "lnkTrackOrder"),
}  # fmt: skip

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def assert_ids(page: Page, step: str) -> None:
    missing = [i for i in CONFIRMED_IDS[step] if not page.has(i)]
    assert not missing, f"{step}: missing {missing}"


def valid_aadhaar(stem: str = "23456789012") -> str:
    """``stem`` plus the Verhoeff check digit that makes it a valid Aadhaar number."""
    return next(stem + str(d) for d in range(10) if verhoeff_ok(stem + str(d)))


@pytest.fixture
def sims() -> Iterator[Any]:
    with serving.serve_emudhra(resend_seconds=0) as running:
        yield running


def url(sims: Any, host: str, path: str) -> str:
    return sims.urls[host] + path


# ---------------------------------------------------------------------- walk steps


def partner_creates(sims: Any, browser: Browser, name: str, mobile: str) -> Page:
    apply_url = url(sims, "emudhra-partner", "/ApplyDSC.jsp")
    page = browser.get(apply_url)
    if page.has("LoginUser"):
        login = {"username": DEMO_PARTNER_USER, "password": DEMO_PARTNER_PASSWORD}
        browser.post(apply_url, {"action": "login", **login})
    data = {"action": "proceed", "applicantName": name, "mobileNumber": mobile}
    return browser.post(apply_url, data)


def request_mobile_otp(sims: Any, browser: Browser, mobile: str) -> dict[str, Any]:
    page = browser.get(url(sims, "emudhra", "/Login.jsp"))
    token = page.tag("turnstile-captcha").split('data-token="')[1].split('"')[0]
    data = {
        "action": "getMobileOTP",
        "authenticatemobile": mobile,
        "cf-turnstile-response": token,
    }
    return browser.post_json(url(sims, "emudhra", "/Login.jsp"), data)


def submit_mobile_otp(sims: Any, browser: Browser, code: str) -> Page:
    data = {"action": "verifyMobileOTP", "mobileOTP": code}
    return browser.post(url(sims, "emudhra", "/Login.jsp"), data)


def mobile_login(sims: Any, browser: Browser, mobile: str) -> Page:
    assert request_mobile_otp(sims, browser, mobile)["ok"]
    code = sims.context.outbox.latest(mobile, "mobile_otp").code
    return submit_mobile_otp(sims, browser, code)


def start_application(sims: Any, browser: Browser, name: str, mobile: str) -> Page:
    assert partner_creates(sims, browser, name, mobile).has("lnkApplicantLogin")
    page = mobile_login(sims, browser, mobile)
    assert page.has("rdoPan"), page.message
    return page


def choose(browser: Browser, page: Page, mode: str) -> Page:
    return browser.post(page.url, {"action": "kyc", "X": page.token, "kycMode": mode})


def aadhaar_hop(sims: Any, browser: Browser, page: Page, mobile: str) -> Page:
    aadhaar = valid_aadhaar()
    formatted = " ".join(aadhaar[i : i + 4] for i in range(0, 12, 4))
    base = {"X": page.token, "txtAadhaar": formatted, "chkConsent4": "1"}
    sent = browser.post_json(page.url, {"action": "getOtp", **base})
    assert sent["ok"], sent
    code = sims.context.outbox.latest(mobile, "aadhaar_otp").code
    data = {"action": "authenticate", "txtOnlineAadharAuthOTP": code, **base}
    return browser.post(page.url, data)


def details_form(page: Page, **overrides: str) -> dict[str, str]:
    data = {
        "action": "details",
        "X": page.token,
        "gender": "Female",
        "txtOnlineAadhaarEmail": "asha@example.com",
        "txtOnlineAadhaarPanNumber": PAN,
        "nameInDsc": "aadhaar",
        "txtOnlineAadhaarNameAsInPAN": NAME,
        "userdateAadhaar": "5",
        "usermonthAadhaar": "1",
        "useryearAadhaar": "1990",
    }
    data.update(overrides)
    return data


def credentials_form(page: Page, **overrides: str) -> dict[str, str]:
    data = {
        "X": page.token,
        "txtLoginUsername": PAN,
        "txtLoginDesiredPswd": "246810",
        "txtLoginConfirmPswd": "246810",
        "txtEmailID": "asha@example.com",
    }
    data.update(overrides)
    return data


def finish_credentials(sims: Any, browser: Browser, page: Page) -> Page:
    form = credentials_form(page)
    assert browser.post_json(page.url, {"action": "sendEmailOtp", **form})["ok"]
    code = sims.context.outbox.latest("asha@example.com", "email_otp").code
    return browser.post(
        page.url, {"action": "credentials", "LoginmobileOTP": code, **form}
    )


def aadhaar_route(sims: Any, browser: Browser, mobile: str, pan: str = PAN) -> Page:
    page = start_application(sims, browser, NAME, mobile)
    page = aadhaar_hop(sims, browser, choose(browser, page, "otp"), mobile)
    page = browser.post(page.url, details_form(page, txtOnlineAadhaarPanNumber=pan))
    assert page.has("btnGetOTP"), page.message
    return finish_credentials(sims, browser, page)


# --------------------------------------------------------------------- Aadhaar route


@pytest.mark.parametrize("boxes", [4, 6])
def test_aadhaar_route_walk_shows_every_confirmed_id(sims: Any, boxes: int) -> None:
    sims.main.configure(otp_boxes=boxes)
    browser, mobile, outbox = Browser(), "9876543210", sims.context.outbox
    apply_url = url(sims, "emudhra-partner", "/ApplyDSC.jsp")

    page = browser.get(apply_url)
    assert_ids(page, "partner_login")
    page = browser.post(
        apply_url, {"action": "login", "username": "x", "password": "y"}
    )
    assert page.message == "Invalid username or password."
    page = browser.post(
        apply_url,
        {"action": "login", "username": DEMO_PARTNER_USER, "password": "demo-pass"},
    )
    assert_ids(page, "partner_apply")
    page = partner_creates(sims, browser, NAME, mobile)
    assert sims.urls["emudhra"] + "/Login.jsp" in page.tag("lnkApplicantLogin")

    page = browser.get(url(sims, "emudhra", "/Login.jsp"))
    assert_ids(page, "login")
    assert "getMobileOTP()" in page.tag("btnauthenticatemobileOTP")
    assert all(page.has(f"otp{i}") for i in range(1, boxes + 1))
    assert not page.has(f"otp{boxes + 1}")
    sent = request_mobile_otp(sims, browser, mobile)
    assert sent["ok"] and "XXXXXX3210" in sent["message"]
    sms = outbox.latest(mobile, "mobile_otp")
    assert (sms.sender, sms.channel, len(sms.code)) == ("AD-eMuDSC-S", "sms", boxes)
    assert "is your OTP" in sms.text
    page = submit_mobile_otp(sims, browser, sms.code)
    assert_ids(page, "kyc_choice")
    assert "checked" in page.tag("rdoAadhaarOtpBased")

    kyc_token = page.token
    page = choose(browser, page, "otp")
    assert page.url.startswith(sims.urls["emudhra-aadhaar"] + "/index.jsp?X=")
    assert_ids(page, "aadhaar")
    assert 'type="password"' in page.tag("txtAadhaar")
    assert 'maxlength="19"' in page.tag("txtAadhaar")
    aadhaar_token = page.token
    page = aadhaar_hop(sims, browser, page, mobile)
    otp = outbox.latest(mobile, "aadhaar_otp")
    assert (otp.sender, len(otp.code)) == ("BV-ADHAAR-G", 6)

    assert page.url.startswith(sims.urls["emudhra"] + "/PaperlessIndividual.jsp?X=")
    assert page.token not in (kyc_token, aadhaar_token)
    old = url(sims, "emudhra", f"/PaperlessIndividual.jsp?X={aadhaar_token}")
    assert browser.get(old).status == 403
    assert_ids(page, "details")
    assert not any("checked" in page.tag(g) for g in ("Male", "Female", "Others"))
    assert "readonly" in page.tag("txtOnlineAadhaarName")
    assert page.value_of("txtOnlineAadhaarName") == NAME
    assert page.value_of("txtOnlineAadhaarNo") == f"XXXX XXXX {valid_aadhaar()[-4:]}"
    assert valid_aadhaar() not in page.text
    assert '<option value="1">January</option>' in page.text

    no_name = browser.post(page.url, details_form(page, txtOnlineAadhaarNameAsInPAN=""))
    assert no_name.message == MSG_NAME_AS_IN_PAN == "Please enter the Name as in PAN."
    assert "Please enter the Name as in PAN." in page.text  # the client-side check too
    page = browser.post(page.url, details_form(page))
    assert_ids(page, "credentials")
    app_no = page.value_of("dscAppID")
    assert re.fullmatch(r"[1-9]\d{9}", app_no)
    assert 'maxlength="24"' in page.tag("txtLoginUsername")
    assert 'maxlength="4"' in page.tag("LoginmobileOTP")
    assert page.value_of("txtEmailID") == "asha@example.com"

    page = finish_credentials(sims, browser, page)
    mail = outbox.latest("asha@example.com", "email_otp")
    assert (mail.channel, len(mail.code)) == ("email", 4)
    assert "Email Verification OTP - KYC Enrolment" in mail.text
    assert_ids(page, "done")
    assert page.value_of("dscAppID") == app_no
    assert "Video verification by the applicant" in page.text
    track = browser.get(url(sims, "emudhra", f"/TrackOrderStatus.jsp?appNo={app_no}"))
    assert "80%" in track.text and "Pending for eMudhra Approval" in track.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"txtLoginDesiredPswd": "12345", "txtLoginConfirmPswd": "12345"},
         "The PIN must be exactly 6 digits."),
        ({"txtLoginConfirmPswd": "135790"}, "The PIN and Confirm PIN do not match."),
        ({"txtLoginUsername": "x" * 25}, "The username must be 4 to 24"),
        ({"txtEmailID": "not-an-email"}, "Please enter a valid email ID."),
    ],
)  # fmt: skip
def test_credentials_errors_come_back_as_msgbox(
    sims: Any, overrides: dict[str, str], message: str
) -> None:
    browser, mobile = Browser(), "9876500001"
    page = start_application(sims, browser, NAME, mobile)
    page = aadhaar_hop(sims, browser, choose(browser, page, "otp"), mobile)
    page = browser.post(page.url, details_form(page))
    form = credentials_form(page, **overrides)
    answer = browser.post_json(page.url, {"action": "sendEmailOtp", **form})
    assert not answer["ok"] and answer["message"].startswith(message)
    refused = browser.post(
        page.url, {"action": "credentials", "LoginmobileOTP": "1", **form}
    )
    assert refused.message.startswith(message)
    assert "246810" not in refused.text  # the PIN is never echoed back


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gender", "", "Please select the gender."),
        ("txtOnlineAadhaarPanNumber", "ABCDE1234F",
         "Please enter a valid individual PAN."),
        ("useryearAadhaar", "", "Please select a valid date of birth"),
        ("txtOnlineAadhaarEmail", "asha@", "Please enter a valid email ID."),
    ],
)  # fmt: skip
def test_applicant_details_are_checked(
    sims: Any, field: str, value: str, message: str
) -> None:
    browser, mobile = Browser(), "9876500002"
    page = start_application(sims, browser, NAME, mobile)
    page = aadhaar_hop(sims, browser, choose(browser, page, "otp"), mobile)
    refused = browser.post(page.url, details_form(page, **{field: value}))
    assert refused.message.startswith(message)
    assert refused.has("btnAuthOnlineAadhaarApplicantDetails")


# ------------------------------------------------------------------------- PAN route


def pan_form(page: Page, **overrides: str) -> dict[str, str]:
    data = {
        "action": "panDetails",
        "X": page.token,
        "txtLoginUsername": "asharao",
        "txtLoginDesiredPswd": "112233",
        "txtLoginConfirmPswd": "112233",
        "txtEmailID": "asha.pan@example.com",
        "txtPanNumber": "BCDPR2345K",
        "txtNameAsInPAN": NAME,
    }
    data.update(overrides)
    return data


GOOD_FILES = {
    "filePanCopy": ("pan.pdf", PDF),
    "fileAddressProof": ("address.jpg", JPG),
    "filePhoto": ("photo.png", PNG),
}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({**GOOD_FILES, "filePhoto": ("photo.txt", b"hello")},
         "The photo must be a PDF, JPG or PNG file."),
        ({**GOOD_FILES, "filePanCopy": ("pan.pdf", b"not really a pdf")},
         "The PAN copy must be a PDF, JPG or PNG file."),
        ({**GOOD_FILES, "fileAddressProof": ("a.pdf", PDF + b"0" * 2 * 1024 * 1024)},
         "The address proof is larger than 2 MB."),
        ({k: v for k, v in GOOD_FILES.items() if k != "filePhoto"},
         "Please upload the photo."),
    ],
)  # fmt: skip
def test_pan_uploads_are_checked_on_the_server(
    sims: Any, files: dict[str, tuple[str, bytes]], message: str
) -> None:
    browser = Browser()
    page = choose(browser, start_application(sims, browser, NAME, "9876500003"), "pan")
    refused = browser.post_multipart(page.url, pan_form(page), files)
    assert refused.message.startswith(message)
    assert refused.has("filePanCopy")


def test_pan_route_walk_mobile_then_email(sims: Any) -> None:
    browser, mobile, outbox = Browser(), "9876500004", sims.context.outbox
    page = choose(browser, start_application(sims, browser, NAME, mobile), "pan")
    assert_ids(page, "pan_form")
    assert 'type="file"' in page.tag("filePanCopy")

    page = browser.post_multipart(page.url, pan_form(page), GOOD_FILES)
    assert page.has("btnPanMobileOTP"), page.message
    early = browser.post_json(page.url, {"action": "sendPanEmailOtp", "X": page.token})
    assert not early["ok"] and outbox.latest("asha.pan@example.com") is None

    assert browser.post_json(page.url, {"action": "sendPanMobileOtp", "X": page.token})[
        "ok"
    ]
    sms = outbox.latest(mobile, "mobile_otp")
    assert (sms.sender, len(sms.code)) == ("AD-eMuDSC-S", 4)
    data = {"action": "verifyPanMobile", "X": page.token, "txtPanMobileOTP": sms.code}
    page = browser.post(page.url, data)
    assert page.has("lblMobileVerified")

    assert browser.post_json(page.url, {"action": "sendPanEmailOtp", "X": page.token})[
        "ok"
    ]
    mail = outbox.latest("asha.pan@example.com", "email_otp")
    data = {"action": "verifyPanEmail", "X": page.token, "txtPanEmailOTP": mail.code}
    page = browser.post(page.url, data)
    assert_ids(page, "done")
    app = registry_for(sims.context).for_mobile(mobile)
    assert page.value_of("dscAppID") == app.app_no
    assert app.documents == {k: v[0] for k, v in GOOD_FILES.items()}


# -------------------------------------------------------------------- business rules


def test_second_applicant_cannot_reuse_a_mobile(sims: Any) -> None:
    browser = Browser()
    assert partner_creates(sims, browser, NAME, "9000000001").has("lnkApplicantLogin")
    again = partner_creates(sims, browser, "  asha   RAO ", "9000000001")
    assert again.has("lnkApplicantLogin")  # the same applicant may proceed again
    other = partner_creates(sims, browser, "Ravi Kumar", "9000000001")
    assert other.message == MSG_MOBILE_TAKEN
    assert other.value_of("applicantName") == "Ravi Kumar"


def test_login_needs_an_application_for_the_mobile(sims: Any) -> None:
    answer = request_mobile_otp(sims, Browser(), "9111111111")
    assert not answer["ok"] and "partner" in answer["message"]
    assert sims.context.outbox.latest("9111111111") is None


def test_kyc_exists_for_a_pan_completed_before(sims: Any) -> None:
    assert aadhaar_route(sims, Browser(), "9000000002").has("lblApplicationNumber")
    browser = Browser()
    page = start_application(sims, browser, "Ravi Kumar", "9000000003")
    page = aadhaar_hop(sims, browser, choose(browser, page, "otp"), "9000000003")
    refused = browser.post(page.url, details_form(page))
    assert (
        refused.message == MSG_KYC_EXISTS == "KYC already exists for the provided PAN"
    )


def test_already_registered_fault_blocks_both_routes(sims: Any) -> None:
    sims.context.faults.set("already_registered", pan="BCDPR2345K")
    browser = Browser()
    page = choose(browser, start_application(sims, browser, NAME, "9000000004"), "pan")
    refused = browser.post_multipart(page.url, pan_form(page), GOOD_FILES)
    assert refused.message == MSG_KYC_EXISTS
    other = Browser()
    page = start_application(sims, other, "Mira Das", "9000000005")
    page = aadhaar_hop(sims, other, choose(other, page, "otp"), "9000000005")
    accepted = other.post(page.url, details_form(page))  # another PAN passes
    assert accepted.has("btnGetOTP")


# ----------------------------------------------------------------------- OTP rules


def test_three_wrong_otps_end_the_otp(sims: Any) -> None:
    browser, mobile = Browser(), "9000000006"
    partner_creates(sims, browser, NAME, mobile)
    request_mobile_otp(sims, browser, mobile)
    code = sims.context.outbox.latest(mobile, "mobile_otp").code
    wrong = "0000" if code != "0000" else "1111"
    assert submit_mobile_otp(sims, browser, wrong).message == MSG_WRONG_OTP
    assert submit_mobile_otp(sims, browser, wrong).message == MSG_WRONG_OTP
    assert submit_mobile_otp(sims, browser, wrong).message == MSG_OTP_LOCKED
    assert (
        submit_mobile_otp(sims, browser, code).message == "Please request an OTP first."
    )
    assert (
        submit_mobile_otp(sims, browser, "12").message == "Please request an OTP first."
    )
    assert mobile_login(sims, browser, mobile).has("rdoPan")


def test_resend_waits_for_the_timer() -> None:
    with serving.serve_emudhra(resend_seconds=60) as sims:
        browser, mobile = Browser(), "9000000007"
        partner_creates(sims, browser, NAME, mobile)
        assert request_mobile_otp(sims, browser, mobile)["ok"]
        again = request_mobile_otp(sims, browser, mobile)
        assert (
            not again["ok"]
            and "seconds before requesting a new OTP" in again["message"]
        )
        page = browser.get(url(sims, "emudhra", "/Login.jsp"))
        assert "startTimer(" in page.text and page.has("otp1")


@pytest.mark.parametrize(
    ("params", "refused_kinds"),
    [
        ({"mobile": "9000000008"}, {"mobile_otp"}),  # times=1: used up by the first
        ({"mobile": "9000000008", "kind": "aadhaar_otp"}, {"aadhaar_otp"}),
        ({"mobile": "9999999999"}, set()),
    ],
)
def test_wrong_otp_fault(
    sims: Any, params: dict[str, str], refused_kinds: set[str]
) -> None:
    mobile, browser = "9000000008", Browser()
    sims.context.faults.set("wrong_otp", times=1, **params)
    partner_creates(sims, browser, NAME, mobile)
    request_mobile_otp(sims, browser, mobile)
    page = submit_mobile_otp(sims, browser, sims.context.outbox.latest(mobile).code)
    if "mobile_otp" in refused_kinds:
        assert page.message == MSG_WRONG_OTP
        page = submit_mobile_otp(sims, browser, sims.context.outbox.latest(mobile).code)
    assert page.has("rdoPan")  # times=1: the next right entry passes
    page = aadhaar_hop(sims, browser, choose(browser, page, "otp"), mobile)
    assert page.has("txtOnlineAadhaarEmail") != ("aadhaar_otp" in refused_kinds)


def test_wrong_otp_fault_without_times_keeps_refusing(sims: Any) -> None:
    browser, mobile = Browser(), "9000000009"
    sims.context.faults.set("wrong_otp", mobile=mobile)
    partner_creates(sims, browser, NAME, mobile)
    for _attempt in range(2):
        assert request_mobile_otp(sims, browser, mobile)["ok"]
        code = sims.context.outbox.latest(mobile).code
        assert submit_mobile_otp(sims, browser, code).message == MSG_WRONG_OTP
    assert sims.context.faults.get("wrong_otp") == {"mobile": mobile}


# ---------------------------------------------------------------------- page faults


def test_name_mismatch_accepts_only_the_given_name(sims: Any) -> None:
    sims.context.faults.set("name_mismatch", accept="RAO ASHA")
    browser, mobile = Browser(), "9000000010"
    page = start_application(sims, browser, NAME, mobile)
    page = aadhaar_hop(sims, browser, choose(browser, page, "otp"), mobile)
    refused = browser.post(page.url, details_form(page))
    assert refused.message == MSG_NAME_MISMATCH and "btnMsgBoxOK" in refused.text
    form = details_form(page, txtOnlineAadhaarNameAsInPAN="Rao  Asha")
    assert browser.post(page.url, form).has("btnGetOTP")


def test_get_otp_noop_once_is_a_silent_bot_check(sims: Any) -> None:
    sims.context.faults.set("get_otp_noop_once")
    browser = Browser()
    first = browser.get(url(sims, "emudhra", "/Login.jsp"))
    assert 'data-verdict="fail-once"' in first.tag("turnstile-captcha")
    assert sims.context.faults.get("get_otp_noop_once") is None
    second = browser.get(url(sims, "emudhra", "/Login.jsp"))
    assert 'data-verdict="pass"' in second.tag("turnstile-captcha")
    partner_creates(sims, browser, NAME, "9000000011")
    data = {"action": "getMobileOTP", "authenticatemobile": "9000000011"}
    answer = browser.post_json(url(sims, "emudhra", "/Login.jsp"), data)
    assert not answer["ok"] and sims.context.outbox.latest("9000000011") is None


@pytest.mark.parametrize(
    ("fault", "params", "marker"),
    [
        ("lossy_typing", {"min_interval_ms": 120}, "lossyMs: 120"),
        ("slow_loader", {"ms": 900}, "loaderMs: 900"),
    ],
)
def test_script_faults_reach_every_page(
    sims: Any, fault: str, params: dict[str, int], marker: str
) -> None:
    browser = Browser()
    assert marker not in browser.get(url(sims, "emudhra", "/Login.jsp")).text
    sims.context.faults.set(fault, **params)
    for host, path in [("emudhra", "/Login.jsp"), ("emudhra-partner", "/ApplyDSC.jsp")]:
        assert marker in browser.get(url(sims, host, path)).text


def test_click_overlay_covers_one_page_only(sims: Any) -> None:
    browser = Browser()
    sims.context.faults.set("click_overlay")
    assert browser.get(url(sims, "emudhra-partner", "/ApplyDSC.jsp")).has(
        "clickOverlay"
    )
    assert not browser.get(url(sims, "emudhra-partner", "/ApplyDSC.jsp")).has(
        "clickOverlay"
    )


def test_session_expiry_asks_to_login_again(sims: Any) -> None:
    browser, mobile = Browser(), "9000000012"
    page = start_application(sims, browser, NAME, mobile)
    sims.context.faults.set("session_expiry", seconds=0)
    time.sleep(0.01)
    expired = browser.get(page.url)
    assert expired.status == 440 and MSG_SESSION_EXPIRED in expired.text
    assert "Your session has expired. Please login again." in expired.text


def test_base_faults_apply_to_emudhra(sims: Any) -> None:
    browser = Browser()
    sims.context.faults.set("http_500_once", path="/Login.jsp")
    assert browser.get(url(sims, "emudhra", "/Login.jsp")).status == 500
    assert browser.get(url(sims, "emudhra", "/Login.jsp")).has("authenticatemobile")
    sims.context.faults.set("blank_first_load")
    fresh = Browser()
    assert not fresh.get(url(sims, "emudhra-partner", "/ApplyDSC.jsp")).has("LoginUser")
    assert fresh.get(url(sims, "emudhra-partner", "/ApplyDSC.jsp")).has("LoginUser")


# ------------------------------------------------------------- tokens and sessions


def test_x_token_rotates_and_old_tokens_die(sims: Any) -> None:
    browser, mobile = Browser(), "9000000013"
    seen: list[str] = []
    page = start_application(sims, browser, NAME, mobile)
    seen.append(page.token)
    page = choose(browser, page, "otp")
    seen.append(page.token)
    page = aadhaar_hop(sims, browser, page, mobile)
    seen.append(page.token)
    assert len(set(seen)) == 3
    for old in seen[:-1]:
        dead = browser.get(url(sims, "emudhra", f"/PaperlessIndividual.jsp?X={old}"))
        assert dead.status == 403 and "no longer valid" in dead.text
    replay = browser.get(url(sims, "emudhra-aadhaar", f"/index.jsp?X={seen[1]}"))
    assert replay.status == 403
    assert browser.get(page.url).has("txtOnlineAadhaarEmail")


def test_sessions_are_isolated(sims: Any) -> None:
    pages: dict[str, Page] = {}

    def run(mobile: str, name: str) -> None:
        pages[mobile] = aadhaar_route(
            sims, Browser(), mobile, pan=f"ABCP{name[0]}1234F"
        )

    threads = [
        threading.Thread(target=run, args=("9000000014", "Kiran")),
        threading.Thread(target=run, args=("9000000015", "Lata")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    numbers = {m: p.value_of("dscAppID") for m, p in pages.items()}
    assert len(set(numbers.values())) == 2 and all(numbers.values())

    intruder = Browser()
    start_application(sims, intruder, "Mohan Lal", "9000000016")
    app = registry_for(sims.context).for_mobile("9000000014")
    stolen = intruder.get(
        url(sims, "emudhra", f"/PaperlessIndividual.jsp?X={app.token}")
    )
    assert stolen.status == 403


def test_application_number_is_issued_once_under_threads(sims: Any) -> None:
    registry = registry_for(sims.context)
    apps = [Application(f"id{i}", "p", "n", f"90000001{i:02d}") for i in range(5)]
    issued: list[tuple[str, str]] = []
    lock = threading.Lock()

    def issue(app: Application) -> None:
        number = registry.issue_app_no(app)
        with lock:
            issued.append((app.id, number))

    threads = [
        threading.Thread(target=issue, args=(a,)) for a in apps for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    by_app: dict[str, set[str]] = {}
    for app_id, number in issued:
        by_app.setdefault(app_id, set()).add(number)
    assert all(len(numbers) == 1 for numbers in by_app.values())
    assert len({n for numbers in by_app.values() for n in numbers}) == 5


def test_otp_boxes_switch_at_runtime(sims: Any) -> None:
    browser = Browser()
    assert not browser.get(url(sims, "emudhra", "/Login.jsp")).has("otp5")
    sims.main.configure(otp_boxes=6)
    assert browser.get(url(sims, "emudhra", "/Login.jsp")).has("otp6")
    with pytest.raises(ValueError):
        sims.main.configure(otp_boxes=5)
    with pytest.raises(ValueError):
        EmudhraPortal(sims.context, otp_boxes=3)
