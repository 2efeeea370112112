"""OIDC login initiation: /lti/login."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from app.extensions import db
from app.lti.platforms import PlatformFields, save_platform
from tests.conftest import start_login

# The parameters the tool chooses afresh for every login.
PER_LOGIN_PARAMETERS = {"state", "nonce"}


def without_per_login_parameters(auth: dict) -> dict:
    return {name: value for name, value in auth.items() if name not in PER_LOGIN_PARAMETERS}


def test_login_get_and_post_redirect_alike(client, test_platform):
    get_response, get_auth = start_login(client, test_platform, method="GET")
    post_response, post_auth = start_login(client, test_platform, method="POST")

    assert get_response.status_code == 302
    assert post_response.status_code == 302
    assert urlsplit(get_response.location)._replace(query="") == urlsplit(post_response.location)._replace(query="")
    assert without_per_login_parameters(get_auth) == without_per_login_parameters(post_auth)
    assert get_auth["state"] != post_auth["state"]
    assert get_auth["nonce"] != post_auth["nonce"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_login_redirect_carries_oidc_parameters(client, test_platform, method):
    response, auth = start_login(client, test_platform, method=method)

    assert response.status_code == 302
    assert urlsplit(response.location)._replace(query="").geturl() == "https://lms.test/auth"
    assert without_per_login_parameters(auth) == {
        "tenant": "7",
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": test_platform.client_id,
        "redirect_uri": "http://localhost/lti/launch",
        "login_hint": "hint-1",
        "lti_message_hint": "message-hint-1",
    }
    assert len(auth["state"]) >= 32
    assert len(auth["nonce"]) >= 32


def test_login_keeps_auth_url_query(client, test_platform):
    response, _ = start_login(client, test_platform)

    assert response.status_code == 302
    assert response.location.startswith("https://lms.test/auth?tenant=7&")
    query = parse_qsl(urlsplit(response.location).query)
    assert [value for name, value in query if name == "tenant"] == ["7"]
    assert {"client_id", "state", "nonce", "redirect_uri"} <= {name for name, _ in query}


@pytest.mark.parametrize(
    "target_link_uri",
    [
        "https://evil.test/lti/launch",
        "http://localhost.evil.test/lti/launch",
        "http://localhost@evil.test/lti/launch",
        "http://localhost:8080/lti/launch",
        "javascript://localhost/lti/launch",
        "/lti/launch",
    ],
)
def test_login_target_on_other_host_rejected(client, test_platform, rejection, target_link_uri):
    response, _ = start_login(client, test_platform, target_link_uri=target_link_uri)

    rejection.assert_rejected(
        response,
        stage="login",
        reason="points at another host than this tool",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )
    assert response.headers.getlist("Set-Cookie") == []


def test_login_malformed_target_rejected(client, test_platform, rejection):
    # urlsplit raises ValueError for an unclosed "[": the login must reject it, not fail with 500.
    response, _ = start_login(client, test_platform, target_link_uri="http://[localhost/lti/launch")

    rejection.assert_rejected(
        response,
        stage="login",
        reason="The target_link_uri is not a valid URL",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_login_missing_parameter_rejected(client, test_platform, rejection, missing):
    response, _ = start_login(client, test_platform, **{missing: None})

    rejection.assert_rejected(
        response,
        stage="login",
        reason=f"has no {missing}" if missing != "iss" else "has no issuer (iss)",
        issuer="-" if missing == "iss" else test_platform.issuer,
        client_id=test_platform.client_id,
    )
    assert response.headers.getlist("Set-Cookie") == []


def assert_registration_help(page: str, issuer: str, client_id: str) -> None:
    """Assert that the page shows an administrator the steps that register this issuer and client id."""
    assert "Ask your LMS administrator to register it" in page
    assert "flask --app app platform add" in page
    assert f"--issuer {issuer}" in page
    assert f"--client-id {client_id}" in page
    assert "http://localhost/lti/login" in page
    assert "http://localhost/lti/launch" in page
    assert "http://localhost/lti/jwks" in page


@pytest.mark.parametrize("client_id", ["tool-client-1", None])
def test_login_unknown_issuer_rejected(client, test_platform, rejection, client_id):
    response, _ = start_login(client, test_platform, iss="https://unknown.test", client_id=client_id)

    page = rejection.assert_rejected(
        response,
        stage="login",
        reason="No platform is registered with issuer 'https://unknown.test'",
        issuer="https://unknown.test",
        client_id=client_id or "-",
    )
    assert_registration_help(page, "https://unknown.test", client_id or "<client id>")
    assert response.headers.getlist("Set-Cookie") == []


def test_login_unknown_client_id_rejected(client, test_platform, rejection):
    response, _ = start_login(client, test_platform, client_id="unknown-client")

    page = rejection.assert_rejected(
        response,
        stage="login",
        reason="No platform is registered with issuer 'https://lms.test' and client id 'unknown-client'",
        issuer=test_platform.issuer,
        client_id="unknown-client",
    )
    assert_registration_help(page, test_platform.issuer, "unknown-client")
    assert response.headers.getlist("Set-Cookie") == []


def test_login_ambiguous_issuer_rejected(app, client, test_platform, key_server, rejection):
    with app.app_context():
        save_platform(
            db.session,
            PlatformFields(
                issuer=test_platform.issuer,
                client_id="tool-client-2",
                auth_login_url=f"{test_platform.issuer}/auth",
                jwks_url=key_server.url,
            ),
        )
        db.session.commit()

    response, _ = start_login(client, test_platform, client_id=None)

    page = rejection.assert_rejected(
        response,
        stage="login",
        reason="Issuer 'https://lms.test' has several registrations and the login request names no client_id",
        issuer=test_platform.issuer,
        client_id="-",
    )
    assert_registration_help(page, test_platform.issuer, "<client id>")
    assert response.headers.getlist("Set-Cookie") == []


def test_login_without_client_id_for_single_registration(client, test_platform):
    response, auth = start_login(client, test_platform, client_id=None)

    assert response.status_code == 302
    assert auth["client_id"] == test_platform.client_id
