"""Helpers for the Udyam flow tests: applicants, browsers, simulator answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    Browser,
    BrowserCheck,
    BrowserOptions,
)
from desktop_app.automation.evidence import EvidenceWriter
from desktop_app.automation.flow import (
    EngineSettings,
    FlowEngine,
    FlowListener,
    FlowOutcome,
)
from desktop_app.automation.operator import (
    CancelToken,
    PromptKind,
    PromptRequest,
    ScriptedOperator,
)
from desktop_app.automation.portal_config import load_portal_configs
from desktop_app.automation.runner import BrowserSession
from desktop_app.automation.timeouts import Timeouts
from desktop_app.automation.udyam_flow import UdyamFlow
from desktop_app.core.identifiers import aadhaar_check_digit
from desktop_app.core.models import (
    Address,
    Applicant,
    Consent,
    Gender,
    MajorActivity,
    NicActivity,
    NicCode,
    OrgType,
    Person,
    Service,
    ServiceKind,
    UdyamRequest,
    Unit,
)
from desktop_app.core.store import Store
from desktop_app.paths import DataDir

# Short enough that a broken wait fails a test quickly, long enough for 2 cores.
TEST_TIMEOUTS = Timeouts(instant=0.5, short=4.0, element=8.0, postback=15.0)
FAST_ENGINE = EngineSettings(
    retries=2, backoff=(0.05,), prompt_timeout=20.0, cancel_grace=0.5
)

# (activity, NIC code, major activity, services kind) per organisation type, so the
# runs between them cover manufacturing, services and trading.
_ACTIVITIES = [
    (NicActivity.MANUFACTURING, "10712", MajorActivity.MANUFACTURING, None),
    (NicActivity.SERVICES, "62011", MajorActivity.SERVICES, ServiceKind.NON_TRADING),
    (NicActivity.TRADING, "47211", MajorActivity.SERVICES, ServiceKind.TRADING),
]
_PLACES = [
    ("Tamil Nadu", "Thanjavur", "613001"),
    ("Maharashtra", "Mumbai", "400001"),
    ("Karnataka", "Bengaluru Urban", "560001"),
]


def aadhaar_number(n: int) -> str:
    """A Verhoeff-valid, fictional Aadhaar number; different for each ``n``."""
    first = f"{2 + n % 7}{n:010d}"
    return first + aadhaar_check_digit(first)


def pan_for(org: OrgType, n: int) -> str:
    """A PAN-shaped, fictional number whose 4th letter fits ``org``."""
    return f"AB{chr(65 + n % 26)}{org.pan_holder_types[0]}K{n % 10000:04d}Z"


def udyam_applicant(
    n: int,
    org: OrgType = OrgType.PROPRIETARY,
    *,
    full_name: str = "Meena Raghavan",
    pan_name: str = "",
    units: int = 1,
) -> Applicant:
    """A fictional applicant with every Udyam field the form asks for."""
    state, district, pin = _PLACES[n % len(_PLACES)]
    office = Address(
        flat=f"{n + 1}A",
        building="Lakshmi Complex",
        village_town="Anna Nagar",
        block="East",
        road="Gandhi Road",
        city=district,
        pin=pin,
        state=state,
        district=district,
    )
    plant_state, plant_district, plant_pin = _PLACES[(n + 1) % len(_PLACES)]
    plant = office.model_copy(
        update={
            "state": plant_state,
            "district": plant_district,
            "pin": plant_pin,
            "city": plant_district,
        }
    )
    activity, code, major, kind = _ACTIVITIES[n % len(_ACTIVITIES)]
    mobile = f"9{n:09d}"
    person = Person(
        full_name=full_name,
        pan_name=pan_name or full_name.upper(),
        date_of_birth=dt.date(1985, 4, 12),
        gender=Gender.FEMALE,
        pan=pan_for(org, n),
        aadhaar=aadhaar_number(n),
        mobile=mobile,
        email=f"applicant{n}@example.in",
        address=office,
    )
    udyam = UdyamRequest(
        org_type=org,
        enterprise_name=f"Meena Enterprises {n}",
        date_of_incorporation=dt.date(2019, 7, 1),
        official_address=office,
        units=[Unit(name=f"Unit {k + 1}", address=plant) for k in range(units)],
        bank_name="State Bank of India",
        ifsc="SBIN0040278",
        account_number=f"3001234{n:04d}",
        major_activity=major,
        service_kind=kind,
        nic_codes=[NicCode(code=code, activity=activity)],
        employees_male=3,
        employees_female=2,
        investment_wdv=500000,
        investment_exclusion=10000,
        turnover_total=2500000,
        turnover_export=0,
        itr_filed=True,
        interest_gem=True,
        dic=district,
    )
    return Applicant(
        ref=f"U-{n:04d}",
        person=person,
        services=frozenset({Service.UDYAM}),
        udyam=udyam,
        consent=Consent(
            given_at=dt.datetime(2025, 1, 6, 10, 30, tzinfo=dt.UTC),
            given_by="test",
            services=frozenset({Service.UDYAM}),
        ),
        source="test",
    )


def add_applicant(store: Store, sims: Any, applicant: Applicant) -> int:
    """Queue the applicant's Udyam filing; tell the simulated UIDAI their mobile."""
    result = store.add_applicants([applicant], "test")
    assert result.filing_ids, result.duplicates
    sims.context.link_mobile(applicant.person.aadhaar.reveal(), applicant.person.mobile)
    return result.filing_ids[0]


# ------------------------------------------------------------------- browsers


class Sessions:
    """Opens a headless Chromium per call (selenium engine, offline) and keeps them."""

    def __init__(self, check: BrowserCheck, data_dir: DataDir) -> None:
        self.check = check
        self.data_dir = data_dir
        self.opened: list[BrowserSession] = []

    def __call__(self) -> BrowserSession:
        options = BrowserOptions(
            engine="selenium",
            headless=True,
            host_resolver_rules=OFFLINE_HOST_RULES,
            page_load_timeout=20.0,
        )
        browser = Browser(self.check, options, self.data_dir).start()
        session = BrowserSession(browser, TEST_TIMEOUTS)
        self.opened.append(session)
        return session

    def all_quit(self, grace: float = 5.0) -> bool:
        """Every browser opened so far has ended (within ``grace`` seconds)."""
        deadline = time.monotonic() + grace
        while any(s.browser.alive_pids() for s in self.opened):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


# -------------------------------------------------------- answering as the applicant


def captcha_of(control_url: str, mobile: str) -> str | None:
    """The captcha the simulated Udyam page shows to ``mobile`` (control host)."""
    with urllib.request.urlopen(f"{control_url}/captcha.json?to={mobile}") as answer:
        shown = json.load(answer)
    return shown[-1]["captcha"] if shown else None


Answer = str | None


def simulator_answers(
    sims: Any,
    *,
    wrong: Iterable[PromptKind] = (),
    then: Callable[[PromptRequest], Answer] | None = None,
) -> Callable[[PromptRequest], Answer]:
    """Answers like an applicant reading the simulated phone; the first answer of
    each kind in ``wrong`` is a wrong code. ``then`` may override any answer."""
    spoil = set(wrong)

    def answer(request: PromptRequest) -> Answer:
        if then is not None and (override := then(request)) is not None:
            return override
        if request.kind is PromptKind.CAPTCHA:
            return captcha_of(sims.urls["control"], request.mobile)
        message = sims.outbox.latest(request.mobile, request.kind.value)
        if message is None:
            return None
        if request.kind in spoil:
            spoil.discard(request.kind)
            return "".join(str((int(d) + 5) % 10) for d in message.code)
        return message.code

    return answer


def run_filing(
    store: Store,
    sims: Any,
    sessions: Sessions,
    filing_id: int,
    operator: ScriptedOperator,
    *,
    settings: EngineSettings = FAST_ENGINE,
    listener: FlowListener | None = None,
    cancel: CancelToken | None = None,
) -> FlowOutcome:
    """Run the Udyam flow for one filing on this thread and return its outcome."""
    urls = {name: url for name, url in sims.urls.items() if name != "control"}
    engine = FlowEngine(
        store,
        operator,
        sessions,
        EvidenceWriter(store.data_dir.evidence),
        settings,
        listener,
        urls,
        load_portal_configs(),
    )
    ref = store.filing(filing_id).applicant_ref
    return engine.run(UdyamFlow(), filing_id, store.applicant(ref, reveal=True), cancel)


def with_settings(**changes: Any) -> EngineSettings:
    return dataclasses.replace(FAST_ENGINE, **changes)
