"""Shared state of the simulated eMudhra hosts: applications, tokens, numbers.

The three hosts (partner, main, Aadhaar auth) are separate apps but one filing moves
across them, so they share one :class:`EmudhraRegistry` per :class:`SimContext`.
Nothing here keeps a PIN or a full Aadhaar number.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from desktop_app.core.identifiers import verhoeff_check
from desktop_app.simulators.base import SimContext

OTP_MAX_ATTEMPTS = 3  # the third wrong entry ends the OTP; a new one must be requested


class Stage:
    """Where an application stands; the main host renders PaperlessIndividual by it."""

    LOGIN = "login"
    KYC_CHOICE = "kyc_choice"
    AADHAAR = "aadhaar"  # sent to the Aadhaar host
    DETAILS = "details"
    CREDENTIALS = "credentials"
    PAN_FORM = "pan_form"
    PAN_MOBILE = "pan_mobile"
    PAN_EMAIL = "pan_email"
    DONE = "done"


# ---------------------------------------------------------------------- shared state


@dataclass
class OtpState:
    """One OTP sent; dies after use, expiry or three wrong entries."""

    code: str
    kind: str
    sent_at: float  # time.monotonic()
    attempts_left: int = OTP_MAX_ATTEMPTS


@dataclass
class Application:
    """One DSC application created by a partner. Holds no PIN and no full Aadhaar."""

    id: str
    partner: str
    applicant_name: str
    mobile: str
    stage: str = Stage.LOGIN
    token: str = ""
    route: str = ""  # "aadhaar" or "pan"
    aadhaar_masked: str = ""
    email: str = ""
    pan: str = ""
    name_as_in_pan: str = ""
    username: str = ""
    app_no: str = ""
    documents: dict[str, str] = field(default_factory=dict)  # field id -> file name
    otps: dict[str, OtpState] = field(default_factory=dict)


class EmudhraRegistry:
    """Applications shared by the hosts of one :class:`SimContext`; thread-safe."""

    def __init__(self, context: SimContext) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, Application] = {}
        self._by_mobile: dict[str, str] = {}
        self._by_token: dict[str, str] = {}
        self._completed_pans: set[str] = set()
        # Ten digits, sequential from a start drawn once per simulator run.
        self._next_app_no = 3_100_000_000 + int(context.otp(8))

    def open_application(
        self, partner: str, applicant_name: str, mobile: str
    ) -> Application | None:
        """The application for this mobile; None if another applicant already holds it.

        Proceeding twice for the same applicant and mobile reuses the application.
        """
        with self._lock:
            existing_id = self._by_mobile.get(mobile)
            if existing_id is not None:
                existing = self._apps[existing_id]
                same = normalise_name(existing.applicant_name) == normalise_name(
                    applicant_name
                )
                return existing if same else None
            app = Application(
                secrets.token_hex(8), partner, applicant_name.strip(), mobile
            )
            self._apps[app.id] = app
            self._by_mobile[mobile] = app.id
            return app

    def for_mobile(self, mobile: str) -> Application | None:
        with self._lock:
            app_id = self._by_mobile.get(mobile)
            return self._apps.get(app_id) if app_id else None

    def by_token(self, token: str) -> Application | None:
        with self._lock:
            app_id = self._by_token.get(token)
            return self._apps.get(app_id) if app_id else None

    def by_app_no(self, app_no: str) -> Application | None:
        with self._lock:
            return next((a for a in self._apps.values() if a.app_no == app_no), None)

    def advance(self, app: Application, stage: str) -> str:
        """Move to ``stage`` with a fresh ``X`` token; the old token stops working."""
        with self._lock:
            self._by_token.pop(app.token, None)
            app.token = secrets.token_urlsafe(24)
            self._by_token[app.token] = app.id
            app.stage = stage
            return app.token

    def issue_app_no(self, app: Application) -> str:
        """The application number; issued once, later calls return the same one."""
        with self._lock:
            if not app.app_no:
                app.app_no = f"{self._next_app_no:010d}"
                self._next_app_no += 1
            return app.app_no

    def pan_has_kyc(self, pan: str) -> bool:
        with self._lock:
            return pan in self._completed_pans

    def complete(self, app: Application) -> None:
        with self._lock:
            self._completed_pans.add(app.pan)


_REGISTRY_LOCK = threading.Lock()


def registry_for(context: SimContext) -> EmudhraRegistry:
    """The registry of ``context``, created by whichever host asks first."""
    with _REGISTRY_LOCK:
        registry = getattr(context, "emudhra_registry", None)
        if registry is None:
            registry = EmudhraRegistry(context)
            context.emudhra_registry = registry  # type: ignore[attr-defined]
        return registry


def normalise_name(name: str) -> str:
    return " ".join(name.upper().split())


def mask_mobile(mobile: str) -> str:
    return "XXXXXX" + mobile[-4:]


def mask_name(name: str) -> str:
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


def verhoeff_ok(digits: str) -> bool:
    """The Verhoeff check every real Aadhaar number passes."""
    return verhoeff_check(digits)
