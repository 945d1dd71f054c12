"""Identifier rules against the public test vectors in IDENTIFIERS.md section 1."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core import identifiers as ids
from desktop_app.core.identifiers import InvalidIdentifier
from desktop_app.core.models import OrgType


@pytest.mark.parametrize("number", ["234123412346", "999941057058", "999971658847"])
def test_public_aadhaar_vectors_pass(number):
    assert ids.verhoeff_check(number)
    assert ids.validate_aadhaar(number) == number


@pytest.mark.parametrize(
    "typed", ["2341 2341 2346", "2341-2341-2346", " 234123412346 "]
)
def test_aadhaar_spaces_and_hyphens_are_allowed(typed):
    assert ids.validate_aadhaar(typed) == "234123412346"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("234123412347", "check digit"),
        ("123412341234", "cannot start with 0 or 1"),
        ("643343121", "12 digits"),
        ("222222222222", "same both ways"),
        ("2.34123E+11", "format the Aadhaar column as Text"),
        ("234123412346.0", "format the Aadhaar column as Text"),
        ("", "missing"),
        ("2341234123ab", "only digits"),
    ],
)
def test_bad_aadhaar_numbers_say_why(number, fragment):
    with pytest.raises(InvalidIdentifier, match=fragment):
        ids.validate_aadhaar(number)


def test_aadhaar_messages_never_show_the_full_number():
    with pytest.raises(InvalidIdentifier) as caught:
        ids.validate_aadhaar("234123412347")
    assert "234123412347" not in str(caught.value)
    assert "XXXX XXXX 2347" in str(caught.value)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_computed_check_digit_always_verifies(first11):
    assert ids.verhoeff_check(first11 + ids.aadhaar_check_digit(first11))


@given(st.integers(min_value=10**11, max_value=10**12 - 1), st.integers(1, 9))
def test_a_changed_last_digit_fails_verhoeff(number, shift):
    digits = str(number)
    changed = digits[:-1] + str((int(digits[-1]) + shift) % 10)
    assert not (ids.verhoeff_check(digits) and ids.verhoeff_check(changed))


def test_masks():
    assert ids.mask_aadhaar("234123412346") == "XXXX XXXX 2346"
    assert ids.mask_aadhaar("2341 2341 2346") == "XXXX XXXX 2346"
    assert ids.mask_pan("AAPPV8261K") == "AAPPVXXXXK"


@pytest.mark.parametrize("pan", ["ACUPA7085R", "AAPPV8261K", "aappv8261k"])
def test_public_pan_vectors_pass(pan):
    assert ids.validate_pan(pan) == pan.upper()
    assert ids.validate_pan(pan, "P") == pan.upper()


@pytest.mark.parametrize(
    ("pan", "fragment"),
    [
        ("ABMXA3211G", "not a PAN holder type"),
        ("ABMPA32111", "form ABCDE1234F"),
        ("ABMPA0000G", "cannot be 0000"),
        ("", "missing"),
    ],
)
def test_bad_pans(pan, fragment):
    with pytest.raises(InvalidIdentifier, match=fragment):
        ids.validate_pan(pan)


def test_pan_holder_type_must_fit_the_organisation():
    assert ids.validate_pan("AADCN4567H", OrgType.PRIVATE_LIMITED) == "AADCN4567H"
    assert ids.is_valid_pan("ABCFS6789Q", OrgType.PARTNERSHIP)
    with pytest.raises(InvalidIdentifier, match="company.*must be 'P'"):
        ids.validate_pan("AADCN4567H", OrgType.PROPRIETARY)
    with pytest.raises(InvalidIdentifier, match="an individual"):
        ids.validate_pan("AAPPV8261K", OrgType.TRUST)


def test_gstin_vectors():
    assert ids.validate_gstin("27AAPFU0939F1ZV") == "27AAPFU0939F1ZV"
    assert ids.gstin_check_character("27AAPFU0939F1Z") == "V"
    with pytest.raises(InvalidIdentifier, match="check character"):
        ids.validate_gstin("27AAPFU0939F1ZO")


@pytest.mark.parametrize(
    ("gstin", "pan", "fragment"),
    [
        ("40AAPFU0939F1ZV", None, "not a GST state code"),
        ("27AAPFU0939F1ZV", "AAPFU0939G", "belongs to PAN AAPFU0939F"),
        ("27AAPFU0939F1Z", None, "form 22ABCDE1234F1Z5"),
        ("27AAPXU0939F1ZV", None, "wrong PAN"),
    ],
)
def test_bad_gstins(gstin, pan, fragment):
    with pytest.raises(InvalidIdentifier, match=fragment):
        ids.validate_gstin(gstin, pan)


def test_gstin_special_state_codes_are_accepted():
    for state in ("38", "97", "99"):
        first14 = f"{state}AAPFU0939F1Z"
        assert ids.is_valid_gstin(first14 + ids.gstin_check_character(first14))


@pytest.mark.parametrize(
    "ifsc", ["SBIN0040278", "YESB0000795", "IBKL0070T16", "sbin0040278"]
)
def test_ifsc_valid(ifsc):
    assert ids.validate_ifsc(ifsc) == ifsc.upper()


@pytest.mark.parametrize("ifsc", ["SBIN1040278", "SBI00040278", "SBIN004027"])
def test_ifsc_invalid(ifsc):
    assert not ids.is_valid_ifsc(ifsc)


@pytest.mark.parametrize(
    "typed",
    [
        "9876543210",
        "+91 98765 43210",
        "+91-9876543210",
        "919876543210",
        "09876543210",
        "(098765) 43210",
        "0091 98765 43210",
    ],
)
def test_mobile_forms_normalise(typed):
    assert ids.normalise_mobile(typed) == "9876543210"


@pytest.mark.parametrize("typed", ["5876543210", "987654321", "98765432100", "", "abc"])
def test_bad_mobiles(typed):
    assert not ids.is_valid_mobile(typed)


def test_pin_codes():
    assert ids.validate_pin_code("110001") == "110001"
    assert ids.validate_pin_code("613 001") == "613001"
    for bad in ("012345", "11001", "1100011"):
        with pytest.raises(InvalidIdentifier, match="6 digits"):
            ids.validate_pin_code(bad)


def test_emails():
    assert ids.validate_email(" Meena.S@Example.IN ") == "meena.s@example.in"
    for bad in (
        "meena",
        "meena@",
        "@example.in",
        "meena@example",
        "a b@example.in",
        "a..b@example.in",
    ):
        with pytest.raises(InvalidIdentifier):
            ids.validate_email(bad)


def _textbook_verhoeff(digits: str) -> bool:
    """The check one digit at a time, straight from the two tables."""
    check = 0
    for position, char in enumerate(reversed(digits)):
        permuted = ids._VERHOEFF_PERMUTE[position % 8][int(char)]
        check = ids._VERHOEFF_MULTIPLY[check][permuted]
    return check == 0


@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_the_fast_verhoeff_check_agrees_with_the_textbook_one(digits: str) -> None:
    assert ids.verhoeff_check(digits) == _textbook_verhoeff(digits)
    completed = digits + ids.aadhaar_check_digit(digits)
    assert ids.verhoeff_check(completed) and _textbook_verhoeff(completed)
