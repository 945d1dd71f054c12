"""A plain-HTTP client for the simulated Udyam page, and the whole registration as data.

The client behaves like a browser without JavaScript: it keeps cookies, reads every
form control of the last page (hidden fields included), and posts the form back with
the changes a person would make plus the button (or AutoPostBack target) used.
"""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from desktop_app.simulators.server import SimulatorSet
from desktop_app.simulators.udyam import NAME, PAGE

ID = "ctl00_ContentPlaceHolder1_"

AADHAAR = "234123412346"  # public Verhoeff test vector (IDENTIFIERS.md)
MOBILE = "9876543210"
PAN = "ACUPA7085R"  # 4th letter P: an individual, fits Proprietary


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.ids: set[str] = set()
        self.texts: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._span: str | None = None
        self._select: str | None = None
        self._option: str | None = None
        self._option_text = ""
        self._selected: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "span" and "id" in a:
            self._span = a["id"]
            self.texts[a["id"]] = ""
        elif tag == "input" and "name" in a and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("submit", "image", "button"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on") or "on"
            else:
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and "disabled" not in a:
            self._select = a["name"]
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self._option = a.get("value", "")
            self._option_text = ""
            if "selected" in a:
                self._selected[self._select] = self._option

    def handle_data(self, data: str) -> None:
        if self._span:
            self.texts[self._span] += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._span = None
        elif tag == "option" and self._select and self._option is not None:
            self.options[self._select].append((self._option, self._option_text))
            self._option = None
        elif tag == "select" and self._select:
            choices = self.options[self._select]
            default = choices[0][0] if choices else ""
            self.fields[self._select] = self._selected.get(self._select, default)
            self._select = None


@dataclass
class Page:
    status: int
    html: str
    fields: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, status: int, html: str) -> Page:
        parser = _PageParser()
        parser.feed(html)
        return cls(
            status, html, parser.fields, parser.ids, parser.texts, parser.options
        )

    def text(self, short_id: str) -> str:
        return self.texts.get(ID + short_id, "").strip()

    def has(self, short_id: str) -> bool:
        return ID + short_id in self.ids

    def option_values(self, short_id: str) -> list[str]:
        return [value for value, _ in self.options.get(NAME + short_id, [])]


class UdyamClient:
    def __init__(self, sims: SimulatorSet) -> None:
        self.sims = sims
        self.url = sims.urls["udyam"] + PAGE
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )
        self.page: Page | None = None

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=15) as response:
                return Page.parse(response.status, response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            return Page.parse(error.code, error.read().decode("utf-8"))

    def get(self) -> Page:
        self.page = self._open(urllib.request.Request(self.url))
        return self.page

    def form(self, **changes: str) -> dict[str, str]:
        assert self.page is not None
        data = dict(self.page.fields)
        for key, value in changes.items():
            name = key if key.startswith("__") else NAME + key
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data

    def post_raw(self, data: dict[str, str]) -> Page:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        page = self._open(request)
        if page.status == 200:
            self.page = page
        return page

    def click(self, button: str, **changes: Any) -> Page:
        data = self.form(**changes)
        if button == "ImgRefresh":
            data[NAME + "ImgRefresh.x"], data[NAME + "ImgRefresh.y"] = "5", "5"
        else:
            data[NAME + button] = "x"
        return self.post_raw(data)

    def autopostback(self, control: str, value: str, **changes: Any) -> Page:
        data = self.form(**{control: value, **changes})
        data["__EVENTTARGET"] = NAME + control
        return self.post_raw(data)


# ------------------------------------------------------------ the registration


@dataclass
class Step:
    """One action of the walk and what the page must show after it."""

    name: str
    act: Callable[[UdyamClient], Page]
    ids: tuple[str, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)  # span id -> substring


def _otp(client: UdyamClient, to: str, kind: str) -> str:
    message = client.sims.outbox.latest(to, kind)
    assert message is not None, f"no {kind} sent to {to}"
    return message.code


MAIN_FORM = {
    "txtenterprisename": "Verma Traders",
    "txtmobile": MOBILE,
    "txtemail": "asha@example.com",
    "rdbcategory": "1",
    "rbtGender": "2",
    "rbtPh": "0",
    "txtOffFlatNo": "12",
    "txtOffBuilding": "Rose Apartments",
    "txtOffVillageTown": "Thanjavur",
    "txtOffRoadStreetLane": "Gandhi Road",
    "txtOffCity": "Thanjavur",
    "txtOffPin": "613001",
    "rdbPreviousEM": "0",
    "txtdateIncorporation": "01/04/2020",
    "rblcommenced": "1",
    "txtcommencedate": "15/04/2020",
    "txtBankName": "State Bank of India",
    "txtifsccode": "SBIN0040278",
    "txtaccountno": "12345678901",
    "txtNoofpersonMale": "2",
    "txtNoofpersonFemale": "3",
    "txtNoofpersonOthers": "0",
    "txttotalemp": "5",
    "rblGeM": "0",
    "rblTReDS": "0",
    "rblNCS": "1",
    "rblnsic": "0",
    "rblsid": "0",
    "ddlDIC": "25",
    "chkDeclaration": "on",
}
PAN_DATA = {
    "rblITR": "1",
    "rblWhetherGstn": "2",
    "txtDepCost": "500000",
    "txtExCost": "0",
    "txtTotalTurnoverA": "2500000",
    "txtTotalTurnoverB": "0",
}


def registration_steps(layout: str = "new") -> list[Step]:
    """The whole sequence; every [C] id and message is checked where it appears."""
    steps = [
        Step(
            "open",
            lambda c: c.get(),
            ids=(
                "txtadharno",
                "txtownername",
                "chkDecarationA",
                "btnValidateAadhaar",
                "UpdateProgress4",
            ),
        ),
        Step(
            "aadhaar",
            lambda c: c.click(
                "btnValidateAadhaar", txtadharno=AADHAAR, txtownername="Asha Verma"
            ),
            ids=("txtOtp1", "btnValidate", "lblOtpRes1"),
            texts={"lblOtpRes1": "OTP has been sent to *******3210"},
        ),
        Step(
            "aadhaar otp",
            lambda c: c.click("btnValidate", txtOtp1=_otp(c, MOBILE, "aadhaar_otp")),
            ids=(
                "ddlTypeofOrg",
                "txtPan",
                "txtPanName",
                "txtdob",
                "chkDecarationP",
                "btnValidatePan",
                "lblPanError",
            ),
            texts={
                "lblmsg": "Your Aadhaar has been successfully verified. You can "
                "continue Udyam Registration process."
            },
        ),
        Step(
            "org type", lambda c: c.autopostback("ddlTypeofOrg", "1"), ids=("txtPan",)
        ),
        Step(
            "pan validate",
            lambda c: c.click(
                "btnValidatePan",
                txtPan=PAN,
                txtPanName="ASHA VERMA",
                txtdob="01/02/1985",
                chkDecarationP="on",
            ),
            ids=("btnGetPanData",),
            texts={"lblPanError": "Your PAN has been successfully verified"},
        ),
        Step(
            "pan data",
            lambda c: c.click("btnGetPanData"),
            ids=(
                "rblITR",
                "rblWhetherGstn_0",
                "rblWhetherGstn_1",
                "rblWhetherGstn_2",
                "lblmsgpan",
            ),
        ),
    ]
    if layout == "new":
        steps.append(
            Step(
                "investment",
                lambda c: c.click("btnEnterprisedetail", **PAN_DATA),
                ids=(
                    "txtenterprisename",
                    "txtmobile",
                    "txtDepCost",
                    "txtTotalTurnoverA",
                ),
            )
        )
        data = {}
    else:
        data = PAN_DATA
    steps += [
        Step(
            "add unit",
            lambda c: c.click("btnAddUnit", txtUnitName="Main Unit", **data),
            ids=("ddlUnitName", "gvUnit"),
        ),
        Step("unit", lambda c: c.autopostback("ddlUnitName", "1")),
        Step(
            "plant state",
            lambda c: c.autopostback("ddlPState", "33"),
            ids=("ddlPDistrict",),
        ),
        Step("plant district", lambda c: c.autopostback("ddlPDistrict", "25")),
        Step(
            "add plant",
            lambda c: c.click(
                "BtnPAdd",
                txtPFlat="12",
                txtPBuilding="Rose Apartments",
                txtPVillageTown="Thanjavur",
                txtPRoadStreetLane="Gandhi Road",
                txtPCity="Thanjavur",
                txtPpin="613001",
            ),
            ids=("gvPlant",),
        ),
        Step("office state", lambda c: c.autopostback("ddlstate", "33")),
        Step("office district", lambda c: c.autopostback("ddlDistrict", "25")),
        Step(
            "major activity",
            lambda c: c.autopostback("rdbCatgg", "2"),
            ids=("rdbSubCategg_0", "rdbSubCategg_1"),
        ),
        Step("under services", lambda c: c.autopostback("rdbSubCategg", "2")),
        Step("nic category", lambda c: c.autopostback("rdbCatggMultiple", "3")),
        Step("nic 2", lambda c: c.autopostback("ddl2NicCode", "47")),
        Step("nic 4", lambda c: c.autopostback("ddl4NicCode", "4721")),
        Step("nic 5", lambda c: c.autopostback("ddl5NicCode", "47211")),
        Step("add activity", lambda c: c.click("btnAddMore"), ids=("gvNic",)),
        Step(
            "submit",
            lambda c: c.click("btnsubmit", **MAIN_FORM),
            ids=("txtOtp", "imgCaptcha", "ImgRefresh", "txtCaptcha", "btn_finalsubmit"),
        ),
        Step(
            "final",
            lambda c: c.click(
                "btn_finalsubmit",
                txtOtp=_otp(c, MOBILE, "final_otp"),
                txtCaptcha=captcha_of(c),
            ),
            texts={"lblmsg": "UDYAM-TN-25-"},
        ),
    ]
    return steps


def captcha_of(client: UdyamClient) -> str:
    """The answer to the current captcha (a test reads the server's state)."""
    session_id = next(c.value for c in client.jar if c.name == "ASP.NET_SessionId")
    portal = client.sims.portals["udyam"]
    session = portal.sessions._sessions[session_id]
    return session["udyam"].captcha_text


def walk(client: UdyamClient, until: str | None = None, layout: str = "new") -> Page:
    """Run the steps (up to and including ``until``), checking each; the last page."""
    page: Page | None = None
    for step in registration_steps(layout):
        page = step.act(client)
        assert page.status == 200, (step.name, page.html[:300])
        for short_id in step.ids:
            assert page.has(short_id), (step.name, short_id)
        for span, expected in step.texts.items():
            assert expected in page.text(span), (step.name, span, page.text(span))
        if step.name == until:
            break
    assert page is not None
    return page
