"""Every wait in the automation has a name and a deadline; the numbers live here only.

The tiers, shortest first:

* ``instant``: a check that something is (not) there right now, with a tiny grace.
* ``short``: a client-side change such as a field revealed by a click.
* ``element``: a field or button appearing after a normal page step.
* ``postback``: a server round-trip (ASP.NET UpdatePanel, form post) and its loader.
* ``page_load``: a whole page, including slow government servers.
* ``operator``: a person reading an SMS and typing an OTP or captcha.

``Timeouts.from_settings`` lets an office stretch them (slow line) without code changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

INSTANT = 0.5
SHORT = 5.0
ELEMENT = 20.0
POSTBACK = 45.0
PAGE_LOAD = 60.0
OPERATOR = 600.0
# How often a wait looks again; small enough to feel instant, large enough to be idle.
POLL_INTERVAL = 0.1
# Delay between characters when a page dropped keys and a field is re-typed slowly.
SLOW_TYPING_DELAY = 0.08


@dataclass(frozen=True)
class Timeouts:
    """The timeout tiers for one browser session, in seconds."""

    instant: float = INSTANT
    short: float = SHORT
    element: float = ELEMENT
    postback: float = POSTBACK
    page_load: float = PAGE_LOAD
    operator: float = OPERATOR
    poll: float = POLL_INTERVAL
    slow_typing_delay: float = SLOW_TYPING_DELAY

    @classmethod
    def from_settings(cls, settings: Any) -> Timeouts:
        """Tiers with the office's overrides from ``settings.timeouts`` applied.

        Reads ``page_load``, ``element`` and ``operator_answer`` when present; the
        postback tier follows the element tier so a slow line stretches both.
        """
        configured = getattr(settings, "timeouts", None)
        if configured is None:
            return cls()
        element = float(getattr(configured, "element", ELEMENT))
        return cls(
            element=element,
            postback=max(POSTBACK, element * 2),
            page_load=float(getattr(configured, "page_load", PAGE_LOAD)),
            operator=float(getattr(configured, "operator_answer", OPERATOR)),
        )

    def scaled(self, factor: float) -> Timeouts:
        """All waiting tiers multiplied by ``factor`` (tests shrink them)."""
        return replace(
            self,
            instant=self.instant * factor,
            short=self.short * factor,
            element=self.element * factor,
            postback=self.postback * factor,
            page_load=self.page_load * factor,
            operator=self.operator * factor,
        )


DEFAULT_TIMEOUTS = Timeouts()


def deadline_after(seconds: float) -> float:
    """A deadline on the monotonic clock, ``seconds`` from now."""
    return time.monotonic() + seconds


def seconds_left(deadline: float) -> float:
    """Seconds until ``deadline`` (never negative)."""
    return max(0.0, deadline - time.monotonic())
