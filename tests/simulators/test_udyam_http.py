"""The simulated Udyam portal over plain HTTP: the sequence, ASP.NET checks, faults."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator

import pytest
from _udyam_client import (
    AADHAAR,
    MOBILE,
    PAN,
    UdyamClient,
    captcha_of,
    registration_steps,
    walk,
)

from desktop_app.simulators.server import SimulatorSet, start_simulators
from desktop_app.simulators.udyam import NAME

URN_RE = re.compile(r"UDYAM-[A-Z]{2}-\d{2}-\d{7}")


@pytest.fixture
def sims() -> Iterator[SimulatorSet]:
    with start_simulators(seed=7) as running:
        running.context.link_mobile(AADHAAR, MOBILE)
        yield running


@pytest.fixture
def client(sims: SimulatorSet) -> UdyamClient:
    return UdyamClient(sims)


# ------------------------------------------------------------------ the sequence


@pytest.mark.parametrize("layout", ["new", "old"])
def test_whole_registration_issues_one_urn(layout: str) -> None:
    with start_simulators(options={"udyam": {"layout": layout}}) as sims:
        sims.context.link_mobile(AADHAAR, MOBILE)
        client = UdyamClient(sims)
        page = walk(client, layout=layout)

        urn = URN_RE.search(page.text("lblmsg"))
        assert urn is not None and urn.group() == "UDYAM-TN-25-0000001"
        assert "alert(" in page.html and urn.group() in page.html.split("<script>")[1]
        assert sims.portals["udyam"].urns_issued == 1


def test_page_title_accessibility_toolbar_and_bilingual_labels(
    client: UdyamClient,
) -> None:
    page = client.get()
    title = "UDYAM REGISTRATION FORM - For New Enterprise who are not Registered yet"
    assert f"<title>{title} as MSME</title>" in page.html
    for toolbar_id in (
        "btn-s9",
        "btn-s13",
        "btn-s12",
        "btn-s10",
        "btn-df",
        "btn-s11",
        "dark-btn",
        "checkbox",
    ):
        assert toolbar_id in page.ids
    assert "1. Aadhaar Number/ आधार संख्या" in page.html
    for hidden in ("__VIEWSTATE", "__EVENTVALIDATION", "__VIEWSTATEGENERATOR"):
        assert page.fields[hidden]
    assert page.fields[NAME + "chkDecarationA"] == "on"  # pre-checked


def test_option_texts_and_values(client: UdyamClient) -> None:
    walk(client, until="plant state")
    page = client.page
    assert page is not None
    states = dict(page.options[NAME + "ddlPState"])
    assert states["33"] == "30. TAMIL NADU / तमिलनाडु"
    assert len(states) == 37  # 36 states and UTs plus the placeholder
    districts = dict(page.options[NAME + "ddlPDistrict"])
    assert districts["25"] == "25. THANJAVUR / तंजावुर"


def test_org_type_values_are_not_in_display_order(client: UdyamClient) -> None:
    page = walk(client, until="aadhaar otp")
    assert page.option_values("ddlTypeofOrg") == [
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "9",
        "10",
        "11",
        "8",
    ]
    assert dict(page.options[NAME + "ddlTypeofOrg"])["9"].startswith(
        "8. Limited Liability"
    )


def test_nic_cascade_texts(client: UdyamClient) -> None:
    walk(client, until="nic 5")
    page = client.page
    assert page is not None
    assert (
        "47",
        "47-Retail trade, except of motor vehicles and motorcycles",
    ) in page.options[NAME + "ddl2NicCode"]
    assert "47211" in page.option_values("ddl5NicCode")


def test_consent_unticked_is_refused(client: UdyamClient) -> None:
    client.get()
    page = client.click(
        "btnValidateAadhaar",
        txtadharno=AADHAAR,
        txtownername="Asha",
        chkDecarationA=None,
    )
    assert not page.has("txtOtp1")
    assert "consent" in page.text("lblmsg")


def test_wrong_aadhaar_otp_message(client: UdyamClient) -> None:
    walk(client, until="aadhaar")
    page = client.click("btnValidate", txtOtp1="000000")
    assert page.text("lblOtp1") == "Incorrect OTP, Re-enter correct OTP."
    assert page.has("txtOtp1")


def test_unknown_linked_mobile_goes_to_masked_aadhaar_key() -> None:
    with start_simulators() as sims:
        client = UdyamClient(sims)
        page = walk(client, until="open")
        page = client.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="A")
        message = sims.outbox.latest("aadhaar:XXXX XXXX 2346", "aadhaar_otp")
        assert message is not None and len(message.code) == 6
        assert AADHAAR not in message.to and AADHAAR not in message.text
        assert page.text("lblOtpRes1") == "OTP has been sent to *******2346"


def test_main_form_server_side_checks(client: UdyamClient) -> None:
    walk(client, until="investment")
    page = client.click(
        "btnsubmit",
        txtmobile="12345",
        txtemail="nope",
        txtOffPin="012345",
        txtifsccode="SBIN1234567",
        txtNoofpersonMale="2",
        txttotalemp="9",
    )
    for field in (
        "txtmobile",
        "txtemail",
        "txtOffPin",
        "txtifsccode",
        "txttotalemp",
        "txtenterprisename",
        "btnAddMore",
        "BtnPAdd",
        "chkDeclaration",
    ):
        assert page.has(f"rfv_{field}"), field
    assert not page.has("txtOtp")


def test_final_otp_and_captcha_messages(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    walk(client, until="submit")
    page = client.click(
        "btn_finalsubmit",
        txtOtp=sims.outbox.latest(MOBILE, "final_otp").code,
        txtCaptcha="WRONG1",
    )
    assert page.text("lblCaptcha") == "Incorrect verification code"
    page = client.click(
        "btn_finalsubmit", txtOtp="000000", txtCaptcha=captcha_of(client)
    )
    assert page.text("lblMssgg") == "Your OTP Number is Wrong."
    assert sims.portals["udyam"].urns_issued == 0


def test_captcha_is_a_session_bound_png(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    walk(client, until="submit")
    src = re.search(
        r'id="ctl00_ContentPlaceHolder1_imgCaptcha" src="([^"]+)"', client.page.html
    )
    assert src is not None and src.group(1).startswith(
        "/Captcha/CaptchaControl.aspx?id="
    )
    url = sims.urls["udyam"] + src.group(1).replace("&amp;", "&")
    with client.opener.open(url) as response:
        png = response.read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(captcha_of(client)) == 6
    stranger = UdyamClient(sims)
    stranger.get()
    with pytest.raises(Exception, match="404"):
        stranger.opener.open(url)
    before = captcha_of(client)
    client.click("ImgRefresh")
    refreshed = {captcha_of(client)}
    for _ in range(3):  # 32**6 texts: a repeat three times running is no accident
        client.click("ImgRefresh")
        refreshed.add(captcha_of(client))
    assert refreshed - {before}
    assert client.page.has("imgCaptcha")


# ------------------------------------------------------------- ASP.NET behaviour


def test_forged_viewstate_is_refused(client: UdyamClient) -> None:
    client.get()
    data = client.form(txtadharno=AADHAAR, txtownername="Asha")
    raw = bytearray(base64.b64decode(data["__VIEWSTATE"]))
    raw[10] ^= 0xFF
    data["__VIEWSTATE"] = base64.b64encode(bytes(raw)).decode()
    data[NAME + "btnValidateAadhaar"] = "x"
    page = client.post_raw(data)
    assert page.status == 500
    assert "Validation of viewstate MAC failed" in page.html


def test_stale_viewstate_is_refused(client: UdyamClient) -> None:
    old = client.get()
    client.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha")
    data = dict(old.fields)
    data[NAME + "btnValidateAadhaar"] = "x"
    page = client.post_raw(data)
    assert page.status == 500 and "Invalid postback or callback argument" in page.html


def test_viewstate_of_another_session_is_refused(sims: SimulatorSet) -> None:
    first, second = UdyamClient(sims), UdyamClient(sims)
    first.get()
    second.get()
    data = second.form()
    data["__VIEWSTATE"] = first.page.fields["__VIEWSTATE"]
    data[NAME + "btnValidateAadhaar"] = "x"
    assert second.post_raw(data).status == 500


def test_unlisted_option_value_is_refused(client: UdyamClient) -> None:
    walk(client, until="aadhaar otp")
    page = client.autopostback("ddlTypeofOrg", "99")
    assert page.status == 500 and "Invalid postback" in page.html


def test_button_not_on_page_raises_no_event(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    client.get()
    page = client.click("btnsubmit")  # ASP.NET ignores names of controls not rendered
    assert (
        page.status == 200 and page.has("btnValidateAadhaar") and not page.has("txtOtp")
    )
    assert sims.outbox.messages() == []


def test_postback_keeps_values_and_locks_verified_fields(client: UdyamClient) -> None:
    page = walk(client, until="pan validate")
    assert NAME + "txtPan" not in page.fields  # rendered disabled, so not posted
    assert f'value="{PAN}"' in page.html
    assert NAME + "txtadharno" not in page.fields


# ---------------------------------------------------------------------- registry


def test_completed_pan_and_aadhaar_are_then_registered(sims: SimulatorSet) -> None:
    walk(UdyamClient(sims))
    again = UdyamClient(sims)
    page = walk(again, until="open")
    page = again.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha")
    assert "already done through this Aadhaar" in page.text("lblmsg")

    other_aadhaar = "999941057058"
    sims.context.link_mobile(other_aadhaar, "9123456780")
    third = UdyamClient(sims)
    third.get()
    third.click("btnValidateAadhaar", txtadharno=other_aadhaar, txtownername="B")
    third.click(
        "btnValidate", txtOtp1=sims.outbox.latest("9123456780", "aadhaar_otp").code
    )
    third.autopostback("ddlTypeofOrg", "1")
    page = third.click(
        "btnValidatePan",
        txtPan=PAN,
        txtPanName="ASHA VERMA",
        txtdob="01/02/1985",
        chkDecarationP="on",
    )
    assert (
        page.text("lblPanError")
        == "Udyam Registration has already done through this PAN"
    )


def test_urn_issued_once_even_if_final_submit_is_replayed(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    walk(client, until="submit")
    before_final = client.page
    walk_rest = registration_steps()[-1]
    done = walk_rest.act(client)
    assert URN_RE.search(done.text("lblmsg"))
    replay = dict(before_final.fields)
    replay[NAME + "btn_finalsubmit"] = "x"
    assert client.post_raw(replay).status == 500
    assert sims.portals["udyam"].urns_issued == 1


def test_two_sessions_are_isolated(sims: SimulatorSet) -> None:
    first, second = UdyamClient(sims), UdyamClient(sims)
    walk(first, until="aadhaar")
    otp_first = sims.outbox.latest(MOBILE, "aadhaar_otp").code
    walk(second, until="aadhaar")
    otp_second = sims.outbox.latest(MOBILE, "aadhaar_otp").code
    if otp_first == otp_second:
        pytest.skip("the two random OTPs happened to be equal")
    page = second.click("btnValidate", txtOtp1=otp_first)
    assert page.text("lblOtp1") == "Incorrect OTP, Re-enter correct OTP."
    page = first.click("btnValidate", txtOtp1=otp_first)
    assert page.has("txtPan")
    assert second.page is not None and not second.page.has("txtPan")


# ------------------------------------------------------------------------ faults


def _set(sims: SimulatorSet, name: str, **params: object) -> None:
    sims.faults.set(name, **params)


def test_fault_wrong_otp_first_time_for_a_mobile(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    _set(sims, "wrong_otp", mobile=MOBILE, times=1)
    walk(client, until="aadhaar")
    code = sims.outbox.latest(MOBILE, "aadhaar_otp").code
    assert (
        client.click("btnValidate", txtOtp1=code)
        .text("lblOtp1")
        .startswith("Incorrect")
    )
    assert client.click("btnValidate", txtOtp1=code).has("txtPan")


def test_fault_wrong_otp_other_mobile_untouched(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    _set(sims, "wrong_otp", mobile="9000000000")
    walk(client, until="aadhaar otp")
    assert sims.faults.get("wrong_otp") is not None


def test_fault_wrong_otp_on_final_otp(sims: SimulatorSet, client: UdyamClient) -> None:
    walk(client, until="submit")
    _set(sims, "wrong_otp", times=1)
    code = sims.outbox.latest(MOBILE, "final_otp").code
    page = client.click("btn_finalsubmit", txtOtp=code, txtCaptcha=captcha_of(client))
    assert page.text("lblMssgg") == "Your OTP Number is Wrong."
    page = client.click("btn_finalsubmit", txtOtp=code, txtCaptcha=captcha_of(client))
    assert URN_RE.search(page.text("lblmsg"))


def test_fault_wrong_captcha_once(sims: SimulatorSet, client: UdyamClient) -> None:
    walk(client, until="submit")
    _set(sims, "wrong_captcha_once")
    code = sims.outbox.latest(MOBILE, "final_otp").code
    page = client.click("btn_finalsubmit", txtOtp=code, txtCaptcha=captcha_of(client))
    assert page.text("lblCaptcha") == "Incorrect verification code"
    page = client.click("btn_finalsubmit", txtOtp=code, txtCaptcha=captcha_of(client))
    assert URN_RE.search(page.text("lblmsg"))


@pytest.mark.parametrize(
    ("fault", "params", "message"),
    [
        ("pan_invalid", {}, "PAN is not valid"),
        ("pan_daily_limit", {}, "You can not verify PAN more than 5 times in a day."),
        (
            "already_registered",
            {"pan": PAN},
            "Udyam Registration has already done through this PAN",
        ),
        ("name_mismatch", {"accept": "ASHA  VERMA"}, "PAN name does not match"),
    ],
)
def test_pan_faults(
    sims: SimulatorSet, client: UdyamClient, fault: str, params: dict, message: str
) -> None:
    _set(sims, fault, **params)
    page = walk(client, until="org type")
    page = client.click(
        "btnValidatePan",
        txtPan=PAN,
        txtPanName="ASHA VERMA",
        txtdob="01/02/1985",
        chkDecarationP="on",
    )
    assert page.text("lblPanError") == message
    assert not page.has("btnGetPanData")


def test_name_mismatch_accepts_the_exact_name(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    _set(sims, "name_mismatch", accept="ASHA KUMARI VERMA")
    walk(client, until="org type")
    page = client.click(
        "btnValidatePan",
        txtPan=PAN,
        txtPanName="ASHA KUMARI VERMA",
        txtdob="01/02/1985",
        chkDecarationP="on",
    )
    assert page.has("btnGetPanData")


def test_already_registered_aadhaar_fault(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    _set(sims, "already_registered", aadhaar_last4=AADHAAR[-4:])
    client.get()
    page = client.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha")
    assert "already done" in page.text("lblmsg") and not page.has("txtOtp1")


def test_pan_daily_limit_counts_per_pan_per_day(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    sims.portals["udyam"].configure(pan_daily_limit=2, day="2026-01-05")
    walk(client, until="org type")
    wrong_type = {
        "txtPan": "AAACB1234C",
        "txtPanName": "X",
        "txtdob": "01/01/2000",
        "chkDecarationP": "on",
    }  # a company PAN for a proprietor: refused
    messages = [
        client.click("btnValidatePan", **wrong_type).text("lblPanError")
        for _ in range(3)
    ]
    assert messages == [
        "PAN is not valid",
        "PAN is not valid",
        "You can not verify PAN more than 5 times in a day.",
    ]
    sims.portals["udyam"].configure(day="2026-01-06")
    page = client.click(
        "btnValidatePan",
        txtPan=PAN,
        txtPanName="ASHA VERMA",
        txtdob="01/02/1985",
        chkDecarationP="on",
    )
    assert page.has("btnGetPanData")


def test_fault_empty_cascade_fills_on_reselect(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    walk(client, until="unit")
    _set(sims, "empty_cascade")
    page = client.autopostback("ddlPState", "33")
    assert page.option_values("ddlPDistrict") == ["0"]
    page = client.autopostback("ddlPState", "0")
    page = client.autopostback("ddlPState", "33")
    assert "25" in page.option_values("ddlPDistrict")


def test_fault_slow_loader_delays_the_postback(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    client.get()
    _set(sims, "slow_loader", ms=600)
    started = time.monotonic()
    client.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha")
    assert time.monotonic() - started >= 0.6


def test_fault_click_overlay_shows_once(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    _set(sims, "click_overlay")
    assert client.get().has("sim-click-overlay") is False  # not a ctl00 id
    assert 'id="sim-click-overlay"' in client.page.html
    client.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha")
    assert 'id="sim-click-overlay"' not in client.page.html


def test_fault_lossy_typing_adds_the_key_handler(
    sims: SimulatorSet, client: UdyamClient
) -> None:
    assert "performance.now()" not in client.get().html
    _set(sims, "lossy_typing", min_interval_ms=80)
    html = client.get().html
    assert "performance.now()" in html and "< 80" in html


def test_session_expiry_page(sims: SimulatorSet, client: UdyamClient) -> None:
    client.get()
    _set(sims, "session_expiry", seconds=0)
    page = client.click("btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha")
    assert page.status == 440 and "session has expired" in page.html
