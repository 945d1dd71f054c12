"""What a failing step leaves behind: screenshot, page HTML and a small JSON note.

Before anything is captured, the sensitive inputs of the page (Aadhaar, OTP, PIN;
the portal config lists their selectors) are masked *on the page*, so neither the
screenshot nor the HTML carries them. The HTML is then scrubbed once more for
anything shaped like an Aadhaar number and for the applicant's own secrets, as a last
line of defence.

The writer takes any object with the few page methods in :class:`EvidencePage`, so it
can be tested without a browser.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from desktop_app.logging_setup import mask_aadhaar_like

log = logging.getLogger(__name__)

T = TypeVar("T")


class EvidencePage(Protocol):
    """What the evidence writer needs from a page (see :class:`PageActionsEvidence`).

    ``selectors`` are CSS selector strings or Selenium ``(By, value)`` locators.
    """

    def mask_sensitive(self, selectors: Sequence[Any]) -> int | None:
        """Overwrite the values of these inputs on the live page; how many, if known."""

    def save_screenshot(self, path: Path) -> None: ...

    def page_html(self, selectors: Sequence[Any]) -> str:
        """The page's HTML without the values of these inputs (page unchanged)."""

    def current_url(self) -> str: ...


class PageActionsEvidence:
    """Adapts the browser layer's :class:`~desktop_app.automation.page.PageActions`."""

    def __init__(self, actions: Any) -> None:
        self.actions = actions

    def mask_sensitive(self, selectors: Sequence[Any]) -> int:
        return int(self.actions.mask_sensitive(_locators(selectors)))

    def save_screenshot(self, path: Path) -> None:
        self.actions.driver.save_screenshot(str(path))

    def page_html(self, selectors: Sequence[Any]) -> str:
        return str(self.actions.page_html_without(_locators(selectors)))

    def current_url(self) -> str:
        return str(self.actions.driver.current_url)


def as_evidence_page(page: Any) -> EvidencePage | None:
    """``page`` itself if it speaks :class:`EvidencePage`, else wrapped; None stays."""
    if page is None or hasattr(page, "page_html"):
        return page
    return PageActionsEvidence(page)


def _locators(selectors: Sequence[Any]) -> list[tuple[str, str]]:
    # A plain string is a CSS selector; Selenium's By.CSS_SELECTOR is this text.
    return [("css selector", s) if isinstance(s, str) else tuple(s) for s in selectors]


@dataclasses.dataclass(frozen=True)
class EvidenceFile:
    kind: str  # "screenshot", "html" or "note"
    path: Path


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class EvidenceWriter:
    """Writes evidence under ``<root>/<filing id>/``; one set of files per failure."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def capture(
        self,
        filing_id: int,
        step: str,
        attempt: int,
        message: str,
        page: EvidencePage | None,
        sensitive_selectors: Sequence[Any] = (),
        secrets: Iterable[str] = (),
        screenshot: bool = True,
    ) -> list[EvidenceFile]:
        """Save what the page shows now. Never raises for a broken page.

        Args:
            filing_id: The filing; names the folder.
            step: The step that failed.
            attempt: Which run of the flow (1 for the first).
            message: The failure as shown to the operator.
            page: The page, or None when no browser was open.
            sensitive_selectors: CSS selectors of inputs to mask first.
            secrets: Values that must not appear in the saved HTML (e.g. the
                applicant's Aadhaar digits); replaced by a mask.
            screenshot: False when the page will be used again (a retry in the same
                session): masking would overwrite inputs the flow still needs, so
                only the HTML (taken without changing the page) is saved.
        """
        folder = self.root / str(filing_id)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        base = folder / f"{stamp}-{_UNSAFE.sub('_', step)}-a{attempt}"
        files: list[EvidenceFile] = []
        url = ""
        masking: dict[str, Any] = {"ran": False, "fields": 0}
        if page is not None:
            url, captured = self._capture_page(
                page, base, sensitive_selectors, secrets, screenshot, masking
            )
            files += captured
        note = base.with_suffix(".json")
        note.write_text(
            json.dumps(
                {
                    "filing_id": filing_id,
                    "step": step,
                    "attempt": attempt,
                    "message": message,
                    "url": url,
                    "captured_at": dt.datetime.now().astimezone().isoformat(),
                    "files": [f.path.name for f in files],
                    # Proof for audits that inputs were masked before the screenshot.
                    "masking": masking,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
        files.append(EvidenceFile("note", note))
        return files

    def _capture_page(
        self,
        page: EvidencePage,
        base: Path,
        selectors: Sequence[Any],
        secrets: Iterable[str],
        screenshot: bool,
        masking: dict[str, Any],
    ) -> tuple[str, list[EvidenceFile]]:
        # A page that is half gone (the very failure being recorded) may refuse any of
        # these; keep what can be had. Without masking, no screenshot or HTML is taken.
        files: list[EvidenceFile] = []
        url = _try(page.current_url, "read the URL") or ""
        if screenshot:
            masked = _try(lambda: page.mask_sensitive(selectors) or 0, "mask")
            if masked is None:
                return url, files
            masking.update(ran=True, fields=int(masked))
            shot = base.with_suffix(".png")
            taken = _try(
                lambda: page.save_screenshot(shot) or True, "take a screenshot"
            )
            if taken and shot.exists():
                files.append(EvidenceFile("screenshot", shot))
        html = _try(lambda: page.page_html(selectors), "read the page HTML")
        if html is not None:
            path = base.with_suffix(".html")
            path.write_text(scrub(html, secrets), encoding="utf-8")
            files.append(EvidenceFile("html", path))
        return url, files


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with Aadhaar-shaped numbers and each of ``secrets`` masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "X" * len(secret))
    return mask_aadhaar_like(text)


def _try(action: Callable[[], T], what: str) -> T | None:
    try:
        return action()
    # A broken page raises WebDriverException, our own page errors or OSError; any of
    # them only means there is less evidence, which the note records.
    except Exception as exc:  # noqa: BLE001
        log.warning("Could not %s for the evidence: %s", what, type(exc).__name__)
        return None
