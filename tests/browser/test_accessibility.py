"""axe-core checks and screenshots of the tool's main pages, inside the demo LMS's iframe."""

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from tests.browser.test_cookieless_launch import (
    SCREENSHOTS,
    ToolTraffic,
    frame_launch_button,
    launch_chromium,
    open_course,
    tool_frame,
)
from tests.browser.test_demo_command import clone_barrier, demo, release_clone_jobs  # noqa: F401

pytestmark = pytest.mark.slow

# Impacts that fail the check; "minor" and "moderate" findings are printed only.
FAILING_IMPACTS = {"serious", "critical"}


def check_accessibility(axe: Axe, frame, page_name: str) -> None:
    """Run axe-core in ``frame`` and fail on any serious or critical violation."""
    results = axe.run(frame)
    assert results.response["url"] == frame.url, "axe-core ran in another document than the one checked"
    violations = results.response["violations"]
    failing = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in violations
        if violation["impact"] in FAILING_IMPACTS
    ]
    for violation in violations:
        if violation["impact"] not in FAILING_IMPACTS:
            print(f"{page_name}: {violation['id']} ({violation['impact']}): {violation['help']}")
    assert failing == [], f"axe violations on the {page_name}:\n" + "\n".join(failing)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_main_pages_accessible(demo, clone_barrier, tmp_path):  # noqa: F811
    axe = Axe()
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            ToolTraffic(page, demo["tool"], strip_cookies=True)
            open_course(page, demo["lms"], platform_storage=True)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            frame.wait_for_selector("[data-testid=who]", timeout=20_000)

            frame.get_by_role("link", name="Create a room").click()
            frame.get_by_role("heading", name="Create a room").wait_for()
            frame.get_by_label("Name", exact=True).fill("Analytical engines, week 1")
            frame.get_by_role("button", name="Save").click()
            frame.wait_for_selector("[data-testid=room-name]")
            screenshot(page, "room-page")
            check_accessibility(axe, frame, "room page")

            frame.locator("[data-testid=clone-room]").click()
            frame.wait_for_selector("text=Clone room in progress")
            deadline = time.monotonic() + 30
            while not list(clone_barrier.glob("job-*.held")):
                assert time.monotonic() < deadline, "the clone job never started"
                time.sleep(0.05)
            screenshot(page, "clone-panel-in-progress")
            check_accessibility(axe, frame, "clone panel")
            release_clone_jobs(clone_barrier, 1)
            frame.locator("[data-testid=go-to-new-room]").wait_for(state="visible", timeout=20_000)
            check_accessibility(axe, frame, "finished clone panel")
            frame.locator("[data-testid=go-to-new-room]").click()
            frame.wait_for_selector("[data-testid=cloned-from]")

            frame.get_by_role("link", name="All rooms").click()
            frame.get_by_role("heading", name="Rooms", exact=True).wait_for()
            screenshot(page, "room-list")
            check_accessibility(axe, frame, "room list")

            error_page = context.new_page()
            error_page.goto(demo["tool"] + "/no-such-page")
            error_page.wait_for_selector(".error-panel")
            screenshot(error_page, "error-page")
            check_accessibility(axe, error_page, "error page")
        finally:
            context.close()


def test_new_window_offer_accessible(demo, tmp_path):  # noqa: F811
    axe = Axe()
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            ToolTraffic(page, demo["tool"], strip_cookies=True)
            open_course(page, demo["lms"], platform_storage=False)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            frame.locator("[data-testid=open-in-new-window]").wait_for(state="visible", timeout=20_000)

            screenshot(page, "new-window-offer")
            check_accessibility(axe, frame, "new-window offer")
        finally:
            context.close()
