"""Row validation: each check, the built applicant, and the cross-row rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core.identifiers import aadhaar_check_digit, gstin_check_character
from desktop_app.core.models import (
    Applicant,
    CertificateType,
    DscRequest,
    GstinAnswer,
    KycRoute,
    NicActivity,
    OrgType,
    Person,
    Service,
    ServiceKind,
    UdyamRequest,
)
from desktop_app.core.validation import (
    COLUMNS,
    check_across_rows,
    is_weak_pin,
    make_ref,
    match_header,
    names_match,
    parse_date,
    validate_row,
)

NOW = dt.datetime(2025, 6, 1, 10, 30)


def aadhaar(first11: str) -> str:
    return first11 + aadhaar_check_digit(first11)


def dsc_row(**changes):
    row = {
        "services": "DSC",
        "full_name": "Senthil Kumar Raghavan",
        "pan_name": "SENTHIL KUMAR RAGHAVAN",
        "date_of_birth": "14/08/1986",
        "gender": "Male",
        "pan": "BKRPR4521K",
        "aadhaar": "2341 2341 2346",
        "mobile": "9840012345",
        "email": "senthil@example.in",
    }
    row.update(changes)
    return row


def udyam_row(**changes):
    row = dsc_row(
        services="Udyam",
        enterprise_name="Raghavan Stores",
        date_of_incorporation="01/04/2019",
        bank_name="Canara Bank",
        ifsc="CNRB0001234",
        account_number="1234101056789",
        nic_codes="47211",
        pin_code="613001",
        state="Tamil Nadu",
        district="Thanjavur",
    )
    row.update(changes)
    return row


def check(row, **kwargs):
    return validate_row(row, row=2, now=NOW, **kwargs)


def messages(result, kind="errors"):
    return " | ".join(f"{i.column}: {i.message}" for i in getattr(result, kind))


def revalidate(applicant: Applicant) -> Applicant:
    """Run the built applicant through pydantic: our own checks must be complete."""
    person = dict(applicant.person)
    person["aadhaar"] = applicant.person.aadhaar.reveal()
    person["address"] = dict(applicant.person.address)
    data = dict(applicant)
    data["person"] = Person.model_validate(person)
    if applicant.dsc:
        data["dsc"] = DscRequest.model_validate(dict(applicant.dsc))
    if applicant.udyam:
        udyam = dict(applicant.udyam)
        udyam["official_address"] = dict(applicant.udyam.official_address)
        udyam["units"] = [
            {"name": u.name, "address": dict(u.address)} for u in applicant.udyam.units
        ]
        udyam["nic_codes"] = [dict(code) for code in applicant.udyam.nic_codes]
        data["udyam"] = UdyamRequest.model_validate(udyam)
    if applicant.consent:
        data["consent"] = dict(applicant.consent)
    return Applicant.model_validate(data)


def test_a_good_dsc_row_builds_an_applicant():
    result = check(dsc_row())
    assert result.valid, messages(result)
    applicant = result.applicant
    assert applicant.services == {Service.DSC}
    assert applicant.person.aadhaar.reveal() == "234123412346"
    assert applicant.person.date_of_birth == dt.date(1986, 8, 14)
    assert applicant.dsc.kyc_route is KycRoute.AADHAAR
    assert applicant.udyam is None
    assert applicant.ref == make_ref("BKRPR4521K", dt.date(1986, 8, 14), {Service.DSC})
    assert revalidate(applicant) == applicant


def test_a_good_udyam_row_with_gstin_builds_everything():
    first14 = "33BKRPR4521K1Z"
    row = udyam_row(
        services="DSC + Udyam",
        gstin=first14 + gstin_check_character(first14),
        nic_codes="47211; 10712",
        employees_male="2",
        investment_wdv="₹ 2,50,000",
        turnover_total="18,00,000.50",
        interest_gem="yes",
        consent_given="Yes",
        consent_by="Priya",
    )
    result = check(row)
    assert result.valid, messages(result)
    udyam = result.applicant.udyam
    assert udyam.gstin_answer is GstinAnswer.YES
    assert [c.code for c in udyam.nic_codes] == ["47211", "10712"]
    assert udyam.nic_codes[1].activity is NicActivity.MANUFACTURING
    assert udyam.investment_wdv == 250000
    assert udyam.turnover_total == 1800000.5
    assert udyam.interest_gem and not udyam.interest_treds
    assert udyam.dic == "Thanjavur"
    assert udyam.units[0].name == "Raghavan Stores"
    consent = result.applicant.consent
    assert consent.given_by == "Priya"
    assert consent.services == {Service.DSC, Service.UDYAM}
    assert consent.given_at == NOW
    assert result.applicant.can_file(Service.UDYAM)
    assert revalidate(result.applicant) == result.applicant


def test_mixed_errors_name_their_columns():
    result = check(
        dsc_row(
            aadhaar="234123412347", pan="BKRPR452", mobile="5876543210", email="x@"
        ),
        headers={"aadhaar": "Aadhar No.", "pan": "PAN Number"},
    )
    assert not result.valid and result.applicant is None
    columns = {issue.column for issue in result.errors}
    assert columns == {"Aadhar No.", "PAN Number", "Mobile", "Email"}
    assert "234123412347" not in messages(result)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (234123412346.0, True),
        (2.34123e11, False),
        (234123412346.5, False),
        ("2.34123E+11", False),
        (234123412346, True),
    ],
)
def test_excel_numeric_aadhaar(value, valid):
    result = check(dsc_row(aadhaar=value))
    assert result.valid is valid, messages(result)
    if not valid:
        assert "Text" in messages(result)
    assert result.numeric_columns == (
        {"Aadhaar"} if not isinstance(value, str) else set()
    )


def test_dsc_needs_an_individual_pan():
    result = check(dsc_row(pan="AADCN4567H"))
    assert "4th letter 'C'" in messages(result)


def test_udyam_org_type_must_match_pan_and_gstin_pan_must_match():
    first14 = "27ABCFS6789Q1Z"
    firm_gstin = first14 + gstin_check_character(first14)
    good = check(
        udyam_row(
            org_type="Partnership",
            pan="ABCFS6789Q",
            gstin=firm_gstin,
            enterprise_name="Sharma Wood Works",
            pan_name="SHARMA WOOD WORKS",
        )
    )
    assert good.valid, messages(good)
    assert good.applicant.udyam.org_type is OrgType.PARTNERSHIP
    assert not good.warnings, messages(good, "warnings")  # no name-mismatch for a firm
    wrong_type = check(udyam_row(org_type="Private Limited Company"))
    assert "'C' (company)" in messages(wrong_type)
    other_gstin = check(udyam_row(gstin=firm_gstin))
    assert "belongs to PAN ABCFS6789Q" in messages(other_gstin)


def test_dsc_and_udyam_for_a_company_on_one_row_is_refused():
    result = check(udyam_row(services="both", org_type="pvt ltd", pan="AADCN4567H"))
    assert "separate rows" in messages(result)


def test_pan_fifth_letter_is_only_a_warning():
    result = check(dsc_row(pan="BKRPZ4521K"))
    assert result.valid
    assert "5th letter 'Z'" in messages(result, "warnings")


def test_names_compared_fuzzily_warn_only():
    assert names_match("Senthil Kumar Raghavan", "RAGHAVAN SENTHIL KUMAR")
    assert names_match("R. K. Yadav", "Rajesh Kumar Yadav")
    assert names_match("Mohd Irfan", "Mohammed Irfan")
    assert names_match("Lakshmi Devi", "Laxmi Devi")
    assert not names_match("Sunita Kumari Rao", "Sunita Reddy")
    assert not names_match("Ramesh Kumar", "Ramesh Kumar Sharma")
    result = check(dsc_row(pan_name="Senthil Murugan"))
    assert result.valid
    assert "differs" in messages(result, "warnings")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("14/08/1986", dt.date(1986, 8, 14)),
        ("4/8/1986", dt.date(1986, 8, 4)),
        ("1986-08-14", dt.date(1986, 8, 14)),
        ("1986-08-14T00:00:00", dt.date(1986, 8, 14)),
        (dt.datetime(1986, 8, 14, 0, 0), dt.date(1986, 8, 14)),
        (dt.date(1986, 8, 14), dt.date(1986, 8, 14)),
        (31638, dt.date(1986, 8, 14)),
        (31638.0, dt.date(1986, 8, 14)),
        ("31638", dt.date(1986, 8, 14)),
    ],
)
def test_date_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/1990", "1990/31/01", "yesterday", -5, 1e12])
def test_bad_dates_are_errors(value):
    result = check(dsc_row(date_of_birth=value))
    assert any(issue.column == "Date of Birth" for issue in result.errors)


def test_future_birth_date_is_an_error():
    result = check(dsc_row(date_of_birth="01/01/2030"))
    assert "future" in messages(result)


def test_pin_is_generated_when_absent_and_flagged():
    result = check(dsc_row())
    dsc = result.applicant.dsc
    assert dsc.pin_generated and len(dsc.pin) == 6 and not is_weak_pin(dsc.pin)
    given_pin = check(dsc_row(dsc_pin=482915.0)).applicant.dsc
    assert given_pin.pin == "482915" and not given_pin.pin_generated
    short = check(dsc_row(dsc_pin=12345.0))
    assert "format the column as Text" in messages(short)


def test_weak_pins():
    assert is_weak_pin("111111") and is_weak_pin("123456") and is_weak_pin("654321")
    assert not is_weak_pin("482915")


def test_pan_route_documents_resolve_relative_to_the_file(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    for name in ("pan.pdf", "address.pdf"):
        (tmp_path / "docs" / name).write_bytes(b"%PDF-1.4 tiny")
    row = dsc_row(
        kyc_route="PAN",
        pan_copy="docs/pan.pdf",
        address_proof="docs/address.pdf",
        photo="docs/photo.jpg",
        certificate_type="Combo",
    )
    result = check(row, base_dir=tmp_path)
    assert [issue.column for issue in result.errors] == ["Photo File"]
    assert "does not exist" in messages(result)
    (tmp_path / "docs" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    result = check(row, base_dir=tmp_path)
    assert result.valid, messages(result)
    assert result.applicant.dsc.pan_copy == (tmp_path / "docs" / "pan.pdf").resolve()
    assert result.applicant.dsc.certificate_type is CertificateType.COMBO


def test_udyam_requirements_are_reported():
    result = check(dsc_row(services="Udyam"))
    columns = {issue.column for issue in result.errors}
    for needed in (
        "Enterprise Name",
        "Date of Incorporation",
        "Bank Name",
        "IFSC",
        "Account Number",
        "NIC Codes",
        "PIN Code",
        "State",
        "District",
    ):
        assert needed in columns


def test_services_kind_follows_the_nic_codes():
    trading = check(udyam_row(nic_codes="47211")).applicant.udyam
    assert trading.service_kind is ServiceKind.TRADING
    services = check(udyam_row(nic_codes="62011")).applicant.udyam
    assert services.service_kind is ServiceKind.NON_TRADING


def test_negative_and_bad_figures():
    result = check(
        udyam_row(
            employees_male="-1",
            turnover_total="lots",
            employees_female="2.5",
            nic_codes="4721",
        )
    )
    text = messages(result)
    assert "zero or more" in text and "not a number" in text
    assert "whole number" in text and "5 digits" in text


def test_ref_column_overrides_and_refs_are_stable():
    assert check(dsc_row(ref="OFFICE-17")).applicant.ref == "OFFICE-17"
    first, again = check(dsc_row()), check(dsc_row(mobile="9840099999"))
    assert first.ref == again.ref
    assert check(dsc_row(services="Udyam")).ref != first.ref


def test_cross_row_mobile_email_and_duplicate_pan():
    rows = [
        validate_row(dsc_row(), row=2, now=NOW, source="f.csv row 2"),
        validate_row(
            dsc_row(
                pan="CDKPD7310M",
                aadhaar=aadhaar("48215937604"),
                email="other@example.in",
                mobile="+91 98400 12345",
            ),
            row=3,
            now=NOW,
            source="f.csv row 3",
        ),
        validate_row(
            dsc_row(
                pan="EFGPS2345L",
                aadhaar=aadhaar("73920418256"),
                mobile="9880123456",
                email="SENTHIL@example.in",
            ),
            row=4,
            now=NOW,
            source="f.csv row 4",
        ),
        validate_row(dsc_row(), row=5, now=NOW, source="f.csv row 5"),
        validate_row(dsc_row(services="Udyam"), row=6, now=NOW, source="f.csv row 6"),
    ]
    check_across_rows(rows)
    assert rows[0].valid and "also given" in messages(rows[0], "warnings")
    assert "Mobile: This mobile number is already given" in messages(rows[1])
    assert "f.csv row 2" in messages(rows[1])
    assert "Email: This email address is already given" in messages(rows[2])
    assert "Duplicate: PAN BKRPR4521K already asks for eMudhra DSC" in messages(rows[3])
    # The same person asking for another service shares mobile and email legitimately.
    assert not any("already" in i.message for i in rows[4].errors)


def test_every_column_has_a_unique_header_and_known_aliases():
    headers = [column.header for column in COLUMNS]
    assert len(set(headers)) == len(headers)
    for column in COLUMNS:
        assert match_header(column.header) == column.key
        for alias in column.aliases:
            assert match_header(alias) == column.key, alias
    for typed, key in [
        ("Aadhar", "aadhaar"),
        ("AADHAAR_NO", "aadhaar"),
        ("UID", "aadhaar"),
        ("Aadhaar Number", "aadhaar"),
        ("Mobile No.", "mobile"),
        ("phone", "mobile"),
        ("PAN No", "pan"),
        ("Name as per PAN", "pan_name"),
        ("PAN Name", "pan_name"),
        ("Full Name", "full_name"),
        ("name", "full_name"),
        ("D.O.B.", "date_of_birth"),
        ("date_of_birth", "date_of_birth"),
    ]:
        assert match_header(typed) == key
    assert match_header("Favourite colour") is None


cell_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.lists(st.text(max_size=5), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([c.key for c in COLUMNS]), cell_values))
def test_no_cell_values_make_validation_raise(cells):
    result = validate_row(cells, row=2, now=NOW)
    assert result.valid or result.errors
