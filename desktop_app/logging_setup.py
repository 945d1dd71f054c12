"""Logging for the whole app: one logger per module, a rotating file under the data dir.

Levels mean one thing everywhere: DEBUG is for developers, INFO is a step an operator
would recognise ("PAN validated"), WARNING is something the operator should look at but
that did not stop a filing, ERROR is a filing or command that failed. No record ever
carries a full Aadhaar number, an OTP or a password: :class:`RedactingFilter` is a last
line of defence, not the plan.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Twelve digits, optionally grouped 4-4-4, not part of a longer number.
_AADHAAR_LIKE = re.compile(r"(?<!\d)([2-9]\d{3})[ -]?(\d{4})[ -]?(\d{4})(?!\d)")


def mask_aadhaar_like(text: str) -> str:
    return _AADHAAR_LIKE.sub(lambda m: f"XXXX XXXX {m.group(3)}", text)


class RedactingFilter(logging.Filter):
    """Masks anything shaped like an Aadhaar number before a record is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_aadhaar_like(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(data_dir: Path, verbose: bool = False) -> None:
    """Send every record to ``logs/filing-desk.log`` and warnings (or all) to stderr."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_filing_desk", False):
            root.removeHandler(handler)
            handler.close()

    redact = RedactingFilter()
    file_handler = logging.handlers.RotatingFileHandler(
        logs / "filing-desk.log", maxBytes=5_000_000, backupCount=10, encoding="utf-8"
    )
    file_handler.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for handler in (file_handler, console):
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(redact)
        handler._filing_desk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Selenium and urllib3 are chatty at DEBUG; their detail is rarely what we need.
    for noisy in ("selenium", "urllib3", "undetected_chromedriver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
