"""The three simulated eMudhra hosts: partner portal, main KYC site and Aadhaar auth.

How they fit together (EMUDHRA.md has the full story and every choice we made):

1. ``emudhra-partner`` ``/ApplyDSC.jsp``: a partner logs in and creates an application
   for an applicant name and mobile number.
2. ``emudhra`` ``/Login.jsp``: the applicant logs in with that mobile and a segmented
   OTP;
   ``/PaperlessIndividual.jsp?X=<token>`` then walks the KYC stages.
3. ``emudhra-aadhaar`` ``/index.jsp?X=<token>``: the Aadhaar OTP hop, which sends the
   browser back to the main host with a fresh token.

The hosts share an :class:`EmudhraRegistry` hung on the :class:`SimContext`: the
applications, their current ``X`` tokens and the issued application numbers. Each host
keeps its own cookie sessions, as distinct origins do.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from desktop_app.simulators import emudhra_pages as pages
from desktop_app.simulators.base import (
    PortalApp,
    Request,
    Response,
    Session,
    SimContext,
    UploadedFile,
)
from desktop_app.simulators.emudhra_state import (
    OTP_MAX_ATTEMPTS,
    Application,
    EmudhraRegistry,
    OtpState,
    Stage,
    mask_mobile,
    mask_name,
    normalise_name,
    registry_for,
    verhoeff_ok,
)

__all__ = [
    "DEMO_PARTNER_PASSWORD",
    "DEMO_PARTNER_USER",
    "OTP_MAX_ATTEMPTS",
    "Application",
    "EmudhraAadhaarPortal",
    "EmudhraPartnerPortal",
    "EmudhraPortal",
    "EmudhraRegistry",
    "Stage",
    "mask_mobile",
    "registry_for",
    "verhoeff_ok",
]

log = logging.getLogger(__name__)

DEMO_PARTNER_USER = "demo-partner"
DEMO_PARTNER_PASSWORD = "demo-pass"

MOBILE_SENDER = "AD-eMuDSC-S"
AADHAAR_SENDER = "BV-ADHAAR-G"
EMAIL_SENDER = "noreply@emudhra.com"
EMAIL_OTP_SUBJECT = "Email Verification OTP - KYC Enrolment"

OTP_VALIDITY_SECONDS = 600  # 10 minutes for every OTP here (email: confirmed)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024

# Messages (our wording unless PORTALS.md marks them [C]).
MSG_BAD_PARTNER_LOGIN = "Invalid username or password."
MSG_MOBILE_TAKEN = "This mobile number is already registered with another applicant."
MSG_KYC_EXISTS = "KYC already exists for the provided PAN"
MSG_NAME_AS_IN_PAN = "Please enter the Name as in PAN."  # [C]
MSG_NAME_MISMATCH = (
    "The Name as in PAN does not match the Income Tax Department records. "
    "Please check the name and try again."
)
MSG_WRONG_OTP = "Invalid OTP. Please enter the correct OTP."
MSG_OTP_LOCKED = (
    "You have entered a wrong OTP 3 times. Please request a new OTP and try again."
)
MSG_OTP_EXPIRED = "The OTP has expired. Please request a new OTP."
MSG_NO_OTP = "Please request an OTP first."
MSG_SESSION_EXPIRED = "Your session has expired. Please login again."
MSG_LINK_INVALID = "This page link is no longer valid. Please login again."
MSG_NO_APPLICATION = (
    "No DSC application was found for this mobile number. "
    "Please ask your eMudhra partner to create one."
)

_MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
_PAN_RE = re.compile(r"^[A-Z]{3}P[A-Z]\d{4}[A-Z]$")  # individuals only: 4th letter P
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{4,24}$")
_PIN_RE = re.compile(r"^\d{6}$")


# ------------------------------------------------------------------ common behaviour


class _EmudhraApp(PortalApp):
    """What the three hosts share: page faults, OTP checks and the expiry page."""

    login_path = "/Login.jsp"

    def __init__(self, context: SimContext) -> None:
        super().__init__(context)
        self.registry = registry_for(context)

    def configure(self, **options: Any) -> None:
        """Change options at runtime; unknown names are an error."""
        for name, value in options.items():
            if name not in self._option_names():
                raise ValueError(f"{self.name} has no option {name!r}")
            setattr(self, name, value)

    def _option_names(self) -> tuple[str, ...]:
        return ()

    def session_expired(self, request: Request) -> Response:
        return self._render_notice("Session expired", MSG_SESSION_EXPIRED, status=440)

    def _render_notice(self, heading: str, text: str, status: int = 200) -> Response:
        link = self.context.url_for("emudhra", self.login_path)
        page = pages.notice_page(self._flags(), heading, text, link, "Login again")
        return Response.html(page, status)

    def _flags(self, message: str = "") -> pages.PageFlags:
        """Page faults for one rendered page; click_overlay is used up by it."""
        faults = self.context.faults
        overlay = faults.consume("click_overlay") is not None
        lossy = faults.get("lossy_typing")
        loader = faults.get("slow_loader")
        return pages.PageFlags(
            overlay=overlay,
            lossy_ms=int(lossy.get("min_interval_ms", 80)) if lossy is not None else 0,
            loader_ms=int(loader.get("ms", 1500)) if loader is not None else 0,
            message=message,
        )

    def _send_otp(
        self, *, kind: str, digits: int, channel: str, to: str, sender: str, text: str
    ) -> OtpState:
        code = self.context.otp(digits)
        self.context.outbox.send(
            channel=channel,
            to=to,
            sender=sender,
            portal=self.name,
            kind=kind,
            text=text.format(code=code),
            code=code,
        )
        return OtpState(code, kind, time.monotonic())

    def _check_otp(
        self, state: OtpState | None, typed: str, mobile: str
    ) -> tuple[str, bool]:
        """An error message ("" when right) and whether the OTP is now used up."""
        if state is None or state.attempts_left <= 0:
            return (MSG_NO_OTP if state is None else MSG_OTP_LOCKED), True
        if time.monotonic() - state.sent_at > OTP_VALIDITY_SECONDS:
            return MSG_OTP_EXPIRED, True
        forced_wrong = self._wrong_otp_fault(mobile, state.kind)
        if typed.strip() == state.code and not forced_wrong:
            return "", True
        state.attempts_left -= 1
        if state.attempts_left <= 0:
            return MSG_OTP_LOCKED, True
        return MSG_WRONG_OTP, False

    def _wrong_otp_fault(self, mobile: str, kind: str) -> bool:
        faults = self.context.faults
        params = faults.get("wrong_otp")
        if params is None:
            return False
        if params.get("mobile") and str(params["mobile"]) != mobile:
            return False
        if params.get("kind") and params["kind"] != kind:
            return False
        if params.get("times") is not None:
            remaining = int(params["times"]) - 1
            if remaining > 0:
                faults.set("wrong_otp", **{**params, "times": remaining})
            else:
                faults.clear("wrong_otp")
        return True

    def _kyc_exists(self, pan: str) -> bool:
        params = self.context.faults.get("already_registered")
        if params is not None and params.get("pan", pan) == pan:
            return True
        return self.registry.pan_has_kyc(pan)

    def _name_refused(self, typed: str) -> bool:
        params = self.context.faults.get("name_mismatch")
        if params is None:
            return False
        return normalise_name(typed) != normalise_name(str(params.get("accept", "")))


def _json(ok: bool, message: str, **extra: Any) -> Response:
    return Response.json({"ok": ok, "message": message, **extra})


# ---------------------------------------------------------------------- partner host


class EmudhraPartnerPortal(_EmudhraApp):
    """``/ApplyDSC.jsp``: partner login, then applicant name and mobile."""

    name = "emudhra-partner"
    cookie_name = "PARTNERSESSIONID"
    login_path = "/ApplyDSC.jsp"

    def __init__(self, context: SimContext, **options: Any) -> None:
        super().__init__(context)
        self.configure(**options)
        self.route("GET", "/", self._home)
        self.route("GET", "/ApplyDSC.jsp", self._apply)
        self.route("POST", "/ApplyDSC.jsp", self._apply)

    def _render_notice(self, heading: str, text: str, status: int = 200) -> Response:
        # The partner site has no notice page of its own: the login form shows the text.
        page = pages.partner_login(self._flags(text), {})
        return Response.html(page, status)

    def _home(self, request: Request, session: Session) -> Response:
        return Response.redirect("/ApplyDSC.jsp")

    def _apply(self, request: Request, session: Session) -> Response:
        action = request.form.get("action", "")
        if request.method == "POST" and action == "login":
            return self._login(request, session)
        partner = session.get("partner")
        if partner is None:
            return Response.html(pages.partner_login(self._flags(), {}))
        if request.method == "POST" and action == "proceed":
            return self._proceed(request, partner)
        return Response.html(pages.partner_apply(self._flags(), partner, {}))

    def _login(self, request: Request, session: Session) -> Response:
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        ok = (username, password) == (DEMO_PARTNER_USER, DEMO_PARTNER_PASSWORD)
        if not ok:
            flags = self._flags(MSG_BAD_PARTNER_LOGIN)
            return Response.html(pages.partner_login(flags, {"username": username}))
        session["partner"] = username
        return Response.redirect("/ApplyDSC.jsp")

    def _proceed(self, request: Request, partner: str) -> Response:
        values = {
            k: request.form.get(k, "").strip()
            for k in ("applicantName", "mobileNumber")
        }
        name, mobile = values["applicantName"], values["mobileNumber"]
        error = ""
        if len(name) < 2:
            error = "Please enter the applicant name."
        elif not _MOBILE_RE.match(mobile):
            error = "Please enter a valid 10-digit mobile number."
        elif (app := self.registry.open_application(partner, name, mobile)) is None:
            error = MSG_MOBILE_TAKEN
        if error:
            return Response.html(
                pages.partner_apply(self._flags(error), partner, values)
            )
        log.info("partner %s opened application %s", partner, app.id)
        login_url = self.context.url_for("emudhra", "/Login.jsp")
        page = pages.partner_initiated(
            self._flags(), name, mask_mobile(mobile), login_url
        )
        return Response.html(page)


# ------------------------------------------------------------------------- main host


PaperlessAction = Callable[[Request, Session, Application], Response]


class EmudhraPortal(_EmudhraApp):
    """The main site: Login.jsp, PaperlessIndividual.jsp and TrackOrderStatus.jsp.

    Options: ``otp_boxes`` (4 or 6; also the mobile OTP length) and ``resend_seconds``
    (the wait before Get OTP may be used again).
    """

    name = "emudhra"
    cookie_name = "JSESSIONID"

    def __init__(
        self, context: SimContext, otp_boxes: int = 4, resend_seconds: int = 60
    ) -> None:
        super().__init__(context)
        self.otp_boxes = 4
        self.resend_seconds = 60
        self.configure(otp_boxes=otp_boxes, resend_seconds=resend_seconds)
        self.route("GET", "/", lambda r, s: Response.redirect("/Login.jsp"))
        self.route("GET", "/Login.jsp", self._login_page)
        self.route("POST", "/Login.jsp", self._login_post)
        self.route("GET", "/PaperlessIndividual.jsp", self._paperless)
        self.route("POST", "/PaperlessIndividual.jsp", self._paperless)
        self.route("GET", "/TrackOrderStatus.jsp", self._track)
        self._actions: dict[tuple[str, str], PaperlessAction] = {
            (Stage.KYC_CHOICE, "kyc"): self._choose_kyc,
            (Stage.AADHAAR, "kyc"): self._choose_kyc,
            (Stage.DETAILS, "details"): self._submit_details,
            (Stage.CREDENTIALS, "sendEmailOtp"): self._send_credentials_otp,
            (Stage.CREDENTIALS, "credentials"): self._submit_credentials,
            (Stage.PAN_FORM, "panDetails"): self._submit_pan_details,
            (Stage.PAN_MOBILE, "sendPanMobileOtp"): self._send_pan_mobile_otp,
            (Stage.PAN_MOBILE, "verifyPanMobile"): self._verify_pan_mobile,
            (Stage.PAN_EMAIL, "sendPanEmailOtp"): self._send_pan_email_otp,
            (Stage.PAN_EMAIL, "verifyPanEmail"): self._verify_pan_email,
        }

    def _option_names(self) -> tuple[str, ...]:
        return ("otp_boxes", "resend_seconds")

    def configure(self, **options: Any) -> None:
        if "otp_boxes" in options and options["otp_boxes"] not in (4, 6):
            raise ValueError("otp_boxes must be 4 or 6")
        super().configure(**options)

    # ----------------------------------------------------------------- Login.jsp

    def _login_page(
        self, request: Request, session: Session, message: str = ""
    ) -> Response:
        session.setdefault("turnstile", secrets.token_urlsafe(18))
        otp: OtpState | None = session.get("mobile_otp")
        # The bot check is decided when the widget renders, like Turnstile's verdict.
        fails_once = self.context.faults.consume("get_otp_noop_once") is not None
        view = pages.LoginView(
            otp_boxes=self.otp_boxes,
            resend_seconds=self.resend_seconds,
            mobile=session.get("mobile", ""),
            otp_sent=otp is not None,
            resend_wait=self._resend_wait(otp),
            turnstile_token=session["turnstile"],
            turnstile_fails_once=fails_once,
        )
        return Response.html(pages.login_page(self._flags(message), view))

    def _resend_wait(self, otp: OtpState | None) -> int:
        if otp is None:
            return 0
        return max(0, int(otp.sent_at + self.resend_seconds - time.monotonic() + 0.999))

    def _login_post(self, request: Request, session: Session) -> Response:
        action = request.form.get("action", "")
        if action == "getMobileOTP":
            return self._get_mobile_otp(request, session)
        if action == "verifyMobileOTP":
            return self._verify_mobile_otp(request, session)
        return self._login_page(request, session)

    def _get_mobile_otp(self, request: Request, session: Session) -> Response:
        token = request.form.get("cf-turnstile-response", "")
        if not token or token != session.get("turnstile"):
            return _json(
                False, "Verification failed. Please refresh the page and try again."
            )
        mobile = request.form.get("authenticatemobile", "").strip()
        if not _MOBILE_RE.match(mobile):
            return _json(False, "Please enter a valid 10-digit mobile number.")
        if self.registry.for_mobile(mobile) is None:
            return _json(False, MSG_NO_APPLICATION)
        previous: OtpState | None = session.get("mobile_otp")
        same_mobile = session.get("mobile") == mobile
        if same_mobile and (wait := self._resend_wait(previous)) > 0:
            return _json(
                False, f"Please wait {wait} seconds before requesting a new OTP."
            )
        session["mobile"] = mobile
        session["mobile_otp"] = self._send_otp(
            kind="mobile_otp",
            digits=self.otp_boxes,
            channel="sms",
            to=mobile,
            sender=MOBILE_SENDER,
            text="{code} is your OTP to verify your mobile number for eMudhra DSC. "
            "Do not share it with anyone.",
        )
        message = f"OTP has been sent to your mobile number {mask_mobile(mobile)}."
        return _json(True, message, resend_seconds=self.resend_seconds)

    def _verify_mobile_otp(self, request: Request, session: Session) -> Response:
        mobile = session.get("mobile", "")
        typed = request.form.get("mobileOTP", "")
        if session.get("mobile_otp") is not None and len(typed) != self.otp_boxes:
            return self._login_page(request, session, "Please enter the complete OTP.")
        error, used_up = self._check_otp(session.get("mobile_otp"), typed, mobile)
        if used_up:
            session.pop("mobile_otp", None)
        if error:
            return self._login_page(request, session, error)
        app = self.registry.for_mobile(mobile)
        if app is None:  # the OTP was sent, so the application existed: defensive only
            return self._login_page(request, session, MSG_NO_APPLICATION)
        session["app_id"] = app.id
        next_stage = Stage.KYC_CHOICE if app.stage == Stage.LOGIN else app.stage
        token = self.registry.advance(app, next_stage)
        log.info("application %s: mobile verified", app.id)
        return Response.redirect(f"/PaperlessIndividual.jsp?X={quote(token)}")

    # ------------------------------------------------------- PaperlessIndividual.jsp

    def _paperless(self, request: Request, session: Session) -> Response:
        app = self.registry.by_token(request.value("X"))
        if app is None or session.get("app_id") != app.id:
            return self._render_notice("Link expired", MSG_LINK_INVALID, status=403)
        if request.method == "GET":
            return self._render_stage(app)
        action = request.form.get("action", "")
        handler = self._actions.get((app.stage, action))
        if handler is None and action.startswith("send"):
            return _json(False, "Please complete the previous step first.")
        if handler is None:
            return self._render_stage(app, "This step is already complete.")
        return handler(request, session, app)

    def _render_stage(
        self,
        app: Application,
        message: str = "",
        values: Mapping[str, str] | None = None,
    ) -> Response:
        flags, token, values = self._flags(message), app.token, values or {}
        if app.stage in (Stage.KYC_CHOICE, Stage.AADHAAR):
            page = pages.kyc_choice(flags, token, app.applicant_name)
        elif app.stage == Stage.DETAILS:
            page = pages.applicant_details(
                flags, token, app.applicant_name, app.aadhaar_masked, values
            )
        elif app.stage == Stage.CREDENTIALS:
            values = {"txtEmailID": app.email, **values}
            page = pages.credentials(flags, token, app.app_no, values)
        elif app.stage == Stage.PAN_FORM:
            page = pages.pan_form(flags, token, values)
        elif app.stage in (Stage.PAN_MOBILE, Stage.PAN_EMAIL):
            mobile_done = app.stage == Stage.PAN_EMAIL
            page = pages.pan_verify(
                flags, token, mask_mobile(app.mobile), app.email, mobile_done
            )
        else:
            # FIXME(simulators): VideoVerification.jsp, the next real step, is missing.
            track = f"/TrackOrderStatus.jsp?appNo={app.app_no}"
            page = pages.submitted(flags, app.app_no, track)
        return Response.html(page)

    def _choose_kyc(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        mode = request.form.get("kycMode", "")
        if mode == "otp":
            app.route = "aadhaar"
            token = self.registry.advance(app, Stage.AADHAAR)
            target = self.context.url_for(
                "emudhra-aadhaar", f"/index.jsp?X={quote(token)}"
            )
            return Response.redirect(target)
        if mode == "pan":
            app.route = "pan"
            token = self.registry.advance(app, Stage.PAN_FORM)
            return Response.redirect(f"/PaperlessIndividual.jsp?X={quote(token)}")
        if mode in ("bio", "offline"):
            # FIXME(simulators): biometric and offline-XML KYC are not simulated.
            message = (
                "This KYC mode is not available in the simulator. "
                "Please choose Aadhaar OTP based or PAN based KYC."
            )
            return self._render_stage(app, message)
        return self._render_stage(app, "Please select a KYC mode.")

    def _submit_details(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        values = dict(request.form)
        email = values.get("txtOnlineAadhaarEmail", "").strip()
        pan = values.get("txtOnlineAadhaarPanNumber", "").strip().upper()
        name_as_pan = values.get("txtOnlineAadhaarNameAsInPAN", "").strip()
        error = _first_error(
            (
                values.get("gender") in ("Male", "Female", "Others"),
                "Please select the gender.",
            ),
            (bool(_EMAIL_RE.match(email)), "Please enter a valid email ID."),
            (bool(_PAN_RE.match(pan)), "Please enter a valid individual PAN."),
            (bool(name_as_pan), MSG_NAME_AS_IN_PAN),
            (
                values.get("nameInDsc") in ("aadhaar", "pan"),
                "Please choose the name to appear on the DSC.",
            ),
            (
                _dob_ok(values),
                "Please select a valid date of birth (at least 18 years).",
            ),
        ) or self._pan_error(pan, name_as_pan)
        if error:
            return self._render_stage(app, error, values)
        app.email, app.pan, app.name_as_in_pan = email, pan, name_as_pan
        self.registry.issue_app_no(app)
        token = self.registry.advance(app, Stage.CREDENTIALS)
        log.info("application %s: applicant details accepted", app.id)
        return Response.redirect(f"/PaperlessIndividual.jsp?X={quote(token)}")

    def _pan_error(self, pan: str, name_as_pan: str) -> str:
        if self._kyc_exists(pan):
            return MSG_KYC_EXISTS
        if self._name_refused(name_as_pan):
            return MSG_NAME_MISMATCH
        return ""

    def _credentials_error(self, values: Mapping[str, str], email_field: str) -> str:
        username = values.get("txtLoginUsername", "").strip()
        pin, confirm = (
            values.get("txtLoginDesiredPswd", ""),
            values.get("txtLoginConfirmPswd", ""),
        )
        email = values.get(email_field, "").strip()
        return _first_error(
            (bool(_USERNAME_RE.match(username)),
             "The username must be 4 to 24 letters, digits or . _ @ -"),
            (bool(_PIN_RE.match(pin)), "The PIN must be exactly 6 digits."),
            (pin == confirm, "The PIN and Confirm PIN do not match."),
            (bool(_EMAIL_RE.match(email)), "Please enter a valid email ID."),
        )  # fmt: skip

    def _send_email_otp(self, app: Application, kind: str) -> None:
        app.otps[kind] = self._send_otp(
            kind="email_otp",
            digits=4,
            channel="email",
            to=app.email,
            sender=EMAIL_SENDER,
            text=f"Subject: {EMAIL_OTP_SUBJECT}\n\n{{code}} is your OTP to verify your "
            "email ID for eMudhra KYC enrolment. It is valid for 10 minutes.",
        )

    def _send_credentials_otp(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        error = self._credentials_error(request.form, "txtEmailID")
        if error:
            return _json(False, error)
        app.email = request.form["txtEmailID"].strip()
        self._send_email_otp(app, "credentials_email")
        return _json(True, f"OTP has been sent to your email ID {app.email}.")

    def _submit_credentials(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        values = dict(request.form)
        error = self._credentials_error(values, "txtEmailID")
        if not error and values["txtEmailID"].strip() != app.email:
            error = "The email ID has changed. Please request a new OTP."
        if not error:
            error = self._consume_otp(
                app, "credentials_email", values.get("LoginmobileOTP", "")
            )
        if error:
            return self._render_stage(app, error, _without_secrets(values))
        app.username = values["txtLoginUsername"].strip()
        return self._finish(app)

    def _consume_otp(self, app: Application, slot: str, typed: str) -> str:
        error, used_up = self._check_otp(app.otps.get(slot), typed, app.mobile)
        if used_up:
            app.otps.pop(slot, None)
        return error

    def _finish(self, app: Application) -> Response:
        self.registry.issue_app_no(app)
        self.registry.complete(app)
        token = self.registry.advance(app, Stage.DONE)
        log.info("application %s submitted as %s", app.id, app.app_no)
        return Response.redirect(f"/PaperlessIndividual.jsp?X={quote(token)}")

    # ------------------------------------------------------------------- PAN route

    def _submit_pan_details(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        values = dict(request.form)
        pan = values.get("txtPanNumber", "").strip().upper()
        name_as_pan = values.get("txtNameAsInPAN", "").strip()
        error = (
            self._credentials_error(values, "txtEmailID")
            or _first_error(
                (bool(_PAN_RE.match(pan)), "Please enter a valid individual PAN."),
                (bool(name_as_pan), MSG_NAME_AS_IN_PAN),
            )
            or _upload_error(request.files)
            or self._pan_error(pan, name_as_pan)
        )
        if error:
            return self._render_stage(app, error, _without_secrets(values))
        app.email, app.pan, app.name_as_in_pan = (
            values["txtEmailID"].strip(),
            pan,
            name_as_pan,
        )
        app.username = values["txtLoginUsername"].strip()
        app.documents = {
            name: upload.filename for name, upload in request.files.items()
        }
        token = self.registry.advance(app, Stage.PAN_MOBILE)
        return Response.redirect(f"/PaperlessIndividual.jsp?X={quote(token)}")

    def _send_pan_mobile_otp(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        app.otps["pan_mobile"] = self._send_otp(
            kind="mobile_otp",
            digits=4,
            channel="sms",
            to=app.mobile,
            sender=MOBILE_SENDER,
            text="{code} is your OTP to verify your mobile number for eMudhra KYC "
            "enrolment. Do not share it with anyone.",
        )
        return _json(
            True, f"OTP has been sent to your mobile number {mask_mobile(app.mobile)}."
        )

    def _verify_pan_mobile(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        error = self._consume_otp(
            app, "pan_mobile", request.form.get("txtPanMobileOTP", "")
        )
        if error:
            return self._render_stage(app, error)
        token = self.registry.advance(app, Stage.PAN_EMAIL)
        return Response.redirect(f"/PaperlessIndividual.jsp?X={quote(token)}")

    def _send_pan_email_otp(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        self._send_email_otp(app, "pan_email")
        return _json(True, f"OTP has been sent to your email ID {app.email}.")

    def _verify_pan_email(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        error = self._consume_otp(
            app, "pan_email", request.form.get("txtPanEmailOTP", "")
        )
        if error:
            return self._render_stage(app, error)
        return self._finish(app)

    # ------------------------------------------------------------ TrackOrderStatus

    def _track(self, request: Request, session: Session) -> Response:
        app = self.registry.by_app_no(request.value("appNo"))
        if app is None or app.stage != Stage.DONE:
            return self._render_notice(
                "Not found", "No submitted application has this number.", status=404
            )
        page = pages.track_order(
            self._flags(),
            app.app_no,
            mask_name(app.applicant_name),
            mask_mobile(app.mobile),
        )
        return Response.html(page)


def _first_error(*checks: tuple[bool, str]) -> str:
    return next((message for ok, message in checks if not ok), "")


def _without_secrets(values: Mapping[str, str]) -> dict[str, str]:
    """Form values to show again after an error: never the PINs or OTPs."""
    secret = ("txtLoginDesiredPswd", "txtLoginConfirmPswd", "LoginmobileOTP")
    return {k: v for k, v in values.items() if k not in secret}


def _dob_ok(values: Mapping[str, str]) -> bool:
    try:
        born = dt.date(
            int(values.get("useryearAadhaar", "")),
            int(values.get("usermonthAadhaar", "")),
            int(values.get("userdateAadhaar", "")),
        )
    except ValueError:
        return False
    today = dt.date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return 18 <= age <= 100


UPLOAD_FIELDS = {
    "filePanCopy": "PAN copy",
    "fileAddressProof": "address proof",
    "filePhoto": "photo",
}
_MAGIC = {b"%PDF": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def _upload_error(files: Mapping[str, UploadedFile]) -> str:
    """Each document must be a real PDF, JPG or PNG of at most 2 MB."""
    for field_id, label in UPLOAD_FIELDS.items():
        upload = files.get(field_id)
        if upload is None or not upload.data:
            return f"Please upload the {label}."
        extension = (
            upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        )
        kind = next(
            (k for magic, k in _MAGIC.items() if upload.data.startswith(magic)), ""
        )
        if extension not in ("pdf", "jpg", "jpeg", "png") or not kind:
            return f"The {label} must be a PDF, JPG or PNG file."
        if len(upload.data) > MAX_UPLOAD_BYTES:
            return f"The {label} is larger than 2 MB. Please upload a smaller file."
    return ""


# ---------------------------------------------------------------------- Aadhaar host


class EmudhraAadhaarPortal(_EmudhraApp):
    """``/index.jsp?X=<token>``: Aadhaar number, consent and the UIDAI OTP."""

    name = "emudhra-aadhaar"
    cookie_name = "AUTHSESSIONID"

    def __init__(self, context: SimContext, resend_seconds: int = 60) -> None:
        super().__init__(context)
        self.resend_seconds = resend_seconds
        self.route("GET", "/index.jsp", self._index)
        self.route("POST", "/index.jsp", self._index)

    def _option_names(self) -> tuple[str, ...]:
        return ("resend_seconds",)

    def _index(self, request: Request, session: Session) -> Response:
        app = self.registry.by_token(request.value("X"))
        if app is None or app.stage != Stage.AADHAAR:
            page = pages.aadhaar_notice(self._flags(), "Link expired", MSG_LINK_INVALID)
            return Response.html(page, 403)
        action = request.form.get("action", "") if request.method == "POST" else ""
        if action == "getOtp":
            return self._get_otp(request, session, app)
        if action == "authenticate":
            return self._authenticate(request, session, app)
        return self._render(app)

    def _render(self, app: Application, message: str = "") -> Response:
        page = pages.aadhaar_auth(
            self._flags(message), app.token, mask_mobile(app.mobile)
        )
        return Response.html(page)

    def _aadhaar_error(self, request: Request) -> str:
        digits = request.form.get("txtAadhaar", "").replace(" ", "")
        if not (len(digits) == 12 and digits.isdigit() and digits[0] not in "01"):
            return "Please enter a valid 12-digit Aadhaar number."
        if not verhoeff_ok(digits):
            return "The Aadhaar number is not valid. Please check and enter again."
        if not request.form.get("chkConsent4"):
            return "Please give your consent to authenticate with UIDAI."
        return ""

    def _get_otp(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        error = self._aadhaar_error(request)
        if error:
            return _json(False, error)
        previous = app.otps.get("aadhaar")
        if previous and time.monotonic() - previous.sent_at < self.resend_seconds:
            return _json(
                False, "An OTP was sent recently. Please wait before trying again."
            )
        app.otps["aadhaar"] = self._send_otp(
            kind="aadhaar_otp",
            digits=6,
            channel="sms",
            to=app.mobile,
            sender=AADHAAR_SENDER,
            text="{code} is the OTP for Aadhaar authentication with eMudhra. "
            "It is valid for 10 minutes. - UIDAI",
        )
        masked = mask_mobile(app.mobile)
        return _json(
            True, f"OTP has been sent to your Aadhaar-registered mobile {masked}."
        )

    def _authenticate(
        self, request: Request, session: Session, app: Application
    ) -> Response:
        error = self._aadhaar_error(request)
        if not error:
            typed = request.form.get("txtOnlineAadharAuthOTP", "")
            error, used_up = self._check_otp(app.otps.get("aadhaar"), typed, app.mobile)
            if used_up:
                app.otps.pop("aadhaar", None)
        if error:
            return self._render(app, error)
        digits = request.form["txtAadhaar"].replace(" ", "")
        app.aadhaar_masked = f"XXXX XXXX {digits[-4:]}"
        token = self.registry.advance(app, Stage.DETAILS)
        log.info("application %s: Aadhaar authenticated", app.id)
        back = self.context.url_for(
            "emudhra", f"/PaperlessIndividual.jsp?X={quote(token)}"
        )
        return Response.redirect(back)
