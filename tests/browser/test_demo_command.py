"""README command 1's demo in a real browser: the tool inside the demo LMS's cross-site iframe."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from playwright.sync_api import sync_playwright

from app.cloning.runner import BARRIER_DIR_VARIABLE
from tests.support.browser import launch_chromium
from tests.support.servers import PROJECT_ROOT, free_port, tool_environment

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


@pytest.fixture
def clone_barrier(tmp_path):
    """A folder where the demo's clone jobs wait after their snapshot read until released."""
    path = tmp_path / "barrier"
    path.mkdir()
    return path


@pytest.fixture
def demo(tmp_path, clone_barrier):
    """Run `flask --app app demo` on free ports with its own instance folder."""
    tool_port, lms_port = free_port(), free_port()
    log_path = tmp_path / "demo.log"
    env = tool_environment(
        {
            "ROOMS_INSTANCE_PATH": str(tmp_path / "instance"),
            "ROOMS_BASE_URL": f"http://127.0.0.1:{tool_port}",
            BARRIER_DIR_VARIABLE: str(clone_barrier),
        }
    )
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


def release_clone_jobs(barrier, count: int, timeout: float = 30) -> None:
    """Wait until ``count`` clone jobs are held at the barrier, then let them all go on."""
    deadline = time.monotonic() + timeout
    while len(list(barrier.glob("job-*.held"))) < count:
        assert time.monotonic() < deadline, "no clone job reached the barrier"
        time.sleep(0.05)
    for held in barrier.glob("job-*.held"):
        held.with_suffix(".release").touch()


@pytest.mark.slow
def test_demo_clone_walkthrough(demo, clone_barrier, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            frame = frame_launch(page, demo["lms"], "Ada Lovelace")

            frame.get_by_role("link", name="Create a room").click()
            frame.get_by_role("heading", name="Create a room").wait_for()
            frame.get_by_label("Name", exact=True).fill("Analytical engines, week 1")
            frame.get_by_label("Tags", exact=True).fill("history, week1")
            frame.get_by_role("button", name="Save").click()
            frame.wait_for_selector("[data-testid=room-name]")

            # Clone from the room page; the job waits at the barrier while the name is edited.
            frame.locator("[data-testid=clone-room]").click()
            frame.wait_for_selector("text=Clone room in progress")
            release_after_rename = clone_barrier
            deadline = time.monotonic() + 30
            while not list(release_after_rename.glob("job-*.held")):
                assert time.monotonic() < deadline, "the clone job never started"
                time.sleep(0.05)
            page.screenshot(path=str(SCREENSHOTS / "clone-panel.png"), full_page=True)
            frame.locator("#name").fill("Analytical engines, spring term")
            frame.get_by_role("button", name="Save").click()
            frame.wait_for_selector("text=Saved.")
            release_clone_jobs(clone_barrier, 1)

            frame.locator("[data-testid=go-to-new-room]").wait_for(state="visible", timeout=20_000)
            frame.locator("[data-testid=go-to-new-room]").click()
            frame.wait_for_selector("[data-testid=room-name]")
            assert frame.locator("[data-testid=room-name]").inner_text() == "Analytical engines, spring term"
            assert "Analytical engines, week 1" in frame.locator("[data-testid=cloned-from]").inner_text()

            # Clone from the room list's "more actions" menu.
            frame.get_by_role("link", name="All rooms").click()
            frame.get_by_role("heading", name="Rooms", exact=True).wait_for()
            row = frame.locator("[data-testid=room-row]").filter(
                has=frame.get_by_role("link", name="Analytical engines, week 1", exact=True)
            )
            row.locator("summary").click()
            row.locator("[data-testid=clone-room]").click()
            frame.wait_for_selector("text=Clone room in progress")
            release_clone_jobs(clone_barrier, 2)
            frame.locator("[data-testid=go-to-new-room]").wait_for(state="visible", timeout=20_000)
            frame.locator("[data-testid=go-to-new-room]").click()
            assert frame.locator("[data-testid=room-name]").inner_text() == "Copy of Analytical engines, week 1"
            page.screenshot(path=str(SCREENSHOTS / "cloned-room.png"), full_page=True)
        finally:
            context.close()


@pytest.mark.slow
def test_demo_room_walkthrough(demo, tmp_path):
    """The demo's instructor prepares and shows a room; the demo's learner opens it and answers the poll."""
    from tests.support.media_samples import png

    image = tmp_path / "engine.png"
    image.write_bytes(png())
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            frame = frame_launch(page, demo["lms"], "Ada Lovelace")

            frame.get_by_role("link", name="Create a room").click()
            frame.get_by_role("heading", name="Create a room").wait_for()
            frame.get_by_label("Name", exact=True).fill("Difference engine")
            frame.get_by_role("button", name="Save").click()
            frame.wait_for_selector("[data-testid=room-name]")

            frame.locator("summary", has_text="Upload media").click()
            frame.locator("input[type=file][name=file]").set_input_files(str(image))
            frame.locator("#asset-title").fill("Engine diagram")
            frame.locator("#asset-alt-text").fill("A drawing of the difference engine")
            frame.get_by_role("button", name="Upload").click()
            frame.locator("text=Engine diagram").first.wait_for()

            frame.locator("summary", has_text="Add to the storyboard").click()
            frame.get_by_role("button", name="Add media").click()
            frame.locator("[data-testid=storyboard-item]").first.wait_for()
            frame.locator("summary", has_text="Add to the storyboard").click()
            frame.locator("#storyboard-note").fill("Ask who has seen one")
            frame.get_by_role("button", name="Add note").click()
            frame.locator("[data-testid=storyboard-item]").nth(1).wait_for()

            frame.get_by_role("link", name="New poll").click()
            frame.locator("#title").fill("Would you build one?")
            frame.locator("#options-0").fill("Yes")
            frame.locator("#options-1").fill("No")
            frame.get_by_role("button", name="Save as draft").click()
            frame.get_by_role("button", name="Publish now").click()
            frame.locator("text=Would you build one?").first.wait_for()

            frame.locator("input[name=visible]").check()
            frame.get_by_role("button", name="Save visibility").click()
            frame.locator("dd", has_text="Visible to learners").wait_for()
            page.screenshot(path=str(SCREENSHOTS / "room-instructor.png"), full_page=True)

            learner_frame = frame_launch(page, demo["lms"], "Alan Turing")
            assert "Learner" in learner_frame.locator("[data-testid=who]").inner_text()
            learner_frame.get_by_role("link", name="Difference engine").click()
            learner_frame.wait_for_selector("[data-testid=room-name]")
            learner_frame.locator("[data-testid=interaction-option]", has_text="Yes").click()
            learner_frame.get_by_role("button", name="Send answer").click()
            learner_frame.locator("text=Your answer was recorded").wait_for()
            assert learner_frame.locator("img[alt='A drawing of the difference engine']").count() >= 1
            page.screenshot(path=str(SCREENSHOTS / "room-learner.png"), full_page=True)
        finally:
            context.close()
