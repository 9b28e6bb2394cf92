"""Browser tests: a live app served on loopback, driven by Debian's chromium via Playwright.

The live app is a separate app with CSRF on. It shares the test database but commits for
real (no rolled-back outer transaction), so its tables are emptied before and after.
Never ``playwright install``: the browser is ``/usr/bin/chromium`` (CI installs it).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server

from shop import create_app
from tests.e2e.helpers import Effort
from tests.harness import Clock, Mailbox, base_overrides, dispose_engine, free_port, truncate_all
from tests.stripe_standin import StripeStandin

WEBHOOK_SECRET = "whsec_test_e2e"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveServer:
    app: Any
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@contextmanager
def _serve(app: Any, smtp_port: int, **overrides: Any) -> Iterator[LiveServer]:
    """A separate app (CSRF on, ``overrides``) served on http://127.0.0.1:<port>, its tables
    emptied before and after."""
    live_app = create_app(base_overrides(smtp_port, WTF_CSRF_ENABLED=True, **overrides))
    assert live_app.extensions["db"] is not app.extensions["db"]
    live_app.extensions["clock"] = Clock()
    truncate_all(live_app)
    port = free_port()
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(live_app, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        truncate_all(live_app)
        dispose_engine(live_app)


@pytest.fixture(scope="module")
def live_server(app: Any, smtp_server: tuple[Mailbox, int]) -> Iterator[LiveServer]:
    """The store on http://127.0.0.1:<port>, CSRF on; depends on ``app`` (schema migrated)."""
    with _serve(app, smtp_server[1]) as server:
        yield server


@pytest.fixture(scope="module")
def stripe_live_server(
    app: Any, smtp_server: tuple[Mailbox, int]
) -> Iterator[tuple[LiveServer, StripeStandin]]:
    """The store with Stripe configured, as deployed (its own CSP and headers), and the
    stand-in playing Stripe: its API for the store, its Checkout page for the browser on
    another origin (http://localhost:<port>), its signed webhooks to the store."""
    with StripeStandin(hosted=True, webhook_secret=WEBHOOK_SECRET) as standin:
        stripe = {
            "STRIPE_SECRET_KEY": standin.secret_key,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": standin.url,
        }
        with _serve(app, smtp_server[1], **stripe) as server:
            standin.webhook_url = server("/paiement/webhook")
            yield server, standin


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
            "to run the e2e tests; never `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _fresh_page(browser: Any, **context_options: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", **context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def browser_page(_browser: Any) -> Iterator[Any]:
    """A fresh page (new context: no cookies) in French, 10 s default timeout."""
    yield from _fresh_page(_browser)


@pytest.fixture
def phone_page(_browser: Any) -> Iterator[Any]:
    """The same on the smallest phone screen WCAG's reflow asks for: 320 × 640 CSS px."""
    yield from _fresh_page(_browser, viewport={"width": 320, "height": 640})


@pytest.fixture(scope="session")
def effort_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Effort]]:
    """Key presses and page loads per operator's task (``helpers.measure``), written to
    ``operator-effort.json`` in pytest's base temporary directory and printed (``-s``)."""
    log: dict[str, Effort] = {}
    yield log
    if log:
        figures = {task: asdict(effort) for task, effort in sorted(log.items())}
        path = tmp_path_factory.getbasetemp() / "operator-effort.json"
        path.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"\noperator effort ({path}):")
        for task, effort in figures.items():
            print(f"  {task}: {effort['keys']} keys, {effort['loads']} page loads")
