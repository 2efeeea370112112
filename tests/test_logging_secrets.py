"""No secret reaches the logs, with every logger at DEBUG on a real server process."""

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from app import create_app
from app.extensions import db
from app.lti.keys import active_signing_key
from app.logging_setup import mask_secrets
from demo.keys import generate_private_key_pem
from demo.platform import DemoPlatform
from tests.support.jwks_server import KeySetServer
from tests.support.pages import meta_content
from tests.support.servers import free_port, run_tool_command, start_tool


@pytest.mark.slow
def test_no_secret_in_debug_logs(tool_database, tmp_path, monkeypatch):
    database_settings = tool_database(tmp_path / "server-instance")
    port = free_port()
    tool_url = f"http://127.0.0.1:{port}"
    platform_key_pem = generate_private_key_pem()
    lms = DemoPlatform(
        issuer="http://localhost:5001",
        private_key_pem=platform_key_pem,
        client_id="rooms-logs",
        deployment_id="1",
        tool_login_url=f"{tool_url}/lti/login",
        tool_redirect_uris=[f"{tool_url}/lti/launch"],
        tool_launch_url=f"{tool_url}/lti/launch",
        tool_jwks=f"{tool_url}/lti/jwks",
    )
    key_server = KeySetServer(keys=lms.jwks()["keys"])
    env = {
        **database_settings,
        "ROOMS_LOG_LEVEL": "DEBUG",
        # requests sends Secure cookies only over https.
        "ROOMS_SECURE_COOKIES": "false",
    }
    run_tool_command(
        ["platform", "add", "--issuer", lms.issuer, "--client-id", lms.client_id, "--auth-url", lms.auth_url,
         "--jwks-url", key_server.url, "--deployment", "1"],
        {**env, "ROOMS_BASE_URL": tool_url},
    )
    tool = start_tool(env, tmp_path / "logs", port=port)
    secrets_seen = []
    try:
        # An accepted launch, then a second page with the launch token.
        browser = requests.Session()
        login = browser.get(f"{tool_url}/lti/login", params=lms.login_initiation("ada", "link-rooms"), allow_redirects=False)
        assert login.status_code == 302
        redirect_uri, form = lms.authorize(dict(parse_qsl(urlsplit(login.headers["Location"]).query)))
        state_cookies = {name: value for name, value in browser.cookies.items()}
        launched = browser.post(redirect_uri, data=form)
        assert launched.status_code == 200, launched.text
        token = meta_content(launched.text, "launch-token")
        course_url = tool_url + meta_content(launched.text, "page-url")
        assert requests.get(course_url, headers={"X-Launch-Token": token}).status_code == 200
        secrets_seen += [form["id_token"], token, *state_cookies.values(), *browser.cookies.values()]

        # The query strings of these requests stay out of the development server's access log.
        message_hint = dict(parse_qsl(urlsplit(login.request.url).query))["lti_message_hint"]
        registration_token = "registration-token-that-must-not-be-logged"
        registration = requests.get(
            f"{tool_url}/lti/register",
            params={"openid_configuration": f"http://127.0.0.1:{free_port()}/config", "registration_token": registration_token},
        )
        assert registration.status_code == 502
        secrets_seen += [message_hint, registration_token]

        # A rejected launch: the same form posted again is a replay.
        replayed = browser.post(redirect_uri, data=form)
        assert replayed.status_code == 401
        # A rejected launch with a forged token and a state this browser never had.
        forged = requests.post(redirect_uri, data={"id_token": form["id_token"][:-10] + "A" * 10, "state": "forged-state"})
        assert forged.status_code in (400, 401)
    finally:
        tool.stop()
        key_server.stop()

    log = tool.log_text()
    assert "LTI launch accepted" in log
    assert "LTI launch rejected" in log
    assert "DEBUG" in log

    tool_key_pem = _active_key_pem(database_settings, monkeypatch)
    for secret in secrets_seen:
        assert secret, "an empty value would match everything"
        assert secret not in log
        # A token logged in pieces is still a leak: its signature alone is enough to spot it.
        for part in secret.split("."):
            if len(part) >= 20:
                assert part not in log
    for pem in (tool_key_pem, platform_key_pem):
        body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
        assert "PRIVATE KEY" not in log
        for line in body_lines:
            assert line not in log


def _active_key_pem(database_settings: dict[str, str], monkeypatch) -> str:
    """Decrypt the server's active signing key with the server's own key-encryption key."""
    for name, value in database_settings.items():
        monkeypatch.setenv(name, value)
    server_app = create_app()
    with server_app.app_context():
        pem = active_signing_key(db.session, server_app.config["ROOMS_KEY_ENCRYPTION_KEY"]).private_key_pem
        db.engine.dispose()
    return pem


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1 - - [x] "GET /lti/register?registration_token=SECRET-1 HTTP/1.1" 200 -',
        '127.0.0.1 - - [x] "\x1b[35m\x1b[1mGET /lti/login?lti_message_hint=SECRET-1 HTTP/1.1\x1b[0m" 502 -',
        '127.0.0.1 - - [x] "GET /lti/register?x="&registration_token=SECRET-1 HTTP/1.1" 200 -',
        '127.0.0.1 - - [x] "PROPFIND /lti/register?registration_token=SECRET-1 HTTP/1.1" 405 -',
    ],
)
def test_access_line_query_masked(line):
    masked = mask_secrets(line)
    assert "SECRET-1" not in masked
    assert "?[masked] HTTP/1.1" in masked
