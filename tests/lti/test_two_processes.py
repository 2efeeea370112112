"""Launches through two tool processes that share one database and one cache (the instance folder's, or PostgreSQL and Redis)."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.auth.launch_session import TOKEN_COOKIE
from tests.support.rejections import page_content
from tests.support.servers import ToolProcess, free_port, run_tool_command
from tests.support.tokens import SigningKey, TestPlatform

pytestmark = pytest.mark.slow

LAUNCH_COUNT = 100
PARALLEL_BROWSERS = 8


@dataclass
class SharedTool:
    """Two processes of one tool, and the tool URL that the platform is registered with."""

    processes: list[ToolProcess]
    base_url: str


@pytest.fixture
def platform():
    return TestPlatform()


@pytest.fixture
def shared_tool(tmp_path, tool_database, tool_processes, key_server, platform) -> SharedTool:
    port_a = free_port()
    port_b = free_port()
    while port_b == port_a:
        port_b = free_port()
    base_url = f"http://127.0.0.1:{port_a}"
    env = {
        # An empty database: the first process applies the migrations.
        **tool_database(tmp_path / "shared-instance", migrated=False),
        "ROOMS_BASE_URL": base_url,
        # requests sends Secure cookies only over https, unlike browsers on 127.0.0.1.
        "ROOMS_SECURE_COOKIES": "false",
    }

    # The first process applies the migrations and creates the keys, so the second starts on a ready database.
    first = tool_processes(env, port=port_a)
    second = tool_processes(env, port=port_b)
    key_server.keys = [platform.key.public_jwk]
    run_tool_command(
        [
            "platform", "add",
            "--issuer", platform.issuer,
            "--client-id", platform.client_id,
            "--auth-url", f"{platform.issuer}/auth",
            "--jwks-url", key_server.url,
            "--deployment", platform.deployment_id,
        ],
        env,
    )
    return SharedTool(processes=[first, second], base_url=base_url)


def start_login(browser: requests.Session, tool: ToolProcess, platform: TestPlatform, base_url: str) -> dict:
    """Send a login initiation to ``tool``; return the auth redirect's parameters without following it."""
    response = browser.get(
        f"{tool.url}/lti/login",
        params={
            "iss": platform.issuer,
            "login_hint": "hint-1",
            "target_link_uri": f"{base_url}/lti/launch",
            "client_id": platform.client_id,
            "lti_deployment_id": platform.deployment_id,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, page_content(response.text)
    return {name: values[0] for name, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def post_launch(browser: requests.Session, tool: ToolProcess, auth: dict, token: str) -> requests.Response:
    return browser.post(
        f"{tool.url}/lti/launch",
        data={"id_token": token, "state": auth["state"]},
        allow_redirects=False,
        timeout=30,
    )


@pytest.mark.parametrize(("login_index", "launch_index"), [(0, 1), (1, 0)], ids=["a-to-b", "b-to-a"])
def test_launch_on_other_process_accepted(shared_tool, platform, login_index, launch_index):
    login_tool = shared_tool.processes[login_index]
    launch_tool = shared_tool.processes[launch_index]
    browser = requests.Session()
    auth = start_login(browser, login_tool, platform, shared_tool.base_url)

    response = post_launch(browser, launch_tool, auth, platform.sign(platform.claims(nonce=auth["nonce"])))

    assert response.status_code == 200, page_content(response.text)
    assert "Signed in as Ada Lovelace, Instructor in Introduction to Rooms." in response.text
    assert TOKEN_COOKIE in response.cookies
    page_url = re.search(r'<meta name="page-url" content="([^"]+)">', response.text).group(1)
    next_page = browser.get(f"{login_tool.url}{page_url}", allow_redirects=False, timeout=30)
    assert next_page.status_code == 200, page_content(next_page.text)
    assert "Signed in as Ada Lovelace" in next_page.text


def launch_with_unknown_kid(shared_tool: SharedTool, platform: TestPlatform, index: int) -> requests.Response:
    """Log in on one process and launch on one of the two, with a token signed by a key the platform never published."""
    login_tool = shared_tool.processes[index % 2]
    launch_tool = shared_tool.processes[(index // 2) % 2]
    browser = requests.Session()
    auth = start_login(browser, login_tool, platform, shared_tool.base_url)
    token = platform.sign(platform.claims(nonce=auth["nonce"]), key=SigningKey())
    return post_launch(browser, launch_tool, auth, token)


def test_unknown_kids_fetch_platform_keys_once(shared_tool, platform, key_server):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=PARALLEL_BROWSERS) as executor:
        responses = list(executor.map(lambda index: launch_with_unknown_kid(shared_tool, platform, index), range(LAUNCH_COUNT)))
    elapsed = time.monotonic() - started

    # The limit is one fetch a minute: a slower run could fetch twice without a fault.
    assert elapsed < 55, f"{LAUNCH_COUNT} launches took {elapsed:.0f} s, too long to test a once-a-minute limit"
    statuses = [response.status_code for response in responses]
    assert statuses == [400] * LAUNCH_COUNT
    unexplained = [page_content(response.text) for response in responses if "which the platform does not publish" not in response.text]
    assert unexplained == []
    assert key_server.fetches == 1

    logs = "".join(process.log_text() for process in shared_tool.processes)
    rejection_lines = re.findall(r"LTI launch rejected \(iss=https://lms\.test, client_id=tool-client-1,", logs)
    assert len(rejection_lines) == LAUNCH_COUNT
    assert len(re.findall(r"Fetched platform \d+ key set", logs)) == 1


def test_platform_key_cached_across_processes(shared_tool, platform, key_server):
    for tool in shared_tool.processes:
        browser = requests.Session()
        auth = start_login(browser, tool, platform, shared_tool.base_url)

        response = post_launch(browser, tool, auth, platform.sign(platform.claims(nonce=auth["nonce"])))

        assert response.status_code == 200, page_content(response.text)
    assert key_server.fetches == 1
