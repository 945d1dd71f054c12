"""Fakes for the engine tests: a page without a browser, sessions, flows, listeners."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop_app.automation.flow import (
    Flow,
    FlowContext,
    FlowListener,
    FlowOutcome,
    Step,
)
from desktop_app.automation.operator import PromptRequest
from desktop_app.core.models import (
    Address,
    Applicant,
    Consent,
    DscRequest,
    Gender,
    Person,
    Service,
    UdyamRequest,
)
from desktop_app.core.store import Store
from desktop_app.paths import DataDir

AADHAAR = "234123412346"  # a public Verhoeff test vector
OTP_IN_PAGE = "482913"
# Public PAN test vectors (IDENTIFIERS.md); the store refuses two filings per PAN.
PANS = ("ACUPA7085R", "AAPPV8261K", "ABCPK1234Q", "AAAPZ9999Z")


def make_applicant(
    ref: str,
    services: Sequence[Service] = (Service.UDYAM,),
    consent: bool = True,
    pan: str = PANS[0],
) -> Applicant:
    address = Address(city="Thanjavur", pin="613001", state="Tamil Nadu")
    wanted = frozenset(services)
    return Applicant(
        ref=ref,
        person=Person(
            full_name="Meena Raghavan",
            pan_name="MEENA RAGHAVAN",
            date_of_birth=dt.date(1985, 4, 12),
            gender=Gender.FEMALE,
            pan=pan,
            aadhaar=AADHAAR,
            mobile="9876543210",
            email=f"{ref.lower()}@example.in",
            address=address,
        ),
        services=wanted,
        dsc=DscRequest() if Service.DSC in wanted else None,
        udyam=UdyamRequest(
            enterprise_name="Meena Traders",
            date_of_incorporation=dt.date(2020, 7, 1),
            official_address=address,
            bank_name="State Bank of India",
            ifsc="SBIN0040278",
            account_number="30012345678",
        )
        if Service.UDYAM in wanted
        else None,
        consent=Consent(
            given_at=dt.datetime(2025, 1, 6, tzinfo=dt.UTC),
            given_by="test",
            services=wanted,
        )
        if consent
        else None,
    )


def open_store(root: Path) -> Store:
    return Store.open(DataDir(root))


def add_filings(
    store: Store, *refs: str, service: Service = Service.UDYAM
) -> list[int]:
    """One applicant per ref, consented for ``service``; returns the filing ids."""
    applicants = [
        make_applicant(ref, (service,), pan=PANS[number])
        for number, ref in enumerate(refs)
    ]
    result = store.add_applicants(applicants, "test")
    assert len(result.filing_ids) == len(refs), result.duplicates
    return list(result.filing_ids)


class FakePage:
    """Just enough of PageActions for the engine and the evidence writer.

    Until :meth:`mask_sensitive` is called, the page "shows" the Aadhaar and an OTP
    in its inputs, so a test can check they never reach the evidence.
    """

    def __init__(self) -> None:
        self.masked_with: list[str] | None = None
        self.visited: list[str] = []

    def mask_sensitive(self, selectors: Sequence[str]) -> None:
        self.masked_with = list(selectors)

    def save_screenshot(self, path: Path) -> None:
        shown = b"masked" if self.masked_with is not None else AADHAAR.encode()
        path.write_bytes(b"\x89PNG fake " + shown)

    def page_html(self, selectors: Sequence[str]) -> str:
        if self.masked_with is not None or selectors:
            return '<input id="aadhaar" value="XXXXXXXX"><input id="otp" value="">'
        return (
            f'<input id="aadhaar" value="{AADHAAR}">'
            f'<input id="otp" value="{OTP_IN_PAGE}">'
        )

    def current_url(self) -> str:
        return "http://127.0.0.1:9/UdyamRegistration.aspx"


class FakeSession:
    def __init__(self) -> None:
        self.page = FakePage()
        self.opened_on = threading.current_thread().name
        self.quit_on: str | None = None
        self.quit_event = threading.Event()

    def quit(self) -> None:
        if self.quit_on is None:
            self.quit_on = threading.current_thread().name
        self.quit_event.set()


class SessionFactory:
    """Counts the browser sessions the engine opens."""

    def __init__(self) -> None:
        self.sessions: list[FakeSession] = []
        self._lock = threading.Lock()

    def __call__(self) -> FakeSession:
        session = FakeSession()
        with self._lock:
            self.sessions.append(session)
        return session


StepAction = Callable[[FlowContext], None]


class FakeFlow(Flow):
    """A flow built from (name, action, restart_from) triples; counts the calls."""

    service = Service.UDYAM
    title = "Fake filing"
    portals = ("udyam",)

    def __init__(
        self, actions: Sequence[tuple[str, StepAction, str | None]], result: str = "R-1"
    ) -> None:
        self.actions = list(actions)
        self.result = result
        self.calls: list[str] = []

    def steps(self) -> list[Step]:
        steps = []
        last = len(self.actions) - 1
        for number, (name, action, restart_from) in enumerate(self.actions):
            wrapped = self._counted(name, action, finish=number == last)
            steps.append(Step(name, f"Step {name}", wrapped, restart_from))
        return steps

    def _counted(self, name: str, action: StepAction, finish: bool) -> StepAction:
        def run(ctx: FlowContext) -> None:
            self.calls.append(name)
            action(ctx)
            if finish:
                ctx.result = self.result
                ctx.next_step = "Nothing more to do."

        return run


def ok(ctx: FlowContext) -> None:
    ctx.page.visited.append("ok")


def fails_times(times: int, error: Callable[[], Exception]) -> StepAction:
    """A step that raises ``error()`` the first ``times`` calls, then passes."""
    left = [times]

    def run(ctx: FlowContext) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise error()

    return run


class RecordingListener(FlowListener):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()

    def _add(self, *event: Any) -> None:
        with self.lock:
            self.events.append(event)

    def filing_started(self, filing_id: int, title: str) -> None:
        self._add("filing_started", filing_id, title)

    def step_started(self, filing_id: int, title: str, index: int, total: int) -> None:
        self._add("step_started", filing_id, title, index, total)

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
        self._add("step_finished", filing_id, title, index, total, outcome, duration)

    def log(self, filing_id: int, level: int, message: str) -> None:
        self._add("log", filing_id, level, message)

    def prompt(self, filing_id: int, request: PromptRequest) -> None:
        self._add("prompt", filing_id, request.kind.value, request.attempt)

    def filing_finished(self, outcome: FlowOutcome) -> None:
        self._add("filing_finished", outcome.filing_id, outcome.status)

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        with self.lock:
            return [event for event in self.events if event[0] == kind]
