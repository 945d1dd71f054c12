"""Shared helpers for the store, vault and command tests (applicants, keyring)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.fail
from jaraco.classes import properties

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

# Public test vectors (IDENTIFIERS.md section 1); all pass the Verhoeff check.
AADHAAR_NUMBERS = ("234123412346", "999941057058", "999971658847")
PANS = ("ACUPA7085R", "AAPPV8261K", "ABCPK1234Q", "AAAPZ9999Z")

CONSENT_TIME = dt.datetime(2025, 1, 6, 10, 30, tzinfo=dt.UTC)


def make_applicant(
    ref: str,
    *,
    aadhaar: str = AADHAAR_NUMBERS[0],
    pan: str = PANS[0],
    name: str = "Meena Raghavan",
    services: frozenset[Service] = frozenset({Service.UDYAM}),
    consent: frozenset[Service] | None = None,
) -> Applicant:
    """A fictional applicant; ``consent`` None means none recorded yet."""
    address = Address(
        city="Thanjavur", pin="613001", state="Tamil Nadu", district="Thanjavur"
    )
    person = Person(
        full_name=name,
        pan_name=name.upper(),
        date_of_birth=dt.date(1985, 4, 12),
        gender=Gender.FEMALE,
        pan=pan,
        aadhaar=aadhaar,
        mobile="9876543210",
        email=f"{ref.lower()}@example.in",
        address=address,
    )
    udyam = None
    if Service.UDYAM in services:
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
        person=person,
        services=services,
        dsc=DscRequest() if Service.DSC in services else None,
        udyam=udyam,
        consent=(
            Consent(given_at=CONSENT_TIME, given_by="file", services=consent)
            if consent
            else None
        ),
        source="clients.xlsx",
    )


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, for tests on machines without one."""

    @properties.classproperty
    def priority(cls) -> float:
        # Not viable for automatic selection: keyring registers every subclass, and
        # importing this module must not change the backend other tests get.
        raise RuntimeError("MemoryKeyring is installed explicitly by tests")

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@contextlib.contextmanager
def installed_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    """Use ``backend`` as the process keyring inside the block."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def no_keyring() -> contextlib.AbstractContextManager[None]:
    """The situation of a headless Linux box: only keyring's "fail" backend."""
    return installed_keyring(keyring.backends.fail.Keyring())
