"""Launches inside the demo LMS's cross-site iframe, with and without the tool's cookies.

To prove which path a launch took, the tests strip every Set-Cookie header
that the tool's origin sends to the framing page, record the Cookie header of
every request to the tool, and record which of the login's steps ran.
"""

import time

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.browser.test_demo_command import SCREENSHOTS, clone_barrier, demo, release_clone_jobs  # noqa: F401
from tests.support.browser import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.slow

# Chromium treats a response that Playwright fulfils as coming from a public
# address, so its Local Network Access checks would block the frame's next
# navigation to the demo LMS on localhost.
NO_LOCAL_NETWORK_CHECKS = "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"

HOP_BY_HOP_HEADERS = {"connection", "content-encoding", "content-length", "keep-alive", "transfer-encoding"}


def launch_chromium(playwright, user_data_dir):
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=chromium_path(),
        headless=True,
        args=[*CHROMIUM_ARGS, NO_LOCAL_NETWORK_CHECKS],
    )


class ToolTraffic:
    """The requests that the framing page sent to the tool, optionally with the tool's cookies stripped."""

    def __init__(self, page, tool_url: str, *, strip_cookies: bool):
        self.tool_url = tool_url
        self.paths: list[str] = []
        self.cookie_headers: list[str] = []
        self.stripped_set_cookies = 0
        self._strip_cookies = strip_cookies
        page.route(f"{tool_url}/**", self._handle)

    def _handle(self, route):
        request = route.request
        self.paths.append(f"{request.method} {request.url.removeprefix(self.tool_url).split('?', 1)[0]}")
        cookie = request.header_value("cookie")
        if cookie:
            self.cookie_headers.append(cookie)
        if not self._strip_cookies:
            route.continue_()
            return

        # The request goes out through `requests`, not route.fetch(), because
        # Playwright would store the response's cookies in the browser context.
        headers = {name: value for name, value in request.all_headers().items() if name.lower() != "host"}
        # Chromium adds the Fetch Metadata headers after Playwright intercepts
        # the request, so the test adds the one that the login reads.
        if request.is_navigation_request() and request.frame.parent_frame is not None:
            headers["Sec-Fetch-Dest"] = "iframe"

        response = requests.request(
            request.method,
            request.url,
            headers=headers,
            data=request.post_data_buffer,
            allow_redirects=False,
            timeout=30,
        )

        response_headers = {}
        for name, value in response.headers.items():
            if name.lower() == "set-cookie":
                self.stripped_set_cookies += 1
            elif name.lower() not in HOP_BY_HOP_HEADERS:
                response_headers[name] = value
        route.fulfill(status=response.status_code, headers=response_headers, body=response.content)

    def count(self, path: str) -> int:
        return self.paths.count(path)


def open_course(page, lms_url: str, *, platform_storage: bool):
    query = "?platform_storage=on" if platform_storage else ""
    page.goto(f"{lms_url}/{query}")


def frame_launch_button(page, person: str):
    row = page.locator("article.course-link").first.locator("tr", has_text=person)
    return row.locator("button[value=frame]")


def tool_frame(page):
    return page.wait_for_selector("iframe").content_frame()


@pytest.mark.parametrize("platform_storage", [False, True], ids=["no-storage", "platform-storage"])
def test_framed_launch_with_cookies(demo, tmp_path, platform_storage):
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            traffic = ToolTraffic(page, demo["tool"], strip_cookies=False)
            open_course(page, demo["lms"], platform_storage=platform_storage)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            frame.wait_for_selector("[data-testid=who]", timeout=20_000)

            assert "Ada Lovelace" in frame.locator("[data-testid=who]").inner_text()
            assert traffic.count("GET /lti/cookie-check") == (0 if platform_storage else 1)
            assert traffic.count("POST /lti/launch") == 1
            # The state cookie came back, so the launch completed at once.
            assert traffic.count("POST /lti/launch/complete") == 0
        finally:
            context.close()


def test_framed_launch_platform_storage_without_cookies(demo, tmp_path):
    """No cookies, platform storage offered: the state and nonce travel through lti.put_data and lti.get_data."""
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            traffic = ToolTraffic(page, demo["tool"], strip_cookies=True)
            logs = []
            page.on("console", lambda m: logs.append(m.text))
            open_course(page, demo["lms"], platform_storage=True)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            try:
                frame.wait_for_selector("[data-testid=who]", timeout=8_000)
            except Exception:
                print(traffic.paths, logs, frame.url, frame.inner_text("body")[:1000])
                print(demo["log"].read_text()[-3000:])
                raise

            assert "Ada Lovelace" in frame.locator("[data-testid=who]").inner_text()
            assert traffic.stripped_set_cookies > 0
            assert traffic.cookie_headers == []
            assert context.cookies(demo["tool"]) == []
            assert traffic.count("POST /lti/launch") == 1
            assert traffic.count("POST /lti/launch/complete") == 1
            assert traffic.count("GET /lti/cookie-check") == 0
        finally:
            context.close()


def test_framed_launch_platform_storage_unanswered(demo, tmp_path):
    """Platform storage offered but without responses, and no cookies: the login offers a new window."""
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            traffic = ToolTraffic(page, demo["tool"], strip_cookies=True)
            # The LMS page offers platform storage but never responds, because a
            # capturing listener added before the demo's own swallows every message.
            page.add_init_script(
                "if (window === window.top) {"
                " window.addEventListener('message', (event) => event.stopImmediatePropagation(), true); }"
            )
            open_course(page, demo["lms"], platform_storage=True)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            frame.wait_for_selector("[data-testid=open-in-new-window]", state="visible", timeout=20_000)

            assert traffic.count("GET /lti/cookie-check") == 1
            assert traffic.count("POST /lti/launch") == 0
        finally:
            context.close()


def test_framed_launch_new_window_without_cookies(demo, tmp_path):
    """No platform storage and no cookies: one click opens the tool in a new window, where it launches."""
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            traffic = ToolTraffic(page, demo["tool"], strip_cookies=True)
            open_course(page, demo["lms"], platform_storage=False)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            offer = frame.locator("[data-testid=open-in-new-window]")
            offer.wait_for(state="visible", timeout=20_000)

            assert traffic.count("GET /lti/cookie-check") == 1
            # The login stopped before the auth redirect, so the message hint is unused.
            assert traffic.count("POST /lti/launch") == 0
            assert frame.locator(".error-panel").count() == 0
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "new-window-offer.png"), full_page=True)

            with context.expect_page() as new_window_info:
                offer.click()
            new_window = new_window_info.value
            new_window.wait_for_selector("[data-testid=who]", timeout=20_000)

            assert "Ada Lovelace" in new_window.locator("[data-testid=who]").inner_text()
            assert new_window.url.startswith(demo["tool"])
            assert frame.locator("[data-testid=new-window-opened]").is_visible()
            # Inside the frame the tool never received a cookie.
            assert traffic.cookie_headers == []
            assert traffic.count("POST /lti/launch") == 0
        finally:
            context.close()


def test_clone_flow_without_cookies(demo, clone_barrier, tmp_path):  # noqa: F811
    """The whole clone flow inside the iframe, launched through platform storage, with no tool cookie."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            traffic = ToolTraffic(page, demo["tool"], strip_cookies=True)
            open_course(page, demo["lms"], platform_storage=True)
            frame_launch_button(page, "Ada Lovelace").click()
            frame = tool_frame(page)
            frame.wait_for_selector("[data-testid=who]", timeout=20_000)
            assert traffic.count("POST /lti/launch/complete") == 1

            frame.get_by_role("link", name="Create a room").click()
            frame.get_by_role("heading", name="Create a room").wait_for()
            frame.get_by_label("Name", exact=True).fill("Analytical engines, week 1")
            frame.get_by_role("button", name="Save").click()
            frame.wait_for_selector("[data-testid=room-name]")

            frame.locator("summary", has_text="Add to the storyboard").click()
            frame.locator("#storyboard-note").fill("Ask who has seen one")
            frame.get_by_role("button", name="Add note").click()
            frame.locator("[data-testid=storyboard-item]").first.wait_for()

            frame.locator("[data-testid=clone-room]").click()
            frame.wait_for_selector("text=Clone room in progress")
            deadline = time.monotonic() + 30
            while not list(clone_barrier.glob("job-*.held")):
                assert time.monotonic() < deadline, "the clone job never started"
                time.sleep(0.05)
            frame.locator("#name").fill("Analytical engines, spring term")
            frame.get_by_role("button", name="Save").click()
            frame.wait_for_selector("text=Saved.")
            release_clone_jobs(clone_barrier, 1)

            frame.locator("[data-testid=go-to-new-room]").wait_for(state="visible", timeout=20_000)
            frame.locator("[data-testid=go-to-new-room]").click()
            frame.wait_for_selector("[data-testid=room-name]")

            assert frame.locator("[data-testid=room-name]").inner_text() == "Analytical engines, spring term"
            assert "Analytical engines, week 1" in frame.locator("[data-testid=cloned-from]").inner_text()
            assert frame.locator("[data-testid=storyboard-item]").count() == 1
            assert traffic.stripped_set_cookies > 0
            assert traffic.cookie_headers == []
            assert context.cookies(demo["tool"]) == []
        finally:
            context.close()
