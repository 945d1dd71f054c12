"""Acting on portal pages the way a careful person would, with explicit waits only.

Rules this module keeps so flows do not have to:

* The API takes locators, never elements: every call finds the element afresh, so a
  postback that replaced the page cannot leave a flow holding a stale element.
* Every wait runs to a deadline on ``time.monotonic()``, taken from a named tier in
  :mod:`desktop_app.automation.timeouts`.
* A timeout becomes :class:`PageTimeoutError` carrying the URL, the current step and
  what was awaited, so the operator's message and the log say where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from desktop_app.automation.timeouts import DEFAULT_TIMEOUTS, Timeouts

log = logging.getLogger(__name__)

Locator = tuple[str, str]
T = TypeVar("T")

# Exceptions that mean "not yet": the element is being replaced or still hidden.
_TRANSIENT = (
    NoSuchElementException,
    StaleElementReferenceException,
    ElementNotInteractableException,
)
MASK = "********"


class PageError(Exception):
    """A page did not behave as expected; carries where it happened."""

    def __init__(self, message: str, url: str = "", step: str = "") -> None:
        self.url = url
        self.step = step
        where = f" (step: {step})" if step else ""
        at = f" at {url}" if url else ""
        super().__init__(f"{message}{where}{at}")


class PageTimeoutError(PageError):
    """Something awaited on a page did not happen before its deadline."""


def by_id(value: str) -> Locator:
    return (By.ID, value)


def by_css(value: str) -> Locator:
    return (By.CSS_SELECTOR, value)


def describe(locator: Locator) -> str:
    return f"{locator[0]}={locator[1]}"


class PageActions:
    """Explicit-wait actions on one driver.

    Args:
        driver: a Selenium WebDriver (either engine).
        timeouts: the timeout tiers.
        loaders: locators of loading indicators and overlays that block the page
            while a postback runs (e.g. Udyam's ``UpdateProgress4``).
    """

    def __init__(
        self,
        driver: Any,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        loaders: Sequence[Locator] = (),
    ) -> None:
        self.driver = driver
        self.timeouts = timeouts
        self.loaders = list(loaders)
        self.step = ""
        # Where notes for the operator go (a flow sets its filing's log); else the
        # module's logger.
        self.notify: Callable[[str], None] | None = None

    # -- waiting -------------------------------------------------------------------

    def _url(self) -> str:
        try:
            return str(self.driver.current_url)
        except WebDriverException:
            return ""

    def fail(self, message: str) -> PageError:
        return PageError(message, self._url(), self.step)

    def wait_for(
        self, condition: Callable[[], T | None], timeout: float, what: str
    ) -> T:
        """Poll ``condition`` until it returns a truthy value or the deadline passes.

        Transient Selenium errors (element missing, stale, not interactable) count as
        "not yet".
        """
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                result = condition()
                if result:
                    return result
            except _TRANSIENT as error:
                last_error = error
            if time.monotonic() >= deadline:
                detail = (
                    f" (last error: {type(last_error).__name__})" if last_error else ""
                )
                raise PageTimeoutError(
                    f"Timed out after {timeout:g} s waiting for {what}{detail}",
                    self._url(),
                    self.step,
                )
            time.sleep(self.timeouts.poll)

    def find(self, locator: Locator, timeout: float | None = None) -> WebElement:
        """The element, once it is present and displayed."""
        timeout = self.timeouts.element if timeout is None else timeout

        def visible() -> WebElement | None:
            element = self.driver.find_element(*locator)
            return element if element.is_displayed() else None

        return self.wait_for(visible, timeout, f"{describe(locator)} to be visible")

    def find_present(
        self, locator: Locator, timeout: float | None = None
    ) -> WebElement:
        """The element once it is in the page, shown or not (hidden inputs)."""
        timeout = self.timeouts.element if timeout is None else timeout
        return self.wait_for(
            lambda: self.driver.find_element(*locator),
            timeout,
            f"{describe(locator)} to exist",
        )

    def is_visible(self, locator: Locator) -> bool:
        try:
            return any(e.is_displayed() for e in self.driver.find_elements(*locator))
        except StaleElementReferenceException:
            return False

    def wait_visible(self, locator: Locator, timeout: float | None = None) -> None:
        self.find(locator, timeout)

    def wait_gone(self, locator: Locator, timeout: float | None = None) -> None:
        """Wait until no element matching ``locator`` is displayed."""
        timeout = self.timeouts.postback if timeout is None else timeout
        self.wait_for(
            lambda: not self.is_visible(locator), timeout, f"{describe(locator)} to go"
        )

    def wait_loaders_gone(self, timeout: float | None = None) -> None:
        for loader in self.loaders:
            self.wait_gone(loader, timeout)

    def _html(self) -> WebElement | None:
        try:
            return self.driver.find_element(By.TAG_NAME, "html")
        except WebDriverException:
            return None

    def after_postback(
        self,
        old_html: WebElement | None = None,
        timeout: float | None = None,
        expect_reload: bool = False,
    ) -> None:
        """Wait until the page settled after a postback.

        Settled means: the old page's ``<html>`` went stale (a full post) or the
        document is ``complete`` (a partial postback), and every loader is hidden.
        With ``expect_reload`` the old ``<html>`` must go stale.
        """
        timeout = self.timeouts.postback if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if old_html is not None:
            grace = timeout if expect_reload else self.timeouts.instant
            try:
                self.wait_for(lambda: _is_stale(old_html), grace, "the page to reload")
            except PageTimeoutError:
                if expect_reload:
                    raise
        remaining = max(self.timeouts.instant, deadline - time.monotonic())
        self.wait_for(
            lambda: (
                self.driver.execute_script("return document.readyState") == "complete"
            ),
            remaining,
            "the page to finish loading",
        )
        self.wait_loaders_gone(max(self.timeouts.instant, deadline - time.monotonic()))

    def open(self, url: str) -> None:
        """Load ``url`` and wait for loaders; page-load errors carry the URL."""
        for _attempt in range(2):
            self._load(url)
            if not self._is_blank():
                return
            # Portals sometimes serve an empty first page of a session (issue 8 fix;
            # the simulators' blank_first_load): load it once more.
            self._note("The page came up blank; loading it again.")

    def reload_if_blank(self) -> bool:
        """Load the current address once more if the finished page is empty.

        For pages reached by a redirect or a button rather than :meth:`open`, such
        as another host's first page of a session. The reload is a plain GET of the
        same address (its token included), as a person would press reload; a page
        that answered a form post is never re-posted. Returns True if it reloaded.
        """
        url = self._url()
        if not url.startswith(("http://", "https://")) or not self._is_blank():
            return False
        self._note("The page came up blank; loading it again.")
        self._load(url)
        return True

    def _note(self, message: str) -> None:
        if self.notify is None:
            log.info("%s", message)
        else:
            self.notify(message)

    def _load(self, url: str) -> None:
        try:
            self.driver.get(url)
        except WebDriverException as error:
            raise PageError(
                f"Could not open the page: {error.msg}", url, self.step
            ) from error
        self.after_postback()

    def _is_blank(self) -> bool:
        """True when the document finished loading with no body content at all."""
        # A page still loading can have an empty body for a moment: not blank yet.
        script = (
            "return document.readyState === 'complete' &&"
            " (!document.body || document.body.innerHTML.trim() === '');"
        )
        try:
            return bool(self.driver.execute_script(script))
        except WebDriverException:
            return False  # cannot tell: let the flow's own waits decide

    # -- typing --------------------------------------------------------------------

    def type_text(
        self,
        locator: Locator,
        text: str,
        *,
        normalise: Callable[[str], str] = lambda value: "".join(value.split()),
    ) -> None:
        """Type ``text`` into a field, read it back and re-type slowly if keys dropped.

        ``normalise`` maps both the wanted and the read value before comparing (the
        default ignores spaces, which masks such as ``XXXX XXXX XXXX`` add).
        """
        wanted = normalise(text)

        def attempt(slow: bool) -> bool:
            element = self.find(locator)
            self._clear(element)
            if slow:
                for character in text:
                    element.send_keys(character)
                    time.sleep(self.timeouts.slow_typing_delay)
            else:
                element.send_keys(text)
            return normalise(element.get_attribute("value") or "") == wanted

        if self._retrying(lambda: attempt(slow=False)):
            return
        log.debug("Field %s dropped keys; typing it again slowly", describe(locator))
        if self._retrying(lambda: attempt(slow=True)):
            return
        raise self.fail(f"The field {describe(locator)} did not accept the typed value")

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run ``action``, again if the page replaced the element under it."""
        deadline = time.monotonic() + self.timeouts.element
        while True:
            try:
                return action()
            except StaleElementReferenceException:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(self.timeouts.poll)

    def _clear(self, element: WebElement) -> None:
        element.clear()
        if element.get_attribute("value"):
            # Some masked fields ignore clear(); empty them like a user would.
            self.driver.execute_script(
                "arguments[0].value='';"
                "arguments[0].dispatchEvent(new Event('input',{bubbles:true}));",
                element,
            )

    def fill_otp_boxes(self, locators: Sequence[Locator], digits: str) -> None:
        """Put one digit in each box of a segmented OTP field.

        Each digit is typed (so the page sees keydown/input/keyup); a box that still
        reads wrong gets its value set by script with ``input`` and ``keyup`` events.
        """
        if len(digits) != len(locators):
            raise ValueError(f"{len(digits)} digits for {len(locators)} boxes")
        for locator, digit in zip(locators, digits, strict=True):
            element = self.find(locator)
            self._clear(element)
            element.send_keys(digit)
            if element.get_attribute("value") != digit:
                self.driver.execute_script(
                    "const box=arguments[0]; box.value=arguments[1];"
                    "for (const kind of ['input','keyup','change'])"
                    " box.dispatchEvent(new Event(kind,{bubbles:true}));",
                    element,
                    digit,
                )

    # -- clicking ------------------------------------------------------------------

    def click(self, locator: Locator, timeout: float | None = None) -> None:
        """Click like a user; if something covers the element, wait or click by script.

        When a known loader covers the element it is waited out and the click
        retried; any other intercepting overlay gets a script click.
        """
        timeout = self.timeouts.element if timeout is None else timeout

        def attempt() -> bool:
            element = self.find(locator, timeout)
            try:
                element.click()
            except ElementClickInterceptedException:
                if any(self.is_visible(loader) for loader in self.loaders):
                    self.wait_loaders_gone()
                    self.find(locator, timeout).click()
                else:
                    log.debug(
                        "Click on %s intercepted; clicking by script", describe(locator)
                    )
                    self.driver.execute_script("arguments[0].click();", element)
            return True

        self._retrying(attempt)

    def click_and_wait(self, locator: Locator, expect_reload: bool = False) -> None:
        """Click something that posts back, then wait for the page to settle."""
        old_html = self._html()
        self.click(locator)
        self.after_postback(old_html, expect_reload=expect_reload)

    def set_checked(self, locator: Locator, checked: bool = True) -> None:
        """Tick or untick a checkbox, or choose a radio button (``checked=True``)."""
        element = self.find_present(locator)
        if element.is_selected() != checked:
            self.click(locator)
        self.wait_for(
            lambda: self.driver.find_element(*locator).is_selected() == checked,
            self.timeouts.short,
            f"{describe(locator)} to be {'ticked' if checked else 'cleared'}",
        )

    # -- selects -------------------------------------------------------------------

    def select(
        self,
        locator: Locator,
        *,
        value: str | None = None,
        text: str | None = None,
        timeout: float | None = None,
    ) -> str:
        """Choose an option by value or by visible text (substring, any case).

        Waits until such an option exists; returns the chosen option's value.
        """
        if (value is None) == (text is None):
            raise ValueError("give exactly one of value= or text=")
        timeout = self.timeouts.postback if timeout is None else timeout
        wanted = value if value is not None else str(text)

        def choose() -> str | None:
            element = self.find(locator, timeout)
            pairs = self._option_pairs(element)
            option_value = _matching_value(pairs, value=value, text=text)
            if option_value is None:
                return None
            Select(element).select_by_value(option_value)
            return option_value

        return self.wait_for(
            choose, timeout, f"option {wanted!r} in {describe(locator)}"
        )

    def options(self, locator: Locator) -> list[tuple[str, str]]:
        """(value, text) of every option of a select."""
        return self._option_pairs(self.find(locator))

    def _option_pairs(self, select: WebElement) -> list[tuple[str, str]]:
        # One script call: reading each option over WebDriver costs a round trip
        # per option, and state or district lists have dozens.
        pairs = self.driver.execute_script(
            "return Array.from(arguments[0].options, o => [o.value, o.text]);",
            select,
        )
        return [(str(value), str(text)) for value, text in pairs or []]

    def select_cascade(
        self,
        parent: Locator,
        parent_value: str,
        child: Locator,
        child_value: str,
        *,
        by_text: bool = False,
        attempts: int = 3,
    ) -> str:
        """Choose ``parent_value`` in a parent list, then ``child_value`` in its child.

        Portals sometimes refill the child with only its placeholder; the parent is
        then chosen again (switching away and back so the page sees a change).
        """
        key = "text" if by_text else "value"
        for attempt in range(1, attempts + 1):
            self._reselect(parent, key, parent_value, force=attempt > 1)
            self.after_postback()
            try:
                self.wait_for(
                    lambda: len(self.options(child)) > 1,
                    self.timeouts.instant,
                    f"{describe(child)} to offer options",
                )
            except PageTimeoutError:
                # Only the placeholder came back: no point waiting for the option.
                log.debug(
                    "Cascade %s refilled with its placeholder only (attempt %d)",
                    describe(child),
                    attempt,
                )
                continue
            try:
                return self.select(
                    child, timeout=self.timeouts.short, **{key: child_value}
                )
            except PageTimeoutError:
                log.debug(
                    "Cascade %s came back without %r (attempt %d)",
                    describe(child),
                    child_value,
                    attempt,
                )
        raise self.fail(
            f"The list {describe(child)} never offered {child_value!r} after choosing "
            f"{parent_value!r}"
        )

    def _reselect(self, parent: Locator, key: str, wanted: str, force: bool) -> None:
        if force:
            element = self.find(parent)
            current = Select(element).first_selected_option.get_attribute("value")
            others = [v for v, _ in self.options(parent) if v and v != current]
            if others:
                # A change event only fires on a different value: step away first.
                self.select(parent, value=others[0])
                self.after_postback()
        self.select(parent, **{key: wanted})

    # -- other inputs --------------------------------------------------------------

    def upload(self, locator: Locator, path: Path) -> None:
        """Give a file input an absolute file path."""
        path = Path(path).resolve()
        if not path.is_file():
            raise FileNotFoundError(path)
        self.find_present(locator).send_keys(str(path))

    def text(self, locator: Locator, timeout: float | None = None) -> str:
        return str(self.find_present(locator, timeout).text)

    def value(self, locator: Locator, timeout: float | None = None) -> str:
        return str(self.find_present(locator, timeout).get_attribute("value") or "")

    def is_present(self, locator: Locator) -> bool:
        return bool(self.driver.find_elements(*locator))

    # -- dialogs -------------------------------------------------------------------

    def accept_alert(self, timeout: float | None = None) -> str:
        """Accept the next ``alert()`` or ``confirm()`` and return its text."""
        return self._answer_alert(accept=True, timeout=timeout)

    def dismiss_alert(self, timeout: float | None = None) -> str:
        """Cancel the next ``confirm()`` and return its text."""
        return self._answer_alert(accept=False, timeout=timeout)

    def _answer_alert(self, accept: bool, timeout: float | None) -> str:
        timeout = self.timeouts.short if timeout is None else timeout

        def alert_text() -> str | None:
            try:
                alert = self.driver.switch_to.alert
                text = str(alert.text)
            except NoAlertPresentException:
                return None
            alert.accept() if accept else alert.dismiss()
            return text or " "  # an empty alert still counts as answered

        return self.wait_for(alert_text, timeout, "a browser dialog").strip()

    def dismiss_message_box(
        self, ok_button: Locator, timeout: float | None = None
    ) -> bool:
        """Click a page message box's OK button if it shows within ``timeout``.

        Returns True when a box was dismissed.
        """
        timeout = self.timeouts.instant if timeout is None else timeout
        try:
            self.find(ok_button, timeout)
        except PageTimeoutError:
            return False
        self.click(ok_button)
        self.wait_gone(ok_button, self.timeouts.short)
        return True

    # -- evidence ------------------------------------------------------------------

    def mask_sensitive(self, locators: Iterable[Locator]) -> int:
        """Replace the values of sensitive inputs by a mask (before a screenshot).

        Returns how many fields were masked. Only use when the form will not be
        submitted afterwards: the masked value replaces the real one.
        """
        count = 0
        for locator in locators:
            for element in self.driver.find_elements(*locator):
                self.driver.execute_script(
                    "const f=arguments[0];"
                    "if (f.value) { f.value=arguments[1]; }"
                    # The attribute too: page_source serialises attributes.
                    "if (f.hasAttribute('value'))"
                    " f.setAttribute('value', arguments[1]);",
                    element,
                    MASK,
                )
                count += 1
        return count

    def page_html_without(self, locators: Iterable[Locator]) -> str:
        """The page's HTML with the values of the given inputs blanked.

        The live page is not changed: the copy is made from a cloned document.
        """
        elements = [e for loc in locators for e in self.driver.find_elements(*loc)]
        return str(
            self.driver.execute_script(
                """
                const secret = arguments[0];
                const marker = 'data-fd-blank';
                secret.forEach(e => e.setAttribute(marker, '1'));
                const copy = document.documentElement.cloneNode(true);
                secret.forEach(e => e.removeAttribute(marker));
                copy.querySelectorAll('[' + marker + ']').forEach(e => {
                    e.removeAttribute(marker);
                    e.removeAttribute('value');
                    if (e.tagName === 'TEXTAREA') { e.textContent = ''; }
                });
                // Values typed by the user live in properties, not attributes, so
                // the clone never carries them; only blanked attributes matter.
                return '<!DOCTYPE html>\\n' + copy.outerHTML;
                """,
                elements,
            )
        )


def _is_stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        # While the next page is loading, Chrome may answer for a node of the old
        # document with an inspector error instead of the stale-element error.
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


def _matching_value(
    pairs: Sequence[tuple[str, str]], *, value: str | None, text: str | None
) -> str | None:
    """The value of the first option matching ``value`` or containing ``text``."""
    for option_value, option_text in pairs:
        if value is not None and option_value == value:
            return option_value
        if text is not None and text.casefold() in option_text.casefold():
            return option_value
    return None
