"""Spellings tried for the "name as in PAN"."""

from __future__ import annotations

from desktop_app.automation.names import name_variants


def test_three_part_name_in_the_documented_order() -> None:
    assert name_variants("Ramesh Kumar Sharma") == [
        "Ramesh Kumar Sharma",  # as given
        "Sharma Kumar Ramesh",  # reversed
        "Ramesh S",  # first name with last initial
        "Sharma R",  # last name with first initial
        "R K Sharma",  # initials and last name
        "Ramesh",  # each name alone
        "Kumar",
        "Sharma",
        "Ramesh Sharma",  # without the middle name
    ]


def test_pan_name_variant_comes_before_the_aadhaar_one_of_each_shape() -> None:
    variants = name_variants("SHARMA RAMESH", "Ramesh Sharma")

    assert variants == [
        "SHARMA RAMESH",  # as given: PAN, then Aadhaar
        "Ramesh Sharma",  # (each reversal repeats the other's as-given: dropped)
        "SHARMA R",  # first name with last initial: PAN, then Aadhaar
        "Ramesh S",
        "S RAMESH",  # initials and last name
        "R Sharma",
        "SHARMA",  # each name alone
        "RAMESH",
    ]


def test_repeats_are_dropped_ignoring_case_and_spacing() -> None:
    variants = name_variants("MEENA  RAGHAVAN", "Meena Raghavan")

    keys = [" ".join(v.upper().split()) for v in variants]
    assert len(keys) == len(set(keys))
    assert variants[0] == "MEENA RAGHAVAN"
    assert "Meena Raghavan" not in variants  # same name as the PAN one


def test_initials_written_with_dots() -> None:
    variants = name_variants("R.S. Iyer")
    assert variants[0] == "R S Iyer"
    assert "Iyer R" in variants


def test_single_name_and_blank_input() -> None:
    assert name_variants("Lakshmi") == ["Lakshmi"]
    assert name_variants("  ", "") == []
    assert name_variants("", "Arjun Das")[0] == "Arjun Das"
