"""The demo LMS launching the real tool: both as servers on 127.0.0.1, driven like a browser."""

import re
import shlex
from html import unescape

import pytest
import requests

from tests.demo.demo_process import free_port, start_demo
from tests.support.servers import run_tool_command


def hidden_fields(html: str) -> dict[str, str]:
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)
    }


def loopback(url: str) -> str:
    # The demo publishes localhost URLs, but the test itself connects only to 127.0.0.1.
    return url.replace("://localhost:", "://127.0.0.1:", 1)


def register_with_tool(printed_output: str, tool_settings: dict[str, str]) -> None:
    """Run the registration command that the demo printed at start-up, against the tool."""
    command_line = re.search(r"^\s*(flask --app app platform add .*)$", printed_output, re.MULTILINE).group(1)
    arguments = shlex.split(command_line)
    run_tool_command(arguments[3:], tool_settings)


def launch_in_new_tab(session: requests.Session, demo_url: str, user_key: str, link_id: str) -> requests.Response:
    """Press "Open in a new tab" with a GET login initiation, and follow the launch to the tool's page."""
    launch = session.post(
        f"{demo_url}/launch",
        data={"user": user_key, "link": link_id, "presentation": "window", "login_method": "get"},
        allow_redirects=False,
    )
    assert launch.status_code == 303
    login = session.get(launch.headers["Location"], allow_redirects=False)
    assert login.status_code == 302, login.text
    auth = session.get(loopback(login.headers["Location"]), allow_redirects=False)
    assert auth.status_code == 200, auth.text

    # The tool's state cookie is Secure. Browsers send it to http://127.0.0.1, a secure
    # context, but requests' cookie jar does not, so the test sends it by hand.
    form_action = unescape(re.search(r'<form method="post" action="([^"]*)"', auth.text).group(1))
    state_cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    return session.post(form_action, data=hidden_fields(auth.text), headers={"Cookie": state_cookie})


@pytest.mark.slow
def test_demo_launches_tool(tmp_path, tool_processes):
    tool_settings = {"ROOMS_INSTANCE_PATH": str(tmp_path / "tool")}
    tool = tool_processes(tool_settings)
    demo = start_demo(free_port(), tmp_path / "demo", tmp_path / "logs", tool_url=tool.url)
    try:
        register_with_tool(demo.output(), {**tool_settings, "ROOMS_BASE_URL": tool.url})

        instructor_page = launch_in_new_tab(requests.Session(), demo.url, "ada", "link-week-1")
        learner_page = launch_in_new_tab(requests.Session(), demo.url, "katherine", "course-cs101")
    finally:
        demo.stop()

    assert instructor_page.status_code == 200, instructor_page.text
    assert "Ada Lovelace" in instructor_page.text
    assert "Introduction to Computing" in instructor_page.text
    assert learner_page.status_code == 200, learner_page.text
    assert "Katherine Johnson" in learner_page.text
    assert "Launch authorized: LtiResourceLinkRequest for user ada" in demo.output()
