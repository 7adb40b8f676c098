"""Real headless Chromium (Debian's package) driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import shutil

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

# pytest-django's live server answers each request in its own thread, each with its own connection to
# SQLite's shared-cache in-memory test database, where overlapping writes fail at once instead of waiting
# (table locks: "cannot open savepoint - SQL statements in progress" when a page's parallel uploads and its
# status polls overlap). Serving one request at a time removes that; the embedded profile itself uses a
# file in WAL mode, where writers wait for each other.


class OneRequestAtATime(WSGIServer):
    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)  # requests run in the live-server thread, which has the overrides


LiveServerThread.server_class = OneRequestAtATime

CHROMIUM = os.environ.get("FER_CHROMIUM", "/usr/bin/chromium")
QUIET_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright():
    """One Playwright driver per test module (its sync API allows only one at a time).

    Module scope, not session: the driver's event loop runs in the main thread while it lives,
    and later tests that use async_to_sync (the WebSocket consumer tests) need it gone.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch(playwright, extra_args: list[str] | None = None):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=QUIET_FLAGS + (extra_args or []))


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)  # generous: the first analysis loads the model on a busy machine
    yield page
    context.close()
