"""The eMudhra flow tests' rig: simulators, a store, real headless Chromium, an engine.

``DscRig`` files one applicant at a time with :class:`DscFlow` through the real
:class:`FlowEngine`, so every test goes through the same store writes, prompts and
retries as the app. Browsers are plain Selenium (no driver patching), headless, and
resolve nothing but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from desktop_app.automation.browser import (
    OFFLINE_HOST_RULES,
    BrowserCheck,
    BrowserOptions,
    check_browser,
    start_browser,
)
from desktop_app.automation.emudhra_flow import DscFlow
from desktop_app.automation.evidence import EvidenceWriter
from desktop_app.automation.flow import (
    EngineSettings,
    FlowEngine,
    FlowListener,
    FlowOutcome,
)
from desktop_app.automation.operator import (
    CancelToken,
    Operator,
    PromptKind,
    PromptRequest,
    SimulatorOperator,
)
from desktop_app.automation.portal_config import load_portal_configs
from desktop_app.automation.runner import BrowserSession
from desktop_app.automation.timeouts import DEFAULT_TIMEOUTS
from desktop_app.core.models import (
    Address,
    Applicant,
    Consent,
    DscRequest,
    Gender,
    KycRoute,
    Person,
    Service,
    UdyamRequest,
)
from desktop_app.core.secrets import PartnerCredentials
from desktop_app.core.store import Store
from desktop_app.paths import DataDir
from desktop_app.simulators.emudhra import (
    DEMO_PARTNER_PASSWORD,
    DEMO_PARTNER_USER,
    Application,
    registry_for,
)
from desktop_app.simulators.server import SimulatorSet, start_simulators

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DOCS = REPO / "resources" / "samples" / "docs"
DEMO_PARTNER = PartnerCredentials(DEMO_PARTNER_USER, DEMO_PARTNER_PASSWORD)

# Public test vectors (IDENTIFIERS.md): Verhoeff-valid Aadhaar, individual PANs.
AADHAARS = ("234123412346", "999941057058", "999971658847")
PANS = ("ACUPA7085R", "AAPPV8261K", "ABCPK1234Q", "AAAPZ9999Z")
MOBILES = ("9876543210", "9812345670", "9823456701", "9834567012")

# Half the app's waits: a broken test fails sooner, a working one is not slower.
TEST_TIMEOUTS = DEFAULT_TIMEOUTS.scaled(0.5)
ENGINE_SETTINGS = EngineSettings(
    retries=1, backoff=(0.3,), prompt_timeout=60.0, cancel_grace=1.0
)


def dsc_applicant(
    ref: str,
    number: int = 0,
    *,
    route: KycRoute = KycRoute.AADHAAR,
    name: str = "Meena Raghavan",
    pan_name: str | None = None,
    services: Sequence[Service] = (Service.DSC,),
    documents: dict[str, Path | None] | None = None,
) -> Applicant:
    """A consented applicant; ``number`` picks distinct Aadhaar, PAN and mobile."""
    wanted = frozenset(services)
    address = Address(city="Thanjavur", pin="613001", state="Tamil Nadu")
    if documents is None and route is KycRoute.PAN:
        documents = {
            "pan_copy": SAMPLE_DOCS / "arjun_pan.pdf",
            "address_proof": SAMPLE_DOCS / "arjun_address.pdf",
            "photo": SAMPLE_DOCS / "arjun_photo.jpg",
        }
    udyam = None
    if Service.UDYAM in wanted:
        udyam = UdyamRequest(
            enterprise_name=f"{name} Traders",
            date_of_incorporation=dt.date(2020, 7, 1),
            official_address=address,
            bank_name="State Bank of India",
            ifsc="SBIN0040278",
            account_number="30012345678",
        )
    return Applicant(
        ref=ref,
        person=Person(
            full_name=name,
            pan_name=pan_name if pan_name is not None else name.upper(),
            date_of_birth=dt.date(1985, 4, 12),
            gender=Gender.FEMALE,
            pan=PANS[number],
            aadhaar=AADHAARS[number % len(AADHAARS)],
            mobile=MOBILES[number],
            email=f"{ref.lower()}@example.in",
            address=address,
        ),
        services=wanted,
        dsc=DscRequest(
            kyc_route=route,
            username=f"user{ref.lower()}",
            pin="482915",
            **documents or {},
        ),
        udyam=udyam,
        consent=Consent(
            given_at=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
            given_by="test",
            services=wanted,
        ),
    )


class Recorder(FlowListener):
    """Keeps what the engine told: prompts, step outcomes and operator messages.

    ``on_prompt`` and ``on_step_finished`` let a test act at an exact moment
    (switch a simulator fault on, cancel the filing).
    """

    def __init__(
        self,
        on_prompt: Callable[[PromptRequest], None] | None = None,
        on_step_finished: Callable[[str, str], None] | None = None,
    ) -> None:
        self.prompts: list[tuple[PromptKind, int]] = []
        self.steps: list[tuple[str, str]] = []
        self.messages: list[str] = []
        self._on_prompt = on_prompt
        self._on_step_finished = on_step_finished

    def prompt(self, filing_id: int, request: PromptRequest) -> None:
        self.prompts.append((request.kind, request.attempt))
        if self._on_prompt is not None:
            self._on_prompt(request)

    def step_finished(
        self,
        filing_id: int,
        title: str,
        index: int,
        total: int,
        outcome: str,
        message: str,
        duration: float,
    ) -> None:
        self.steps.append((title, outcome))
        if self._on_step_finished is not None:
            self._on_step_finished(title, outcome)

    def log(self, filing_id: int, level: int, message: str) -> None:
        self.messages.append(message)

    def attempts(self, kind: PromptKind) -> list[int]:
        return [attempt for asked, attempt in self.prompts if asked is kind]


@functools.cache
def _browser_check() -> BrowserCheck:
    check = check_browser()
    check.raise_for_problem()
    return check


@dataclasses.dataclass
class DscRig:
    """Running simulators plus a store; :meth:`file` runs the DSC flow once."""

    sims: SimulatorSet
    store: Store
    data_dir: DataDir
    sessions_opened: int = 0

    def open_session(self) -> BrowserSession:
        options = BrowserOptions(
            engine="selenium",
            headless=True,
            host_resolver_rules=OFFLINE_HOST_RULES,
            window_size=(1200, 1000),
        )
        self.sessions_opened += 1
        browser = start_browser(_browser_check(), options, self.data_dir)
        return BrowserSession(browser, TEST_TIMEOUTS)

    def add(self, applicant: Applicant) -> dict[Service, int]:
        """Queue the applicant; returns its filing id per service."""
        result = self.store.add_applicants([applicant], "test")
        assert not result.duplicates, result.duplicates
        return self.filing_ids(applicant.ref)

    def filing_ids(self, ref: str) -> dict[Service, int]:
        return {
            row.service: row.id
            for row in self.store.filings()
            if row.applicant_ref == ref
        }

    def file(
        self,
        applicant: Applicant,
        *,
        operator: Operator | None = None,
        listener: FlowListener | None = None,
        cancel: CancelToken | None = None,
        open_session: Callable[[], Any] | None = None,
        partner: PartnerCredentials | None = DEMO_PARTNER,
    ) -> FlowOutcome:
        filing_id = self.filing_ids(applicant.ref).get(Service.DSC)
        if filing_id is None:
            filing_id = self.add(applicant)[Service.DSC]
        operator = operator or SimulatorOperator(self.sims.outbox)
        engine = FlowEngine(
            self.store,
            operator,
            open_session or self.open_session,
            EvidenceWriter(self.data_dir.evidence),
            ENGINE_SETTINGS,
            listener,
            {name: url for name, url in self.sims.urls.items() if name != "control"},
            load_portal_configs(),
            partner,
        )
        try:
            return engine.run(
                DscFlow(),
                filing_id,
                self.store.applicant(applicant.ref, reveal=True),
                cancel,
            )
        finally:
            operator.close()

    def application(self, number: str) -> Application:
        found = registry_for(self.sims.context).by_app_no(number)
        assert found is not None, f"the simulator issued no application {number}"
        return found

    def log_lines(self, filing_id: int) -> list[str]:
        return [event.message for event in self.store.events(filing_id)]


@contextlib.contextmanager
def dsc_rig(
    root: Path,
    options: dict[str, dict[str, Any]] | None = None,
    faults: dict[str, dict[str, Any]] | None = None,
) -> Iterator[DscRig]:
    data_dir = DataDir(root / "data").ensure()
    with start_simulators(options=options, faults=faults, seed=7) as sims:
        store = Store.open(data_dir)
        try:
            yield DscRig(sims, store, data_dir)
        finally:
            store.close()
