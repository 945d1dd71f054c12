"""eMudhra DSC: the partner's application, the applicant's KYC and credentials.

One filing walks three hosts (PORTALS.md section 8, EMUDHRA.md):

1. the partner portal creates the application for the applicant's name and mobile;
2. the main site logs the applicant in with a segmented mobile OTP and offers the
   KYC modes;
3. **Aadhaar route**: the Aadhaar host takes the Aadhaar number, consent and the
   UIDAI OTP; back on the main site come the applicant details (the "name as in PAN"
   is tried in several spellings), which issue the application number, then the
   login name, the 6-digit PIN and the email OTP.
   **PAN route**: one form with the login details, PAN, name as in PAN and three
   uploaded documents, then the mobile OTP and the email OTP.

The application number is saved on the filing the moment the portal shows it, so it
survives a crash of the app before the last step. The DSC is not issued by
us: the applicant still records the video and eMudhra approves it, which the filing's
next step says.

Every selector, page path, message fragment and count comes from the portal data
files (``resources/portals/emudhra*.json``); only the order of the work is code.

After a technical failure the engine starts again in a fresh browser. The portal then
resumes the application where it stood (the mobile login lands on the current stage),
so each step first looks at which stage the page shows and skips work already done.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from desktop_app.automation.flow import (
    BusinessFailure,
    Flow,
    FlowContext,
    Step,
    TechnicalFailure,
    Verdict,
)
from desktop_app.automation.names import name_variants
from desktop_app.automation.operator import PromptKind
from desktop_app.automation.page import (
    Locator,
    PageActions,
    PageTimeoutError,
    by_id,
)
from desktop_app.core.models import DscRequest, Gender, KycRoute, Service
from desktop_app.core.secrets import PartnerCredentials

log = logging.getLogger(__name__)

PARTNER = "emudhra-partner"
MAIN = "emudhra"
AADHAAR_HOST = "emudhra-aadhaar"

NEXT_STEP = (
    "Applicant to complete video verification on eMudhra; eMudhra then approves "
    "the DSC."
)

# Used when a data file leaves an option out; the files normally carry them.
_DEFAULT_OPTIONS: dict[str, Any] = {
    "otp_box_id_pattern": "otp{n}",
    "otp_boxes_max": 8,
    "get_otp_attempts": 3,
    "otp_sent_within_seconds": 3.0,
    "name_variants_max": 8,
}

_DOCUMENTS = (
    ("pan_copy", "PAN copy", "upload_pan_copy"),
    ("address_proof", "address proof", "upload_address_proof"),
    ("photo", "photo", "upload_photo"),
)

_GENDER_SELECTORS = {
    Gender.MALE: "gender_male",
    Gender.FEMALE: "gender_female",
    Gender.OTHERS: "gender_others",
}


class Stage(enum.Enum):
    """The application's stage, as the page in the browser shows it."""

    LOGIN = "mobile login"
    KYC_CHOICE = "choice of KYC mode"
    AADHAAR = "Aadhaar authentication"
    DETAILS = "applicant details"
    CREDENTIALS = "login credentials"
    PAN_FORM = "PAN details and documents"
    PAN_MOBILE = "mobile verification"
    PAN_EMAIL = "email verification"
    DONE = "application submitted"


_ROUTE_STAGES = {
    KycRoute.AADHAAR: (
        Stage.LOGIN,
        Stage.KYC_CHOICE,
        Stage.AADHAAR,
        Stage.DETAILS,
        Stage.CREDENTIALS,
        Stage.DONE,
    ),
    KycRoute.PAN: (
        Stage.LOGIN,
        Stage.KYC_CHOICE,
        Stage.PAN_FORM,
        Stage.PAN_MOBILE,
        Stage.PAN_EMAIL,
        Stage.DONE,
    ),
}

# How often one look at the stage loads an empty page again before it waits it out
# (the portals serve the real page on the second GET).
_BLANK_PAGE_RELOADS = 2

# How each stage's page is recognised: (portal, selector name), first match wins.
# The PAN mobile page also carries the (disabled) email form, so it comes first.
_STAGE_MARKERS = (
    (Stage.DONE, MAIN, "submitted_number"),
    (Stage.CREDENTIALS, MAIN, "submit_credentials"),
    (Stage.DETAILS, MAIN, "submit_applicant_details"),
    (Stage.PAN_MOBILE, MAIN, "pan_verify_mobile_otp"),
    (Stage.PAN_EMAIL, MAIN, "pan_verify_email_otp"),
    (Stage.PAN_FORM, MAIN, "submit_pan_details"),
    (Stage.KYC_CHOICE, MAIN, "kyc_aadhaar_otp"),
    (Stage.AADHAAR, AADHAAR_HOST, "authenticate"),
    (Stage.LOGIN, MAIN, "submit_mobile_otp"),
)


class DscFlow(Flow):
    """An eMudhra Class 3 DSC application, by Aadhaar eKYC or by PAN KYC.

    The route is the applicant's ``dsc.kyc_route``. The engine lists the steps
    before it knows the applicant, so both routes share the same seven steps (the
    operator sees a true "step k of 7"); the two route-specific steps branch inside:

    ============  ===================================  ===============================
    step          Aadhaar route                        PAN route
    ============  ===================================  ===============================
    ``kyc``       UIDAI OTP, then applicant details     login, PAN, name, documents
    ``verify``    login, PIN and the email OTP          mobile OTP, then email OTP
    ============  ===================================  ===============================
    """

    service = Service.DSC
    title = "eMudhra DSC"
    portals = (PARTNER, MAIN, AADHAAR_HOST)

    def steps(self) -> Sequence[Step]:
        return [
            Step("check", "Check the applicant's DSC details", self.check),
            Step("partner", "Open the application on the partner portal", self.partner),
            Step("mobile_login", "Verify the applicant's mobile", self.mobile_login),
            Step("kyc_route", "Choose the KYC route", self.choose_route),
            Step("kyc", "KYC: Aadhaar eKYC or PAN documents", self.kyc),
            Step("verify", "Contact OTPs, login and signing PIN", self.verify),
            Step("confirm", "Read the application number", self.confirm),
        ]

    def kyc(self, ctx: FlowContext) -> None:
        if _dsc(ctx).kyc_route is KycRoute.AADHAAR:
            self.aadhaar_ekyc(ctx)
            self.applicant_details(ctx)
        else:
            self.pan_documents(ctx)

    def verify(self, ctx: FlowContext) -> None:
        if _dsc(ctx).kyc_route is KycRoute.AADHAAR:
            self.credentials(ctx)
        else:
            self.pan_mobile_otp(ctx)
            self.pan_email_otp(ctx)

    # ------------------------------------------------------------------ pre-flight

    def check(self, ctx: FlowContext) -> None:
        """Everything the portal will need, before any page is opened."""
        dsc = _dsc(ctx)
        _partner(ctx)
        if len(dsc.pin) != 6 or not dsc.pin.isdigit():
            raise BusinessFailure(
                "The applicant's 6-digit DSC PIN is missing.",
                next_step="Add a DSC PIN to the applicant's row and import it again.",
            )
        if dsc.kyc_route is KycRoute.PAN:
            for label, path in _documents(dsc):
                problem = _document_problem(path)
                if problem:
                    raise BusinessFailure(
                        f"The {label} for the PAN KYC cannot be used: {problem}.",
                        next_step="Correct the document path in the applicant's "
                        "row and import it again.",
                    )

    # ------------------------------------------------------------- partner portal

    def partner(self, ctx: FlowContext) -> None:
        """Log in as the partner and open the application for name and mobile."""
        page, portal = ctx.page, _Portal(ctx, PARTNER)
        partner = _partner(ctx)
        page.open(portal.url("apply"))
        portal.take_message()  # e.g. "session expired" on the login form: log in
        if page.is_present(portal.loc("login")):
            page.type_text(portal.loc("username"), partner.username)
            page.type_text(portal.loc("password"), partner.password)
            message = portal.submit("login")
            if message:
                raise BusinessFailure(
                    f"The eMudhra partner portal refused the login: {message}",
                    next_step="Check the partner user name and password in Settings.",
                )
        person = ctx.applicant.person
        page.type_text(portal.loc("applicant_name"), person.full_name)
        page.type_text(portal.loc("mobile"), person.mobile)
        message = portal.submit("proceed")
        if message:
            raise BusinessFailure(
                f"The partner portal did not open the application: {message}"
            )
        page.wait_visible(portal.loc("applicant_login_link"))
        ctx.report(
            f"Application opened on the partner portal for the mobile ending "
            f"{person.mobile[-4:]}."
        )

    # ------------------------------------------------------------ main site login

    def mobile_login(self, ctx: FlowContext) -> None:
        """Applicant login: mobile, Get OTP (bot check aware), segmented OTP."""
        page, portal = ctx.page, _Portal(ctx, MAIN)
        mobile = ctx.applicant.person.mobile
        page.open(portal.url("login"))
        _raise_if_session_ended(ctx)
        page.type_text(portal.loc("login_mobile"), mobile)
        self._request_login_otp(ctx, portal)
        ctx.ask_until_accepted(
            PromptKind.MOBILE_OTP,
            lambda code: self._submit_login_otp(ctx, portal, code),
            portal=MAIN,
            sent_to=f"the mobile ending {mobile[-4:]}",
            resend=lambda: _resend(ctx, portal, "get_otp"),
        )

    def _request_login_otp(self, ctx: FlowContext, portal: _Portal) -> None:
        """Click Get OTP until the portal says it sent one, within limits.

        The Turnstile bot check can swallow a click without a word: no message and
        no resend timer within a short deadline means "nothing was sent", so the
        click is repeated.
        """
        tries = int(portal.option("get_otp_attempts"))
        for number in range(1, tries + 1):
            ctx.check_cancelled()
            ctx.page.click(portal.loc("get_otp"))
            answer = self._await_get_otp(ctx, portal)
            if answer is None:
                ctx.report(
                    f"Get OTP showed nothing (the portal's bot check may have held the "
                    f"click back); trying again ({number} of {tries}).",
                    logging.WARNING,
                )
                continue
            if answer and not portal.otp_was_sent(answer):
                if portal.matches(answer, "no_application"):
                    raise BusinessFailure(
                        f"eMudhra did not send the mobile OTP: {answer}",
                        next_step="Check the mobile number, then retry the filing.",
                    )
                # A refused bot check or "wait N seconds": a fresh session helps.
                raise TechnicalFailure(f"eMudhra did not send the mobile OTP: {answer}")
            return
        raise TechnicalFailure(f"Get OTP did nothing after {tries} clicks.")

    def _await_get_otp(self, ctx: FlowContext, portal: _Portal) -> str | None:
        """The portal's message after Get OTP; "" for a timer alone; None: nothing."""
        page: PageActions = ctx.page
        deadline = time.monotonic() + float(portal.option("otp_sent_within_seconds"))
        waiting_longer = False
        while True:
            message = portal.take_message()
            if message:
                return message
            if (
                page.is_visible(portal.loc("resend_timer"))
                and page.text(portal.loc("resend_timer")).strip()
            ):
                return ""
            if not waiting_longer and page.is_visible(portal.loc("get_otp_sending")):
                # The request is on its way (spinner): allow a server round trip.
                deadline = time.monotonic() + page.timeouts.postback
                waiting_longer = True
            if time.monotonic() >= deadline:
                return None
            if ctx.cancel.sleep(page.timeouts.poll):
                ctx.check_cancelled()

    def _submit_login_otp(
        self, ctx: FlowContext, portal: _Portal, code: str
    ) -> Verdict:
        boxes = _otp_boxes(ctx.page, portal)
        code = code.strip()
        if len(code) != len(boxes) or not code.isdigit():
            return Verdict.rejected(
                f"The mobile OTP has {len(boxes)} digits; {len(code)} were given."
            )
        ctx.page.fill_otp_boxes(boxes, code)
        message = portal.submit("submit_mobile_otp")
        if _stage(ctx) is not Stage.LOGIN:
            return Verdict.ok()
        return Verdict.rejected(message or "The portal did not accept the OTP.")

    # ------------------------------------------------------------------ KYC route

    def choose_route(self, ctx: FlowContext) -> None:
        route = _dsc(ctx).kyc_route
        if _position(ctx) > _index(route, Stage.KYC_CHOICE):
            ctx.report(f"The application already chose the {route.value} KYC route.")
            return
        _require(ctx, Stage.KYC_CHOICE)
        portal = _Portal(ctx, MAIN)
        radio = "kyc_aadhaar_otp" if route is KycRoute.AADHAAR else "kyc_pan"
        ctx.page.set_checked(portal.loc(radio))
        message = portal.submit("go_to_aadhaar_auth")
        if _stage(ctx) is Stage.KYC_CHOICE:
            raise BusinessFailure(f"eMudhra did not accept the KYC mode: {message}")

    # -------------------------------------------------------------- Aadhaar route

    def aadhaar_ekyc(self, ctx: FlowContext) -> None:
        """Aadhaar, consent and the UIDAI OTP; the portal returns to the main site."""
        if not _on_route(ctx, KycRoute.AADHAAR) or _done(ctx, Stage.AADHAAR):
            return
        portal = _Portal(ctx, AADHAAR_HOST)
        self._fill_aadhaar(ctx, portal)
        ctx.page.click(portal.loc("get_otp"))
        message = portal.await_message()
        if not portal.otp_was_sent(message):
            raise BusinessFailure(f"The Aadhaar OTP was not sent: {message}")
        mobile = ctx.applicant.person.mobile
        ctx.ask_until_accepted(
            PromptKind.AADHAAR_OTP,
            lambda code: self._submit_aadhaar_otp(ctx, portal, code),
            portal=AADHAAR_HOST,
            sent_to=f"the Aadhaar-linked mobile ending {mobile[-4:]}",
            resend=lambda: _resend(
                ctx, portal, "get_otp", before=lambda: self._fill_aadhaar(ctx, portal)
            ),
        )
        ctx.report(f"Aadhaar {ctx.applicant.masked_aadhaar} authenticated with UIDAI.")

    def _fill_aadhaar(self, ctx: FlowContext, portal: _Portal) -> None:
        # The page forgets both after a refused OTP, so they are filled every time.
        ctx.page.type_text(portal.loc("aadhaar"), ctx.applicant.person.aadhaar.reveal())
        ctx.page.set_checked(portal.loc("consent"))

    def _submit_aadhaar_otp(
        self, ctx: FlowContext, portal: _Portal, code: str
    ) -> Verdict:
        if _stage(ctx) is not Stage.AADHAAR:
            raise TechnicalFailure("The Aadhaar page went away before the OTP.")
        if not ctx.page.value(portal.loc("aadhaar")):
            self._fill_aadhaar(ctx, portal)
        ctx.page.type_text(portal.loc("aadhaar_otp"), code.strip())
        message = portal.submit("authenticate")
        if _stage(ctx) is not Stage.AADHAAR:
            return Verdict.ok()
        return Verdict.rejected(message or "UIDAI did not accept the OTP.")

    def applicant_details(self, ctx: FlowContext) -> None:
        """Gender, email, PAN, name as in PAN (spellings tried in turn), birth date."""
        if not _on_route(ctx, KycRoute.AADHAAR):
            return
        if _done(ctx, Stage.DETAILS):
            self._record_number_if_shown(ctx)
            return
        portal = _Portal(ctx, MAIN)
        self._try_pan_names(
            ctx,
            portal,
            lambda name: self._submit_details(ctx, portal, name),
            accepted_at=Stage.CREDENTIALS,
        )
        self._record_number_if_shown(ctx)

    def _submit_details(self, ctx: FlowContext, portal: _Portal, name: str) -> str:
        page, person = ctx.page, ctx.applicant.person
        page.set_checked(portal.loc(_GENDER_SELECTORS[person.gender]))
        page.type_text(portal.loc("applicant_email"), person.email)
        page.type_text(portal.loc("applicant_pan"), person.pan)
        page.set_checked(portal.loc("dsc_name_from_aadhaar"))
        page.type_text(portal.loc("name_as_in_pan"), name, normalise=_same_words)
        born = person.date_of_birth
        page.select(portal.loc("dob_day"), value=str(born.day))
        page.select(portal.loc("dob_month"), value=str(born.month))
        page.select(portal.loc("dob_year"), value=str(born.year))
        return portal.submit("submit_applicant_details")

    def credentials(self, ctx: FlowContext) -> None:
        """Login name, the signing PIN twice, and the email OTP."""
        if not _on_route(ctx, KycRoute.AADHAAR) or _done(ctx, Stage.CREDENTIALS):
            return
        portal = _Portal(ctx, MAIN)
        self._record_number_if_shown(ctx)
        self._fill_credentials(ctx, portal)
        ctx.page.click(portal.loc("get_email_otp"))
        message = portal.await_message()
        if not portal.otp_was_sent(message):
            raise BusinessFailure(f"eMudhra did not send the email OTP: {message}")
        ctx.ask_until_accepted(
            PromptKind.EMAIL_OTP,
            lambda code: self._submit_credentials(ctx, portal, code),
            portal=MAIN,
            sent_to=_mask_email(ctx.applicant.person.email),
            resend=lambda: _resend(
                ctx,
                portal,
                "get_email_otp",
                before=lambda: self._fill_credentials(ctx, portal),
            ),
        )

    def _fill_credentials(self, ctx: FlowContext, portal: _Portal) -> None:
        page, dsc = ctx.page, _dsc(ctx)
        page.type_text(portal.loc("login_username"), _username(ctx))
        page.type_text(portal.loc("pin"), dsc.pin)
        page.type_text(portal.loc("pin_confirm"), dsc.pin)
        page.type_text(portal.loc("email"), ctx.applicant.person.email)

    def _submit_credentials(
        self, ctx: FlowContext, portal: _Portal, code: str
    ) -> Verdict:
        # The portal never shows the PIN again after a refusal: type it each time.
        self._fill_credentials(ctx, portal)
        ctx.page.type_text(portal.loc("email_otp"), code.strip())
        message = portal.submit("submit_credentials")
        if _stage(ctx) is Stage.DONE:
            return Verdict.ok()
        return Verdict.rejected(message or "eMudhra did not accept the email OTP.")

    # ------------------------------------------------------------------ PAN route

    def pan_documents(self, ctx: FlowContext) -> None:
        """Login details, PAN, name as in PAN and the three documents, in one form."""
        if not _on_route(ctx, KycRoute.PAN) or _done(ctx, Stage.PAN_FORM):
            return
        portal = _Portal(ctx, MAIN)
        self._try_pan_names(
            ctx,
            portal,
            lambda name: self._submit_pan_form(ctx, portal, name),
            accepted_at=Stage.PAN_MOBILE,
        )
        ctx.report("PAN copy, address proof and photo uploaded.")

    def _submit_pan_form(self, ctx: FlowContext, portal: _Portal, name: str) -> str:
        page, dsc = ctx.page, _dsc(ctx)
        self._fill_credentials(ctx, portal)
        page.type_text(portal.loc("pan_number"), ctx.applicant.person.pan)
        page.type_text(portal.loc("pan_name_as_in_pan"), name, normalise=_same_words)
        for key, label, selector in _DOCUMENTS:
            path = getattr(dsc, key)
            if path is None:  # the first step checked them; a row changed since?
                raise BusinessFailure(f"The {label} is missing.")
            page.upload(portal.loc(selector), Path(path))
        return portal.submit("submit_pan_details")

    def pan_mobile_otp(self, ctx: FlowContext) -> None:
        if not _on_route(ctx, KycRoute.PAN) or _done(ctx, Stage.PAN_MOBILE):
            return
        portal = _Portal(ctx, MAIN)
        mobile = ctx.applicant.person.mobile
        self._send_and_verify(
            ctx,
            portal,
            PromptKind.MOBILE_OTP,
            ("pan_get_mobile_otp", "pan_mobile_otp", "pan_verify_mobile_otp"),
            sent_to=f"the mobile ending {mobile[-4:]}",
            still_at=Stage.PAN_MOBILE,
        )

    def pan_email_otp(self, ctx: FlowContext) -> None:
        if not _on_route(ctx, KycRoute.PAN) or _done(ctx, Stage.PAN_EMAIL):
            return
        portal = _Portal(ctx, MAIN)
        self._send_and_verify(
            ctx,
            portal,
            PromptKind.EMAIL_OTP,
            ("pan_get_email_otp", "pan_email_otp", "pan_verify_email_otp"),
            sent_to=_mask_email(ctx.applicant.person.email),
            still_at=Stage.PAN_EMAIL,
        )

    def _send_and_verify(
        self,
        ctx: FlowContext,
        portal: _Portal,
        kind: PromptKind,
        selectors: tuple[str, str, str],
        *,
        sent_to: str,
        still_at: Stage,
    ) -> None:
        """Get OTP, then ask and verify until the page moves past ``still_at``."""
        send, field, verify = selectors

        def submit(code: str) -> Verdict:
            ctx.page.type_text(portal.loc(field), code.strip())
            message = portal.submit(verify)
            if _stage(ctx) is not still_at:
                return Verdict.ok()
            return Verdict.rejected(
                message or f"eMudhra did not accept the {kind.label}."
            )

        ctx.page.click(portal.loc(send))
        message = portal.await_message()
        if not portal.otp_was_sent(message):
            raise BusinessFailure(f"eMudhra did not send the {kind.label}: {message}")
        ctx.ask_until_accepted(
            kind,
            submit,
            portal=MAIN,
            sent_to=sent_to,
            resend=lambda: _resend(ctx, portal, send),
        )

    # ------------------------------------------------------------------- the end

    def confirm(self, ctx: FlowContext) -> None:
        """Read the number from the confirmation page and set the next step."""
        _require(ctx, Stage.DONE)
        self._record_number_if_shown(ctx)
        if not ctx.result:
            raise TechnicalFailure("The confirmation page shows no application number.")
        ctx.next_step = NEXT_STEP
        ctx.details["application_number"] = ctx.result

    # ----------------------------------------------------------------- shared work

    def _try_pan_names(
        self,
        ctx: FlowContext,
        portal: _Portal,
        submit: Callable[[str], str],
        *,
        accepted_at: Stage,
    ) -> None:
        """Submit the form with each "name as in PAN" spelling until one is accepted.

        ``submit(name)`` fills and posts the form and returns the portal's message
        (its message box is already closed). Any refusal other than a name mismatch
        ends the filing.
        """
        spellings = _pan_name_spellings(ctx, int(portal.option("name_variants_max")))
        for number, name in enumerate(spellings, 1):
            ctx.check_cancelled()
            message = submit(name)
            if _stage(ctx) is accepted_at:
                ctx.state["pan_name"] = name
                ctx.report(f"eMudhra accepted the name as in PAN as '{name}'.")
                return
            if not portal.matches(message, "name_mismatch"):
                raise BusinessFailure(
                    f"eMudhra refused the applicant details: {message or 'no reason'}",
                    next_step=_next_step_for(portal, message),
                )
            ctx.report(
                f"eMudhra refused the name as in PAN '{name}' ({number} of "
                f"{len(spellings)}); trying another spelling."
            )
        raise BusinessFailure(
            f"eMudhra refused every spelling of the name as in PAN "
            f"({len(spellings)} tried).",
            next_step="Check the name printed on the PAN card with the applicant, "
            "correct 'Name as per PAN' and retry.",
        )

    def _record_number_if_shown(self, ctx: FlowContext) -> None:
        """Keep the application number the moment a page shows it.

        It is committed to the filing at once, so the number survives even if the app
        stops before the filing completes.
        """
        portal = _Portal(ctx, MAIN)
        if not ctx.page.is_present(portal.loc("application_number")):
            return
        number = ctx.page.value(portal.loc("application_number")).strip()
        if not number or ctx.state.get("application_number") == number:
            return
        ctx.state["application_number"] = number
        ctx.keep_issued_number(number, label="eMudhra application number")


# --------------------------------------------------------------------------- pages


class _Portal:
    """One portal's data file bound to the flow's page: locators, URLs, messages."""

    def __init__(self, ctx: FlowContext, name: str) -> None:
        self.ctx = ctx
        self.name = name
        self.config = ctx.portal_configs[name]

    def loc(self, selector: str) -> Locator:
        return self.config.locator(selector)

    def url(self, page_name: str) -> str:
        return self.ctx.url(self.name, self.config.paths[page_name])

    def option(self, name: str) -> Any:
        return getattr(self.config.options, name, None) or _DEFAULT_OPTIONS[name]

    def matches(self, text: str, message: str) -> bool:
        fragment = self.config.messages.get(message, "")
        return bool(fragment) and fragment.casefold() in text.casefold()

    def otp_was_sent(self, message: str) -> bool:
        # "Sent recently" still means a code that works is on its way.
        return self.matches(message, "otp_sent") or self.matches(
            message, "otp_recently_sent"
        )

    def take_message(self) -> str:
        """The open message box's text, after closing it; "" when none is open."""
        page: PageActions = self.ctx.page
        ok = self.loc("message_box_ok")
        if not page.is_visible(ok):
            return ""
        text = page.text(self.loc("message_box_text")).strip()
        page.click(ok)
        page.wait_gone(ok, page.timeouts.short)
        return text or " "

    def await_message(self) -> str:
        """Wait (a server round trip) for the message box after a button; close it."""
        # FIXME(emudhra): when the session expired, the page's fetch fails silently
        # and nothing shows: this only ends at the postback deadline (a retry then).
        page: PageActions = self.ctx.page
        page.wait_visible(self.loc("message_box_ok"), page.timeouts.postback)
        return self.take_message()

    def submit(self, button: str) -> str:
        """Click a button that posts the page; the portal's message, or ""."""
        self.ctx.check_cancelled()
        self.ctx.page.click_and_wait(self.loc(button), expect_reload=True)
        _raise_if_session_ended(self.ctx)
        message = self.take_message().strip()
        if self.matches(message, "session_expired"):
            raise TechnicalFailure(f"The eMudhra session ended: {message}")
        return message


def _resend(
    ctx: FlowContext,
    portal: _Portal,
    button: str,
    before: Callable[[], None] | None = None,
) -> None:
    """The operator asked for a new code: ask the portal and tell what it said.

    A refusal ("wait N seconds") is reported, not raised: the code sent before may
    still arrive or work, and the operator is asked again either way.
    """
    if before is not None:
        before()
    ctx.page.click(portal.loc(button))
    try:
        message = portal.await_message()
    except PageTimeoutError:
        message = ""
    if portal.matches(message, "otp_sent"):
        ctx.report("A new code was requested from the portal.")
    else:
        ctx.report(
            f"The portal did not send a new code: {message or 'no answer'}",
            logging.WARNING,
        )


def _raise_if_session_ended(ctx: FlowContext) -> None:
    """A session that expired (or a dead link) means logging in again: a retry."""
    portal = _Portal(ctx, MAIN)
    notice = portal.loc("notice_text")
    if not ctx.page.is_present(notice):
        return
    text = ctx.page.text(notice).strip()
    if portal.matches(text, "session_expired") or portal.matches(text, "link_invalid"):
        raise TechnicalFailure(f"The eMudhra session ended: {text}", fresh_session=True)


def _stage(ctx: FlowContext) -> Stage:
    """Which stage the page in the browser shows; waits for a known page.

    A page that came up empty (a host's first page of a session, reached by a
    redirect, so :meth:`PageActions.open` never saw it) is loaded again, at most
    ``_BLANK_PAGE_RELOADS`` times, within the same wait.
    """
    _raise_if_session_ended(ctx)
    page: PageActions = ctx.page
    shown = _stage_finder(ctx)
    reloads = 0

    def shown_after_any_reload() -> Stage | None:
        nonlocal reloads
        found = shown()
        if found is None and reloads < _BLANK_PAGE_RELOADS and page.reload_if_blank():
            reloads += 1
            _raise_if_session_ended(ctx)  # the reload may show "session expired"
            found = shown()
        return found

    found = shown_after_any_reload()
    if found is None:
        found = page.wait_for(
            shown_after_any_reload, page.timeouts.element, "an eMudhra page"
        )
    return found


def _stage_finder(ctx: FlowContext) -> Callable[[], Stage | None]:
    """A check of which stage's marker the page has now (None: no known page)."""
    page: PageActions = ctx.page
    markers = [
        (stage, ctx.portal_configs[portal].locator(name))
        for stage, portal, name in _STAGE_MARKERS
    ]
    ids = [value for by, value in (loc for _, loc in markers) if by == By.ID]
    by_ids = len(ids) == len(markers)

    def shown() -> Stage | None:
        if by_ids:
            # One round trip instead of one per marker: this runs after every post.
            index = page.driver.execute_script(_FIRST_PRESENT_ID, ids)
            return markers[index][0] if isinstance(index, int) and index >= 0 else None
        return next((s for s, loc in markers if page.is_present(loc)), None)

    return shown


_FIRST_PRESENT_ID = """
const ids = arguments[0];
for (let i = 0; i < ids.length; i++) {
  if (document.getElementById(ids[i])) { return i; }
}
return -1;
"""


def _position(ctx: FlowContext) -> int:
    """The page's stage as a position on the applicant's route."""
    route = _dsc(ctx).kyc_route
    stage = _stage(ctx)
    order = _ROUTE_STAGES[route]
    if stage not in order:
        raise BusinessFailure(
            f"This applicant's eMudhra application is at the {stage.value} stage of "
            f"the other KYC route, not the {route.value} route in the file.",
            next_step="Finish it on the eMudhra site, or change 'DSC KYC Route'.",
        )
    return order.index(stage)


def _index(route: KycRoute, stage: Stage) -> int:
    return _ROUTE_STAGES[route].index(stage)


def _done(ctx: FlowContext, stage: Stage) -> bool:
    """True when the application is past ``stage``; raises if it is not there yet."""
    position = _position(ctx)
    wanted = _index(_dsc(ctx).kyc_route, stage)
    if position > wanted:
        return True
    if position < wanted:
        raise TechnicalFailure(
            f"Expected the eMudhra {stage.value} page, but the page shows "
            f"{_ROUTE_STAGES[_dsc(ctx).kyc_route][position].value}."
        )
    return False


def _require(ctx: FlowContext, stage: Stage) -> None:
    shown = _stage(ctx)
    if shown is not stage:
        raise TechnicalFailure(
            f"Expected the eMudhra {stage.value} page, but it shows {shown.value}."
        )


def _on_route(ctx: FlowContext, route: KycRoute) -> bool:
    return _dsc(ctx).kyc_route is route


def _otp_boxes(page: PageActions, portal: _Portal) -> list[Locator]:
    """The segmented OTP boxes the page shows: ``otp1``, ``otp2``... as present."""
    pattern = str(portal.option("otp_box_id_pattern"))
    boxes = []
    for number in range(1, int(portal.option("otp_boxes_max")) + 1):
        locator = by_id(pattern.format(n=number))
        if not page.is_present(locator):
            break
        boxes.append(locator)
    if not boxes:
        raise TechnicalFailure("The login page shows no OTP boxes.")
    return boxes


# -------------------------------------------------------------------------- values


def _dsc(ctx: FlowContext) -> DscRequest:
    if ctx.applicant.dsc is None:
        raise BusinessFailure("This applicant's row asks for no DSC.")
    return ctx.applicant.dsc


def _partner(ctx: FlowContext) -> PartnerCredentials:
    if ctx.partner is None:
        raise BusinessFailure(
            "The eMudhra partner login is not set up. Enter the partner user name "
            "and password in Settings (the password is kept in the system keyring), "
            "or set EMUDHRA_PARTNER_USER and EMUDHRA_PARTNER_PASSWORD for unattended "
            "runs.",
            next_step="Set the partner login, then retry the filing.",
        )
    return ctx.partner


def _username(ctx: FlowContext) -> str:
    # Like E1, the PAN is the login name when the office chose none.
    return _dsc(ctx).username or ctx.applicant.person.pan


def _documents(dsc: DscRequest) -> list[tuple[str, Path | None]]:
    return [(label, getattr(dsc, key)) for key, label, _ in _DOCUMENTS]


def _document_problem(path: Path | None) -> str:
    """Why a document cannot be uploaded ("" when it can)."""
    if path is None:
        return "no file is named in the applicant's row"
    try:
        with Path(path).open("rb") as handle:
            if not handle.read(1):
                return f"the file {Path(path).name} is empty"
    except FileNotFoundError:
        return f"the file {path} does not exist"
    except OSError as error:
        return f"the file {path} cannot be read ({error.strerror})"
    return ""


def _pan_name_spellings(ctx: FlowContext, most: int) -> list[str]:
    person = ctx.applicant.person
    spellings = name_variants(person.pan_name, person.full_name)
    accepted = ctx.state.get("pan_name")
    if accepted:  # accepted before a retry: try it first
        spellings = [accepted, *(s for s in spellings if s != accepted)]
    return spellings[:most]


def _same_words(value: str) -> str:
    return " ".join(value.split()).casefold()


def _mask_email(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"the email {user[:1]}***@{domain}" if domain else "the applicant's email"


def _next_step_for(portal: _Portal, message: str) -> str:
    if portal.matches(message, "kyc_exists"):
        return "A KYC exists for this PAN: write to eMudhra support to release it."
    return "Check the applicant's details against the portal's message and retry."
