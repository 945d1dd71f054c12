"""``desktop-app check-portals``: open each portal's first page, list missing elements.

Run it after a portal changes its pages (or before a busy day): it reports, per
portal, which of the elements the flows start with can no longer be found, so the
data file in ``resources/portals`` can be corrected before filings fail.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from desktop_app.automation.browser import (
    Browser,
    BrowserOptions,
    BrowserSetupError,
    check_browser,
)
from desktop_app.automation.page import PageActions, PageError
from desktop_app.automation.portal_config import (
    PortalConfig,
    PortalConfigError,
    load_portal_configs,
)
from desktop_app.automation.timeouts import Timeouts
from desktop_app.paths import DataDir

NAME = "check-portals"
HELP = "open each portal's first page and report elements that are missing"

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--portal",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="check only this portal, at this address (repeatable)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="check the built-in simulated portals"
    )
    parser.add_argument(
        "--headless", action="store_true", help="run the browser without a window"
    )


@dataclass
class PortalReport:
    name: str
    url: str
    missing: list[str]
    error: str | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.name}: FAILED ({self.url}): {self.error}"]
        if not self.missing:
            return [f"{self.name}: ok ({self.url}){self.note}"]
        return [f"{self.name}: {len(self.missing)} missing ({self.url})"] + [
            f"    missing: {item}" for item in self.missing
        ]


def parse_portal_arguments(values: list[str]) -> dict[str, str]:
    """``["udyam=http://..."]`` -> ``{"udyam": "http://..."}``."""
    urls = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise ValueError(
                f"--portal needs NAME=URL with an http(s) address, not {value!r}"
            )
        urls[name.strip()] = url.strip().rstrip("/")
    return urls


def check_portal(
    page: PageActions, config: PortalConfig, base_url: str
) -> PortalReport:
    """Open the first page and look for each of its known elements."""
    url = config.url(config.options.first_page, base_url)
    page.step = f"check {config.name}"
    page.loaders = config.loader_locators()
    try:
        page.open(url)
    except PageError as error:
        return PortalReport(config.name, url, [], str(error))
    if config.options.entered_with_token:
        note = "; its form opens only inside a filing, so its fields are not checked"
        return PortalReport(config.name, url, [], note=note)
    missing = []
    for name in config.options.first_page_selectors:
        selector = config.selectors[name]
        if not page.is_present(selector.locator()):
            missing.append(f"{name} ({selector.by}={selector.value})")
    return PortalReport(config.name, url, missing)


@contextlib.contextmanager
def _portal_urls(args: argparse.Namespace, settings: Any) -> Iterator[dict[str, str]]:
    if args.demo:
        # Imported here: the simulators are only needed for the demo.
        from desktop_app.simulators.server import start_simulators

        with start_simulators() as simulators:
            yield {k: v for k, v in simulators.urls.items() if k != "control"}
        return
    chosen = parse_portal_arguments(args.portal)
    yield chosen or dict(getattr(settings, "portal_urls", {}))


def _load_settings(data_dir: DataDir) -> Any:
    from desktop_app.core import settings as settings_module

    return settings_module.load(data_dir)


def run(args: argparse.Namespace) -> int:
    data_dir = DataDir(args.data_dir).ensure()
    try:
        settings = _load_settings(data_dir)
        configs = load_portal_configs()
        check = check_browser(settings)
        check.raise_for_problem()
    except (PortalConfigError, BrowserSetupError, ValueError) as error:
        sys.stderr.write(f"check-portals: {error}\n")
        return 2
    options = BrowserOptions.from_settings(
        settings, headless=args.headless or settings.headless
    )
    reports: list[PortalReport] = []
    try:
        with _portal_urls(args, settings) as urls:
            unknown = sorted(set(urls) - set(configs))
            if unknown:
                sys.stderr.write(
                    f"check-portals: unknown portal(s): {', '.join(unknown)}\n"
                )
                return 2
            with Browser(check, options, data_dir) as browser:
                page = PageActions(browser.driver, Timeouts.from_settings(settings))
                for name, url in urls.items():
                    reports.append(check_portal(page, configs[name], url))
    except ValueError as error:
        sys.stderr.write(f"check-portals: {error}\n")
        return 2
    for report in reports:
        sys.stdout.write("\n".join(report.lines()) + "\n")
    return 0 if all(report.ok for report in reports) else 1
