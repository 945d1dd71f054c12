"""Spellings of a person's name to try where a portal wants the "name as in PAN".

The Income Tax database often holds a name in a different shape from the one on the
Aadhaar card or in the office's file (surname first, initials, no middle name). Portals
refuse a mismatch without saying which spelling they expected, so a flow tries these
variants one after another and records the one that was accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Dots and commas separate initials ("R.S. KUMAR") just like spaces do.
_SEPARATORS = re.compile(r"[\s.,]+")


def _words(name: str) -> list[str]:
    return [word for word in _SEPARATORS.split(name.strip()) if word]


def _as_given(words: list[str]) -> list[str]:
    return [" ".join(words)]


def _reversed(words: list[str]) -> list[str]:
    return [" ".join(reversed(words))]


def _first_with_last_initial(words: list[str]) -> list[str]:
    if len(words) < 2:
        return []
    return [f"{words[0]} {words[-1][0]}"]


def _last_with_first_initial(words: list[str]) -> list[str]:
    if len(words) < 2:
        return []
    return [f"{words[-1]} {words[0][0]}"]


def _initials_and_last(words: list[str]) -> list[str]:
    if len(words) < 2:
        return []
    return [" ".join([*(word[0] for word in words[:-1]), words[-1]])]


def _each_alone(words: list[str]) -> list[str]:
    return list(words) if len(words) > 1 else []


def _without_middle(words: list[str]) -> list[str]:
    if len(words) < 3:
        return []
    return [f"{words[0]} {words[-1]}"]


# The order matters: the most likely spellings first, so a portal that counts refusals
# sees as few as possible.
_SHAPES: tuple[Callable[[list[str]], list[str]], ...] = (
    _as_given,
    _reversed,
    _first_with_last_initial,
    _last_with_first_initial,
    _initials_and_last,
    _each_alone,
    _without_middle,
)


def name_variants(pan_name: str, aadhaar_name: str = "") -> list[str]:
    """Spellings to try for "name as in PAN", most likely first, without repeats.

    For each shape in turn (as given, reversed, first name with last initial, last name
    with first initial, initials and last name, each name alone, without middle names)
    the PAN name's variant comes before the Aadhaar name's. Repeats are dropped
    ignoring case and spacing; the first spelling seen is kept.

    Args:
        pan_name: The name as in PAN from the applicant's file.
        aadhaar_name: The name as on the Aadhaar card; may be empty.

    Returns:
        The variants, or an empty list when both names are blank.
    """
    sources = [words for words in (_words(pan_name), _words(aadhaar_name)) if words]
    found: dict[str, str] = {}
    for shape in _SHAPES:
        for words in sources:
            _add_unique(found, shape(words))
    return list(found.values())


def _add_unique(found: dict[str, str], candidates: Iterable[str]) -> None:
    for candidate in candidates:
        key = " ".join(candidate.upper().split())
        found.setdefault(key, candidate)
