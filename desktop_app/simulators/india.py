"""States, districts and NIC codes from ``resources/india`` (shared with checks).

The simulated Udyam portal builds its dropdowns from these files; other code may read
them through the same functions. Loaded once per process.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from desktop_app.paths import resource_path


@dataclass(frozen=True)
class District:
    number: int
    value: str
    name: str
    hindi: str = ""

    @property
    def option_text(self) -> str:
        """As the portal shows it, e.g. ``25. THANJAVUR / तंजावुर``."""
        suffix = f" / {self.hindi}" if self.hindi else ""
        return f"{self.number}. {self.name}{suffix}"


@dataclass(frozen=True)
class State:
    number: int
    value: str
    code: str  # two letters, as in the Udyam Registration Number
    name: str
    hindi: str
    districts: tuple[District, ...]

    @property
    def option_text(self) -> str:
        return f"{self.number}. {self.name} / {self.hindi}"

    def district(self, value: str) -> District | None:
        return next((d for d in self.districts if d.value == value), None)


@dataclass(frozen=True)
class NicCode:
    code: str
    description: str
    activity: str  # "manufacturing", "services" or "trading"
    nic2: str
    nic4: str


@functools.cache
def states() -> tuple[State, ...]:
    data = _load("states_districts.json")
    return tuple(
        State(
            number=s["number"],
            value=s["value"],
            code=s["code"],
            name=s["name"],
            hindi=s["hindi"],
            districts=tuple(
                District(d["number"], d["value"], d["name"], d.get("hindi", ""))
                for d in s["districts"]
            ),
        )
        for s in data["states"]
    )


def state_by_value(value: str) -> State | None:
    return next((s for s in states() if s.value == value), None)


@functools.cache
def nic_data() -> tuple[dict[str, str], dict[str, str], tuple[NicCode, ...]]:
    """(2-digit descriptions, 4-digit descriptions, 5-digit codes)."""
    data = _load("nic_codes.json")
    codes = tuple(NicCode(**entry) for entry in data["codes"])
    return dict(data["nic2"]), dict(data["nic4"]), codes


def _load(name: str) -> dict[str, Any]:
    with resource_path("india", name).open(encoding="utf-8") as handle:
        return json.load(handle)
