"""Udyam registration on ``UdyamRegistration.aspx``: from the Aadhaar OTP to the URN.

Every id, path and portal message comes from ``resources/portals/udyam.json``
(:mod:`~desktop_app.automation.portal_config`); the flow only knows the order of the
form and what each answer means. Every wait is an explicit one in
:class:`~desktop_app.automation.page.PageActions`, and every postback is followed by
a wait for the page to settle (old page gone, ``UpdateProgress4`` hidden) before the
next element is looked up afresh.

Restart points (why they are where they are)
--------------------------------------------
The portal is ASP.NET WebForms: after the Aadhaar OTP the application lives only in
the page on screen (its viewstate and the server session). A new GET of the page
starts a new application, which needs a new Aadhaar OTP. So:

* ``open`` and ``aadhaar`` restart from ``open``: the page is loaded again and the
  operator is asked for a new OTP (none was accepted yet).
* Each later section restarts **from itself, in the same browser**, when the form is
  still on screen (a wait ran out, an element went stale, a click was intercepted, a
  cascade never filled). The sections are written to be run twice: fields are typed
  again, and units, plants and NIC activities already in the page's tables are not
  added again. No new OTP is asked.
* When the form is gone (HTTP 500, a blank page, "session has expired", the browser
  died) the step raises ``TechnicalFailure(fresh_session=True)``: the engine starts
  over in a fresh browser, which means a new Aadhaar OTP. There is no way back into
  a lost WebForms application.
* Once the URN is read it is saved on the filing at once and kept in
  ``ctx.state``; every step then does nothing, so no retry can file twice. A failure
  to save the acknowledgement never fails the filing.
* If the app dies between Final Submit and reading the URN, a retry is refused as
  "already registered". When an earlier attempt had reached the final step, the
  filing fails (business) telling the operator that the URN went to the applicant's
  email and mobile, to be entered with Record result. Nothing is filed twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
    UnexpectedAlertPresentException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

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
    PageError,
    PageTimeoutError,
)
from desktop_app.automation.portal_config import PortalConfig, load_portal_configs
from desktop_app.core.models import (
    Address,
    Applicant,
    GstinAnswer,
    MajorActivity,
    OrgType,
    Service,
    ServiceKind,
    UdyamRequest,
    Unit,
)

log = logging.getLogger(__name__)

PORTAL = "udyam"
FINAL_STEP = "submit"  # the step that presses Final Submit (the URN is issued there)
_MOBILE_TAIL = re.compile(r"(\d{4})\s*$")
_OPTION_NUMBER = re.compile(r"^\s*\d+\.\s*")


class UdyamFlow(Flow):
    """Files one Udyam registration and saves the URN and an acknowledgement."""

    service = Service.UDYAM
    title = "Udyam registration"
    portals = (PORTAL,)

    def steps(self) -> list[Step]:
        sections = [  # (name, title, action): each restarts from itself
            ("pan", "Verify PAN", self.pan),
            ("pan_data", "ITR, GSTIN, investment, turnover", self.pan_data),
            ("enterprise", "Enterprise and contact details", self.enterprise),
            ("addresses", "Official address, units and plants", self.addresses),
            ("business", "Status, bank and major activity", self.business),
            ("nic", "NIC activity codes", self.nic_codes),
            ("details", "Employees, interests and DIC", self.details),
            (FINAL_STEP, "Final OTP, captcha and Udyam number", self.submit),
        ]
        return [
            Step("open", "Open the Udyam registration page", self.open_portal),
            Step("aadhaar", "Validate Aadhaar with OTP", self.aadhaar, "open"),
            *(
                Step(name, title, self._guarded(action), name)
                for name, title, action in sections
            ),
            Step(
                "acknowledgement",
                "Save the acknowledgement",
                self.acknowledgement,
                "acknowledgement",
            ),
        ]

    def _guarded(self, section: Callable[[FlowContext], None]) -> Callable[..., None]:
        """Run a form section; a wait that ran out because the form was replaced by
        an error, blank or expired page restarts fresh at once (no in-page retry)."""

        def run(ctx: FlowContext) -> None:
            try:
                section(ctx)
            except (
                PageError,
                NoSuchElementException,
                StaleElementReferenceException,
            ) as error:
                ui = UdyamPage(ctx)
                if ui.page.is_present(ui.loc("aadhaar")):
                    raise  # the form is still there: retry the section in place
                problem = ui.page_problem() or "without the form"
                raise TechnicalFailure(
                    f"The Udyam page came up {problem}; the application has to "
                    "start over.",
                    fresh_session=True,
                ) from error

        return run

    # ------------------------------------------------------------------ steps

    def open_portal(self, ctx: FlowContext) -> None:
        """Load the registration page; a blank or error page is loaded again."""
        if _done(ctx):
            return
        ctx.state.pop("name_as_in_pan", None)
        ui = UdyamPage(ctx)
        url = ctx.url(PORTAL, ui.config.paths[ui.config.options.first_page])
        attempts = int(ui.option("open_attempts", 3))
        for attempt in range(1, attempts + 1):
            ui.page.open(url)
            if ui.page.is_present(ui.loc("aadhaar")):
                return
            problem = ui.page_problem() or "without the registration form"
            ctx.report(
                f"The Udyam page came up {problem}; loading it again "
                f"({attempt} of {attempts}).",
                logging.WARNING,
            )
        raise TechnicalFailure("The Udyam registration page did not load.", True)

    def aadhaar(self, ctx: FlowContext) -> None:
        """Aadhaar, name and consent; then the Aadhaar OTP until the portal takes it."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        person = ctx.applicant.person
        ui.type("aadhaar", person.aadhaar.reveal())
        ui.type("owner_name", person.full_name)
        ui.page.set_checked(ui.loc("aadhaar_consent"), True)
        ui.click_postback("validate_aadhaar")
        ui.check_page()
        if not ui.page.is_visible(ui.loc("aadhaar_otp")):
            raise _aadhaar_refusal(ui, ui.label("message_label"))

        ui.prepare("aadhaar_otp")

        def submit(otp: str) -> Verdict:
            ui.type_prepared("aadhaar_otp", otp)
            ui.click_postback("validate_otp")
            ui.check_page()  # an error page is no verdict on the OTP
            if ui.page.is_present(ui.loc("pan_heading")):
                return Verdict.ok()
            refusal = ui.label("otp_error_label") or ui.label("message_label")
            ui.prepare("aadhaar_otp")
            return Verdict.rejected(refusal or "The OTP was not accepted.")

        def resend() -> None:
            ui.click_postback("validate_aadhaar")

        ctx.ask_until_accepted(
            PromptKind.AADHAAR_OTP,
            submit,
            portal=PORTAL,
            sent_to=_sent_to(ui.label("otp_sent_label")),
            resend=resend,
        )
        ctx.report("Aadhaar verified.")

    def pan(self, ctx: FlowContext) -> None:
        """Organisation type, PAN and "name as in PAN" (trying spellings); Continue."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("pan_heading")
        if not ui.page.is_visible(ui.loc("get_pan_data")):
            self._validate_pan(ctx, ui)
        ui.click_postback("get_pan_data")
        if not ui.page.is_present(ui.loc("gstin_no")):
            raise TechnicalFailure(
                "The portal did not show the ITR and GSTIN questions."
            )

    def _validate_pan(self, ctx: FlowContext, ui: UdyamPage) -> None:
        person, udyam = ctx.applicant.person, _udyam(ctx.applicant)
        org = udyam.org_type
        if ui.page.value(ui.loc("org_type")) != org.portal_value:
            ui.select_postback("org_type", org.portal_value)
        ui.type("pan", person.pan.upper())
        ui.type("pan_dob", ui.date(_pan_date(ctx.applicant)))
        ui.page.set_checked(ui.loc("pan_consent"), True)

        tried: list[str] = []
        limit = int(ui.option("name_variant_limit", 5))
        for variant in name_variants(person.pan_name, person.full_name)[:limit]:
            ctx.check_cancelled()
            tried.append(variant)
            ui.type("pan_name", variant)
            ui.click_postback("validate_pan")
            ui.check_page()
            answer = ui.label("pan_error_label")
            if ui.says(answer, "pan_verified"):
                _record_name(ctx, variant, person.pan_name)
                return
            if not ui.says(answer, "pan_name_mismatch"):
                raise _pan_refusal(ui, answer)
            ctx.report(f"The portal did not accept the name '{variant}' for the PAN.")
        raise BusinessFailure(
            "The portal did not accept the name for this PAN in any spelling tried ("
            + "; ".join(tried)
            + ").",
            next_step="Ask the applicant for the name exactly as printed on the PAN "
            "card, correct it and retry.",
        )

    def pan_data(self, ctx: FlowContext) -> None:
        """ITR and GSTIN questions; in the newer layout also investment and turnover."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("pan_heading")
        udyam = _udyam(ctx.applicant)  # answering again (a retry) changes nothing
        ui.choose("itr", "yes" if udyam.itr_filed else "no")
        # FIXME(udyam): with GSTIN "Yes" the real portal likely asks for the number;
        # its control id was not found (PORTALS.md s.3) and the simulator has none.
        ui.choose_plain(_GSTIN_SELECTORS[udyam.gstin_answer])
        ui.fill_money(udyam)
        if ui.page.is_visible(ui.loc("enterprise_continue")):
            ui.click_postback("enterprise_continue")
            ui.raise_form_errors()
        ui.find("enterprise_name")

    def enterprise(self, ctx: FlowContext) -> None:
        """Enterprise name, mobile, email, social category, gender, specially abled."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("enterprise_name")
        person, udyam = ctx.applicant.person, _udyam(ctx.applicant)
        ui.type("enterprise_name", udyam.enterprise_name)
        ui.type("mobile", person.mobile)
        ui.type("email", person.email)
        ui.choose("social_category", udyam.social_category.value)
        ui.choose("gender", person.gender.value)
        ui.choose("specially_abled", "yes" if udyam.specially_abled else "no")

    def addresses(self, ctx: FlowContext) -> None:
        """Official address (state -> district), then each unit and its plant."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("enterprise_name")
        udyam = _udyam(ctx.applicant)
        office = udyam.official_address
        ui.cascade("office_state", office.state, "office_district", office.district)
        ui.type_address("office", office)
        ctx.check_cancelled()

        units = _units(udyam)
        for unit in units:
            if not ui.table_has("unit_table", unit.name):
                ui.type("unit_name", unit.name)
                ui.click_postback("add_unit")
                ui.raise_form_errors()
        for unit in units:
            ctx.check_cancelled()
            if not ui.table_has("plant_table", unit.name):
                self._add_plant(ui, unit)

    def _add_plant(self, ui: UdyamPage, unit: Unit) -> None:
        ui.select_postback("unit_select", ui.option_value("unit_select", unit.name))
        address = unit.address
        ui.cascade("plant_state", address.state, "plant_district", address.district)
        ui.type_address("plant", address)
        ui.click_postback("add_plant")
        ui.raise_form_errors()

    def business(self, ctx: FlowContext) -> None:
        """Previous registration, dates, bank details, major activity."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("enterprise_name")
        udyam = _udyam(ctx.applicant)
        ui.choose("previous_registration", udyam.previous_registration.value)
        ui.type("incorporation_date", ui.date(udyam.date_of_incorporation))
        ui.choose("commenced", "yes" if udyam.business_commenced else "no")
        if udyam.business_commenced:
            started = udyam.date_of_commencement or udyam.date_of_incorporation
            ui.type("commenced_date", ui.date(started))
        ui.type("bank_name", udyam.bank_name)
        ui.type("ifsc", udyam.ifsc.upper())
        ui.type("account_number", udyam.account_number)
        ui.choose("major_activity", udyam.major_activity.value)
        if udyam.major_activity is MajorActivity.SERVICES:
            kind = udyam.service_kind or ServiceKind.NON_TRADING
            ui.choose("services_subcategory", kind.value)

    def nic_codes(self, ctx: FlowContext) -> None:
        """Each NIC code through the 2 -> 4 -> 5 digit cascade, then Add Activity."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("enterprise_name")
        for nic in _udyam(ctx.applicant).nic_codes:
            ctx.check_cancelled()
            if ui.table_has("nic_table", nic.code):
                continue
            ui.choose("nic_category", nic.activity.value)
            ui.page.select_cascade(
                ui.loc("nic2"),
                f"{nic.nic2}-",
                ui.loc("nic4"),
                f"{nic.nic4}-",
                by_text=True,
            )
            ui.settle()
            ui.page.select_cascade(
                ui.loc("nic4"),
                f"{nic.nic4}-",
                ui.loc("nic5"),
                f"{nic.code}-",
                by_text=True,
            )
            ui.settle()
            ui.click_postback("add_activity")
            ui.raise_form_errors()
            if not ui.table_has("nic_table", nic.code):
                raise TechnicalFailure(
                    f"NIC code {nic.code} did not appear in the list."
                )

    def details(self, ctx: FlowContext) -> None:
        """Employees, (older layout: investment, turnover), interests, DIC."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        ui.require_form("enterprise_name")
        udyam = _udyam(ctx.applicant)
        ui.fill_employees(udyam)
        ui.fill_money(udyam)
        for name, wanted in (
            ("interest_gem", udyam.interest_gem),
            ("interest_treds", udyam.interest_treds),
            ("interest_ncs", udyam.interest_ncs),
            ("interest_nsic", udyam.interest_nsic),
            ("interest_sid", udyam.interest_sid),
        ):
            if ui.page.is_present(ui.loc(name)):
                ui.choose(name, "yes" if wanted else "no")
        dic = udyam.dic or udyam.official_address.district
        ui.page.select(ui.loc("dic"), value=ui.option_value("dic", dic))

    def submit(self, ctx: FlowContext) -> None:
        """Submit, accept the confirm, then final OTP and captcha until the URN."""
        if _done(ctx):
            return
        ui = UdyamPage(ctx)
        urn = ui.urn_in(ui.label("message_label"))
        if urn:  # a retry after the number was issued but not yet read
            _record_urn(ctx, ui, urn)
            return
        ui.require_form("enterprise_name")
        if not ui.page.is_visible(ui.loc("final_otp")):
            ui.request_final_otp()
        outcome: dict[str, str] = {}

        def submit_captcha(text: str) -> Verdict:
            ui.type("captcha", text, exact=False)
            found = ui.final_submit()
            if found:
                outcome["urn"] = found
                return Verdict.ok()
            refusal = ui.label("captcha_error_label")
            if refusal:
                return Verdict.rejected(refusal)
            outcome["otp_error"] = ui.label("final_otp_error_label")
            return Verdict.ok()

        def submit_otp(otp: str) -> Verdict:
            outcome.clear()
            ui.type_prepared("final_otp", otp)
            ctx.ask_until_accepted(
                PromptKind.CAPTCHA,
                submit_captcha,
                portal=PORTAL,
                image_png=ui.captcha_png,
                resend=ui.refresh_captcha,
            )
            if "urn" in outcome:
                return Verdict.ok()
            refusal = outcome.get("otp_error") or ui.label("message_label")
            if not refusal:
                raise TechnicalFailure("The portal gave no answer to Final Submit.")
            ui.prepare("final_otp")
            return Verdict.rejected(refusal)

        ui.prepare("final_otp")
        ctx.ask_until_accepted(
            PromptKind.FINAL_OTP,
            submit_otp,
            portal=PORTAL,
            sent_to=_sent_to(ui.label("final_otp_sent_label")),
            resend=ui.request_final_otp,
        )
        _record_urn(ctx, ui, outcome["urn"])

    def acknowledgement(self, ctx: FlowContext) -> None:
        """Save the page with the number: PDF where the browser can, else PNG + HTML."""
        urn = ctx.state.get("urn", "")
        if not urn or ctx.state.get("acknowledged"):
            return
        ui = UdyamPage(ctx)
        folder = Path(ctx.store.data_dir.evidence) / str(ctx.filing_id)
        folder.mkdir(parents=True, exist_ok=True)
        saved = ui.save_acknowledgement(folder / f"acknowledgement-{urn}")
        for path in saved:
            ctx.store.add_evidence(ctx.filing_id, "acknowledgement", path)
        ctx.state["acknowledged"] = True
        if saved:
            ctx.report(f"Acknowledgement saved: {saved[0].name}")
        else:
            ctx.report(
                "The acknowledgement could not be saved; print it from the portal.",
                logging.WARNING,
            )


# ---------------------------------------------------------------------- the page


class UdyamPage:
    """The Udyam form as the flow sees it: named controls, postbacks, messages."""

    def __init__(self, ctx: FlowContext) -> None:
        self.ctx = ctx
        self.config = portal_config(ctx)
        self.page: PageActions = ctx.page
        self._use_loaders_on_page()
        self.driver = self.page.driver
        self._prepared: dict[str, Any] = {}

    def _use_loaders_on_page(self) -> None:
        # Waiting for a loader the page does not have still costs a round trip
        # after every postback; keep the configured loaders this page carries
        # (the portal renders them once, hidden), or all of them on a blank page.
        configured = self.config.loader_locators()
        present = [loader for loader in configured if self.page.is_present(loader)]
        self.page.loaders = present or configured

    # -- config

    def loc(self, name: str) -> Locator:
        return self.config.locator(name)

    def option(self, name: str, default: Any = None) -> Any:
        return getattr(self.config.options, name, default)

    def message(self, name: str) -> str:
        return self.config.message(name)

    def says(self, text: str, message: str) -> bool:
        return self.message(message).casefold() in text.casefold()

    def date(self, day: dt.date) -> str:
        return day.strftime(self.option("date_format", "%d/%m/%Y"))

    # -- reading

    def find(self, name: str) -> Any:
        return self.page.find(self.loc(name))

    def label(self, name: str) -> str:
        """The text of a message label, "" when it is absent or empty."""
        try:
            elements = self.driver.find_elements(*self.loc(name))
            return " ".join(e.text.strip() for e in elements if e.text.strip())
        except StaleElementReferenceException:
            return ""

    def table_has(self, name: str, text: str) -> bool:
        return text.casefold() in self.label(name).casefold()

    def page_problem(self) -> str:
        """What is wrong with the page on screen, "" when it looks like the portal."""
        title, body = self.driver.execute_script(
            "return [document.title, document.body ? document.body.innerText : ''];"
        )
        text = f"{title} {body}"
        if self.says(text, "session_expired"):
            return "with 'session expired'"
        if self.says(text, "server_error") or self.says(text, "http_500"):
            return "with a server error"
        if not str(body).strip():
            return "blank"
        return ""

    def require_form(self, marker: str) -> None:
        """The form is on screen (``marker`` present), else start over fresh."""
        if self.page.is_present(self.loc(marker)):
            return
        problem = self.page_problem() or "without the registration form"
        raise TechnicalFailure(
            f"The Udyam page came up {problem}; the application has to start over.",
            fresh_session=True,
        )

    def form_errors(self) -> list[str]:
        found = self.driver.find_elements(*self.loc("field_errors"))
        return [e.text.strip() for e in found if e.text.strip()]

    def raise_form_errors(self) -> None:
        errors = self.form_errors()
        if errors:
            raise BusinessFailure(
                "The portal refused the form: " + " ".join(dict.fromkeys(errors)),
                next_step="Correct the applicant's details and retry the filing.",
            )

    def urn_in(self, text: str) -> str:
        match = re.search(self.message("urn_pattern"), text)
        return match.group(0) if match else ""

    # -- acting

    def type(self, name: str, text: str, exact: bool = True) -> None:
        normalise = _same_text if exact else _upper_text
        self.page.type_text(self.loc(name), text, normalise=normalise)

    def prepare(self, name: str) -> None:
        """Find and empty a field before the operator is asked for its value.

        The answer is then typed the moment it arrives (one driver call) instead
        of after finding and clearing the field; nothing posts back in between.
        """
        element = self.find(name)
        element.clear()
        self._prepared[name] = element

    def type_prepared(self, name: str, text: str) -> None:
        """Type into a prepared field; re-find and re-type if that did not take."""
        element = self._prepared.pop(name, None)
        if element is not None:
            try:
                element.send_keys(text)
                if _same_text(element.get_attribute("value") or "") == _same_text(text):
                    return
            except StaleElementReferenceException:
                log.debug("The prepared field %s went stale; typing it again", name)
        self.type(name, text)

    def type_address(self, prefix: str, address: Address) -> None:
        for part, text in (
            ("flat", address.flat),
            ("building", address.building),
            ("village_town", address.village_town),
            ("block", address.block),
            ("road", address.road),
            ("city", address.city),
            ("pin", address.pin),
        ):
            self.type(f"{prefix}_{part}", text)

    def _html(self) -> Any:
        try:
            return self.driver.find_element(By.TAG_NAME, "html")
        except WebDriverException:
            return None

    def postback(self, action: Callable[[], object]) -> None:
        """Run ``action`` (which posts back) and wait for the page to settle.

        An error page in place of the form is noticed by the next wait, which
        :meth:`UdyamFlow._guarded` turns into a fresh start.
        """
        old = self._html()
        action()
        self.page.after_postback(old)

    def settle(self) -> None:
        """Wait for a postback already started (by a select inside a cascade)."""
        self.page.after_postback()

    def check_page(self) -> None:
        """After a postback: an error, blank or expired page means starting over."""
        if self.page.is_present(self.loc("aadhaar")):
            return
        raise TechnicalFailure(
            f"The Udyam page came up {self.page_problem() or 'without the form'} "
            "after a postback; the application has to start over.",
            fresh_session=True,
        )

    def click_postback(self, name: str) -> None:
        self.postback(lambda: self.page.click(self.loc(name)))

    def select_postback(self, name: str, value: str) -> None:
        if self.page.value(self.loc(name)) == value:
            return
        self.postback(lambda: self.page.select(self.loc(name), value=value))

    def choose(self, group: str, choice: str) -> None:
        """Pick a radio of a RadioButtonList by our value (``radio_items`` order)."""
        items: list[str] = self.option("radio_items", {})[group]
        by, table_id = self.loc(group)
        if by != By.ID:
            raise ValueError(f"radio group {group} must be located by id")
        locator = (By.ID, f"{table_id}_{items.index(choice)}")
        if self.page.find_present(locator).is_selected():
            return  # choosing it again would not post back
        # A plain click (PageActions waits out loaders, script-clicks past overlays);
        # set_checked's read-back would cost two more round trips per radio, and
        # the portal reports an unanswered question at Submit anyway.
        if group in self.option("postback_controls", []):
            self.postback(lambda: self.page.click(locator))
        else:
            self.page.click(locator)

    def choose_plain(self, name: str) -> None:
        self.page.set_checked(self.loc(name), True)

    def option_value(self, name: str, wanted: str) -> str:
        """The value of the option whose name is ``wanted`` ("25. THANJAVUR / ...")."""
        key = _option_key(wanted)
        for value, text in self.options(name):
            if _option_key(text) == key:
                return value
        raise BusinessFailure(
            f"The portal's list has no '{wanted}'.",
            next_step="Check the spelling in the applicant's file and retry.",
        )

    def cascade(
        self, parent: str, parent_name: str, child: str, child_name: str
    ) -> None:
        """State -> district (re-choosing the state if the district list came back
        empty), then the exact district."""
        parent_text = self._option_text(parent, parent_name)
        self.page.select_cascade(
            self.loc(parent),
            parent_text,
            self.loc(child),
            f". {child_name}",
            by_text=True,
        )
        self.settle()
        exact = self.option_value(child, child_name)
        self.select_postback(child, exact)

    def _option_text(self, name: str, wanted: str) -> str:
        key = _option_key(wanted)
        for _value, text in self.options(name):
            if _option_key(text) == key:
                return text
        raise BusinessFailure(
            f"The portal's list has no '{wanted}'.",
            next_step="Check the spelling in the applicant's file and retry.",
        )

    def options(self, name: str) -> list[tuple[str, str]]:
        """(value, text) of a list's options, read in one call (lists are long)."""
        element = self.find(name)
        pairs = self.driver.execute_script(
            "return Array.from(arguments[0].options, o => [o.value, o.text]);",
            element,
        )
        return [(str(value), str(text)) for value, text in pairs]

    def fill_money(self, udyam: UdyamRequest) -> None:
        """Investment and turnover, wherever this layout shows them."""
        for name, amount in (
            ("investment_wdv", udyam.investment_wdv),
            ("investment_exclusion", udyam.investment_exclusion),
            ("turnover_total", udyam.turnover_total),
            ("turnover_export", udyam.turnover_export),
        ):
            locator = self.loc(name)
            if self.page.is_visible(locator) and self.page.find(locator).is_enabled():
                self.type(name, _rupees(amount))

    def fill_employees(self, udyam: UdyamRequest) -> None:
        counts = (udyam.employees_male, udyam.employees_female, udyam.employees_others)
        for name, count in zip(
            ("employees_male", "employees_female", "employees_others"),
            counts,
            strict=True,
        ):
            self.type(name, str(count))
        # The total is worked out by the page when the last field loses focus.
        self.find("employees_others").send_keys(Keys.TAB)
        total = str(sum(counts))
        self.page.wait_for(
            lambda: self.page.value(self.loc("employees_total")) == total,
            self.page.timeouts.short,
            "the employee total",
        )

    # -- final submission

    def request_final_otp(self) -> None:
        """Tick the declaration, Submit, accept the confirm; the OTP panel appears."""
        if self.page.is_present(self.loc("declaration")):
            self.page.set_checked(self.loc("declaration"), True)
        old = self._html()
        self.page.click(self.loc("submit"))
        asked = self.page.accept_alert(self.page.timeouts.short)
        log.debug("Accepted the portal's confirm: %s", asked)
        self.page.after_postback(old)
        self.check_page()
        self.raise_form_errors()
        if not self.page.is_visible(self.loc("final_otp")):
            refusal = self.label("message_label")
            raise TechnicalFailure(
                "The final OTP field did not appear after Submit"
                + (f" ({refusal})" if refusal else "")
                + "."
            )

    def captcha_png(self) -> bytes | None:
        try:
            return bytes(self.find("captcha_image").screenshot_as_png)
        except (WebDriverException, PageTimeoutError):
            log.warning("Could not capture the captcha image")
            return None

    def refresh_captcha(self) -> None:
        self.click_postback("captcha_refresh")

    def final_submit(self) -> str:
        """Click Final Submit; the URN from the alert (or the page), else ""."""
        old = self._html()
        self.page.click(self.loc("final_submit"))
        seen_done_at: list[float] = []

        def settled() -> tuple[str, str] | None:
            try:
                return self._alert_or_page(old, seen_done_at)
            except UnexpectedAlertPresentException as shown:
                # The driver closed the alert itself; its text comes with the error.
                return ("alert", str(shown.alert_text or ""))

        kind, text = self.page.wait_for(
            settled, self.page.timeouts.postback, "the answer to Final Submit"
        )
        if kind == "alert":
            self.ctx.report(f"The portal said: {text}")
            urn = self.urn_in(text)
            self.page.after_postback()
            return urn or self.urn_in(self.label("message_label"))
        urn = self.urn_in(self.label("message_label"))
        if not urn:
            self.check_page()
        return urn

    def _alert_or_page(
        self, old: Any, seen_done_at: list[float]
    ) -> tuple[str, str] | None:
        try:
            alert = self.driver.switch_to.alert
            text = str(alert.text)
            alert.accept()
            return ("alert", text)
        except NoAlertPresentException:
            pass
        if old is not None and not _is_stale(old):
            return None
        if self.driver.execute_script("return document.readyState") != "complete":
            return None
        if self.page.is_present(self.loc("final_otp")) or not self.page.is_present(
            self.loc("message_label")
        ):
            return ("page", "")
        # The page with the number shows its alert just after loading.
        now = time.monotonic()
        seen_done_at.append(now)
        if now - seen_done_at[0] > self.page.timeouts.short:
            return ("page", "")
        return None

    def save_acknowledgement(self, base: Path) -> list[Path]:
        """PDF of the page, or (if printing fails) a screenshot and the HTML."""
        try:
            pdf = base.with_suffix(".pdf")
            pdf.write_bytes(base64.b64decode(self.driver.print_page()))
            return [pdf]
        except (WebDriverException, OSError, ValueError) as problem:
            log.warning(
                "Printing the acknowledgement failed: %s", type(problem).__name__
            )
        saved = []
        try:
            shot = base.with_suffix(".png")
            if self.driver.save_screenshot(str(shot)):
                saved.append(shot)
            html = base.with_suffix(".html")
            sensitive = self.config.sensitive_locators()
            html.write_text(self.page.page_html_without(sensitive), encoding="utf-8")
            saved.append(html)
        except (WebDriverException, OSError) as problem:
            log.warning("Saving the acknowledgement failed: %s", type(problem).__name__)
        return saved


# ------------------------------------------------------------------- helpers


_GSTIN_SELECTORS = {
    GstinAnswer.YES: "gstin_yes",
    GstinAnswer.NO: "gstin_no",
    GstinAnswer.EXEMPTED: "gstin_exempted",
}

# For these the PAN is the person's own, dated by birth; others are dated by the
# organisation's incorporation (PAN card "DOB or DOI").
_PERSONAL_PAN_ORGS = {OrgType.PROPRIETARY}


def portal_config(ctx: FlowContext) -> PortalConfig:
    config = ctx.portal_configs.get(PORTAL)
    if config is None:
        config = load_portal_configs()[PORTAL]
    return config


def _udyam(applicant: Applicant) -> UdyamRequest:
    if applicant.udyam is None:
        raise BusinessFailure(
            "The applicant's file has no Udyam details.",
            next_step="Fill the Udyam columns for this applicant and import again.",
        )
    return applicant.udyam


def _done(ctx: FlowContext) -> bool:
    """True once the URN is known: nothing may be filed again."""
    return bool(ctx.state.get("urn"))


def _pan_date(applicant: Applicant) -> dt.date:
    udyam = _udyam(applicant)
    if udyam.org_type in _PERSONAL_PAN_ORGS:
        return applicant.person.date_of_birth
    return udyam.date_of_incorporation


def _units(udyam: UdyamRequest) -> list[Unit]:
    """The units to register; without any, the enterprise itself at its office."""
    if udyam.units:
        return list(udyam.units)
    return [Unit(name=udyam.enterprise_name, address=udyam.official_address)]


def _record_name(ctx: FlowContext, variant: str, given: str) -> None:
    ctx.state["name_as_in_pan"] = variant
    ctx.details["name_as_in_pan"] = variant
    if variant != given:
        ctx.report(f"The portal accepted the name as in PAN spelled '{variant}'.")


def _record_urn(ctx: FlowContext, ui: UdyamPage, urn: str) -> None:
    ctx.state["urn"] = urn
    ctx.next_step = ui.message("next_step_done")
    # Committed before the acknowledgement is saved: a crash from here on keeps it.
    ctx.keep_issued_number(urn, label="Udyam Registration Number")


def _already_registered(ctx: FlowContext, what: str) -> BusinessFailure:
    """The portal says "already registered": a recovery when we may have caused it.

    If an earlier attempt of this filing reached the final submission, the portal
    most likely issued the URN to that attempt and the app died (or lost the page)
    before reading it. The number is not lost: the portal sends the registration to
    the email and mobile typed in the form, and the operator enters it with Record
    result (:meth:`~desktop_app.core.store.Store.record_recovered_result`).
    """
    if not _final_submission_reached(ctx):
        return BusinessFailure(
            f"This {what} already has a Udyam registration.",
            next_step="Look the registration up on the Udyam portal; do not file "
            "again.",
        )
    person = ctx.applicant.person
    contacts = f"{_masked_email(person.email)}, mobile ending {person.mobile[-4:]}"
    ctx.report(
        "The final submission of an earlier attempt may have registered this "
        f"applicant (the portal now says this {what} is registered).",
        logging.WARNING,
    )
    return BusinessFailure(
        "The portal already registered this applicant, most likely in the attempt "
        "that was interrupted. The Udyam Registration Number was sent to the "
        f"applicant's email and mobile ({contacts}); enter it with Record result.",
        next_step="Ask the applicant for the Udyam Registration Number in the "
        "portal's email or SMS, then use Queue > Record result (or "
        "'desktop-app record-result'). Do not file again.",
    )


def _final_submission_reached(ctx: FlowContext) -> bool:
    """Whether an earlier attempt of this filing started the final submission step.

    The step record is committed before the step runs, so it survives a kill at any
    moment after Final Submit was pressed.
    """
    # FIXME(udyam): the step starts before the final OTP is even asked for, so this
    # is also true for an attempt that never pressed Final Submit; then the message
    # says "most likely" about a registration made elsewhere. A marker written just
    # before the click would be exact.
    current = ctx.store.filing(ctx.filing_id).attempts
    return any(
        step.step_name == FINAL_STEP and step.attempt < current
        for step in ctx.store.steps(ctx.filing_id)
    )


def _masked_email(email: str) -> str:
    """``m***@example.in``: enough for the applicant to know which mailbox."""
    local, _, domain = email.partition("@")
    return f"email {local[:1]}***@{domain}" if domain else "email on file"


def _sent_to(label: str) -> str:
    match = _MOBILE_TAIL.search(label)
    return f"the mobile ending {match.group(1)}" if match else ""


def _aadhaar_refusal(ui: UdyamPage, message: str) -> Exception:
    if ui.says(message, "already_registered"):
        return _already_registered(ui.ctx, "Aadhaar")
    if message:
        return BusinessFailure(
            f"The portal refused the Aadhaar: {message}",
            next_step="Check the Aadhaar number and name with the applicant.",
        )
    return TechnicalFailure("The portal did not send the Aadhaar OTP.")


def _pan_refusal(ui: UdyamPage, message: str) -> Exception:
    if ui.says(message, "already_registered"):
        return _already_registered(ui.ctx, "PAN")
    if ui.says(message, "pan_daily_limit"):
        return BusinessFailure(
            "The portal allows only 5 PAN verifications a day and this PAN has "
            "used them.",
            next_step="Retry the filing tomorrow.",
        )
    if ui.says(message, "pan_invalid"):
        return BusinessFailure(
            "The portal says the PAN is not valid.",
            next_step="Check the PAN and the type of organisation with the applicant.",
        )
    if message:
        return BusinessFailure(
            f"The portal refused the PAN: {message}",
            next_step="Check the PAN details with the applicant.",
        )
    return TechnicalFailure("The portal gave no answer to PAN Validate.")


def _option_key(text: str) -> str:
    """ "25. THANJAVUR / तंजावुर" and "Thanjavur" -> "thanjavur"."""
    name = _OPTION_NUMBER.sub("", text).split(" / ")[0]
    return " ".join(name.casefold().split())


def _same_text(value: str) -> str:
    return "".join(value.split())


def _upper_text(value: str) -> str:
    return "".join(value.split()).upper()


# FIXME(udyam): the real portal may pre-fill (and disable) investment and turnover
# from ITR/GST data; fill_money skips disabled fields but never checks the figures.
def _rupees(amount: float) -> str:
    return str(int(amount)) if float(amount).is_integer() else f"{amount:.2f}"


def _is_stale(element: Any) -> bool:
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        # Chrome's answer for a node of the page being replaced (as in page.py).
        if "does not belong to the document" in str(error):
            return True
        raise
    return False
