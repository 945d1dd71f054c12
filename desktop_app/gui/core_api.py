"""Where the window assembles the core runner (tests hand the window their own).

The window calls the store, importer and runner directly; only building the runner is
gathered here, so a test can pass a factory with fake flows and no Chrome while the
app builds the same runner the ``run`` command uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from desktop_app.automation.flow import FlowListener
from desktop_app.automation.operator import Operator
from desktop_app.automation.runner import FilingRunner, browser_session_factory
from desktop_app.core import secrets
from desktop_app.core.settings import Settings
from desktop_app.core.store import Store


class RunnerFactory(Protocol):
    def __call__(
        self,
        store: Store,
        settings: Settings,
        operator: Operator,
        listener: FlowListener,
        portal_urls: Mapping[str, str],
    ) -> FilingRunner: ...


def default_runner_factory(
    store: Store,
    settings: Settings,
    operator: Operator,
    listener: FlowListener,
    portal_urls: Mapping[str, str],
) -> FilingRunner:
    """The real runner: a visible Chrome per filing, partner login from the keyring."""
    return FilingRunner(
        store,
        settings,
        operator,
        browser_session_factory(settings, store.data_dir),
        portal_urls,
        listener=listener,
        partner=secrets.partner_credentials(settings.partner_username),
    )
