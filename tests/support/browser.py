"""Debian's Chromium, driven by Playwright, for the tests that need a real browser.

Playwright's own browser download does not work on these machines, so the
tests launch the system ``chromium`` (``apt-get install chromium``). A missing
browser fails the test with that instruction instead of skipping it.
"""

import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Browser tests need Debian's chromium: run `apt-get install chromium` (.ci/run does).")
    return path


def launch_chromium(playwright, user_data_dir):
    """Start a fresh headless Chromium with its own profile folder."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
    )
