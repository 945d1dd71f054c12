"""Checks for Indian identifiers, run before any browser opens. Pure functions, no I/O.

Every ``validate_*`` function takes what an operator typed (or what a spreadsheet cell
held, already turned into text), returns the normalised value and raises
:class:`InvalidIdentifier` with a message an operator understands when it is wrong.
The ``is_valid_*`` helpers answer yes or no for the same rules. The rules and public
test vectors are in IDENTIFIERS.md section 1.

No message ever contains a full Aadhaar number: only :func:`mask_aadhaar` output.
"""

from __future__ import annotations

import re

from desktop_app.core.models import OrgType

__all__ = [
    "InvalidIdentifier",
    "aadhaar_check_digit",
    "clean",
    "gstin_check_character",
    "is_valid_aadhaar",
    "is_valid_gstin",
    "is_valid_ifsc",
    "is_valid_mobile",
    "is_valid_pan",
    "mask_aadhaar",
    "mask_pan",
    "normalise_mobile",
    "pan_holder_type",
    "validate_aadhaar",
    "validate_email",
    "validate_gstin",
    "validate_ifsc",
    "validate_pan",
    "validate_pin_code",
    "verhoeff_check",
]


class InvalidIdentifier(ValueError):
    """An identifier that breaks a rule; ``str()`` is the message for the operator."""


# Verhoeff's dihedral-group tables: multiplication, position permutation, inverse.
_VERHOEFF_MULTIPLY = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_PERMUTE = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INVERSE = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)
# The two tables folded into one step per position (mod 8), indexed by
# check * 10 + digit: a third of the look-ups, for 100,000-row imports.
_VERHOEFF_STEPS = tuple(
    tuple(
        _VERHOEFF_MULTIPLY[check][permute[digit]]
        for check in range(10)
        for digit in range(10)
    )
    for permute in _VERHOEFF_PERMUTE
)

# Two positions per step: for each pair of positions (2k, 2k+1) from the right, the
# check after both digits, indexed by check * 100 + the pair read as a number
# (tens digit at 2k+1). An Aadhaar number then takes six look-ups, not twelve.
_VERHOEFF_PAIRS = tuple(
    tuple(
        _VERHOEFF_STEPS[(2 * k + 1) & 7][
            _VERHOEFF_STEPS[(2 * k) & 7][check * 10 + pair % 10] * 10 + pair // 10
        ]
        for check in range(10)
        for pair in range(100)
    )
    for k in range(4)
)

_SEPARATORS = re.compile(r"[\s\-]+")
_AADHAAR = re.compile(r"[2-9]\d{11}")
_PAN = re.compile(r"[A-Z]{5}\d{4}[A-Z]")
_GSTIN = re.compile(r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]")
_IFSC = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
_MOBILE = re.compile(r"[6-9]\d{9}")
_MOBILE_JUNK = re.compile(r"[\s\-().]+")
_PIN_CODE = re.compile(r"[1-9]\d{5}")
# Deliberately plain: one @, something before it, a dotted domain with a real TLD.
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)

# PAN 4th letter -> holder type (IDENTIFIERS.md section 1); K is newer ("Krish").
PAN_HOLDER_TYPES = {
    "A": "association of persons",
    "B": "body of individuals",
    "C": "company",
    "F": "firm or LLP",
    "G": "government",
    "H": "Hindu undivided family",
    "J": "artificial juridical person",
    "K": "krish (agriculture) holder",
    "L": "local authority",
    "P": "individual",
    "T": "trust",
}

GSTIN_STATE_CODES = frozenset({f"{code:02d}" for code in range(1, 39)} | {"97", "99"})
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def clean(value: str) -> str:
    """Strip, upper-case and drop spaces and hyphens, as every rule here assumes."""
    if value.isalnum():  # the usual case, with nothing to drop: skip the regex
        return value.upper()
    return _SEPARATORS.sub("", value.strip()).upper()


# -- Aadhaar -----------------------------------------------------------------------


def verhoeff_check(digits: str) -> bool:
    """True when the last digit of ``digits`` is a correct Verhoeff check digit."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    number, check, pairs = int(digits), 0, _VERHOEFF_PAIRS
    for k in range(len(digits) // 2):  # leading zeros are digits too: count them
        check = pairs[k & 3][check * 100 + number % 100]
        number //= 100
    if len(digits) % 2:
        check = _VERHOEFF_STEPS[(len(digits) - 1) & 7][check * 10 + number]
    return check == 0


def aadhaar_check_digit(first_digits: str) -> str:
    """The Verhoeff digit to append to ``first_digits`` (to make sample numbers)."""
    check = 0
    for position, digit in enumerate(reversed(first_digits)):
        permuted = _VERHOEFF_PERMUTE[(position + 1) % 8][int(digit)]
        check = _VERHOEFF_MULTIPLY[check][permuted]
    return str(_VERHOEFF_INVERSE[check])


def mask_aadhaar(digits: str) -> str:
    """``XXXX XXXX 1234``: the only form in which an Aadhaar number may be shown."""
    only_digits = "".join(ch for ch in digits if ch.isdigit())
    return f"XXXX XXXX {only_digits[-4:]}"


def validate_aadhaar(value: str) -> str:
    """The 12 Aadhaar digits, or :class:`InvalidIdentifier` saying what is wrong."""
    digits = clean(value)
    if not digits:
        raise InvalidIdentifier("Aadhaar number is missing")
    if "E+" in digits or "." in digits:
        raise InvalidIdentifier(
            "Aadhaar number looks changed by Excel (it became a decimal or a number "
            "like 2.34E+11); format the Aadhaar column as Text and type it again"
        )
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidIdentifier("Aadhaar number must contain only digits")
    if len(digits) != 12:
        raise InvalidIdentifier(
            f"Aadhaar number must have 12 digits, this one has {len(digits)}"
        )
    if not _AADHAAR.fullmatch(digits):
        raise InvalidIdentifier("Aadhaar number cannot start with 0 or 1")
    if digits == digits[::-1]:
        raise InvalidIdentifier(
            "Aadhaar number reads the same both ways; it is not real"
        )
    if not verhoeff_check(digits):
        raise InvalidIdentifier(
            f"Aadhaar number {mask_aadhaar(digits)} is not valid (its check digit is "
            "wrong); check it against the card"
        )
    return digits


def is_valid_aadhaar(value: str) -> bool:
    try:
        validate_aadhaar(value)
    except InvalidIdentifier:
        return False
    return True


# -- PAN ---------------------------------------------------------------------------


def mask_pan(pan: str) -> str:
    """``AAPPVXXXXK``: the first five letters and the last, as the CBDT masks it."""
    pan = clean(pan)
    return f"{pan[:5]}XXXX{pan[9:10]}" if len(pan) == 10 else "X" * len(pan)


def pan_holder_type(pan: str) -> str:
    """The holder type a PAN's 4th letter stands for, e.g. ``"individual"``."""
    return PAN_HOLDER_TYPES.get(clean(pan)[3:4], "unknown")


def validate_pan(pan: str, org_type: OrgType | str | None = None) -> str:
    """The upper-case PAN, or :class:`InvalidIdentifier`.

    Args:
        pan: the PAN as typed.
        org_type: the Udyam organisation type the PAN must fit, or a string of the 4th
            letters that fit (``"P"`` for an individual, as a DSC needs); None accepts
            any known holder type.
    """
    allowed_holder_types = (
        org_type.pan_holder_types if isinstance(org_type, OrgType) else org_type
    )
    value = clean(pan)
    if not value:
        raise InvalidIdentifier("PAN is missing")
    if len(value) != 10 or not _PAN.fullmatch(value):
        raise InvalidIdentifier(
            f"PAN '{value[:12]}' is not in the form ABCDE1234F "
            "(5 letters, 4 digits, 1 letter)"
        )
    holder = value[3]
    if holder not in PAN_HOLDER_TYPES:
        raise InvalidIdentifier(
            f"PAN {value}: the 4th letter '{holder}' is not a PAN holder type"
        )
    if value[5:9] == "0000":
        raise InvalidIdentifier(f"PAN {value}: the number part cannot be 0000")
    if allowed_holder_types and holder not in allowed_holder_types:
        wanted = " or ".join(
            f"'{letter}' ({PAN_HOLDER_TYPES[letter]})"
            for letter in allowed_holder_types
        )
        raise InvalidIdentifier(
            f"PAN {value} belongs to {_a(PAN_HOLDER_TYPES[holder])} (4th letter "
            f"'{holder}'); here it must be {wanted}"
        )
    return value


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiouAEIOU" else f"a {noun}"


def is_valid_pan(pan: str, org_type: OrgType | str | None = None) -> bool:
    try:
        validate_pan(pan, org_type)
    except InvalidIdentifier:
        return False
    return True


# -- GSTIN -------------------------------------------------------------------------


def gstin_check_character(first14: str) -> str:
    """The Luhn mod-36 check character for the first 14 characters of a GSTIN."""
    total = 0
    for position, char in enumerate(reversed(first14.upper())):
        product = _BASE36.index(char) * (2 if position % 2 == 0 else 1)
        total += product // 36 + product % 36
    return _BASE36[(36 - total % 36) % 36]


def validate_gstin(gstin: str, pan: str | None = None) -> str:
    """The upper-case GSTIN, or :class:`InvalidIdentifier`.

    Args:
        gstin: the GSTIN as typed.
        pan: when given, the PAN the GSTIN must contain (characters 3 to 12).
    """
    value = clean(gstin)
    if not value:
        raise InvalidIdentifier("GSTIN is missing")
    if len(value) != 15 or not _GSTIN.fullmatch(value):
        raise InvalidIdentifier(
            f"GSTIN '{value[:17]}' is not in the form 22ABCDE1234F1Z5 "
            "(state code, PAN, entity number, Z, check character)"
        )
    if value[:2] not in GSTIN_STATE_CODES:
        raise InvalidIdentifier(f"GSTIN {value}: '{value[:2]}' is not a GST state code")
    try:
        validate_pan(value[2:12])
    except InvalidIdentifier as problem:
        raise InvalidIdentifier(
            f"GSTIN {value} contains a wrong PAN: {problem}"
        ) from None
    if pan is not None and clean(pan) != value[2:12]:
        raise InvalidIdentifier(
            f"GSTIN {value} belongs to PAN {value[2:12]}, not to this applicant's "
            f"PAN {clean(pan)}"
        )
    if gstin_check_character(value[:14]) != value[14]:
        raise InvalidIdentifier(
            f"GSTIN {value} is not valid (its last character, the check character, is "
            "wrong); check it against the GST certificate"
        )
    return value


def is_valid_gstin(gstin: str, pan: str | None = None) -> bool:
    try:
        validate_gstin(gstin, pan)
    except InvalidIdentifier:
        return False
    return True


# -- Bank, phone, post, mail -------------------------------------------------------


def validate_ifsc(ifsc: str) -> str:
    value = clean(ifsc)
    if not value:
        raise InvalidIdentifier("IFSC is missing")
    if not _IFSC.fullmatch(value):
        raise InvalidIdentifier(
            f"IFSC '{value[:13]}' is not in the form SBIN0001234 "
            "(4 letters, a zero, then 6 letters or digits)"
        )
    return value


def is_valid_ifsc(ifsc: str) -> bool:
    return bool(_IFSC.fullmatch(clean(ifsc)))


def normalise_mobile(value: str) -> str:
    """Ten digits starting 6-9, from ``+91 98765 43210``, ``098765-43210`` and so on."""
    # Plain digits (the usual case) have nothing to drop: skip the regex.
    digits = value if value.isdigit() else _MOBILE_JUNK.sub("", value.strip())
    if digits.startswith("+91"):
        digits = digits[3:]
    elif digits.startswith("0091") and len(digits) == 14:
        digits = digits[4:]
    elif digits.startswith("91") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = digits[1:]
    if not digits:
        raise InvalidIdentifier("Mobile number is missing")
    if not _MOBILE.fullmatch(digits):
        raise InvalidIdentifier(
            f"Mobile number '{value.strip()[:16]}' is not an Indian mobile number "
            "(10 digits starting with 6, 7, 8 or 9)"
        )
    return digits


def is_valid_mobile(value: str) -> bool:
    try:
        normalise_mobile(value)
    except InvalidIdentifier:
        return False
    return True


def validate_pin_code(value: str) -> str:
    pin = _SEPARATORS.sub("", value.strip())
    if not pin:
        raise InvalidIdentifier("PIN code is missing")
    if not _PIN_CODE.fullmatch(pin):
        raise InvalidIdentifier(
            f"PIN code '{pin[:8]}' must be 6 digits and cannot start with 0"
        )
    return pin


def validate_email(value: str) -> str:
    """The address in lower case, or :class:`InvalidIdentifier`."""
    address = value.strip()
    if not address:
        raise InvalidIdentifier("Email address is missing")
    if len(address) > 254 or not _EMAIL.fullmatch(address) or ".." in address:
        raise InvalidIdentifier(
            f"Email address '{address[:40]}' is not valid (expected name@example.com)"
        )
    return address.lower()
