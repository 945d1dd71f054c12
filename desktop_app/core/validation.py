"""Turn one raw applicant row into an :class:`Applicant`, or the reasons it cannot be.

A row is a mapping from a column key (see :data:`COLUMNS`) to whatever the file held in
that cell: text from a CSV, a float, date or bool from an Excel cell, any JSON value.
:func:`validate_row` never raises for odd cell values; every problem becomes an
:class:`Issue` naming the column as the file wrote it. Errors block the row, warnings
are only shown. :func:`check_across_rows` then adds the checks that need every row
(one mobile or email per applicant, one request per PAN and service).

Speed matters (100,000 CSV rows in a few seconds), so this module does all the
checking itself and then builds the pydantic models without validating them again:
the checks here are the complete validation, and ``tests/core/test_validation.py``
re-validates the results through pydantic to keep the two in step.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import filterfalse
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from desktop_app.core import identifiers as ids
from desktop_app.core.identifiers import InvalidIdentifier
from desktop_app.core.models import (
    AadhaarNumber,
    Address,
    Applicant,
    CertificateType,
    Consent,
    DscRequest,
    Gender,
    GstinAnswer,
    KycRoute,
    MajorActivity,
    NicActivity,
    NicCode,
    OrgType,
    Person,
    PreviousRegistration,
    Service,
    ServiceKind,
    SocialCategory,
    UdyamRequest,
    Unit,
)
from desktop_app.paths import resource_path

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=BaseModel)

ALL, DSC, UDYAM, PAN_ROUTE = "all", "dsc", "udyam", "pan_route"
REQUIRED_LABELS = {
    ALL: "Always",
    DSC: "DSC",
    UDYAM: "Udyam",
    PAN_ROUTE: "DSC by PAN route",
    "": "Optional",
}


@dataclass(frozen=True)
class Column:
    """One column of an applicant file: its key, template header and how to fill it."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required_for: str = ""
    fmt: str = ""
    example: str = ""
    choices: tuple[str, ...] = ()
    text: bool = False  # the template formats it as Text so Excel keeps every digit


# Order = the template's column order. Choices are the labels the template offers in
# its drop-downs; the parsers below also accept the enum values and common variants.
# Each entry: key, template header, aliases ("|"-separated), required for, format,
# example, drop-down choices ("|"-separated), formatted as Text in the template.
# fmt: off
_COLUMN_TABLE: tuple[tuple[str, str, str, str, str, str, str, bool], ...] = (
    ("ref", "Ref", "reference|applicant ref|id", "",
     "Your own reference; empty: made from PAN, date of birth and services",
     "A-7Q3KX2", "", False),
    ("services", "Services", "service|services required|apply for", ALL,
     "DSC, Udyam or DSC + Udyam", "DSC + Udyam", "DSC|Udyam|DSC + Udyam", False),
    ("full_name", "Name as per Aadhaar",
     "name as in aadhaar|aadhaar name|name|full name|applicant name|aadhaar_name", ALL,
     "Exactly as printed on the Aadhaar card", "Lakshmi Anand", "", False),
    ("pan_name", "Name as per PAN", "name as in pan|pan name|name on pan", ALL,
     "Exactly as printed on the PAN card (empty: the Aadhaar name is used)",
     "Lakshmi Anand", "", False),
    ("date_of_birth", "Date of Birth", "dob|birth date|date of birth dd mm yyyy", ALL,
     "DD/MM/YYYY", "14/08/1986", "", False),
    ("gender", "Gender", "sex", ALL, "Male, Female or Others", "Female",
     "Male|Female|Others", False),
    ("pan", "PAN", "pan no|pan number|pan_no|pan card", ALL,
     "ABCDE1234F; for a DSC the 4th letter is P (individual)", "ACUPA7085R", "",
     True),
    ("aadhaar", "Aadhaar",
     "aadhar|aadhaar no|aadhaar number|aadhar no|aadhar number|uid|uid no"
     "|aadhaar card|aadhar card", ALL,
     "12 digits; keep the column formatted as Text", "2341 2341 2346", "", True),
    ("mobile", "Mobile",
     "mobile no|mobile number|phone|phone number|mobile_no|contact|contact number"
     "|cell", ALL, "10 digits starting 6-9 (+91 allowed); one per applicant",
     "9876543210", "", True),
    ("email", "Email", "e-mail|email id|email address|mail|workspace_mail", ALL,
     "name@example.com; one per applicant", "lakshmi.anand@example.in", "", False),
    ("flat", "Flat / Door No", "door no|flat no|house no|premises number", "",
     "Flat, door or block number", "12", "", False),
    ("building", "Building", "name of building|premises|building name"
     "|name of premises", "", "Name of premises or building", "Sri Ganesh Complex",
     "", False),
    ("village_town", "Village / Town", "village|town", "", "Village or town",
     "Karanthai", "", False),
    ("block", "Block", "taluk|block name", "", "Block or taluk", "Thanjavur", "",
     False),
    ("road", "Road / Street", "street|road street lane|road street|lane", "",
     "Road, street or lane", "Gandhi Road", "", False),
    ("city", "City", "city name", "", "City", "Thanjavur", "", False),
    ("pin_code", "PIN Code", "pincode|postal code|zip|post code", UDYAM,
     "6 digits, not starting with 0", "613001", "", True),
    ("state", "State", "state name", UDYAM, "State name, e.g. Tamil Nadu",
     "Tamil Nadu", "", False),
    ("district", "District", "district name", UDYAM, "District name", "Thanjavur", "",
     False),
    ("consent_given", "Consent given", "consent|consent taken", "",
     "Yes when the applicant has agreed to these filings", "Yes", "Yes|No", False),
    ("consent_by", "Consent by", "consent recorded by|consent taken by", "",
     "Who recorded the consent (operator name)", "Priya (front desk)", "", False),
    ("consent_date", "Consent date", "consent on", "",
     "DD/MM/YYYY; empty: the import date", "02/01/2025", "", False),
    ("kyc_route", "DSC KYC Route", "kyc route|kyc|filing type|kyc mode", "",
     "Aadhaar (eKYC by OTP) or PAN (documents); empty: Aadhaar", "Aadhaar",
     "Aadhaar|PAN", False),
    ("certificate_type", "DSC Certificate Type", "certificate type|key usage|dsc type",
     "", "Signature, or Combo (signature + encryption); empty: Signature",
     "Signature", "Signature|Combo", False),
    ("validity_years", "DSC Validity Years", "validity", "", "1, 2 or 3; empty: 2", "2",
     "1|2|3", False),
    ("username", "DSC Username", "login username|user name", "",
     "eMudhra login name, 3 to 24 letters or digits", "lakshmi86", "", False),
    ("dsc_pin", "DSC PIN", "desired pin|signing pin|password pin", "",
     "6 digits; empty: Filing Desk chooses one and tells you", "", "", True),
    ("pan_copy", "PAN Copy File", "pan copy|pan document|pan file", PAN_ROUTE,
     "Path of the PAN card scan (PDF or JPG), relative to this file", "docs/pan.pdf",
     "", False),
    ("address_proof", "Address Proof File", "address proof|address document",
     PAN_ROUTE, "Path of the address proof scan", "docs/address.pdf", "", False),
    ("photo", "Photo File", "photograph|passport photo", PAN_ROUTE,
     "Path of a passport-size photo (JPG)", "docs/photo.jpg", "", False),
    ("org_type", "Organisation Type",
     "type of organisation|org type|organisation|organization type"
     "|type of organization|organization_type_id|constitution", UDYAM,
     "Udyam type of organisation; empty: Proprietary", "Proprietary",
     "Proprietary|Hindu Undivided Family|Partnership|Co-Operative"
     "|Private Limited Company|Public Limited Company|Self Help Group"
     "|Limited Liability Partnership|Society|Trust|Others", False),
    ("enterprise_name", "Enterprise Name",
     "name of enterprise|company name|business name|firm name|enterprise", UDYAM,
     "Name of the enterprise, up to 100 characters", "Lakshmi Sweets", "", False),
    ("social_category", "Social Category", "category|caste category", "",
     "General, SC, ST or OBC; empty: General", "General", "General|SC|ST|OBC", False),
    ("specially_abled", "Specially Abled", "divyang|differently abled", "",
     "Yes or No; empty: No", "No", "Yes|No", False),
    ("date_of_incorporation", "Date of Incorporation",
     "incorporation date|doi|date of registration|start date", UDYAM, "DD/MM/YYYY",
     "01/04/2019", "", False),
    ("business_commenced", "Business Commenced", "commenced", "",
     "Yes or No; empty: Yes", "Yes", "Yes|No", False),
    ("date_of_commencement", "Date of Commencement", "commencement date", "",
     "DD/MM/YYYY; empty: the date of incorporation", "15/04/2019", "", False),
    ("unit_name", "Unit Name", "plant name|unit", "",
     "Plant or unit at the official address; empty: the enterprise name",
     "Main shop", "", False),
    ("previous_registration", "Previous Registration", "previous em ii uam|previous em",
     "", "None, EM-II or UAM; empty: None", "None", "None|EM-II|UAM", False),
    ("bank_name", "Bank Name", "bank", UDYAM, "Name of the bank",
     "State Bank of India", "", False),
    ("ifsc", "IFSC", "ifsc code|bank ifsc", UDYAM, "11 characters, e.g. SBIN0001234",
     "SBIN0040278", "", True),
    ("account_number", "Account Number",
     "bank account|account no|a c no|bank account number", UDYAM,
     "6 to 18 digits; keep the column formatted as Text", "30451234567", "", True),
    ("major_activity", "Major Activity", "activity|business activity", "",
     "Manufacturing or Services; empty: Services", "Services",
     "Manufacturing|Services", False),
    ("service_kind", "Services Type", "service kind|non trading or trading", "",
     "For Services: Non-Trading or Trading; empty: from the NIC codes", "Trading",
     "Non-Trading|Trading", False),
    ("nic_codes", "NIC Codes", "nic|nic code|nic 5 digit", UDYAM,
     "5-digit NIC 2008 codes separated by commas", "47211, 10712", "", False),
    ("employees_male", "Employees Male", "male employees", "",
     "Number of male employees", "2", "", False),
    ("employees_female", "Employees Female", "female employees", "",
     "Number of female employees", "1", "", False),
    ("employees_others", "Employees Others", "other employees", "",
     "Number of other employees", "0", "", False),
    ("investment_wdv", "Investment WDV", "wdv|investment|written down value", "",
     "Rupees: written down value of plant and machinery", "250000", "", False),
    ("investment_exclusion", "Investment Exclusion", "exclusion cost", "",
     "Rupees excluded (pollution control, R&D, safety)", "0", "", False),
    ("turnover_total", "Turnover Total", "turnover|total turnover", "",
     "Rupees, last financial year", "1800000", "", False),
    ("turnover_export", "Turnover Export", "export turnover", "",
     "Rupees of export turnover", "0", "", False),
    ("itr_filed", "ITR Filed", "itr|filed itr", "", "Yes or No; empty: No",
     "Yes", "Yes|No", False),
    ("gstin_answer", "Has GSTIN",
     "do you have gstin|have gstin|have_gstn|gst registered",
     "", "Yes, No or Exempted; empty: Yes when a GSTIN is given", "Yes",
     "Yes|No|Exempted", False),
    ("gstin", "GSTIN", "gst number|gst no|gstin no|gst", "",
     "15 characters; must contain this row's PAN", "33ACUPA7085R1ZS", "", True),
    ("interest_gem", "Interested in GeM", "gem", "", "Yes or No", "No", "Yes|No",
     False),
    ("interest_treds", "Interested in TReDS", "treds", "", "Yes or No", "No", "Yes|No",
     False),
    ("interest_ncs", "Interested in NCS", "ncs", "", "Yes or No", "No", "Yes|No",
     False),
    ("interest_nsic", "Interested in NSIC", "nsic", "", "Yes or No", "No", "Yes|No",
     False),
    ("interest_sid", "Interested in SID", "sid", "", "Yes or No", "No", "Yes|No",
     False),
    ("dic", "DIC", "district industries centre|district industries center", "",
     "District Industries Centre; empty: the district", "Thanjavur", "", False),
    ("notes", "Notes", "remarks|comments|note", "", "Anything for the office", "", "",
     False),
)
# fmt: on


def _split(names: str) -> tuple[str, ...]:
    return tuple(name for name in names.split("|") if name)


COLUMNS: tuple[Column, ...] = tuple(
    Column(key, header, _split(aliases), required, fmt, example, _split(choices), text)
    for key, header, aliases, required, fmt, example, choices, text in _COLUMN_TABLE
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


_NOT_ALNUM = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    """A header or choice folded for matching: lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", header).lower()


_HEADER_INDEX: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.key, _column.header, *_column.aliases):
        _HEADER_INDEX.setdefault(header_key(_name), _column.key)


def match_header(header: str) -> str | None:
    """The column key a header means (``"Aadhar No."`` -> ``"aadhaar"``), or None."""
    return _HEADER_INDEX.get(header_key(header))


# -- Results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    column: str  # the header as the file wrote it
    message: str


@dataclass(frozen=True)
class RowKeys:
    """Normalised values the cross-row checks compare."""

    pan: str = ""
    date_of_birth: dt.date | None = None
    mobile: str = ""
    email: str = ""
    services: frozenset[Service] = frozenset()


_NO_KEYS = RowKeys()


@dataclass
class RowResult:
    """The outcome for one row: an applicant when nothing blocks it, and every issue."""

    row: int  # as Excel shows it (header = 1); for JSON the 1-based item index
    source: str = ""  # "applicants.xlsx row 7"
    ref: str = ""
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    applicant: Applicant | None = None
    keys: RowKeys = _NO_KEYS  # frozen, so one shared empty instance is safe
    # Headers of identifier columns that Excel stored as numbers (a file warning).
    numeric_columns: set[str] = field(default_factory=set)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors and self.applicant is not None

    def column_name(self, key: str) -> str:
        return self.headers.get(key) or COLUMN_BY_KEY[key].header


class _Problem(ValueError):
    """A cell that cannot be used; the message is for the operator."""


# -- Cell conversion -------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = re.compile(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+\-Z]*)?")
_SERIAL = re.compile(r"\d{3,5}(?:\.0+)?")
_AMOUNT_JUNK = re.compile(r"(?i)(?:₹|rs\.?|inr|,|\s)")
_LIST_SPLIT = re.compile(r"[,;/|\s]+")
_SERVICE_SPLIT = re.compile(r"\s*(?:[,;/+&|]|\band\b)\s*", re.IGNORECASE)
_USERNAME = re.compile(r"[A-Za-z0-9._@\-]{3,24}")
_DIGITS = re.compile(r"\d+")
_NAME_WORD = re.compile(r"[a-z]+")
_MAX_PLAIN = 1e15  # above this a double no longer holds every digit a cell showed


def cell_text(value: Any) -> str:
    """Any cell value as trimmed text; whole floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < _MAX_PLAIN:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(cell_text(item) for item in value)
    return str(value).strip()


def parse_date(value: Any) -> dt.date:
    """A date from DD/MM/YYYY, D/M/YYYY, ISO text, an Excel date cell or serial."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_excel_serial(value)
    return _parse_date_text(cell_text(value))


@functools.lru_cache(maxsize=8192)
def _parse_date_text(text: str) -> dt.date:
    """:func:`parse_date` for text; cached, as dates repeat a lot down a column.

    Only results are cached (``lru_cache`` never stores a raised problem), and a
    ``date`` is immutable, so sharing one between rows is safe.
    """
    match = _DMY.fullmatch(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        match = _ISO.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        raise _Problem(f"'{text}' is not a real date") from None
    if _SERIAL.fullmatch(text):
        return _from_excel_serial(float(text))
    raise _Problem(f"'{text[:20]}' is not a date; write it as DD/MM/YYYY")


def _from_excel_serial(number: float) -> dt.date:
    # 1 = 1900-01-01 in Excel; 2958465 = 9999-12-31. Excel's fake 29/02/1900 is
    # ignored: no applicant date is that old.
    if not math.isfinite(number) or not 1 <= number < 2958466:
        raise _Problem(f"'{cell_text(number)}' is not a date; write it as DD/MM/YYYY")
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


_YES = frozenset({"yes", "y", "true", "1", "x", "haan", "ha", "done", "given"})
_NO = frozenset({"no", "n", "false", "0", "", "nil", "na", "none", "not given"})


def parse_yes_no(value: Any, default: bool = False) -> bool:
    return _parse_yes_no_text(cell_text(value), default)


def _parse_yes_no_text(text: str, default: bool) -> bool:
    """:func:`parse_yes_no` for a cell already converted to text."""
    text = text.lower()
    if not text:
        return default
    if text in _YES or text == "✓":
        return True
    if text in _NO:
        return False
    raise _Problem(f"'{text[:20]}' should be Yes or No")


def _choice_index(names_by_value: Mapping[Any, str]) -> dict[str, Any]:
    """Folded name -> value, from ``{value: "name|other name|..."}``."""
    index: dict[str, Any] = {}
    for value, names in names_by_value.items():
        for name in _split(names):
            index[header_key(name)] = value
    return index


_GENDERS = _choice_index(
    {
        Gender.MALE: "male|m|man|purush",
        Gender.FEMALE: "female|f|woman|mahila",
        Gender.OTHERS: "others|other|o|transgender|t",
    }
)
_ROUTES = _choice_index(
    {
        KycRoute.AADHAAR: "aadhaar|aadhar|aadhaar ekyc|aadhaar otp|ekyc|uid",
        KycRoute.PAN: "pan|pan kyc|pan ekyc|pan documents|documents",
    }
)
_CERTIFICATE_TYPES = _choice_index(
    {
        CertificateType.SIGNATURE: "signature|sign|signing|signature only",
        CertificateType.COMBO: "combo|signature + encryption|signature and encryption"
        "|encryption",
    }
)
_ORG_TYPES = _choice_index(
    {
        OrgType.PROPRIETARY: "proprietary|proprietor|proprietorship|sole proprietor"
        "|individual|1",
        OrgType.HUF: "huf|hindu undivided family|hindu undivided family (huf)|2",
        OrgType.PARTNERSHIP: "partnership|firm|partnership firm|3",
        OrgType.COOPERATIVE: "cooperative|co-operative|co operative society|4",
        OrgType.PRIVATE_LIMITED: "private_limited|private limited company"
        "|private limited|pvt ltd|private ltd|5",
        OrgType.PUBLIC_LIMITED: "public_limited|public limited company"
        "|public limited|public ltd|ltd|6",
        OrgType.SELF_HELP_GROUP: "self_help_group|self help group|shg|7",
        OrgType.OTHERS: "others|other|8",
        OrgType.LLP: "llp|limited liability partnership"
        "|limited liability partnership (llp)|9",
        OrgType.SOCIETY: "society|10",
        OrgType.TRUST: "trust|11",
    }
)
_SOCIAL = _choice_index(
    {
        SocialCategory.GENERAL: "general|gen|1",
        SocialCategory.SC: "sc|scheduled caste|2",
        SocialCategory.ST: "st|scheduled tribe|3",
        SocialCategory.OBC: "obc|other backward class|4",
    }
)
_MAJOR = _choice_index(
    {
        MajorActivity.MANUFACTURING: "manufacturing|manufacture|mfg|1",
        MajorActivity.SERVICES: "services|service|2",
    }
)
_SERVICE_KINDS = _choice_index(
    {
        ServiceKind.NON_TRADING: "non-trading|non trading|non_trading|1",
        ServiceKind.TRADING: "trading|trade|2",
    }
)
_PREVIOUS = _choice_index(
    {
        PreviousRegistration.NONE: "none|n/a|na|nil|no|0",
        PreviousRegistration.EM2: "em-ii|em ii|em2|2",
        PreviousRegistration.UAM: "uam|previous uam|4",
    }
)
_GSTIN_ANSWERS = _choice_index(
    {
        GstinAnswer.YES: "yes|y|true|1",
        GstinAnswer.NO: "no|n|false|0",
        GstinAnswer.EXEMPTED: "exempted|exempt|exempted from gst",
    }
)
_SERVICES = _choice_index(
    {
        (Service.DSC,): "dsc|digital signature|digital signature certificate|emudhra"
        "|emudhra dsc|class 3 dsc",
        (Service.UDYAM,): "udyam|msme|udyam registration|udyog aadhaar",
        (Service.DSC, Service.UDYAM): "both|dsc + udyam|all",
    }
)


# -- Small helpers ---------------------------------------------------------------------


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648, as base64.b32encode uses
# Every 10-bit value as its two base32 letters: a ref's 6 letters are 3 look-ups.
_BASE32_PAIRS = tuple(first + second for first in _BASE32 for second in _BASE32)


def make_ref(pan: str, date_of_birth: dt.date, services: Iterable[Service]) -> str:
    """A stable reference for a person and service set: a re-imported file matches.

    Made from the PAN, never the Aadhaar number (a hash of 12 digits is easy to undo).
    """
    material = f"{pan}|{date_of_birth.isoformat()}|{_services_text(services)}"
    digest = hashlib.sha256(material.encode("ascii", "replace")).digest()
    # The first 6 base32 letters of the digest = its first 30 bits, 5 bits a letter.
    # Done by hand: base64.b32encode is pure Python and slow at 100,000 rows.
    bits = int.from_bytes(digest[:4], "big") >> 2
    pairs = _BASE32_PAIRS
    return f"A-{pairs[bits >> 20]}{pairs[(bits >> 10) & 1023]}{pairs[bits & 1023]}"


def _services_text(services: Iterable[Service]) -> str:
    if isinstance(services, frozenset):
        return _frozen_services_text(services)
    return ",".join(sorted(services))


@functools.lru_cache(maxsize=16)
def _frozen_services_text(services: frozenset[Service]) -> str:
    """The sorted service list for the ref; a file has only a few different sets."""
    return ",".join(sorted(services))


def is_weak_pin(pin: str) -> bool:
    """All one digit or a run such as 123456 / 654321."""
    return len(set(pin)) == 1 or pin in "01234567890" or pin in "09876543210"


def generate_pin() -> str:
    """A random 6-digit DSC PIN that is not all one digit nor a run."""
    while True:
        # One urandom read per PIN: os.urandom is what secrets.token_bytes calls,
        # without its two Python-level steps. Values from 16,000,000 up are drawn
        # again so every PIN stays equally likely.
        number = int.from_bytes(os.urandom(3), "big")
        if number >= 16_000_000:
            continue
        pin = f"{number % 1_000_000:06d}"
        if not is_weak_pin(pin):
            return pin


_HONORIFICS = frozenset(
    _split("mr|mrs|ms|miss|smt|shri|sri|shrimati|dr|kumari|km|late")
)


def _name_words(name: str) -> list[str]:
    words = _NAME_WORD.findall(name.lower())
    return list(filterfalse(_HONORIFICS.__contains__, words)) or words


def _is_abbreviation(short: str, long: str) -> bool:
    """ "mohd" in "mohammed": same first letter, letters in order."""
    if not short or short[0] != long[0]:
        return False
    rest = iter(long)
    return all(letter in rest for letter in short)


# Spellings of the same sound in romanised Indian names (Lakshmi/Laxmi, Preeti/Priti).
_SOUNDS = (
    ("ksh", "x"),
    ("ee", "i"),
    ("oo", "u"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("w", "v"),
    ("z", "j"),
    ("y", "i"),
    ("aa", "a"),
)


def _sound(word: str) -> str:
    for spelling, sound in _SOUNDS:
        word = word.replace(spelling, sound)
    return word


def _word_matches(word: str, others: Sequence[str]) -> bool:
    for other in others:
        if word == other or _sound(word) == _sound(other):
            return True
        short, long = sorted((word, other), key=len)
        if len(short) == 1 and long.startswith(short):
            return True  # an initial
        if len(short) >= 3 and _is_abbreviation(short, long):
            return True
        if (
            len(short) >= 4
            and difflib.SequenceMatcher(None, word, other).ratio() >= 0.8
        ):
            return True  # spelling variant, e.g. Lakshmi / Laxmi
    return False


def names_match(first: str, second: str) -> bool:
    """Whether two spellings of a name are the same person's name, to the eye.

    Order does not matter ("Kumar Ramesh" = "Ramesh Kumar"), initials stand for words
    ("R. Kumar" = "Ramesh Kumar"), honorifics are ignored and small spelling variants
    pass. An extra or missing word does not pass: the portals compare strictly.
    """
    if first.lower() == second.lower():
        return True
    words_a, words_b = _name_words(first), _name_words(second)
    if sorted(words_a) == sorted(words_b) or "".join(words_a) == "".join(words_b):
        return True
    if not words_a or not words_b:
        return False
    return all(_word_matches(w, words_b) for w in words_a) and all(
        _word_matches(w, words_a) for w in words_b
    )


@dataclass(frozen=True)
class _IndiaLists:
    """State and district names (folded) and NIC activities from ``resources/india``."""

    districts: dict[str, frozenset[str] | None]  # None: the list is not complete
    nic_activities: dict[str, NicActivity]


@functools.cache
def _india() -> _IndiaLists:
    try:
        with resource_path("india", "states_districts.json").open(
            encoding="utf-8"
        ) as f:
            states = json.load(f)["states"]
        with resource_path("india", "nic_codes.json").open(encoding="utf-8") as f:
            codes = json.load(f)["codes"]
        districts = {
            header_key(state["name"]): (
                frozenset(header_key(d["name"]) for d in state["districts"])
                if state.get("complete")
                else None
            )
            for state in states
        }
        activities = {entry["code"]: NicActivity(entry["activity"]) for entry in codes}
    except (OSError, ValueError, KeyError, TypeError) as problem:
        # The checks below then simply do not warn; filing still works.
        log.warning("Cannot read the lists in resources/india: %s", problem)
        return _IndiaLists({}, {})
    return _IndiaLists(districts, activities)


def _nic_activity(code: str) -> NicActivity:
    known = _india().nic_activities.get(code)
    if known is not None:
        return known
    division = int(code[:2])
    if 10 <= division <= 33:  # NIC 2008 section C
        return NicActivity.MANUFACTURING
    if 45 <= division <= 47:  # NIC 2008 section G
        return NicActivity.TRADING
    return NicActivity.SERVICES


def _build(model: type[_M], **values: Any) -> _M:
    """An instance of ``model`` from values this module has already checked.

    Like pydantic's ``model_construct`` (no validation) but several times faster, which
    matters at 100,000 rows: the defaults are looked up once per class, not per call.
    Every field counts as set, defaults included: the importer decided each value.
    """
    plain, factories, every_field = _DEFAULTS.get(model) or _field_defaults(model)
    data = {**plain, **values}  # keeps the declared field order
    for name, factory in factories:
        if name not in values:
            data[name] = factory()
    instance = _new_object(model)
    _set_slot(instance, "__dict__", data)
    # One set per model, shared by its instances: a set of its own per instance came
    # to a third of an import's memory. Sharing is safe because pydantic only ever
    # adds a field name to it, which is already there, and copies it in model_copy.
    _set_fields_set(instance, every_field)
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


# These bypass BaseModel.__setattr__, as pydantic does; the slots' own setters skip
# even the attribute-name look-up, which counts at several models a row.
_new_object = object.__new__
_set_slot = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _field_defaults(model: type[BaseModel]) -> _ModelDefaults:
    """Plain defaults by field (required ones hold a placeholder), the factories and
    the set of every field name; worked out once per model."""
    fields = model.model_fields
    plain = {name: info.default for name, info in fields.items()}
    factories = tuple(
        (name, info.default_factory)
        for name, info in fields.items()
        if info.default_factory is not None
    )
    defaults = _DEFAULTS[model] = plain, factories, set(fields)
    return defaults


_ModelDefaults = tuple[dict[str, Any], tuple[tuple[str, Any], ...], set[str]]
_DEFAULTS: dict[type[BaseModel], _ModelDefaults] = {}


# -- The row checker -------------------------------------------------------------------


_NO_TEXTS = dict.fromkeys(COLUMN_BY_KEY, "")
_ONLY_STR = frozenset({str})


class _Row:
    """Reads and checks the cells of one row, collecting issues instead of raising."""

    def __init__(
        self, cells: Mapping[str, Any], result: RowResult, base_dir: Path | None
    ):
        self.cells = cells
        self.result = result
        self.base_dir = base_dir
        # Every cell trimmed once here: the checks below read ~30 cells as text, and
        # one dict look-up each is far cheaper than converting the cell every time.
        # Whether every cell is text (CSV, or Excel cells formatted as Text): the
        # cached checks below are only taken for such rows.
        self.all_text = {*map(type, cells.values())} <= _ONLY_STR
        self.texts = texts = dict(_NO_TEXTS)  # "" for every column, then the cells
        if self.all_text:  # strip them all in C, no Python step per cell
            texts.update(zip(cells, map(str.strip, cells.values()), strict=True))
        else:
            texts.update((key, cell_text(value)) for key, value in cells.items())
        self.text = texts.__getitem__  # a C call, not a method: ~30 a row

    def error(self, key: str, message: str) -> None:
        self.result.errors.append(Issue(self.result.column_name(key), message))

    def warn(self, key: str, message: str) -> None:
        self.result.warnings.append(Issue(self.result.column_name(key), message))

    def raw(self, key: str) -> Any:
        return self.cells.get(key)

    def required_text(self, key: str, why: str, max_length: int = 100) -> str:
        text = self.text(key)
        label = COLUMN_BY_KEY[key].header
        if not text:
            self.error(key, f"{label} is missing{why}")
        elif len(text) > max_length:
            self.error(key, f"{label} is longer than {max_length} characters")
        return text

    def parsed(self, key: str, parser: Any, default: Any = None) -> Any:
        """``parser(cell)``; on a problem, record an error and return ``default``."""
        try:
            return parser(self.raw(key))
        except (_Problem, InvalidIdentifier) as problem:
            self.error(key, str(problem))
            return default

    def choice(self, key: str, index: Mapping[str, Any], default: Any) -> Any:
        text = self.text(key)
        if not text:
            return default
        found = index.get(header_key(text))
        if found is None:
            options = ", ".join(COLUMN_BY_KEY[key].choices)
            self.error(key, f"'{text[:30]}' is not one of: {options}")
            return default
        return found

    def yes_no(self, key: str, default: bool = False) -> bool:
        if self.cells.get(key) is None:
            return default
        try:
            return _parse_yes_no_text(self.texts[key], default)
        except _Problem as problem:
            self.error(key, str(problem))
            return default

    def whole_number_text(self, key: str, label: str, long_number: bool = False) -> str:
        """Digits of an identifier cell; an Excel number that lost digits fails."""
        value = self.cells.get(key)
        if value is None or value.__class__ is str:  # CSV and text cells: as they are
            return self.texts[key]
        if isinstance(value, float) and not isinstance(value, bool):
            if long_number:
                self.result.numeric_columns.add(self.result.column_name(key))
            if (
                not math.isfinite(value)
                or not value.is_integer()
                or value >= _MAX_PLAIN
            ):
                raise _Problem(
                    f"{label} was changed by Excel into the number {value!r}; format "
                    "the column as Text and type it again"
                )
            return str(int(value))
        if isinstance(value, int) and not isinstance(value, bool) and long_number:
            self.result.numeric_columns.add(self.result.column_name(key))
        return cell_text(value)

    def amount(self, key: str, whole: bool = False) -> float:
        text = self.text(key)
        if not text:
            return 0
        # Plain digits (the usual case) hold no junk: skip the regex.
        cleaned = text if text.isdigit() else _AMOUNT_JUNK.sub("", text)
        try:
            number = float(cleaned)
        except ValueError:
            self.error(key, f"'{text[:20]}' is not a number")
            return 0
        if not math.isfinite(number) or number < 0:
            self.error(key, f"'{text[:20]}' must be zero or more")
            return 0
        if whole and not number.is_integer():
            self.error(key, f"'{text[:20]}' must be a whole number")
            return 0
        return int(number) if whole else number

    def document(self, key: str) -> Path | None:
        text = self.text(key)
        label = COLUMN_BY_KEY[key].header
        if not text:
            self.error(key, f"{label} is missing (the PAN route needs this document)")
            return None
        path = Path(text).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        try:
            with path.open("rb") as handle:
                readable = bool(handle.read(1))
        except OSError as problem:
            reason = "it does not exist" if not path.exists() else problem.strerror
            self.error(key, f"Cannot open the file '{text}' ({reason})")
            return None
        if not readable:
            self.error(key, f"The file '{text}' is empty")
            return None
        return path.resolve()


# -- Building the applicant ------------------------------------------------------------


def validate_row(
    cells: Mapping[str, Any],
    *,
    row: int,
    headers: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    source: str = "",
    now: dt.datetime | None = None,
) -> RowResult:
    """Check one row and build its applicant when nothing blocks it.

    Args:
        cells: column key -> cell value, as read from the file.
        row: the row number shown to the operator.
        headers: column key -> the header as the file wrote it, for messages.
        base_dir: folder that relative document paths are resolved against.
        source: "file.csv row 5", kept on the applicant for later messages.
        now: the import time (consent timestamps; tests pass a fixed one).
    """
    result = RowResult(row=row, source=source or f"row {row}", headers=headers or {})
    checker = _Row(cells, result, base_dir)
    today = (now or dt.datetime.now()).date()

    services = _services(checker)
    wants_udyam = Service.UDYAM in services
    org_type = (
        checker.choice("org_type", _ORG_TYPES, OrgType.PROPRIETARY)
        if wants_udyam
        else None
    )
    address = _address(checker, needed=wants_udyam)
    person, keys = _person(checker, services, org_type, address, today)
    result.keys = keys
    dsc = _dsc_request(checker) if Service.DSC in services else None
    udyam = None
    if org_type is not None:
        udyam = _udyam_request(checker, org_type, address, keys.pan, today)
    ref = checker.text("ref")
    if ref and len(ref) > 40:
        checker.error("ref", "Ref is longer than 40 characters")
    if not ref and keys.pan and keys.date_of_birth:
        ref = make_ref(keys.pan, keys.date_of_birth, services)
    result.ref = ref

    if result.errors or person is None or not services:
        return result
    result.applicant = _build(
        Applicant,
        ref=ref,
        person=person,
        services=frozenset(services),
        dsc=dsc,
        udyam=udyam,
        consent=_consent(checker, services, now),
        source=result.source,
        notes=checker.text("notes"),
    )
    return result


def _services(checker: _Row) -> frozenset[Service]:
    services, problems = _parse_services(checker.text("services"))
    for problem in problems:
        checker.error("services", problem)
    return services


@functools.lru_cache(maxsize=256)  # a file holds only a few spellings of its services
def _parse_services(text: str) -> tuple[frozenset[Service], tuple[str, ...]]:
    """The services ``text`` names and the problems found, in order."""
    if not text:
        return frozenset(), ("Services is missing: write DSC, Udyam or DSC + Udyam",)
    found: set[Service] = set()
    problems: list[str] = []
    for part in _SERVICE_SPLIT.split(text):
        if not part:
            continue
        services = _SERVICES.get(header_key(part))
        if services is None:
            problems.append(f"'{part[:20]}' is not a service: use DSC or Udyam")
            continue
        found.update(services)
    return frozenset(found), tuple(problems)


def _person(
    checker: _Row,
    services: frozenset[Service],
    org_type: OrgType | None,
    address: Address,
    today: dt.date,
) -> tuple[Person | None, RowKeys]:
    full_name = checker.required_text("full_name", "")
    pan_name = checker.text("pan_name")
    if not pan_name:
        pan_name = full_name
        if full_name:
            checker.warn(
                "pan_name", "Name as per PAN is empty; the Aadhaar name is used"
            )
    elif len(pan_name) > 100:
        checker.error("pan_name", "Name as per PAN is longer than 100 characters")
    elif (
        full_name
        and _is_individual_pan(checker.text("pan"))
        and not names_match(full_name, pan_name)
    ):
        # An organisation's PAN carries its own name, not the signatory's.
        checker.warn(
            "pan_name",
            f"Name as per PAN '{pan_name}' differs from the name as per Aadhaar "
            f"'{full_name}'; the portals reject a mismatch, check both cards",
        )

    date_of_birth = _birth_date(checker, today)
    gender = checker.choice("gender", _GENDERS, None)
    if gender is None and not checker.text("gender"):
        checker.error("gender", "Gender is missing: Male, Female or Others")

    pan = _pan(checker, services, org_type, pan_name)
    aadhaar = _aadhaar(checker)
    try:
        mobile = ids.normalise_mobile(checker.whole_number_text("mobile", "Mobile"))
    except (_Problem, InvalidIdentifier) as problem:
        checker.error("mobile", str(problem))
        mobile = ""
    try:
        email = ids.validate_email(checker.text("email"))
    except InvalidIdentifier as problem:
        checker.error("email", str(problem))
        email = ""

    keys = RowKeys(pan, date_of_birth, mobile, email, services)
    if not all((full_name, date_of_birth, gender, pan, aadhaar, mobile, email)):
        return None, keys
    person = _build(
        Person,
        full_name=full_name,
        pan_name=pan_name,
        date_of_birth=date_of_birth,
        gender=gender,
        pan=pan,
        aadhaar=AadhaarNumber(aadhaar),
        mobile=mobile,
        email=email,
        address=address,
    )
    return person, keys


def _is_individual_pan(text: str) -> bool:
    return ids.clean(text)[3:4] in ("P", "")


def _birth_date(checker: _Row, today: dt.date) -> dt.date | None:
    """The date of birth, or None after recording why it cannot be used."""
    value = checker.cells.get("date_of_birth")
    text = checker.text("date_of_birth")
    try:
        if not text:
            raise _Problem("Date of Birth is missing (DD/MM/YYYY)")
        # Text goes straight to the cached text parser; Excel dates need the rest.
        born = _parse_date_text(text) if value.__class__ is str else parse_date(value)
        if born > today:
            raise _Problem(f"Date of Birth {born:%d/%m/%Y} is in the future")
        if born.year < 1900:
            raise _Problem(f"Date of Birth {born:%d/%m/%Y} is too long ago")
    except _Problem as problem:
        checker.error("date_of_birth", str(problem))
        return None
    return born


def _aadhaar(checker: _Row) -> str | None:
    """The 12 Aadhaar digits, or None after recording why they cannot be used."""
    try:
        digits = checker.whole_number_text("aadhaar", "Aadhaar number", True)
        return ids.validate_aadhaar(digits)
    except _Problem as problem:
        checker.error("aadhaar", str(problem))
    except InvalidIdentifier as problem:
        raw = checker.raw("aadhaar")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            checker.error(
                "aadhaar",
                f"{problem}. The cell is a number in Excel, which may have changed "
                "it: format the Aadhaar column as Text and type it again",
            )
        else:
            checker.error("aadhaar", str(problem))
    return None


def _pan(
    checker: _Row, services: frozenset[Service], org_type: OrgType | None, pan_name: str
) -> str:
    text = checker.text("pan")
    if not text:
        checker.error("pan", "PAN is missing")
        return ""
    allowed = None
    if org_type is not None:
        allowed = org_type.pan_holder_types
        if Service.DSC in services and "P" not in allowed:
            checker.error(
                "pan",
                "A DSC needs the applicant's own PAN (4th letter P) but Udyam for "
                f"this organisation type needs its PAN ({allowed}); put the two "
                "services on separate rows",
            )
            return ""
        if Service.DSC in services:
            allowed = "P"
    elif Service.DSC in services:
        allowed = "P"
    try:
        pan = ids.validate_pan(text, allowed)
    except InvalidIdentifier as problem:
        checker.error("pan", str(problem))
        return ""
    _check_pan_fifth_letter(checker, pan, pan_name)
    return pan


def _check_pan_fifth_letter(checker: _Row, pan: str, pan_name: str) -> None:
    """Warn when the PAN's 5th letter starts no word of the holder's name.

    For a person it should be the surname's initial, but many South Indian names put
    the family initial first ("S. Lakshmi"), so any word's initial is accepted. For an
    organisation the letter is the initial of its name.
    """
    name, label = pan_name, "name as per PAN"
    if pan[3] != "P" and checker.text("enterprise_name"):
        name = f"{pan_name} {checker.text('enterprise_name')}"
        label = "name as per PAN or the enterprise name"
    if _starts_a_word(pan[4].lower(), _name_words(name)) is False:
        checker.warn(
            "pan",
            f"PAN {pan}: the 5th letter '{pan[4]}' does not start any word of the "
            f"{label}; check the PAN",
        )


_NOT_NAME_WORDS = frozenset({"m", "s", "the", "messrs"})  # "M/s. The ..." and so on


def _starts_a_word(letter: str, words: list[str]) -> bool | None:
    """Whether ``letter`` starts one of ``words`` that is a name word; None: none is."""
    found_name_word = False
    for word in words:  # a plain loop: this runs for every row
        if word not in _NOT_NAME_WORDS:
            if word[0] == letter:
                return True
            found_name_word = True
    return False if found_name_word else None


class _CheckCache:
    """Results of one group of checks, by the texts of the group's cells.

    Most columns repeat down a file (one office's address and bank, the same options),
    so :func:`_cached` runs a group's checks once per distinct set of cell texts and
    replays the issues they found. Cached results are shared between rows, so they
    must be immutable or never changed: nothing assigns to an imported applicant's
    fields, and one row already shares its Address three ways.
    """

    LIMIT = 4096  # distinct entries kept; past this the cache starts again

    def __init__(self, *keys: str):
        self.keys = keys
        self.results: dict[tuple[Any, ...], tuple[Any, tuple[_Recorded, ...]]] = {}


_Recorded = tuple[bool, str, str]  # is it an error (else a warning), column key, text


def _cached(checker: _Row, cache: _CheckCache, check: Any, *args: Any) -> Any:
    """``check(checker, *args)``, from ``cache`` when the same texts were checked.

    ``check`` may depend only on the cells in ``cache.keys`` and on ``args``.
    """
    if not checker.all_text:
        return check(checker, *args)  # Excel numbers and dates: checked every time
    key = (*args, *map(checker.text, cache.keys))
    found = cache.results.get(key)
    if found is None:
        recorder = _IssueRecorder(checker)
        found = (check(recorder, *args), tuple(recorder.recorded))
        if len(cache.results) >= cache.LIMIT:
            cache.results.clear()
        cache.results[key] = found
    value, recorded = found
    for is_error, column, message in recorded:
        (checker.error if is_error else checker.warn)(column, message)
    return value


_ADDRESS_CHECKS = _CheckCache(
    "flat",
    "building",
    "village_town",
    "block",
    "road",
    "city",
    "pin_code",
    "state",
    "district",
)


def _address(checker: _Row, needed: bool) -> Address:
    return _cached(checker, _ADDRESS_CHECKS, _check_address, needed)


class _IssueRecorder(_Row):
    """A :class:`_Row` that records its issues to replay them, not to keep them."""

    def __init__(self, checker: _Row):
        self.cells = checker.cells
        self.texts = checker.texts
        self.text = checker.text
        self.all_text = checker.all_text
        self.result = RowResult(row=0)  # receives only numeric_columns, if any
        self.base_dir = checker.base_dir
        self.recorded: list[_Recorded] = []

    def error(self, key: str, message: str) -> None:
        self.recorded.append((True, key, message))

    def warn(self, key: str, message: str) -> None:
        self.recorded.append((False, key, message))


def _check_address(checker: _Row, needed: bool) -> Address:
    why = " (Udyam needs it)"
    pin = ""
    if checker.text("pin_code") or needed:
        pin = checker.parsed(
            "pin_code",
            lambda _: ids.validate_pin_code(
                checker.whole_number_text("pin_code", "PIN code")
            ),
            "",
        )
    state = checker.required_text("state", why) if needed else checker.text("state")
    district = (
        checker.required_text("district", why) if needed else checker.text("district")
    )
    _check_state_and_district(checker, state, district)
    return _build(
        Address,
        flat=checker.text("flat"),
        building=checker.text("building"),
        village_town=checker.text("village_town"),
        block=checker.text("block"),
        road=checker.text("road"),
        city=checker.text("city"),
        pin=pin,
        state=state,
        district=district,
    )


def _check_state_and_district(checker: _Row, state: str, district: str) -> None:
    lists = _india()
    if not state or not lists.districts:
        return
    folded = header_key(state)
    if folded not in lists.districts:
        checker.warn("state", f"State '{state}' is not in the portal's list; check it")
        return
    known = lists.districts[folded]
    if district and known is not None and header_key(district) not in known:
        checker.warn(
            "district", f"District '{district}' is not a district of {state}; check it"
        )


def _dsc_request(checker: _Row) -> DscRequest:
    route, certificate, validity = _dsc_options(checker)
    username = checker.text("username")
    if username and not _USERNAME.fullmatch(username):
        checker.error(
            "username",
            "DSC Username must be 3 to 24 letters, digits or . _ @ - (no spaces)",
        )
    pin, generated = _dsc_pin(checker)
    documents: dict[str, Path | None] = {}
    if route is KycRoute.PAN:
        for key in ("pan_copy", "address_proof", "photo"):
            documents[key] = checker.document(key)
    return _build(
        DscRequest,
        kyc_route=route,
        certificate_type=certificate,
        validity_years=validity,
        username=username,
        pin=pin,
        pin_generated=generated,
        **documents,
    )


def _dsc_options(checker: _Row) -> tuple[KycRoute, CertificateType, int]:
    """The KYC route, certificate type and validity years of a DSC request."""
    route = checker.choice("kyc_route", _ROUTES, KycRoute.AADHAAR)
    certificate = checker.choice(
        "certificate_type", _CERTIFICATE_TYPES, CertificateType.SIGNATURE
    )
    validity = checker.text("validity_years") or "2"
    if validity not in {"1", "2", "3"}:
        checker.error(
            "validity_years", f"DSC Validity Years '{validity[:8]}' must be 1, 2 or 3"
        )
        validity = "2"
    return route, certificate, int(validity)


def _dsc_pin(checker: _Row) -> tuple[str, bool]:
    try:
        pin = checker.whole_number_text("dsc_pin", "DSC PIN")
    except _Problem as problem:
        checker.error("dsc_pin", str(problem))
        return "", False
    if not pin:
        return generate_pin(), True
    if not (len(pin) == 6 and pin.isascii() and pin.isdigit()):
        hint = (
            " (if it starts with 0, format the column as Text)" if pin.isdigit() else ""
        )
        checker.error("dsc_pin", f"DSC PIN must be exactly 6 digits{hint}")
        return "", False
    if is_weak_pin(pin):
        checker.warn("dsc_pin", "DSC PIN is easy to guess (all one digit or a run)")
    return pin, False


def _udyam_request(
    checker: _Row, org_type: OrgType, official: Address, pan: str, today: dt.date
) -> UdyamRequest:
    # The groups of checks run in the order the operator reads their issues; the
    # cached ones are the columns that usually repeat down a file.
    enterprise = checker.required_text("enterprise_name", " (Udyam needs it)")
    incorporated, commenced, commencement = _cached(
        checker, _UDYAM_DATES, _udyam_dates, today
    )
    unit_name = checker.text("unit_name") or enterprise
    major, nic_codes, service_kind = _cached(checker, _UDYAM_ACTIVITY, _udyam_activity)
    turnover_total, turnover_export = _turnover(checker)
    gstin_answer, gstin = _gstin(checker, pan)
    profile = _cached(checker, _UDYAM_PROFILE, _udyam_profile)
    account_number = _account_number(checker)
    figures = _cached(checker, _UDYAM_FIGURES, _udyam_figures)
    return _build(
        UdyamRequest,
        org_type=org_type,
        enterprise_name=enterprise,
        date_of_incorporation=incorporated,
        business_commenced=commenced,
        date_of_commencement=commencement,
        official_address=official,
        units=[_build(Unit, name=unit_name[:100], address=official)],
        account_number=account_number,
        major_activity=major,
        service_kind=service_kind,
        nic_codes=list(nic_codes),  # each applicant its own list; codes are shared
        turnover_total=turnover_total,
        turnover_export=turnover_export,
        gstin_answer=gstin_answer,
        gstin=gstin,
        dic=checker.text("dic") or official.district,
        **profile,
        **figures,
    )


_UDYAM_DATES = _CheckCache(
    "date_of_incorporation", "business_commenced", "date_of_commencement"
)


def _udyam_dates(
    checker: _Row, today: dt.date
) -> tuple[dt.date | None, bool, dt.date | None]:
    """Date of incorporation, whether business commenced, and when."""
    incorporated = checker.parsed(
        "date_of_incorporation", _required_date("Date of Incorporation", today)
    )
    commenced = checker.yes_no("business_commenced", default=True)
    commencement = None
    if checker.text("date_of_commencement"):
        commencement = checker.parsed(
            "date_of_commencement", _required_date("Date of Commencement", today)
        )
        if commencement and incorporated and commencement < incorporated:
            checker.warn(
                "date_of_commencement",
                "Date of Commencement is before the Date of Incorporation",
            )
    elif commenced:
        commencement = incorporated
    return incorporated, commenced, commencement


_UDYAM_ACTIVITY = _CheckCache("major_activity", "nic_codes", "service_kind")


def _udyam_activity(
    checker: _Row,
) -> tuple[MajorActivity, tuple[NicCode, ...], ServiceKind | None]:
    """Major activity, NIC codes and, for services, trading or not."""
    major = checker.choice("major_activity", _MAJOR, MajorActivity.SERVICES)
    nic_codes = _nic_codes(checker)
    service_kind = None
    if major is MajorActivity.SERVICES:
        all_trading = bool(nic_codes) and all(
            code.activity is NicActivity.TRADING for code in nic_codes
        )
        default_kind = ServiceKind.TRADING if all_trading else ServiceKind.NON_TRADING
        service_kind = checker.choice("service_kind", _SERVICE_KINDS, default_kind)
    return major, tuple(nic_codes), service_kind


def _turnover(checker: _Row) -> tuple[float, float]:
    total = checker.amount("turnover_total")
    export = checker.amount("turnover_export")
    if export > total:
        checker.warn(
            "turnover_export", "Export turnover is more than the total turnover"
        )
    return total, export


_UDYAM_PROFILE = _CheckCache(
    "social_category", "specially_abled", "previous_registration", "bank_name", "ifsc"
)


def _udyam_profile(checker: _Row) -> dict[str, Any]:
    """Social category, bank and the like: UdyamRequest fields by name."""
    return {
        "social_category": checker.choice(
            "social_category", _SOCIAL, SocialCategory.GENERAL
        ),
        "specially_abled": checker.yes_no("specially_abled"),
        "previous_registration": checker.choice(
            "previous_registration", _PREVIOUS, PreviousRegistration.NONE
        ),
        "bank_name": checker.required_text("bank_name", " (Udyam needs it)"),
        "ifsc": checker.parsed(
            "ifsc", lambda value: ids.validate_ifsc(cell_text(value)), ""
        ),
    }


_UDYAM_FIGURES = _CheckCache(
    "employees_male",
    "employees_female",
    "employees_others",
    "investment_wdv",
    "investment_exclusion",
    "itr_filed",
    "interest_gem",
    "interest_treds",
    "interest_ncs",
    "interest_nsic",
    "interest_sid",
)


def _udyam_figures(checker: _Row) -> dict[str, Any]:
    """Employees, investment, ITR and interests: UdyamRequest fields by name."""
    return {
        "employees_male": checker.amount("employees_male", whole=True),
        "employees_female": checker.amount("employees_female", whole=True),
        "employees_others": checker.amount("employees_others", whole=True),
        "investment_wdv": checker.amount("investment_wdv"),
        "investment_exclusion": checker.amount("investment_exclusion"),
        "itr_filed": checker.yes_no("itr_filed"),
        "interest_gem": checker.yes_no("interest_gem"),
        "interest_treds": checker.yes_no("interest_treds"),
        "interest_ncs": checker.yes_no("interest_ncs"),
        "interest_nsic": checker.yes_no("interest_nsic"),
        "interest_sid": checker.yes_no("interest_sid"),
    }


@functools.lru_cache(maxsize=8)  # one parser a label and day, not one a row
def _required_date(label: str, today: dt.date) -> Any:
    def parse(value: Any) -> dt.date:
        if cell_text(value) == "":
            raise _Problem(f"{label} is missing (DD/MM/YYYY; Udyam needs it)")
        day = parse_date(value)
        if day > today:
            raise _Problem(f"{label} {day:%d/%m/%Y} is in the future")
        return day

    return parse


def _nic_codes(checker: _Row) -> list[NicCode]:
    text = checker.text("nic_codes")
    codes, problems = _parse_nic_codes(text)
    for problem in problems:
        checker.error("nic_codes", problem)
    return list(codes)  # each applicant gets its own list; the codes are shared


@functools.lru_cache(maxsize=1024)  # a file repeats a few NIC codes down the column
def _parse_nic_codes(text: str) -> tuple[tuple[NicCode, ...], tuple[str, ...]]:
    """The distinct codes in ``text`` and the problems found, in order."""
    if not text:
        return (), ("NIC Codes is missing: at least one 5-digit NIC code",)
    codes: list[NicCode] = []
    problems: list[str] = []
    for part in _LIST_SPLIT.split(text):
        if not part:
            continue
        code = part.removesuffix(".0")
        if not (len(code) == 5 and code.isascii() and code.isdigit()):
            problems.append(f"NIC code '{part[:10]}' must be 5 digits")
            continue
        if code not in {existing.code for existing in codes}:
            codes.append(_build(NicCode, code=code, activity=_nic_activity(code)))
    return tuple(codes), tuple(problems)


def _account_number(checker: _Row) -> str:
    try:
        digits = checker.whole_number_text("account_number", "Account Number", True)
    except _Problem as problem:
        checker.error("account_number", str(problem))
        return ""
    digits = digits.replace(" ", "").replace("-", "")
    if not digits:
        checker.error("account_number", "Account Number is missing (Udyam needs it)")
    elif not (6 <= len(digits) <= 18 and digits.isascii() and digits.isdigit()):
        checker.error("account_number", "Account Number must be 6 to 18 digits")
    return digits


def _gstin(checker: _Row, pan: str) -> tuple[GstinAnswer, str]:
    text = checker.text("gstin")
    default = GstinAnswer.YES if text else GstinAnswer.NO
    answer = checker.choice("gstin_answer", _GSTIN_ANSWERS, default)
    if answer is not GstinAnswer.YES:
        if text:
            checker.error(
                "gstin",
                f"A GSTIN is given but 'Has GSTIN' says {answer.value.title()}; "
                "correct one of them",
            )
        return answer, ""
    if not text:
        checker.error("gstin", "GSTIN is missing but 'Has GSTIN' says Yes")
        return answer, ""
    try:
        return answer, ids.validate_gstin(text, pan or None)
    except InvalidIdentifier as problem:
        checker.error("gstin", str(problem))
        return answer, ""


def _consent(
    checker: _Row, services: frozenset[Service], now: dt.datetime | None
) -> Consent | None:
    given = checker.yes_no("consent_given")
    if not given:
        if checker.text("consent_by"):
            checker.warn(
                "consent_given",
                "'Consent by' is filled but 'Consent given' is not Yes; "
                "no consent was recorded",
            )
        return None
    given_at = now or dt.datetime.now()
    if checker.text("consent_date"):
        day = checker.parsed("consent_date", parse_date)
        if day is not None:
            given_at = dt.datetime.combine(day, dt.time())
    return _build(
        Consent,
        given_at=given_at,
        given_by=checker.text("consent_by") or "file",
        services=services,
        note=f"recorded on import from {checker.result.source}",
    )


# -- Across rows -----------------------------------------------------------------------


def check_across_rows(results: Sequence[RowResult]) -> None:
    """Add the errors that only show across rows (and files), in place.

    A mobile number or email given for two different PANs is an error on the later row
    (certifying authorities reject a reused one) and a warning on the first. The same
    PAN asking twice for the same service is a duplicate: an error on the later row.
    """
    first_mobile: dict[str, RowResult] = {}
    first_email: dict[str, RowResult] = {}
    first_request: dict[tuple[str, Service], RowResult] = {}
    for result in results:
        keys = result.keys
        for value, seen, key, label in (
            (keys.mobile, first_mobile, "mobile", "mobile number"),
            (keys.email, first_email, "email", "email address"),
        ):
            if not value:
                continue
            earlier = seen.setdefault(value, result)
            if earlier is not result and earlier.keys.pan != keys.pan and keys.pan:
                result.errors.append(
                    Issue(
                        result.column_name(key),
                        f"This {label} is already given for another applicant "
                        f"({earlier.source}); each applicant needs their own",
                    )
                )
                earlier.warnings.append(
                    Issue(
                        earlier.column_name(key),
                        f"This {label} is also given for another applicant "
                        f"({result.source})",
                    )
                )
        if not keys.pan:
            continue
        for service in sorted(keys.services):
            earlier = first_request.setdefault((keys.pan, service), result)
            if earlier is not result:
                result.errors.append(
                    Issue(
                        result.column_name("pan"),
                        f"Duplicate: PAN {keys.pan} already asks for {service.label} "
                        f"({earlier.source})",
                    )
                )
