"""README command 1's demo in a real browser: the tool inside the demo LMS's cross-site iframe."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.support.browser import launch_chromium
from tests.support.servers import PROJECT_ROOT, free_port, tool_environment

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


@pytest.fixture
def demo(tmp_path):
    """Run `flask --app app demo` on free ports with its own instance folder."""
    tool_port, lms_port = free_port(), free_port()
    log_path = tmp_path / "demo.log"
    env = tool_environment({"ROOMS_INSTANCE_PATH": str(tmp_path / "instance"), "ROOMS_BASE_URL": f"http://127.0.0.1:{tool_port}"})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "demo", "--port", str(tool_port), "--lms-port", str(lms_port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()
            try:
                if requests.get(f"http://127.0.0.1:{tool_port}/healthz", timeout=1).ok and requests.get(
                    f"http://localhost:{lms_port}/", timeout=1
                ).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError(f"the demo did not start:\n{log_path.read_text()}")
        yield {"lms": f"http://localhost:{lms_port}", "tool": f"http://127.0.0.1:{tool_port}", "log": log_path}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def frame_launch(page, lms_url: str, person: str):
    page.goto(lms_url + "/")
    row = page.locator("article.course-link").first.locator("tr", has_text=person)
    row.locator("button[value=frame]").click()
    frame = page.wait_for_selector("iframe").content_frame()
    frame.wait_for_selector("[data-testid=who]", timeout=20_000)
    return frame


@pytest.mark.slow
@pytest.mark.parametrize(("person", "role"), [("Ada Lovelace", "Instructor"), ("Alan Turing", "Learner")])
def test_demo_launch_in_iframe(demo, tmp_path, person, role):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            frame = frame_launch(page, demo["lms"], person)
            who = frame.locator("[data-testid=who]").inner_text()
            assert person in who
            assert role in who
            assert frame.url.startswith(demo["tool"])
            page.screenshot(path=str(SCREENSHOTS / f"demo-launch-{role.lower()}.png"), full_page=True)
        finally:
            context.close()
