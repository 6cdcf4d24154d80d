"""Debian's Chromium driven by Python Playwright (no browser download): shared by the browser
tests and the screenshot script. A missing browser is an error, never a skip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")  # apt package `chromium`; .ci/run installs it


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise AssertionError(
            f"{CHROMIUM} is missing: the web UI's browser tests need Debian's chromium "
            "(apt-get install chromium; .ci/run installs it)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--disable-quic", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()
