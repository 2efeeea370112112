"""The demo LMS as real HTTP servers on 127.0.0.1: the command line, the tool JWKS fetch, pylti1.3 services."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration as ToolRegistration
from pylti1p3.service_connector import ServiceConnector
from werkzeug.serving import make_server

from demo.app import create_app
from demo.keys import PlatformKey
from demo.platform import DemoPlatform
from tests.demo.demo_process import free_port, start_demo


@pytest.fixture
def tool_jwks_url(tool):
    """Serve the test tool's JWKS on 127.0.0.1, as the tool's /lti/jwks does, and yield its URL."""
    body = json.dumps(tool.jwks()).encode("utf-8")

    class JwksHandler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/lti/jwks"
    server.shutdown()
    server.server_close()


def test_response_verified_with_fetched_jwks(tool, tool_jwks_url, platform_private_key_pem):
    platform = DemoPlatform(
        issuer="http://localhost:5001",
        private_key_pem=platform_private_key_pem,
        client_id="rooms-test",
        deployment_id="1",
        tool_login_url="http://127.0.0.1:5000/lti/login",
        tool_redirect_uris={"http://127.0.0.1:5000/lti/launch"},
        tool_launch_url="http://127.0.0.1:5000/lti/launch",
        tool_jwks=tool_jwks_url,
    )
    login_params = platform.login_initiation("ada", None, message_type="LtiDeepLinkingRequest")
    _, form = platform.authorize(tool.auth_request(login_params))
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    request_id = settings["deep_link_return_url"].rsplit("request=", 1)[1]

    items = platform.accept_deep_linking_response(tool.deep_linking_response(settings), request_id)

    assert len(items) == 1


@pytest.mark.slow
def test_demo_command_keeps_key_on_restart(tmp_path):
    port = free_port()
    data_dir = tmp_path / "demo"

    first = start_demo(port, data_dir, tmp_path / "logs")
    try:
        first_jwks = requests.get(f"{first.url}/jwks", timeout=5).json()
        course_page = requests.get(f"{first.url}/", timeout=5).text
        # The query string stays out of the demo's access log.
        requests.get(f"{first.url}/auth", params={"lti_message_hint": "hint-not-to-log"}, timeout=5)
    finally:
        first.stop()
    second = start_demo(port, data_dir, tmp_path / "logs")
    try:
        second_jwks = requests.get(f"{second.url}/jwks", timeout=5).json()
    finally:
        second.stop()

    key_file = data_dir / "platform-private-key.pem"
    assert [key["kid"] for key in first_jwks["keys"]] == [PlatformKey(key_file.read_text()).kid]
    assert second_jwks == first_jwks
    assert f"http://localhost:{port}/auth" in course_page
    assert f"--issuer http://localhost:{port}" in first.output()
    assert "PRIVATE KEY" not in first.output()
    assert "GET /auth?[masked]" in first.output()
    assert "hint-not-to-log" not in first.output()


class CachingServiceConnector(ServiceConnector):
    """pylti1.3's service connector, which leaves access-token caching to subclasses."""

    def __init__(self, registration, requests_session=None):
        super().__init__(registration, requests_session)
        self.token_requests = 0
        self._tokens: dict[str, str] = {}

    def _get_cached_access_token(self, scope_key):
        return self._tokens.get(scope_key)

    def _cache_access_token(self, scope_key, access_token, expires_in):
        self.token_requests += 1
        self._tokens[scope_key] = access_token


@pytest.fixture
def served_demo(tool, platform_private_key_pem):
    """Serve the demo app on 127.0.0.1 in this process, and yield its platform, whose URLs name localhost."""
    port = free_port()
    platform = DemoPlatform(
        issuer=f"http://localhost:{port}",
        private_key_pem=platform_private_key_pem,
        client_id="rooms-test",
        deployment_id="1",
        tool_login_url="http://127.0.0.1:5000/lti/login",
        tool_redirect_uris={"http://127.0.0.1:5000/lti/launch"},
        tool_launch_url="http://127.0.0.1:5000/lti/launch",
        tool_jwks=tool.jwks,
    )
    server = make_server("127.0.0.1", port, create_app(platform), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield platform
    server.shutdown()


def test_pylti1p3_reads_all_member_pages(served_demo, tool):
    registration = (
        ToolRegistration()
        .set_issuer(served_demo.issuer)
        .set_client_id(served_demo.client_id)
        .set_auth_token_url(served_demo.token_url)
        .set_tool_private_key(tool.private_key_pem)
        .set_tool_public_key(tool.public_key_pem)
    )
    connector = CachingServiceConnector(registration)
    members_url = served_demo.memberships_url("course-cs101") + "?limit=3"
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": members_url})

    members = service.get_members()

    assert [member["name"] for member in members] == [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Katherine Johnson",
    ]
    assert connector.token_requests == 1
