"""The applicant and what is filed for them. Core code: no Qt, no browser.

One :class:`Applicant` is a person (the proprietor, karta or authorised signatory) plus
the services asked for. Field names here are the contract between the importer, the
store, the flows and the GUI; the checks an operator sees live in
:mod:`desktop_app.core.validation`, which turns a raw row into an applicant.

The full Aadhaar number is held in memory only as an :class:`AadhaarNumber`, whose
``str()`` and ``repr()`` are masked, so a stray f-string or log line cannot leak it.
"""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)


class AadhaarNumber:
    """A full 12-digit Aadhaar number that masks itself whenever it is printed."""

    __slots__ = ("_digits",)

    def __init__(self, digits: str) -> None:
        self._digits = digits

    def reveal(self) -> str:
        """The digits, for the vault and for typing into the portal; nowhere else."""
        return self._digits

    @property
    def last4(self) -> str:
        return self._digits[-4:]

    @property
    def masked(self) -> str:
        return f"XXXX XXXX {self.last4}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"AadhaarNumber({self.masked!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AadhaarNumber) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(self._digits)


def _to_aadhaar(value: Any) -> AadhaarNumber:
    if isinstance(value, AadhaarNumber):
        return value
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) != 12:
        raise ValueError("Aadhaar must have 12 digits")
    return AadhaarNumber(digits)


def _aadhaar_validator(value: Any) -> AadhaarNumber:
    return _to_aadhaar(value)


# Serialises masked: anything dumped to JSON (store rows, exports, logs) never
# carries the digits. The store keeps the digits in its vault, puts them back on load.
Aadhaar = Annotated[
    AadhaarNumber,
    PlainSerializer(lambda value: value.masked, return_type=str),
]


class Service(enum.StrEnum):
    DSC = "dsc"
    UDYAM = "udyam"

    @property
    def label(self) -> str:
        return {"dsc": "eMudhra DSC", "udyam": "Udyam registration"}[self.value]


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHERS = "others"


class KycRoute(enum.StrEnum):
    AADHAAR = "aadhaar"  # Aadhaar eKYC by OTP
    PAN = "pan"  # PAN KYC with uploaded documents


class CertificateType(enum.StrEnum):
    SIGNATURE = "signature"
    COMBO = "combo"  # signature + encryption


class OrgType(enum.StrEnum):
    """Udyam "Type of Organisation"; :attr:`portal_value` is the site's option value."""

    PROPRIETARY = "proprietary"
    HUF = "huf"
    PARTNERSHIP = "partnership"
    COOPERATIVE = "cooperative"
    PRIVATE_LIMITED = "private_limited"
    PUBLIC_LIMITED = "public_limited"
    SELF_HELP_GROUP = "self_help_group"
    LLP = "llp"
    SOCIETY = "society"
    TRUST = "trust"
    OTHERS = "others"

    @property
    def portal_value(self) -> str:
        return _ORG_PORTAL_VALUES[self]

    @property
    def pan_holder_types(self) -> str:
        """PAN 4th letters that fit this organisation type (IDENTIFIERS.md s.1)."""
        return _ORG_PAN_TYPES[self]


# The real option values are not in display order (PORTALS.md section 3).
_ORG_PORTAL_VALUES = {
    OrgType.PROPRIETARY: "1",
    OrgType.HUF: "2",
    OrgType.PARTNERSHIP: "3",
    OrgType.COOPERATIVE: "4",
    OrgType.PRIVATE_LIMITED: "5",
    OrgType.PUBLIC_LIMITED: "6",
    OrgType.SELF_HELP_GROUP: "7",
    OrgType.LLP: "9",
    OrgType.SOCIETY: "10",
    OrgType.TRUST: "11",
    OrgType.OTHERS: "8",
}

_ORG_PAN_TYPES = {
    OrgType.PROPRIETARY: "P",
    OrgType.HUF: "H",
    OrgType.PARTNERSHIP: "F",
    OrgType.COOPERATIVE: "AJ",
    OrgType.PRIVATE_LIMITED: "C",
    OrgType.PUBLIC_LIMITED: "C",
    OrgType.SELF_HELP_GROUP: "AB",
    OrgType.LLP: "F",
    OrgType.SOCIETY: "AJT",
    OrgType.TRUST: "T",
    OrgType.OTHERS: "ABCFGHJLPTK",
}


class SocialCategory(enum.StrEnum):
    GENERAL = "general"
    SC = "sc"
    ST = "st"
    OBC = "obc"


class MajorActivity(enum.StrEnum):
    MANUFACTURING = "manufacturing"
    SERVICES = "services"


class ServiceKind(enum.StrEnum):
    """Under Services, the portal asks Non-Trading or Trading."""

    NON_TRADING = "non_trading"
    TRADING = "trading"


class NicActivity(enum.StrEnum):
    MANUFACTURING = "manufacturing"
    SERVICES = "services"
    TRADING = "trading"


class GstinAnswer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    EXEMPTED = "exempted"


class PreviousRegistration(enum.StrEnum):
    NONE = "none"
    EM2 = "em2"
    UAM = "uam"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid", use_enum_values=False)


class Address(_Model):
    flat: str = ""
    building: str = ""
    village_town: str = ""
    block: str = ""
    road: str = ""
    city: str = ""
    pin: str = ""
    state: str = ""  # state name as the portal shows it, e.g. "Tamil Nadu"
    district: str = ""  # district name, e.g. "Thanjavur"

    def one_line(self) -> str:
        parts = [self.flat, self.building, self.road, self.village_town, self.city]
        tail = f"{self.district}, {self.state} {self.pin}".strip(", ")
        return ", ".join(p for p in parts if p) + (f", {tail}" if tail else "")


class Unit(_Model):
    """A plant or unit of the enterprise, with the address Udyam asks for."""

    name: str
    address: Address


class NicCode(_Model):
    """A 5-digit NIC 2008 code; the 2- and 4-digit parents are its prefixes."""

    code: str = Field(pattern=r"^\d{5}$")
    activity: NicActivity

    @property
    def nic2(self) -> str:
        return self.code[:2]

    @property
    def nic4(self) -> str:
        return self.code[:4]


class Consent(_Model):
    """The applicant's recorded consent to file (Aadhaar Act s.29, DPDP Act)."""

    given_at: dt.datetime
    given_by: str  # the operator who recorded it, or "file" when imported
    services: frozenset[Service]
    note: str = ""

    def covers(self, service: Service) -> bool:
        return service in self.services


class Person(_Model):
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    full_name: str  # as in Aadhaar
    pan_name: str  # as in PAN
    date_of_birth: dt.date
    gender: Gender
    pan: str
    aadhaar: Aadhaar
    mobile: str  # ten digits, normalised
    email: str
    address: Address = Field(default_factory=Address)

    @field_validator("aadhaar", mode="before")
    @classmethod
    def _coerce_aadhaar(cls, value: Any) -> AadhaarNumber:
        return _aadhaar_validator(value)


class DscRequest(_Model):
    kyc_route: KycRoute = KycRoute.AADHAAR
    certificate_class: str = "class3"  # Class 2 is withdrawn; only Class 3 is issued
    certificate_type: CertificateType = CertificateType.SIGNATURE
    validity_years: int = Field(default=2, ge=1, le=3)
    username: str = ""
    pin: str = Field(default="", pattern=r"^(\d{6})?$")
    pin_generated: bool = (
        False  # True when the app chose the PIN; report it to the operator
    )
    pan_copy: Path | None = None
    address_proof: Path | None = None
    photo: Path | None = None


class UdyamRequest(_Model):
    org_type: OrgType = OrgType.PROPRIETARY
    enterprise_name: str
    social_category: SocialCategory = SocialCategory.GENERAL
    specially_abled: bool = False
    date_of_incorporation: dt.date
    business_commenced: bool = True
    date_of_commencement: dt.date | None = None
    official_address: Address
    units: list[Unit] = Field(default_factory=list)
    previous_registration: PreviousRegistration = PreviousRegistration.NONE
    bank_name: str
    ifsc: str
    account_number: str
    major_activity: MajorActivity = MajorActivity.SERVICES
    service_kind: ServiceKind | None = None
    nic_codes: list[NicCode] = Field(default_factory=list)
    employees_male: int = Field(default=0, ge=0)
    employees_female: int = Field(default=0, ge=0)
    employees_others: int = Field(default=0, ge=0)
    investment_wdv: float = Field(default=0, ge=0)  # rupees
    investment_exclusion: float = Field(default=0, ge=0)
    turnover_total: float = Field(default=0, ge=0)
    turnover_export: float = Field(default=0, ge=0)
    itr_filed: bool = False
    gstin_answer: GstinAnswer = GstinAnswer.NO
    gstin: str = ""
    interest_gem: bool = False
    interest_treds: bool = False
    interest_ncs: bool = False
    interest_nsic: bool = False
    interest_sid: bool = False
    dic: str = ""  # District Industries Centre, by district name

    @property
    def employees_total(self) -> int:
        return self.employees_male + self.employees_female + self.employees_others


class Applicant(_Model):
    """One client row: who they are and what the office files for them."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    ref: str  # stable reference shown everywhere instead of Aadhaar, e.g. "A-7Q3KX2"
    person: Person
    services: frozenset[Service]
    dsc: DscRequest | None = None
    udyam: UdyamRequest | None = None
    consent: Consent | None = None
    source: str = ""  # "file.xlsx row 7", for messages
    notes: str = ""

    @property
    def display_name(self) -> str:
        return self.person.full_name

    @property
    def masked_aadhaar(self) -> str:
        return self.person.aadhaar.masked

    def can_file(self, service: Service) -> bool:
        return service in self.services and bool(
            self.consent and self.consent.covers(service)
        )
