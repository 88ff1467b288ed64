"""Debian's Chromium (installed by `make test`) driven by Playwright, for tests/console and tests/docs.
Playwright's own browser download is not used, hence the executable path."""

from __future__ import annotations

import contextlib

CHROMIUM = "/usr/bin/chromium"
# Offline and quiet: nothing Chromium fetches by itself shows up in a page's recorded requests.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def recording_page(browser):
    """A fresh page in a context of its own; ``page.requests`` is every URL it has requested."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        yield page
    finally:
        context.close()
