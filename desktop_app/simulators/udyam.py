"""The simulated Udyam Registration portal (``/UdyamRegistration.aspx``).

It imitates an ASP.NET WebForms page (PORTALS.md sections 1-7): one form that posts
back to itself, controls named ``ctl00$ContentPlaceHolder1$<X>`` with ids
``ctl00_ContentPlaceHolder1_<X>``, hidden ``__VIEWSTATE`` / ``__EVENTVALIDATION`` /
``__VIEWSTATEGENERATOR`` that the server checks, AutoPostBack dropdowns and radios, and
the ``UpdateProgress4`` loader over the page while a postback runs. Every postback is a
full-page POST, so the browser builds a new DOM and old element handles go stale, as
they do after a real partial postback.

WebForms keeps page state in the viewstate, so a GET always starts a new application;
the server keeps the application of the latest page of each session and refuses posts
that carry an older or a forged viewstate. What is confirmed from the real site and
what is our choice is listed in ``README.md`` next to this file.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import json
import logging
import re
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from desktop_app.core.identifiers import verhoeff_check
from desktop_app.core.models import OrgType
from desktop_app.simulators import captcha, india
from desktop_app.simulators.base import (
    PortalApp,
    Request,
    Response,
    Session,
    SimContext,
    escape,
)

log = logging.getLogger(__name__)

PAGE = "/UdyamRegistration.aspx"
CAPTCHA_PATH = "/Captcha/CaptchaControl.aspx"
ID = "ctl00_ContentPlaceHolder1_"
NAME = "ctl00$ContentPlaceHolder1$"
TITLE = (
    "UDYAM REGISTRATION FORM - For New Enterprise who are not Registered yet as MSME"
)
VIEWSTATE_GENERATOR = "C2EE9ABB"
LOADER_ID = ID + "UpdateProgress4"

CONFIRM_TEXT = (
    "Are you sure that you have entered correct data. "
    "Please check your mobile number is correct?"
)
MSG_AADHAAR_OK = (
    "Your Aadhaar has been successfully verified. "
    "You can continue Udyam Registration process."
)
MSG_OTP_WRONG = "Incorrect OTP, Re-enter correct OTP."
MSG_FINAL_OTP_WRONG = "Your OTP Number is Wrong."
MSG_CAPTCHA_WRONG = "Incorrect verification code"
MSG_PAN_INVALID = "PAN is not valid"
MSG_PAN_REGISTERED = "Udyam Registration has already done through this PAN"
MSG_PAN_LIMIT = "You can not verify PAN more than 5 times in a day."
MSG_PAN_OK = (
    "Your PAN has been successfully verified. Some fields of the form will be "
    "disabled. Disabled fields will be automatically filled after verification from "
    "PAN data. GSTIN (As per applicablity of CGST Act 2017 and as notified by the "
    "ministry of MSME vide S.O. 1055(E) dated 05th March 2021) is required for Udyam "
    "Registration w.e.f. 01.04.2021. You are advised to apply for GSTIN suitably to "
    "avoid any inconvineance."
)
# Our choices: the real texts were not found (PORTALS.md section 12).
MSG_PAN_NAME_MISMATCH = "PAN name does not match"
MSG_AADHAAR_REGISTERED = "Udyam Registration has already done through this Aadhaar"
MSG_PAN_DATA = (
    "PAN details have been fetched from CBDT. "
    "Please answer the ITR and GSTIN questions below."
)

ORG_TYPES = [  # (value, text) in display order; the values are not (PORTALS.md s.3)
    ("0", "Type of Organisation / संगठन के प्रकार"),
    ("1", "1. Proprietary / एकल स्वामित्व"),
    ("2", "2. Hindu Undivided Family / हिंदू अविभाजित परिवार (एचयूएफ)"),
    ("3", "3. Partnership / पार्टनरशिप"),
    ("4", "4. Co-Operative / सहकारी"),
    ("5", "5. Private Limited Company / प्राइवेट लिमिटेड कंपनी"),
    ("6", "6. Public Limited Company / पब्लिक लिमिटेड कंपनी"),
    ("7", "7. Self Help Group / स्वयं सहायता समूह"),
    ("9", "8. Limited Liability Partenership / सीमित दायित्व भागीदारी"),
    ("10", "9. Society / सोसाईटी"),
    ("11", "10. Trust / ट्रस्ट"),
    ("8", "11. Others / अन्य"),
]
_PAN_TYPES_BY_ORG_VALUE = {org.portal_value: org.pan_holder_types for org in OrgType}
YES_NO = [("1", "Yes / हाँ"), ("0", "No / नहीं")]
NIC_CATEGORIES = {"1": "manufacturing", "2": "services", "3": "trading"}

_PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
_MOBILE_RE = re.compile(r"^[6-9][0-9]{9}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PIN_RE = re.compile(r"^[1-9][0-9]{5}$")
_IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_ACCOUNT_RE = re.compile(r"^[0-9]{9,18}$")


class Stage(enum.IntEnum):
    AADHAAR = 0  # step 1: Aadhaar, name, consent
    OTP_SENT = 1  # txtOtp1 shown
    PAN = 2  # Aadhaar verified; organisation type and PAN
    PAN_VERIFIED = 3  # Continue (btnGetPanData) shown
    PAN_DATA = 4  # ITR / GSTIN (new layout: investment, turnover, Continue...)
    ENTERPRISE = 5  # the main form
    FINAL = 6  # final OTP and captcha
    DONE = 7  # URN issued


@dataclass
class Application:
    """Everything one page instance knows; a GET starts a new one."""

    stage: Stage = Stage.AADHAAR
    values: dict[str, str] = field(default_factory=lambda: {"chkDecarationA": "on"})
    aadhaar_digits: str = ""  # kept only until the registration ends
    aadhaar_otp: str = ""
    otp_recipient: str = ""
    final_otp: str = ""
    final_recipient: str = ""
    captcha_text: str = ""
    captcha_id: str = ""
    units: list[str] = field(default_factory=list)
    plants: list[dict[str, str]] = field(default_factory=list)
    activities: list[dict[str, str]] = field(default_factory=list)
    sticky: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id: (text, ok)
    messages: dict[str, tuple[str, bool]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    empty_children: set[str] = field(default_factory=set)
    emptied_parents: set[str] = field(default_factory=set)
    overlay: bool = False
    urn: str = ""
    alert: str = ""
    # The page last sent: its viewstate, and what a postback from it may carry.
    revision: int = 0
    viewstate: str = ""
    inputs: dict[str, str] = field(default_factory=dict)  # id -> kind
    allowed: dict[str, set[str]] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)
    buttons: set[str] = field(default_factory=set)

    def value(self, key: str) -> str:
        return self.values.get(key, "").strip()


class PostbackRefused(Exception):
    """ASP.NET refuses the post: forged or stale viewstate, or an unknown value."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UdyamPortal(PortalApp):
    """``UdyamRegistration.aspx`` with Aadhaar, PAN, the main form and final submit."""

    name = "udyam"
    cookie_name = "ASP.NET_SessionId"

    def __init__(self, context: SimContext, **options: Any) -> None:
        super().__init__(context)
        self.layout = "new"
        self.otp_digits = 6
        self.captcha_length = 6
        self.pan_daily_limit = 5
        self.day: str | None = None  # the simulated day for the PAN limit; None: today
        self.configure(**options)
        self._mac_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._urn_sequence = 0
        self._registered_pans: set[str] = set()
        self._registered_aadhaar: set[str] = set()
        self._pan_attempts: dict[tuple[str, str], int] = {}
        self.route("GET", "/", self._home)
        self.route("GET", PAGE, self._get_page)
        self.route("POST", PAGE, self._post_page)
        self.route("GET", CAPTCHA_PATH, self._captcha_image)

    def configure(self, **options: Any) -> None:
        """Change options: layout ("new"|"old"), otp_digits, captcha_length,
        pan_daily_limit, day ("YYYY-MM-DD", the simulated day)."""
        known = {"layout", "otp_digits", "captcha_length", "pan_daily_limit", "day"}
        unknown = set(options) - known
        if unknown:
            raise ValueError(f"unknown Udyam option(s): {', '.join(sorted(unknown))}")
        if options.get("layout", self.layout) not in ("new", "old"):
            raise ValueError("layout must be 'new' or 'old'")
        for key, value in options.items():
            if key in {"otp_digits", "captcha_length", "pan_daily_limit"}:
                value = int(value)
            setattr(self, key, value)

    # ------------------------------------------------------------------ routes

    def _home(self, request: Request, session: Session) -> Response:
        return Response.html(
            "<!DOCTYPE html><html><head><title>Udyam Registration</title></head><body>"
            "<h1>Ministry of Micro, Small &amp; Medium Enterprises</h1>"
            "<a href='UdyamRegistration.aspx'>For New Entrepreneurs who are not "
            "Registered yet as MSME</a></body></html>"
        )

    def _get_page(self, request: Request, session: Session) -> Response:
        app = Application()
        app.overlay = self._overlay_due()
        session["udyam"] = app
        return Response.html(self._render(session, app))

    def _post_page(self, request: Request, session: Session) -> Response:
        app: Application | None = session.get("udyam")
        try:
            if app is None:
                raise PostbackRefused("Validation of viewstate MAC failed.")
            self._check_viewstate(request, session, app)
            self._load_post_data(request, app)
            event = self._event_of(request, app)
        except PostbackRefused as refused:
            log.info("udyam postback refused: %s", refused.message)
            return Response.html(_server_error_page(refused.message), 500)
        app.messages.clear()
        app.errors.clear()
        app.alert = ""
        self._slow_loader()
        if event:
            handler = getattr(self, f"_on_{event}", None)
            if handler is not None:
                handler(app)
        app.overlay = self._overlay_due()
        return Response.html(self._render(session, app))

    def _captcha_image(self, request: Request, session: Session) -> Response:
        app: Application | None = session.get("udyam")
        if app is None or not app.captcha_text:
            return Response(b"", 404, "image/png")
        with self._lock:
            png = captcha.render_png(app.captcha_text, self.context.random)
        return Response(png, 200, "image/png")

    def session_expired(self, request: Request) -> Response:
        return Response.html(
            "<!DOCTYPE html><html><head><title>Session Expired</title></head><body>"
            "<h2>Your session has expired.</h2><p>Please start the registration again: "
            f"<a href='{PAGE.lstrip('/')}'>Udyam Registration</a></p></body></html>",
            440,
        )

    # -------------------------------------------------------------- the post

    def _check_viewstate(
        self, request: Request, session: Session, app: Application
    ) -> None:
        posted = request.form.get("__VIEWSTATE", "")
        if request.form.get("__VIEWSTATEGENERATOR") != VIEWSTATE_GENERATOR:
            raise PostbackRefused("Validation of viewstate MAC failed.")
        revision = self._verify_viewstate(session, posted)
        if revision is None:
            raise PostbackRefused("Validation of viewstate MAC failed.")
        expected_validation = self._event_validation(session, posted)
        if revision != app.revision or not hmac.compare_digest(
            request.form.get("__EVENTVALIDATION", ""), expected_validation
        ):
            raise PostbackRefused("Invalid postback or callback argument.")

    def _load_post_data(self, request: Request, app: Application) -> None:
        for key, kind in app.inputs.items():
            posted = request.form.get(NAME + key)
            if kind == "check":
                app.values[key] = "on" if posted is not None else ""
                continue
            if posted is None:
                continue
            if kind in ("select", "radio") and posted not in app.allowed.get(
                key, set()
            ):
                raise PostbackRefused("Invalid postback or callback argument.")
            app.values[key] = posted

    def _event_of(self, request: Request, app: Application) -> str:
        target = request.form.get("__EVENTTARGET", "")
        if target:
            event = target.removeprefix(NAME).split("$")[0]
        else:
            event = next(
                (
                    key
                    for key in sorted(app.buttons)
                    if NAME + key in request.form or NAME + key + ".x" in request.form
                ),
                "",
            )
        if event and event not in app.events:
            raise PostbackRefused("Invalid postback or callback argument.")
        return event

    def _overlay_due(self) -> bool:
        """click_overlay covers the next page rendered (or the next ``times`` pages)."""
        faults = self.context.faults
        params = faults.get("click_overlay")
        if params is None:
            return False
        return (faults.use if "times" in params else faults.consume)(
            "click_overlay"
        ) is not None

    def _slow_loader(self) -> None:
        params = self.context.faults.get("slow_loader")
        if params is not None:
            # The browser keeps the old page, loader on top, until this answer comes.
            time.sleep(float(params.get("ms", 3000)) / 1000)

    # -------------------------------------------------------- viewstate MAC

    def _new_viewstate(self, session: Session, app: Application) -> str:
        app.revision += 1
        body = b"\xff\x01" + struct.pack(">I", app.revision) + secrets.token_bytes(40)
        mac = hmac.new(self._mac_key, session.sid.encode() + body, hashlib.sha256)
        return base64.b64encode(body + mac.digest()[:20]).decode()

    def _verify_viewstate(self, session: Session, posted: str) -> int | None:
        try:
            raw = base64.b64decode(posted, validate=True)
        except ValueError:
            return None
        body, mac = raw[:-20], raw[-20:]
        if len(body) < 6 or not body.startswith(b"\xff\x01"):
            return None
        expected = hmac.new(self._mac_key, session.sid.encode() + body, hashlib.sha256)
        if not hmac.compare_digest(mac, expected.digest()[:20]):
            return None
        return int(struct.unpack(">I", body[2:6])[0])

    def _event_validation(self, session: Session, viewstate: str) -> str:
        mac = hmac.new(self._mac_key, b"ev" + viewstate.encode(), hashlib.sha256)
        return base64.b64encode(b"\xff\x01" + mac.digest()[:24]).decode()

    # ---------------------------------------------------------- step 1 events

    def _on_btnValidateAadhaar(self, app: Application) -> None:
        digits = re.sub(r"\D", "", app.value("txtadharno"))
        if len(digits) != 12 or digits[0] in "01" or not verhoeff_check(digits):
            app.messages["lblmsg"] = ("Please enter valid Aadhaar Number.", False)
            return
        if not app.value("txtownername"):
            app.messages["lblmsg"] = ("Please enter Name of Entrepreneur.", False)
            return
        if app.value("chkDecarationA") != "on":
            app.messages["lblmsg"] = (
                "Please give your consent by ticking the declaration box.",
                False,
            )
            return
        if self._aadhaar_registered(digits):
            app.messages["lblmsg"] = (MSG_AADHAAR_REGISTERED, False)
            return
        app.aadhaar_digits = digits
        self._send_aadhaar_otp(app, digits)
        app.stage = Stage.OTP_SENT

    def _send_aadhaar_otp(self, app: Application, digits: str) -> None:
        masked = f"XXXX XXXX {digits[-4:]}"
        mobile = self.context.linked_mobile(digits)
        app.otp_recipient = mobile or f"aadhaar:{masked}"
        app.aadhaar_otp = self.context.otp(self.otp_digits)
        self.context.outbox.send(
            channel="sms",
            to=app.otp_recipient,
            sender="UIDAI",
            portal=self.name,
            kind="aadhaar_otp",
            text=(
                f"{app.aadhaar_otp} is the OTP for Aadhaar {masked} for Udyam "
                "Registration. Do not share it with anyone. -UIDAI"
            ),
            code=app.aadhaar_otp,
        )
        # Unknown linked mobile: the simulator shows the Aadhaar's last four instead.
        tail = mobile[-4:] if mobile else digits[-4:]
        app.messages["lblOtpRes1"] = (f"OTP has been sent to *******{tail}", True)

    def _on_btnValidate(self, app: Application) -> None:
        typed = app.value("txtOtp1")
        if typed != app.aadhaar_otp or self._otp_fault(app.otp_recipient):
            app.messages["lblOtp1"] = (MSG_OTP_WRONG, False)
            return
        app.stage = Stage.PAN
        app.sticky["lblmsg"] = (MSG_AADHAAR_OK, True)

    def _otp_fault(self, recipient: str) -> bool:
        def matches(params: dict[str, Any]) -> bool:
            wanted = str(params.get("mobile", "")).lower()
            return not wanted or wanted == recipient.lower()

        return self.context.faults.use("wrong_otp", matches) is not None

    # ----------------------------------------------------------- PAN events

    def _on_ddlTypeofOrg(self, app: Application) -> None:
        """AutoPostBack only: the page is rendered again with the choice kept."""

    def _on_btnValidatePan(self, app: Application) -> None:
        problem = self._pan_problem(app)
        if problem:
            app.messages["lblPanError"] = (problem, False)
            return
        app.stage = Stage.PAN_VERIFIED
        app.sticky["lblPanError"] = (MSG_PAN_OK, True)

    def _pan_problem(self, app: Application) -> str:
        faults = self.context.faults
        pan = app.value("txtPan").upper()
        if app.value("ddlTypeofOrg") in ("", "0"):
            return "Please select Type of Organisation."
        if not _PAN_RE.match(pan):
            return MSG_PAN_INVALID
        over_limit = faults.use("pan_daily_limit") is not None
        if not self._count_pan_attempt(pan) or over_limit:
            return MSG_PAN_LIMIT
        if app.value("chkDecarationP") != "on":
            return "Please give your consent by ticking the PAN declaration box."
        org_types = _PAN_TYPES_BY_ORG_VALUE.get(app.value("ddlTypeofOrg"), "")
        forced_invalid = faults.use("pan_invalid", _for_pan(pan)) is not None
        if pan[3] not in org_types or forced_invalid:
            return MSG_PAN_INVALID
        if not app.value("txtPanName"):
            return "Please enter Name of PAN Holder."
        if _parse_date(app.value("txtdob")) is None:
            return "Please enter DOB or DOI as per PAN in DD/MM/YYYY format."
        mismatch = faults.get("name_mismatch")
        if mismatch is not None and app.value("txtPanName") != mismatch.get("accept"):
            return MSG_PAN_NAME_MISMATCH
        forced = faults.use("already_registered", _for_pan(pan)) is not None
        if self._pan_registered(pan) or forced:
            return MSG_PAN_REGISTERED
        return ""

    def _count_pan_attempt(self, pan: str) -> bool:
        day = self.day or dt.date.today().isoformat()
        with self._lock:
            count = self._pan_attempts.get((pan, day), 0) + 1
            self._pan_attempts[(pan, day)] = count
        return count <= self.pan_daily_limit

    def _on_btnGetPanData(self, app: Application) -> None:
        app.sticky["lblmsgpan"] = (MSG_PAN_DATA, True)
        app.stage = Stage.PAN_DATA if self.layout == "new" else Stage.ENTERPRISE

    def _on_btnEnterprisedetail(self, app: Application) -> None:
        app.errors.update(_check_pan_data_answers(app))
        if app.errors:
            app.messages["lblmsg"] = ("Please correct the highlighted fields.", False)
            return
        app.stage = Stage.ENTERPRISE

    # ------------------------------------------------------ main form events

    def _on_btnAddUnit(self, app: Application) -> None:
        unit = app.value("txtUnitName")
        if not unit:
            app.errors["txtUnitName"] = "Please enter Unit Name."
        elif unit.lower() in (u.lower() for u in app.units):
            app.errors["txtUnitName"] = "This unit is already added."
        else:
            app.units.append(unit)
            app.values["txtUnitName"] = ""

    def _on_ddlUnitName(self, app: Application) -> None:
        """AutoPostBack only."""

    def _on_ddlPState(self, app: Application) -> None:
        app.values["ddlPDistrict"] = "0"
        self._cascade(app, "ddlPState", "ddlPDistrict")

    def _on_ddlstate(self, app: Application) -> None:
        app.values["ddlDistrict"] = "0"
        app.values["ddlDIC"] = "0"
        self._cascade(app, "ddlstate", "ddlDistrict")

    def _on_ddlPDistrict(self, app: Application) -> None:
        """AutoPostBack only."""

    def _on_ddlDistrict(self, app: Application) -> None:
        """AutoPostBack only."""

    def _on_BtnPAdd(self, app: Application) -> None:
        errors = {}
        if app.value("ddlUnitName") in ("", "0"):
            errors["ddlUnitName"] = "Please select Unit Name."
        for key, label in (("txtPFlat", "Flat/Door/Block No."), ("txtPCity", "City")):
            if not app.value(key):
                errors[key] = f"Please enter {label}."
        if not _PIN_RE.match(app.value("txtPpin")):
            errors["txtPpin"] = "Please enter a valid 6-digit PIN code."
        state = india.state_by_value(app.value("ddlPState"))
        district = state.district(app.value("ddlPDistrict")) if state else None
        if state is None:
            errors["ddlPState"] = "Please select State."
        elif district is None:
            errors["ddlPDistrict"] = "Please select District."
        if errors:
            app.errors.update(errors)
            return
        assert state is not None and district is not None
        unit = app.units[int(app.value("ddlUnitName")) - 1]
        row = {"unit": unit, "state": state.name, "district": district.name}
        for key in _PLANT_FIELDS:
            row[key] = app.value(key)
            app.values[key] = ""
        app.plants.append(row)

    def _on_rdbCatgg(self, app: Application) -> None:
        if app.value("rdbCatgg") != "2":
            app.values.pop("rdbSubCategg", None)

    def _on_rdbSubCategg(self, app: Application) -> None:
        """AutoPostBack only."""

    def _on_rdbCatggMultiple(self, app: Application) -> None:
        for key in ("ddl2NicCode", "ddl4NicCode", "ddl5NicCode"):
            app.values[key] = "0"

    def _on_ddl2NicCode(self, app: Application) -> None:
        app.values["ddl4NicCode"] = app.values["ddl5NicCode"] = "0"
        self._cascade(app, "ddl2NicCode", "ddl4NicCode")

    def _on_ddl4NicCode(self, app: Application) -> None:
        app.values["ddl5NicCode"] = "0"
        self._cascade(app, "ddl4NicCode", "ddl5NicCode")

    def _on_ddl5NicCode(self, app: Application) -> None:
        """AutoPostBack only."""

    def _on_btnAddMore(self, app: Application) -> None:
        code = app.value("ddl5NicCode")
        found = _nic_code(code)
        if found is None:
            app.errors["ddl5NicCode"] = "Please select NIC 5 Digit Code."
            return
        if any(row["code"] == code for row in app.activities):
            app.errors["ddl5NicCode"] = "This NIC code is already added."
            return
        nic2, nic4, _ = india.nic_data()
        app.activities.append(
            {
                "code": code,
                "category": found.activity.title(),
                "nic2": f"{found.nic2}-{nic2[found.nic2]}",
                "nic4": f"{found.nic4}-{nic4[found.nic4]}",
                "nic5": f"{code}-{found.description}",
            }
        )
        for key in ("ddl2NicCode", "ddl4NicCode", "ddl5NicCode"):
            app.values[key] = "0"

    def _cascade(self, app: Application, parent: str, child: str) -> None:
        """Fill the child list, unless empty_cascade makes it come back empty once."""
        fault = self.context.faults.get("empty_cascade")
        if fault is not None and parent not in app.emptied_parents:
            app.emptied_parents.add(parent)
            app.empty_children.add(child)
        else:
            app.empty_children.discard(child)

    # ------------------------------------------------------- final submission

    def _on_btnsubmit(self, app: Application) -> None:
        app.errors.update(self._check_main_form(app))
        if app.errors:
            app.messages["lblmsg"] = ("Please correct the highlighted fields.", False)
            return
        app.final_recipient = app.value("txtmobile")
        app.final_otp = self.context.otp(self.otp_digits)
        self.context.outbox.send(
            channel="sms",
            to=app.final_recipient,
            sender="UDYAM",
            portal=self.name,
            kind="final_otp",
            text=(
                f"{app.final_otp} is your OTP for Udyam Registration final submission. "
                "Do not share it with anyone. -MoMSME"
            ),
            code=app.final_otp,
        )
        app.messages["lblOtpMsg"] = (
            f"OTP has been sent to your mobile *******{app.final_recipient[-4:]}",
            True,
        )
        self._new_captcha(app)
        app.stage = Stage.FINAL

    def _on_ImgRefresh(self, app: Application) -> None:
        self._new_captcha(app)

    def _new_captcha(self, app: Application) -> None:
        with self._lock:
            app.captcha_text = captcha.random_text(
                self.context.random, self.captcha_length
            )
        # The real id is a timestamp, "M/d/yyyy h:mm:ss a" (PORTALS.md section 5).
        now = dt.datetime.now()
        hour = now.strftime("%I").lstrip("0")
        app.captcha_id = f"{now.month}/{now.day}/{now.year} {hour}:{now:%M:%S %p}"

    def _on_btn_finalsubmit(self, app: Application) -> None:
        typed_captcha = app.value("txtCaptcha").upper()
        captcha_ok = typed_captcha == app.captcha_text
        if captcha_ok and self.context.faults.consume("wrong_captcha_once") is not None:
            captcha_ok = False
        if not captcha_ok:
            app.messages["lblCaptcha"] = (MSG_CAPTCHA_WRONG, False)
            app.values["txtCaptcha"] = ""
            self._new_captcha(app)
            return
        if app.value("txtOtp") != app.final_otp or self._otp_fault(app.final_recipient):
            app.messages["lblMssgg"] = (MSG_FINAL_OTP_WRONG, False)
            return
        self._complete(app)

    def _complete(self, app: Application) -> None:
        state = india.state_by_value(app.value("ddlstate"))
        district = state.district(app.value("ddlDistrict")) if state else None
        assert state is not None and district is not None  # checked at btnsubmit
        pan = app.value("txtPan").upper()
        with self._lock:
            self._urn_sequence += 1
            app.urn = (
                f"UDYAM-{state.code}-{district.number:02d}-{self._urn_sequence:07d}"
            )
            self._registered_pans.add(pan)
            self._registered_aadhaar.add(_digest(app.aadhaar_digits))
        app.aadhaar_digits = ""
        app.final_otp = app.aadhaar_otp = app.captcha_text = ""
        app.stage = Stage.DONE
        app.alert = (
            "Thank you for Udyam Registration. Your Udyam Registration Number is "
            f"{app.urn}. The certificate will be sent to your email."
        )
        app.sticky = {"lblmsg": (app.alert, True)}
        self._send_urn_notices(app)
        log.info("udyam registration completed: %s", app.urn)

    def _send_urn_notices(self, app: Application) -> None:
        """The registration by email and SMS to the form's contacts.

        No ``code``: the number is not an OTP, and demo answerers take only coded
        messages. This is what lets an office recover a URN its app never read.
        """
        enterprise = app.value("txtenterprisename") or "your enterprise"
        text = (
            f"Thank you for registering {enterprise}. Your Udyam Registration "
            f"Number is {app.urn}. The certificate is attached to the email. -MoMSME"
        )
        contacts = (("email", app.value("txtemail")), ("sms", app.value("txtmobile")))
        for channel, to in contacts:
            if to:
                self.context.outbox.send(
                    channel=channel,
                    to=to,
                    sender="UDYAM",
                    portal=self.name,
                    kind="notice",
                    text=text,
                )

    def _check_main_form(self, app: Application) -> dict[str, str]:
        errors = _check_pan_data_answers(app)
        errors.update(_check_enterprise(app))
        org_types = _PAN_TYPES_BY_ORG_VALUE.get(app.value("ddlTypeofOrg"), "")
        pan = app.value("txtPan").upper()
        if len(pan) != 10 or pan[3] not in org_types:
            errors["txtPan"] = MSG_PAN_INVALID
        return errors

    # ------------------------------------------------------------- registry

    def _pan_registered(self, pan: str) -> bool:
        with self._lock:
            return pan in self._registered_pans

    def _aadhaar_registered(self, digits: str) -> bool:
        def matches(params: dict[str, Any]) -> bool:
            wanted = str(params.get("aadhaar_last4", ""))
            return bool(wanted) and digits.endswith(wanted)

        with self._lock:
            if _digest(digits) in self._registered_aadhaar:
                return True
        return self.context.faults.use("already_registered", matches) is not None

    @property
    def urns_issued(self) -> int:
        with self._lock:
            return self._urn_sequence

    def captchas_shown(self, mobile: str | None = None) -> list[tuple[str, str]]:
        """(mobile, captcha text) for each final-submission page showing a captcha.

        A training and test aid of the simulator (the demo's stand-in for a person
        reading the image); the real portal offers nothing like it.
        """
        shown = []
        for session in self.sessions.snapshot():
            app = session.get("udyam")
            text = getattr(app, "captcha_text", "")
            recipient = getattr(app, "final_recipient", "")
            if text and (mobile is None or recipient == mobile):
                shown.append((recipient, text))
        return shown

    # ------------------------------------------------------------- rendering

    def _render(self, session: Session, app: Application) -> str:
        form = _Form(app, self)
        body = form.page()
        app.viewstate = self._new_viewstate(session, app)
        app.inputs, app.allowed = form.inputs, form.allowed
        app.events, app.buttons = form.events, form.buttons
        hidden = (
            _hidden("__EVENTTARGET", "")
            + _hidden("__EVENTARGUMENT", "")
            + _hidden("__VIEWSTATE", app.viewstate)
            + _hidden("__VIEWSTATEGENERATOR", VIEWSTATE_GENERATOR)
            + _hidden(
                "__EVENTVALIDATION", self._event_validation(session, app.viewstate)
            )
        )
        return _page_shell(body, hidden, self._page_scripts(app), app.overlay)

    def _page_scripts(self, app: Application) -> str:
        scripts = [_BASE_SCRIPT]
        lossy = self.context.faults.get("lossy_typing")
        if lossy is not None:
            interval = float(lossy.get("min_interval_ms", 50))
            scripts.append(_LOSSY_SCRIPT.replace("MIN_INTERVAL", f"{interval:g}"))
        if app.alert:
            scripts.append(
                "window.addEventListener('load', function () { setTimeout(function () "
                f"{{ alert({json.dumps(app.alert)}); }}, 50); }});"
            )
        return "\n".join(scripts)


# ----------------------------------------------------------------- form checks

_PLANT_FIELDS = (
    "txtPFlat",
    "txtPBuilding",
    "txtPVillageTown",
    "txtPBlock",
    "txtPRoadStreetLane",
    "txtPCity",
    "txtPpin",
)


def _check_pan_data_answers(app: Application) -> dict[str, str]:
    errors: dict[str, str] = {}
    if app.value("rblITR") not in ("1", "2"):
        errors["rblITR"] = "Please select whether ITR was filed."
    if app.value("rblWhetherGstn") not in ("1", "2", "3"):
        errors["rblWhetherGstn"] = "Please select whether you have GSTIN."
    errors.update(_check_amounts(app, "txtDepCost", "txtExCost", "investment"))
    errors.update(
        _check_amounts(app, "txtTotalTurnoverA", "txtTotalTurnoverB", "turnover")
    )
    return errors


def _check_amounts(
    app: Application, total: str, part: str, what: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    amounts = {}
    for key in (total, part):
        amount = _parse_amount(app.value(key))
        if amount is None:
            errors[key] = "Please enter a valid amount in rupees (0 if none)."
        amounts[key] = amount
    if not errors and (amounts[part] or 0) > (amounts[total] or 0):
        errors[part] = f"This cannot be more than the total {what}."
    return errors


def _check_enterprise(app: Application) -> dict[str, str]:
    v = app.value
    errors: dict[str, str] = {}
    required_texts = {
        "txtenterprisename": "Please enter Name of Enterprise.",
        "txtOffFlatNo": "Please enter Flat/Door/Block No.",
        "txtOffCity": "Please enter City.",
        "txtBankName": "Please enter Bank Name.",
    }
    errors.update({key: msg for key, msg in required_texts.items() if not v(key)})
    patterns = [
        ("txtmobile", _MOBILE_RE, "Please enter a valid 10-digit mobile number."),
        ("txtemail", _EMAIL_RE, "Please enter a valid email address."),
        ("txtOffPin", _PIN_RE, "Please enter a valid 6-digit PIN code."),
        ("txtifsccode", _IFSC_RE, "Please enter a valid IFSC code."),
        ("txtaccountno", _ACCOUNT_RE, "Please enter a valid account number."),
    ]
    for key, pattern, message in patterns:
        value = v(key).upper() if key == "txtifsccode" else v(key)
        if not pattern.match(value):
            errors[key] = message
    radios = {
        "rdbcategory": ("1", "2", "3", "4"),
        "rbtGender": ("1", "2", "3"),
        "rbtPh": ("1", "0"),
        "rdbPreviousEM": ("0", "2", "4"),
        "rblcommenced": ("1", "0"),
        "rdbCatgg": ("1", "2"),
        **{key: ("1", "0") for key in _INTEREST_KEYS},
    }
    for key, allowed in radios.items():
        if v(key) not in allowed:
            errors[key] = "Please select one option."
    if v("rdbCatgg") == "2" and v("rdbSubCategg") not in ("1", "2"):
        errors["rdbSubCategg"] = "Please select Non-Trading or Trading."
    errors.update(_check_address_and_dates(app))
    errors.update(_check_employees(app))
    if not app.plants:
        errors["BtnPAdd"] = "Please add at least one plant or unit location."
    if not app.activities:
        errors["btnAddMore"] = "Please add at least one NIC activity."
    if v("ddlDIC") in ("", "0"):
        errors["ddlDIC"] = "Please select DIC."
    if v("chkDeclaration") != "on":
        errors["chkDeclaration"] = "Please accept the declaration."
    return errors


def _check_address_and_dates(app: Application) -> dict[str, str]:
    errors: dict[str, str] = {}
    state = india.state_by_value(app.value("ddlstate"))
    if state is None:
        errors["ddlstate"] = "Please select State."
    elif state.district(app.value("ddlDistrict")) is None:
        errors["ddlDistrict"] = "Please select District."
    incorporated = _parse_date(app.value("txtdateIncorporation"))
    if incorporated is None:
        errors["txtdateIncorporation"] = "Please enter the date as DD/MM/YYYY."
    if app.value("rblcommenced") == "1":
        commenced = _parse_date(app.value("txtcommencedate"))
        if commenced is None:
            errors["txtcommencedate"] = "Please enter the date as DD/MM/YYYY."
        elif incorporated is not None and commenced < incorporated:
            errors["txtcommencedate"] = "Commencement cannot be before incorporation."
    return errors


def _check_employees(app: Application) -> dict[str, str]:
    counts = []
    errors: dict[str, str] = {}
    for key in ("txtNoofpersonMale", "txtNoofpersonFemale", "txtNoofpersonOthers"):
        text = app.value(key) or "0"
        if not text.isdigit():
            errors[key] = "Please enter a number."
        else:
            counts.append(int(text))
    if not errors and app.value("txttotalemp") != str(sum(counts)):
        errors["txttotalemp"] = "Total must be the sum of male, female and others."
    return errors


def _parse_date(text: str) -> dt.date | None:
    try:
        parsed = dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", text) or parsed > dt.date.today():
        return None
    return parsed


def _parse_amount(text: str) -> float | None:
    try:
        amount = float(text.replace(",", ""))
    except ValueError:
        return None
    return amount if amount >= 0 else None


def _for_pan(pan: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for ``Faults.use``: the fault names this PAN, or no PAN at all."""

    def matches(params: dict[str, Any]) -> bool:
        wanted = str(params.get("pan", "")).upper()
        return ("aadhaar_last4" not in params) and (not wanted or wanted == pan)

    return matches


def _nic_code(code: str) -> india.NicCode | None:
    return next((c for c in india.nic_data()[2] if c.code == code), None)


def _digest(digits: str) -> str:
    return hashlib.sha256(digits.encode()).hexdigest()


# ------------------------------------------------------------------ the page HTML

_INTEREST_KEYS = ("rblGeM", "rblTReDS", "rblNCS", "rblnsic", "rblsid")
_INTEREST_LABELS = {
    "rblGeM": "Are you interested in getting registered on Government e-Market "
    "(GeM) Portal / क्या आप सरकारी ई-मार्केट (जीईएम) पोर्टल पर पंजीकरण में रुचि रखते "
    "हैं",
    "rblTReDS": "Are you interested in getting registered on TReDS Portals / "
    "क्या आप TReDS पोर्टल पर पंजीकरण में रुचि रखते हैं",
    "rblNCS": "Are you interested in getting registered on National Career Service "
    "(NCS) Portal / क्या आप राष्ट्रीय कैरियर सेवा (एनसीएस) पोर्टल पर पंजीकरण में रुचि "
    "रखते हैं",
    "rblnsic": "Are you interested in getting registered on NSIC B2B Portal",
    "rblsid": "Are you interested in getting registered on SIDBI Udyami Mitra Portal",
}


class _Form:
    """Builds the page for one application and records what a postback may carry."""

    def __init__(self, app: Application, portal: UdyamPortal) -> None:
        self.app = app
        self.portal = portal
        self.inputs: dict[str, str] = {}
        self.allowed: dict[str, set[str]] = {}
        self.events: set[str] = set()  # every control that may post back
        self.buttons: set[str] = set()  # those that post back by being submitted

    # --- controls

    def text(
        self,
        key: str,
        placeholder: str = "",
        *,
        maxlength: int = 100,
        disabled: bool = False,
        readonly: bool = False,
        extra: str = "",
    ) -> str:
        attrs = f' maxlength="{maxlength}" placeholder="{escape(placeholder)}"'
        if disabled:
            attrs += ' disabled="disabled" class="form-control aspNetDisabled"'
        else:
            attrs += ' class="form-control"'
            self.inputs[key] = "text"
        if readonly:
            attrs += ' readonly="readonly"'
        return (
            f'<input name="{NAME}{key}" type="text" id="{ID}{key}" '
            f'value="{escape(self.app.values.get(key, ""))}" autocomplete="Off"'
            f"{attrs} {extra}>{self.error(key)}"
        )

    def select(
        self,
        key: str,
        options: list[tuple[str, str]],
        *,
        postback: bool = False,
        disabled: bool = False,
        title: str = "",
    ) -> str:
        current = self.app.values.get(key, options[0][0] if options else "0")
        rendered = "".join(
            f"<option{_SELECTED if value == current else ''} "
            f'value="{escape(value)}">{escape(text)}</option>'
            for value, text in options
        )
        attrs = f' title="{escape(title)}"' if title else ""
        if disabled:
            attrs += ' disabled="disabled"'
        else:
            self.inputs[key] = "select"
            self.allowed[key] = {value for value, _ in options}
            if postback:
                self.events.add(key)
                attrs += f" onchange=\"__doPostBack('{NAME}{key}','')\""
        return (
            f'<select name="{NAME}{key}" id="{ID}{key}" class="form-control"{attrs}>'
            f"{rendered}</select>{self.error(key)}"
        )

    def radios(
        self,
        key: str,
        items: list[tuple[str, str]],
        *,
        postback: bool = False,
        disabled: bool = False,
        onclick: str = "",
    ) -> str:
        current = self.app.values.get(key, "")
        cells = []
        for index, (value, label) in enumerate(items):
            item_id = f"{ID}{key}_{index}"
            attrs = ' checked="checked"' if value == current else ""
            if disabled:
                attrs += ' disabled="disabled"'
            elif postback:
                attrs += (
                    ' onclick="setTimeout(function(){'
                    f"__doPostBack('{NAME}{key}${index}',"
                    "'')}, 0)\""
                )
            elif onclick:
                attrs += f' onclick="{escape(onclick)}"'
            cells.append(
                f'<td><input id="{item_id}" type="radio" name="{NAME}{key}" '
                f'value="{escape(value)}"{attrs}><label for="{item_id}">{escape(label)}'
                "</label></td>"
            )
        if not disabled:
            self.inputs[key] = "radio"
            self.allowed[key] = {value for value, _ in items}
            if postback:
                self.events.add(key)
        return (
            f'<table id="{ID}{key}" '
            f'class="radio-list"><tr>{"".join(cells)}</tr></table>'
            f"{self.error(key)}"
        )

    def checkbox(self, key: str, label: str, *, disabled: bool = False) -> str:
        checked = ' checked="checked"' if self.app.values.get(key) == "on" else ""
        if disabled:
            checked += ' disabled="disabled"'
        else:
            self.inputs[key] = "check"
        return (
            f'<div class="consent"><input id="{ID}{key}" type="checkbox" '
            f'name="{NAME}{key}"{checked}><label '
            f'for="{ID}{key}">{escape(label)}</label>'
            f"</div>{self.error(key)}"
        )

    def button(self, key: str, value: str, *, onclick: str = "") -> str:
        self.events.add(key)
        self.buttons.add(key)
        click = f' onclick="{escape(onclick)}"' if onclick else ""
        return (
            f'<input type="submit" name="{NAME}{key}" value="{escape(value)}" '
            f'id="{ID}{key}" class="btn btn-primary"{click}>{self.error(key)}'
        )

    def label(self, key: str) -> str:
        text, ok = self.app.messages.get(key) or self.app.sticky.get(key) or ("", True)
        css = "msg-ok" if ok else "msg-error"
        return f'<span id="{ID}{key}" class="{css}">{escape(text)}</span>'

    def error(self, key: str) -> str:
        message = self.app.errors.get(key)
        if not message:
            return ""
        return f'<span id="{ID}rfv_{key}" class="field-error">{escape(message)}</span>'

    # --- page sections

    def page(self) -> str:
        app = self.app
        parts = [self.aadhaar_section()]
        if app.stage >= Stage.PAN:
            parts.append(self.pan_section())
        if app.stage >= Stage.PAN_DATA:
            parts.append(self.pan_data_section())
        if app.stage >= Stage.ENTERPRISE:
            parts.append(self.main_sections())
        if app.stage >= Stage.FINAL:
            parts.append(self.final_section())
        if app.stage >= Stage.PAN:
            # One lblmsg per page: under step 1 at first, then at the foot of the form.
            parts.append(f'<div class="panel status">{self.label("lblmsg")}</div>')
        if app.stage is Stage.DONE:
            parts = [f'<div class="panel done">{self.label("lblmsg")}</div>']
        return "\n".join(parts)

    def aadhaar_section(self) -> str:
        app = self.app
        locked = app.stage >= Stage.PAN
        parts = [
            '<div class="panel"><h3>Aadhaar Verification With OTP</h3><div '
            'class="row">',
            _field(
                "1. Aadhaar Number/ आधार संख्या",
                self.text(
                    "txtadharno", "Your Aadhaar No", maxlength=12, disabled=locked
                ),
            ),
            _field(
                "2. Name of Entrepreneur / उद्यमी का नाम",
                self.text("txtownername", "Name as per Aadhaar", disabled=locked),
            ),
            "</div>",
            _INSTRUCTIONS,
            self.checkbox("chkDecarationA", _AADHAAR_CONSENT, disabled=locked),
        ]
        if not locked:
            parts.append(self.button("btnValidateAadhaar", "Validate & Generate OTP"))
        parts.append(self.label("lblOtpRes1"))
        if app.stage is Stage.OTP_SENT:
            parts.append(
                "<h4>Enter One Time Password(OTP) Code</h4>"
                + self.text("txtOtp1", "OTP code", maxlength=self.portal.otp_digits)
                + self.button("btnValidate", "Validate")
                + self.label("lblOtp1")
            )
        if not locked:
            parts.append(f"<p>{self.label('lblmsg')}</p>")
        parts.append("</div>")
        return "\n".join(parts)

    def pan_section(self) -> str:
        locked = self.app.stage >= Stage.PAN_VERIFIED
        parts = [
            '<div class="panel"><h2>PAN Verification</h2><div class="row">',
            _field(
                "3. Type of Organisation / संगठन के प्रकार",
                self.select("ddlTypeofOrg", ORG_TYPES, postback=True, disabled=locked),
            ),
            _field(
                "4.1 PAN/ पैन",
                self.text("txtPan", "Enter Pan Number", maxlength=10, disabled=locked),
            ),
            "</div><div class='row'>",
            _field(
                "4.1.1 Name of PAN Holder / पैन धारक का नाम",
                self.text("txtPanName", "Name as per PAN", disabled=locked),
            ),
            _field(
                "4.1.2 DOB or DOI as per PAN / पैन के अनुसार जन्म तिथि या निगमन तिथि",
                self.text("txtdob", "DD/MM/YYYY", maxlength=10, disabled=locked),
            ),
            "</div>",
            self.checkbox("chkDecarationP", _PAN_CONSENT, disabled=locked),
        ]
        if not locked:
            parts.append(self.button("btnValidatePan", "PAN Validate"))
        parts.append(f"<p>{self.label('lblPanError')}</p>")
        if self.app.stage is Stage.PAN_VERIFIED:
            parts.append(self.button("btnGetPanData", "Continue"))
        parts.append(f"<p>{self.label('lblmsgpan')}</p></div>")
        return "\n".join(parts)

    def pan_data_section(self) -> str:
        year = dt.date.today().year
        previous = f"{year - 2}-{str(year - 1)[2:]}"
        parts = [
            '<div class="panel"><div class="row">',
            _field(
                f"4.2 Have you filed the ITR for Previous Year(PY) ({previous}) ITR ? "
                "/ "
                "क्या आपने पिछले वर्ष का आईटीआर दाखिल किया है?",
                self.radios("rblITR", [("1", "Yes / हाँ"), ("2", "No / नहीं")]),
            ),
            _field(
                "<b>4.3 Do you have GSTIN ?</b> / क्या आपके पास जीएसटीआईएन है?",
                self.radios(
                    "rblWhetherGstn",
                    [
                        ("1", "Yes / हाँ"),
                        ("2", "No / नहीं"),
                        ("3", "Exempted / छूट प्राप्त"),
                    ],
                ),
            ),
            "</div></div>",
        ]
        if self.portal.layout == "new":
            parts.append(
                f'<div class="panel">{self.investment(5)}{self.turnover(6)}</div>'
            )
            if self.app.stage is Stage.PAN_DATA:
                parts.append(self.button("btnEnterprisedetail", "Continue..."))
        return "\n".join(parts)

    def main_sections(self) -> str:
        if self.portal.layout == "new":
            order = [
                "enterprise",
                "mobile",
                "email",
                "social",
                "gender",
                "ph",
                "official",
                "plants",
                "previous",
                "status",
                "bank",
                "activity",
                "nic",
                "employees",
                "interest",
                "dic",
            ]
            first = 8
        else:
            order = [
                "name",
                "mobile",
                "email",
                "social",
                "gender",
                "ph",
                "enterprise",
                "plants",
                "official",
                "previous",
                "status",
                "bank",
                "activity",
                "nic",
                "employees",
                "investment",
                "turnover",
                "interest",
                "dic",
            ]
            first = 5
        parts = ['<div class="panel main-form">']
        for offset, section in enumerate(order):
            parts.append(getattr(self, section)(first + offset))
        parts.append(self.checkbox("chkDeclaration", _DECLARATION))
        if self.app.stage is not Stage.DONE:
            parts.append(
                self.button(
                    "btnsubmit",
                    "Submit & Get Final OTP",
                    onclick=f"return confirm('{CONFIRM_TEXT}');",
                )
            )
        parts.append("</div>")
        return "\n".join(parts)

    def name(self, n: int) -> str:
        name = escape(self.app.value("txtPanName"))
        return _section(
            n,
            "Name as per PAN / पैन के अनुसार नाम",
            f'<span id="{ID}lblNamePan">{name}</span>',
        )

    def enterprise(self, n: int) -> str:
        return _section(
            n,
            "Name of Enterprise / उद्यम का नाम",
            self.text("txtenterprisename", "Name of Enterprise"),
        )

    def mobile(self, n: int) -> str:
        return _section(
            n,
            "Mobile No / मोबाइल नंबर",
            self.text("txtmobile", "Example:- 9999999999", maxlength=10),
        )

    def email(self, n: int) -> str:
        return _section(
            n, "Email / ईमेल", self.text("txtemail", "Example:- info@gmail.com")
        )

    def social(self, n: int) -> str:
        items = [
            ("1", "General / सामान्य"),
            ("2", "SC / अनुसूचित जाति"),
            ("3", "ST / अनुसूचित जनजाति"),
            ("4", "OBC / अन्य पिछड़ा वर्ग"),
        ]
        return _section(
            n, "Social Category / सामाजिक वर्ग", self.radios("rdbcategory", items)
        )

    def gender(self, n: int) -> str:
        items = [("1", "Male / पुरुष"), ("2", "Female / महिला"), ("3", "Others / अन्य")]
        return _section(n, "Gender / लिंग", self.radios("rbtGender", items))

    def ph(self, n: int) -> str:
        return _section(
            n,
            "Specially Abled(DIVYANG) / विशेष रूप से सक्षम (दिव्यांग)",
            self.radios("rbtPh", [("1", "Yes / हाँ"), ("0", "No / नहीं")]),
        )

    def plants(self, n: int) -> str:
        app = self.app
        unit_rows = "".join(
            f"<tr><td>{i}</td><td>{escape(u)}</td></tr>"
            for i, u in enumerate(app.units, 1)
        )
        units = [("0", "Select Unit")] + [
            (str(i), u) for i, u in enumerate(app.units, 1)
        ]
        plant_rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{escape(p[k])}</td>"
                for k in (
                    "unit",
                    "txtPFlat",
                    "txtPCity",
                    "txtPpin",
                    "state",
                    "district",
                )
            )
            + "</tr>"
            for p in app.plants
        )
        body = (
            _field("Unit Name", self.text("txtUnitName", "Unit Name"))
            + self.button("btnAddUnit", "Add Unit")
            + f'<table id="{ID}gvUnit" class="grid"><tr><th>S.No.</th><th>Unit Name'
            f"</th></tr>{unit_rows}</table>"
            + "<h4>Location of Plant / संयंत्र का स्थान</h4><div class='row'>"
            + _field("Unit Name", self.select("ddlUnitName", units, postback=True))
            + _field(
                "Flat/Door/Block No.", self.text("txtPFlat", "Flat/Door/Block No.")
            )
            + _field(
                "Name of Premises/ Building",
                self.text("txtPBuilding", "Name of Premises/ Building"),
            )
            + _field("Village/Town", self.text("txtPVillageTown", "Village/Town"))
            + _field("Block", self.text("txtPBlock", "Block"))
            + _field(
                "Road/ Street/ Lane",
                self.text("txtPRoadStreetLane", "Road/ Street/ Lane"),
            )
            + _field("City", self.text("txtPCity", "City"))
            + _field("Pin", self.text("txtPpin", "Pin", maxlength=6))
            + _field("State", self.state_select("ddlPState"))
            + _field("District", self.district_select("ddlPState", "ddlPDistrict"))
            + "</div>"
            + self.button("BtnPAdd", "Add Plant")
            + f'<table id="{ID}gvPlant" class="grid"><tr><th>Unit '
            "Name</th><th>Flat</th>"
            f"<th>City</th><th>Pin</th><th>State</th><th>District</th></tr>{plant_rows}"
            "</table>"
        )
        return _section(n, "Location of Plant(s)/Unit(s) / संयंत्र/इकाई का स्थान", body)

    def official(self, n: int) -> str:
        body = (
            "<h4>Official Address of Enterprise / उद्यम का आधिकारिक पता</h4><div "
            "class='row'>"
            + _field(
                "Flat/Door/Block No.",
                self.text("txtOffFlatNo", "Flat/ Door/ Block No."),
            )
            + _field(
                "Name of Premises/ Building",
                self.text("txtOffBuilding", "Name of Premises/ Building"),
            )
            + _field("Village/Town", self.text("txtOffVillageTown", "Village/Town"))
            + _field("Block", self.text("txtOffBlock", "Block"))
            + _field(
                "Road/ Street/ Lane",
                self.text("txtOffRoadStreetLane", "Road/ Street/ Lane"),
            )
            + _field("City", self.text("txtOffCity", "City"))
            + _field("Pin", self.text("txtOffPin", "Pin", maxlength=6))
            + _field("State", self.state_select("ddlstate"))
            + _field("District", self.district_select("ddlstate", "ddlDistrict"))
            + "</div>"
        )
        return _section(
            n, "Official address of Enterprise / उद्यम का आधिकारिक पता", body
        )

    def state_select(self, key: str) -> str:
        options = [("0", "Select State")] + [
            (s.value, s.option_text) for s in india.states()
        ]
        return self.select(key, options, postback=True, title="State_Namee")

    def district_select(self, state_key: str, key: str) -> str:
        state = india.state_by_value(self.app.value(state_key))
        options = [("0", "Select District")]
        if state is not None and key not in self.app.empty_children:
            options += [(d.value, d.option_text) for d in state.districts]
        return self.select(key, options, postback=True)

    def previous(self, n: int) -> str:
        items = [("0", "N/A"), ("2", "EM-II"), ("4", "Previous UAM")]
        return _section(
            n,
            "<b>Previous EM-II/UAM Registration Number</b> (If any)",
            self.radios("rdbPreviousEM", items),
        )

    def status(self, n: int) -> str:
        commenced = self.app.value("rblcommenced") == "1"
        toggle = (
            f"document.getElementById('{ID}divCommence').style.display = "
            "(this.value === '1') ? 'block' : 'none';"
        )
        body = (
            _field(
                "<b>Date of Incorporation</b> / Registration of Enterprise",
                self.text("txtdateIncorporation", "DD/MM/YYYY", maxlength=10),
            )
            + _field(
                "Whether Production/Business commenced",
                self.radios("rblcommenced", YES_NO, onclick=toggle),
            )
            + f'<div id="{ID}divCommence" '
            f'style="display:{"block" if commenced else "none"}">'
            + _field(
                "Date of Commencement of Production/Business",
                self.text("txtcommencedate", "DD/MM/YYYY", maxlength=10),
            )
            + "</div>"
        )
        return _section(n, "Status of Enterprise / उद्यम की स्थिति", body)

    def bank(self, n: int) -> str:
        body = (
            "<div class='row'>"
            + _field("<b>Bank Name</b>", self.text("txtBankName", "Enter Bank Name"))
            + _field(
                "IFS Code",
                self.text("txtifsccode", "Example:- SBIN0001624", maxlength=11),
            )
            + _field("Bank Account Number", self.text("txtaccountno", "", maxlength=18))
            + "</div>"
        )
        return _section(n, "Bank Details / बैंक विवरण", body)

    def activity(self, n: int) -> str:
        body = self.radios(
            "rdbCatgg",
            [("1", "Manufacturing / विनिर्माण"), ("2", "Services / सेवा")],
            postback=True,
        )
        if self.app.value("rdbCatgg") == "2":
            body += (
                f'<div id="{ID}divsubcatg"><b>{n}.1 Major Activity Under Services</b>'
                + self.radios(
                    "rdbSubCategg",
                    [("1", "Non-Trading / गैर-व्यापारिक"), ("2", "Trading / व्यापारिक")],
                    postback=True,
                )
                + "</div>"
            )
        return _section(n, "<b>Major Activity</b> of Unit / इकाई की प्रमुख गतिविधि", body)

    def nic(self, n: int) -> str:
        app = self.app
        category = NIC_CATEGORIES.get(app.value("rdbCatggMultiple"), "")
        nic2_names, nic4_names, codes = india.nic_data()
        codes = [c for c in codes if c.activity == category]
        nic2 = [("0", "Select NIC 2 Digit Code")]
        nic2 += [(d, f"{d}-{nic2_names[d]}") for d in sorted({c.nic2 for c in codes})]
        chosen2, chosen4 = app.value("ddl2NicCode"), app.value("ddl4NicCode")
        nic4 = [("0", "Select NIC 4 Digit Code")]
        if "ddl4NicCode" not in app.empty_children:
            nic4 += [
                (g, f"{g}-{nic4_names[g]}")
                for g in sorted({c.nic4 for c in codes if c.nic2 == chosen2})
            ]
        nic5 = [("0", "Select NIC 5 Digit Code")]
        if "ddl5NicCode" not in app.empty_children:
            nic5 += [
                (c.code, f"{c.code}-{c.description}")
                for c in codes
                if c.nic4 == chosen4
            ]
        rows = "".join(
            f"<tr><td>{i}</td><td>{escape(a['nic2'])}</td><td>{escape(a['nic4'])}</td>"
            f"<td>{escape(a['nic5'])}</td><td>{escape(a['category'])}</td></tr>"
            for i, a in enumerate(app.activities, 1)
        )
        body = (
            self.radios(
                "rdbCatggMultiple",
                [("1", "Manufacturing"), ("2", "Services"), ("3", "Trading")],
                postback=True,
            )
            + "<div class='row'>"
            + _field(
                "<b>NIC 2 Digit Code</b>",
                self.select("ddl2NicCode", nic2, postback=True),
            )
            + _field(
                "NIC 4 Digit Code", self.select("ddl4NicCode", nic4, postback=True)
            )
            + _field(
                "NIC 5 Digit Code", self.select("ddl5NicCode", nic5, postback=True)
            )
            + "</div>"
            + self.button("btnAddMore", "Add Activity")
            + f'<table id="{ID}gvNic" class="grid"><tr><th>S.No.</th><th>NIC 2 '
            "Digit</th>"
            "<th>NIC 4 Digit</th><th>NIC 5 "
            f"Digit</th><th>Activity</th></tr>{rows}</table>"
        )
        return _section(
            n,
            "National Industry Classification Code(NIC Code) / राष्ट्रीय "
            "औद्योगिक वर्गीकरण कोड",
            body,
        )

    def employees(self, n: int) -> str:
        js = (
            "udyamTotal(['txtNoofpersonMale','txtNoofpersonFemale',"
            "'txtNoofpersonOthers'],'txttotalemp', false)"
        )
        body = (
            "<div class='row'>"
            + _field(
                "Male",
                self.text("txtNoofpersonMale", "", maxlength=6, extra=f'onblur="{js}"'),
            )
            + _field(
                "Female",
                self.text(
                    "txtNoofpersonFemale", "", maxlength=6, extra=f'onblur="{js}"'
                ),
            )
            + _field(
                "Others",
                self.text(
                    "txtNoofpersonOthers", "", maxlength=6, extra=f'onblur="{js}"'
                ),
            )
            + _field("Total", self.text("txttotalemp", "", maxlength=7, readonly=True))
            + "</div>"
        )
        return _section(
            n, "<b>Number of persons employed</b> / नियोजित व्यक्तियों की संख्या", body
        )

    def investment(self, n: int) -> str:
        js = "udyamTotal(['txtDepCost','txtExCost'],'txtNetInvestment', true)"
        body = (
            "<div class='row'>"
            + _field(
                "<b>Written Down Value</b> (WDV) (A)",
                self.text("txtDepCost", "", maxlength=15, extra=f'onblur="{js}"'),
            )
            + _field(
                "Exclusion of cost of Pollution Control, Research & Development and "
                "Industrial Safety Devices (B)",
                self.text("txtExCost", "", maxlength=15, extra=f'onblur="{js}"'),
            )
            + _field(
                "Net Investment in Plant and Machinery OR Equipment [(A)-(B)]",
                self.text("txtNetInvestment", "", maxlength=15, readonly=True),
            )
            + "</div>"
        )
        return _section(
            n, "Investment in Plant and Machinery OR Equipment (in Rs.)", body
        )

    def turnover(self, n: int) -> str:
        js = (
            "udyamTotal(['txtTotalTurnoverA','txtTotalTurnoverB'],"
            "'txtNetTurnover', true)"
        )
        body = (
            "<div class='row'>"
            + _field(
                "<b>Total Turnover</b> (A)",
                self.text(
                    "txtTotalTurnoverA", "", maxlength=15, extra=f'onblur="{js}"'
                ),
            )
            + _field(
                "Export Turnover (B)",
                self.text(
                    "txtTotalTurnoverB", "", maxlength=15, extra=f'onblur="{js}"'
                ),
            )
            + _field(
                "Net Turnover [(A)-(B)]",
                self.text("txtNetTurnover", "", maxlength=15, readonly=True),
            )
            + "</div>"
        )
        return _section(n, "Turnover (in Rs.)", body)

    def interest(self, n: int) -> str:
        body = "".join(
            _field(
                escape(_INTEREST_LABELS[key]),
                self.radios(key, [("1", "Yes / हाँ"), ("0", "No / नहीं")]),
            )
            for key in _INTEREST_KEYS
        )
        return _section(
            n,
            "<b>Are you interested</b> in getting registered on the following portals",
            body,
        )

    def dic(self, n: int) -> str:
        state = india.state_by_value(self.app.value("ddlstate"))
        options = [("0", "Select DIC")]
        if state is not None:
            options += [(d.value, d.name.title()) for d in state.districts]
        return _section(
            n,
            "District Industries Centre / जिला उद्योग केंद्र",
            self.select("ddlDIC", options),
        )

    def final_section(self) -> str:
        app = self.app
        if app.stage is Stage.DONE:
            return ""
        src = f"{CAPTCHA_PATH}?id={quote(app.captcha_id, safe='')}"
        return (
            '<div class="panel final"><h3>Final Submission</h3>'
            + self.label("lblOtpMsg")
            + _field(
                "Enter OTP / ओटीपी दर्ज करें",
                self.text("txtOtp", "OTP", maxlength=self.portal.otp_digits),
            )
            + self.label("lblMssgg")
            + '<div class="captcha-row">'
            + f'<img id="{ID}imgCaptcha" src="{escape(src)}" alt="Captcha" '
            'style="height:50px;border:1px solid #99a">'
            + self.image_button("ImgRefresh")
            + "</div>"
            + _field(
                "Enter Verification Code / सत्यापन कोड दर्ज करें",
                self.text("txtCaptcha", "Enter Captcha", maxlength=12),
            )
            + self.label("lblCaptcha")
            + "<br>"
            + self.button("btn_finalsubmit", "Final Submit")
            + "</div>"
        )

    def image_button(self, key: str) -> str:
        self.events.add(key)
        self.buttons.add(key)
        return (
            f'<input type="image" name="{NAME}{key}" id="{ID}{key}" title="Refresh" '
            f'alt="Refresh" src="{_REFRESH_ICON}" '
            'style="height:28px;vertical-align:middle">'
        )


_SELECTED = ' selected="selected"'


def _field(label: str, control: str) -> str:
    return f'<div class="field"><label class="lbl">{label}</label>{control}</div>'


def _section(number: int, title: str, body: str) -> str:
    return f'<div class="section"><h5>{number}. {title}</h5>{body}</div>'


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" id="{name}" value="{escape(value)}">'


_AADHAAR_CONSENT = (
    "I, the holder of the above Aadhaar, hereby give my consent to Ministry of MSME, "
    "Government of India, for using my Aadhaar number as alloted by UIDAI for Udyam "
    "Registration. NIC / Ministry of MSME, Government of India, have informed me that "
    "my aadhaar data will not be stored/shared. / मैं, आधार धारक, इस प्रकार उद्यम "
    "पंजीकरण "
    "के लिए यूआईडीएआई के साथ आधार संख्या का उपयोग करने के लिए सूo लo मo उo मंत्रालय, "
    "भारत "
    "सरकार को अपनी सहमति देता हूं।"
)
_PAN_CONSENT = (
    "I, the holder of the above PAN, hereby give my consent to Ministry of MSME, "
    "Government of India, for using my data/ information available in the Income Tax "
    "Returns filed by me, and also the same available in the GST Returns and also from "
    "other Government organizations, for MSME classification and other official "
    "purposes, in pursuance of the MSMED Act, 2006."
)
_DECLARATION = (
    "I hereby declare that information given above are true to the best of my "
    "knowledge. / मैं घोषणा करता हूं कि ऊपर दी गई जानकारी मेरी जानकारी में सही है।"
)
_INSTRUCTIONS = (
    "<ul class='instructions'><li>Aadhaar number shall be required for Udyam "
    "Registration.</li><li>The Aadhaar number shall be of the proprietor in the case "
    "of a "
    "proprietorship firm, of the managing partner in the case of a partnership firm "
    "and "
    "of a karta in the case of a Hindu Undivided Family (HUF).</li><li>In case of a "
    "Company or a Limited Liability Partnership or a Cooperative Society or a Society "
    "or "
    "a Trust, the organisation or its authorised signatory shall provide its GSTIN(As "
    "per "
    "applicablity of CGST Act 2017 and as notified by the ministry of MSME vide S.O. "
    "1055(E) dated 05th March 2021) and PAN along with its Aadhaar number.</li></ul>"
)
_REFRESH_ICON = (
    "data:image/svg+xml;base64,"
    + base64.b64encode(
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        b'<path fill="#1f4e9c"'
        b' d="M17.6 6.4A8 8 0 1 0 20 12h-2a6 6 0 1 1-1.8-4.2L13 11h7V4z"/></svg>'
    ).decode()
)

_BASE_SCRIPT = f"""
function udyamShowLoader() {{
  document.getElementById('{LOADER_ID}').style.display = 'block';
}}
function __doPostBack(target, argument) {{
  var form = document.forms['aspnetForm'];
  form.__EVENTTARGET.value = target;
  form.__EVENTARGUMENT.value = argument;
  udyamShowLoader();
  form.submit();
}}
function udyamTotal(parts, total, subtract) {{
  var sum = 0, first = true;
  parts.forEach(function (name) {{
    var value = parseFloat(document.getElementById('{ID}' + name).value) || 0;
    sum = (subtract && !first) ? sum - value : sum + value;
    first = false;
  }});
  document.getElementById('{ID}' + total).value = String(sum);
}}
document.addEventListener('DOMContentLoaded', function () {{
  document.forms['aspnetForm'].addEventListener('submit', udyamShowLoader);
}});
"""

# Like the real key handlers that drop fast or programmatic input (PORTALS.md s.7).
_LOSSY_SCRIPT = """
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('input.form-control').forEach(function (field) {
    var last = -1e9;
    field.addEventListener('keydown', function (event) {
      if (event.key.length !== 1) { return; }
      var now = performance.now();
      if (now - last < MIN_INTERVAL) { event.preventDefault(); }
      last = now;
    });
  });
});
"""

_CSS = """
body { margin: 0; font-family: Arial, Helvetica, sans-serif; font-size: 14px;
  background: #f4f6fb; color: #222; }
.header { background: #fff; border-bottom: 4px solid #ff9933; padding: 10px 24px; }
.header h1 { margin: 0; font-size: 20px; color: #1f3c88; }
.header .sub { color: #444; font-size: 13px; }
.navbar { background: #1f3c88; color: #fff; padding: 8px 24px; font-weight: bold; }
.container { max-width: 1100px; margin: 16px auto; padding: 0 12px; }
.title { text-align: center; color: #1f3c88; font-size: 18px; margin: 8px 0 16px; }
.panel { background: #fff; border: 1px solid #d6dbe8; border-radius: 4px;
  padding: 14px 18px;
  margin-bottom: 14px; }
.panel h2, .panel h3 { margin-top: 0; color: #fff; background: #3c64b1;
  padding: 8px 12px;
  font-size: 16px; border-radius: 3px; }
.row { display: flex; flex-wrap: wrap; gap: 12px 24px; }
.field { flex: 1 1 300px; margin: 6px 0; }
.lbl { display: block; font-weight: bold; margin-bottom: 4px; }
.form-control { width: 100%; box-sizing: border-box; padding: 6px 8px;
  border: 1px solid #b8c0d4;
  border-radius: 3px; font-size: 14px; }
.aspNetDisabled, input[readonly] { background: #eceff5; }
.btn { background: #1f6fd0; color: #fff; border: 0; padding: 8px 16px;
  margin: 8px 8px 8px 0;
  border-radius: 3px; cursor: pointer; font-size: 14px; }
.radio-list td { padding: 2px 12px 2px 0; }
.consent { margin: 10px 0; font-size: 13px; color: #333; }
.msg-ok { color: #0a7a2f; font-weight: bold; }
.msg-error { color: #c0151b; font-weight: bold; }
.field-error { color: #c0151b; font-size: 12px; display: block; }
.section h5 { font-size: 15px; color: #1f3c88; border-bottom: 1px solid #d6dbe8;
  padding-bottom: 4px; margin: 18px 0 8px; }
.grid { border-collapse: collapse; margin: 6px 0; min-width: 50%; }
.grid th, .grid td { border: 1px solid #c5cbe0; padding: 4px 8px; }
.grid th { background: #e7ecf8; }
.instructions { font-size: 13px; color: #333; }
.done { font-size: 16px; }
.uwaw { position: fixed; right: 0; top: 120px; background: #fff; border: 1px solid #bbb;
  display: flex; flex-direction: column; z-index: 50; }
.uwaw button { font-size: 11px; padding: 4px 6px; border: 0;
  border-bottom: 1px solid #ddd;
  background: #f8f8f8; cursor: pointer; }
#ctl00_ContentPlaceHolder1_UpdateProgress4 { display: none; position: fixed; inset: 0;
  background: rgba(255, 255, 255, 0.6); z-index: 1000; }
.loader-box { position: absolute; top: 40%; left: 50%; transform: translate(-50%, -50%);
  background: #fff; border: 1px solid #99a; padding: 18px 28px; font-weight: bold;
  color: #1f3c88; }
.spinner { width: 28px; height: 28px; border: 4px solid #c5d0ee;
  border-top-color: #1f3c88;
  border-radius: 50%; margin: 0 auto 8px; animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
"""

_ACCESSIBILITY = """
<div class="uwaw" id="uwaw-toolbar" aria-label="Accessibility tools">
 <button type="button" class="uwaw-bigger" id="btn-s9">A+</button>
 <button type="button" class="uwaw-smaller" id="btn-s13">A-</button>
 <button type="button" class="uwaw-reset" id="btn-s12">A</button>
 <button type="button" class="uwaw-contrast" id="btn-s10">Contrast</button>
 <button type="button" class="uwaw-dyslexic" id="btn-df">Dyslexia</button>
 <button type="button" class="uwaw-spacing" id="btn-s11">Spacing</button>
 <button type="button" class="uwaw-dark" id="dark-btn">Dark</button>
 <label class="uwaw-label"><input type="checkbox" id="checkbox"> Hide</label>
</div>
"""


def _page_shell(body: str, hidden: str, scripts: str, overlay: bool) -> str:
    overlay_html = (
        '<div id="sim-click-overlay" style="position:fixed;inset:0;z-index:2000;'
        'background:rgba(0,0,0,0.02)" '
        'onclick="this.parentNode.removeChild(this)"></div>'
        if overlay
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{TITLE}</title>
<style>{_CSS}</style>
<script>{scripts}</script>
</head><body>
<div class="header"><h1>Udyam Registration</h1>
<div class="sub">Ministry of Micro, Small &amp; Medium Enterprises / सूक्ष्म, लघु एवं मध्यम
उद्यम मंत्रालय</div></div>
<div class="navbar">Home &nbsp; | &nbsp; NIC Code &nbsp; | &nbsp; Useful Documents</div>
{_ACCESSIBILITY}
<div class="container">
<div class="title">UDYAM REGISTRATION FORM - For New Enterprise who are not
Registered yet as MSME / उद्यम पंजीकरण फॉर्म - नए उद्यम के लिए जो पहले से
एमएसएमई के रूप में पंजीकृत नहीं है</div>
<form method="post" action="./UdyamRegistration.aspx" id="aspnetForm">
<div class="aspNetHidden">{hidden}</div>
{body}
</form>
</div>
<div id="{LOADER_ID}" role="status" aria-hidden="true"><div class="loader-box">
<div class="spinner"></div>Please wait...</div></div>
{overlay_html}
</body></html>"""


def _server_error_page(message: str) -> str:
    """ASP.NET's yellow "Server Error in '/' Application." page."""
    return (
        "<!DOCTYPE html><html><head><title>" + escape(message) + "</title><style>"
        "body{font-family:Verdana;background:#fff}h1{color:red;font-weight:normal}"
        "h2{font-style:italic;color:maroon;font-weight:normal}</style></head><body>"
        "<h1>Server Error in '/' Application.<hr width=100% size=1 color=silver></h1>"
        f"<h2><i>{escape(message)}</i></h2><b>Description:</b> An unhandled exception "
        "occurred during the execution of the current web request.<br><br>"
        f"<b>Exception Details:</b> System.Web.HttpException: {escape(message)}"
        "</body></html>"
    )
