"""LTI Dynamic Registration against a platform served on 127.0.0.1.

The platform's side follows LTI Dynamic Registration 1.0 as Canvas and Moodle
implement it: see tests/support/registration_platform.py.
"""

import logging
from html import unescape
from pathlib import Path

import pytest

from app.extensions import db
from app.config import load_settings
from app.lti.registration import RegistrationFailed, check_public_host, issuer_matches_configuration_url
from app.lti.registration_values import NRPS_SCOPE, TOOL_CONFIGURATION_KEY
from app.models import Deployment, DeploymentPolicy, DeploymentStatus, Platform
from tests.conftest import launch
from tests.support.jwks_server import KeySetServer
from tests.support.registration_platform import RegistrationPlatform
from tests.support.tokens import TestPlatform

STATIC_DIR = Path(__file__).resolve().parents[2] / "app" / "static"


@pytest.fixture
def lms(key_server):
    platform = RegistrationPlatform(jwks_url=key_server.url)
    yield platform
    platform.stop()


def register(client, lms: RegistrationPlatform, *, token: str | None = "use-the-platform's"):
    params = {"openid_configuration": lms.configuration_url}
    if token == "use-the-platform's":
        params["registration_token"] = lms.registration_token
    elif token is not None:
        params["registration_token"] = token
    return client.get("/lti/register", query_string=params)


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def tool_log(caplog) -> str:
    """Return the tool's log lines, without those of the test platform's own HTTP server."""
    return "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("app"))


def stored_platforms(app) -> list[Platform]:
    with app.app_context():
        platforms = db.session.scalars(db.select(Platform).order_by(Platform.id)).all()
        for platform in platforms:
            db.session.expunge(platform)
        return platforms


def deployment_rows(app) -> list[tuple[str, DeploymentStatus]]:
    with app.app_context():
        rows = db.session.execute(db.select(Deployment.deployment_id, Deployment.status).order_by(Deployment.id))
        return [(row.deployment_id, row.status) for row in rows]


def test_registration_sends_token_as_bearer(client, lms):
    response = register(client, lms)

    assert response.status_code == 200, page_text(response)
    configuration_requests = lms.requests_to("/openid-configuration")
    registration_requests = lms.requests_to("/registrations")
    assert len(configuration_requests) == 1
    assert len(registration_requests) == 1
    assert configuration_requests[0].authorization == f"Bearer {lms.registration_token}"
    assert registration_requests[0].authorization == f"Bearer {lms.registration_token}"


def test_registration_without_token_rejected_by_platform(app, client, lms):
    response = register(client, lms, token=None)

    assert response.status_code == 502
    text = page_text(response)
    assert "The LMS rejected the OpenID configuration request with HTTP status 401." in text
    assert "Invalid or missing registration token" in text
    assert lms.requests_to("/openid-configuration")[0].authorization == ""
    assert lms.requests_to("/registrations") == []
    assert stored_platforms(app) == []


def test_registration_with_wrong_token_rejected(app, client, lms):
    response = register(client, lms, token="someone-elses-token")

    assert response.status_code == 502
    assert "HTTP status 401" in page_text(response)
    assert stored_platforms(app) == []


def test_issuer_mismatch_rejected(app, client, lms):
    lms.configuration_overrides = {"issuer": "https://canvas.instructure.com"}

    response = register(client, lms)

    assert response.status_code == 502
    text = page_text(response)
    assert "https://canvas.instructure.com does not match the host of its OpenID configuration URL" in text
    assert lms.requests_to("/registrations") == []
    assert stored_platforms(app) == []


@pytest.mark.parametrize(
    ("issuer", "configuration_url", "matches"),
    [
        ("https://moodle.example.edu", "https://moodle.example.edu/mod/lti/openid-configuration.php", True),
        ("https://example.edu/moodle", "https://example.edu/moodle/mod/lti/openid-configuration.php", True),
        ("https://canvas.instructure.com", "https://canvas.instructure.com/api/lti/security/openid-configuration?registration_token=x", True),
        ("https://Moodle.Example.edu:443", "https://moodle.example.edu/mod/lti/openid-configuration.php", True),
        ("https://canvas.instructure.com", "https://school.instructure.com/api/lti/security/openid-configuration", False),
        ("http://moodle.example.edu", "https://moodle.example.edu/mod/lti/openid-configuration.php", False),
        ("https://moodle.example.edu:8443", "https://moodle.example.edu/mod/lti/openid-configuration.php", False),
        ("moodle.example.edu", "https://moodle.example.edu/mod/lti/openid-configuration.php", False),
        ("https://moodle.example.edu.evil.test", "https://moodle.example.edu/openid-configuration", False),
    ],
)
def test_issuer_match_rule(issuer, configuration_url, matches):
    assert issuer_matches_configuration_url(issuer, configuration_url) is matches


def test_platform_422_shown_and_nothing_stored(app, client, lms):
    lms.registration_error = (422, {"errors": ["redirect_uris must use https"]})

    response = register(client, lms)

    assert response.status_code == 502
    text = page_text(response)
    assert "The LMS rejected the registration request with HTTP status 422." in text
    assert "The LMS's error message: redirect_uris must use https" in text
    assert stored_platforms(app) == []
    assert deployment_rows(app) == []


def test_private_host_rejected_unless_allowed(app, client, lms):
    # The test app runs on localhost, where private hosts are allowed by default.
    app.config["ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS"] = False

    response = register(client, lms)

    assert response.status_code == 403
    text = page_text(response)
    assert "resolves to the non-public address 127.0.0.1" in text
    assert "ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS=true" in text
    assert lms.requests == []
    assert stored_platforms(app) == []


def test_private_host_default_follows_base_url(monkeypatch, tmp_path):
    monkeypatch.setenv("ROOMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS", raising=False)
    monkeypatch.setenv("ROOMS_BASE_URL", "https://rooms.example.edu")
    assert load_settings(tmp_path)["ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS"] is False
    monkeypatch.setenv("ROOMS_BASE_URL", "http://localhost:5000")
    assert load_settings(tmp_path)["ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS"] is True
    monkeypatch.setenv("ROOMS_BASE_URL", "https://rooms.example.edu")
    monkeypatch.setenv("ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS", "true")
    assert load_settings(tmp_path)["ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS"] is True


def test_malformed_configuration_url_rejected(client):
    response = client.get("/lti/register", query_string={"openid_configuration": "https://[::1", "registration_token": "x"})

    assert response.status_code == 400
    assert "is not an http or https URL" in page_text(response)


@pytest.mark.parametrize(
    ("url", "public"),
    [
        # IP literals only: resolving them sends no DNS query.
        ("https://8.8.8.8/.well-known/openid-configuration", True),
        ("https://[2001:4860:4860::8888]/config", True),
        ("http://127.0.0.1:8080/config", False),
        ("http://10.1.2.3/config", False),
        ("http://172.16.0.9/config", False),
        ("http://192.168.1.20/config", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("http://100.64.0.1/config", False),
        ("http://0.0.0.0/config", False),
        ("http://[::1]/config", False),
        ("http://[::ffff:127.0.0.1]/config", False),
        ("http://[fd00::1]/config", False),
        ("http://[fe80::1]/config", False),
    ],
)
def test_public_host_check(url, public):
    if public:
        check_public_host(url)
    else:
        with pytest.raises(RegistrationFailed) as raised:
            check_public_host(url)
        assert raised.value.status == 403


def test_oauth_error_body_shown(client, lms):
    lms.registration_error = (400, {"error": "invalid_client_metadata", "error_description": "jwks_uri is required"})

    response = register(client, lms)

    assert response.status_code == 502
    assert "invalid_client_metadata; jwks_uri is required" in page_text(response)


def test_plain_text_registration_error_shown(client, lms):
    # Moodle's registration endpoint returns its errors as plain text.
    lms.registration_error = (400, "invalid_token_endpoint_auth_method")

    response = register(client, lms)

    assert response.status_code == 502
    assert "The LMS's error message: invalid_token_endpoint_auth_method" in page_text(response)


def test_plain_text_configuration_error_hidden(app, client, lms):
    lms.configuration_error = (500, "internal page of some other service")

    response = register(client, lms)

    assert response.status_code == 502
    text = page_text(response)
    assert "The LMS rejected the OpenID configuration request with HTTP status 500." in text
    assert "internal page of some other service" not in text
    assert stored_platforms(app) == []


def test_response_without_deployment_id_uses_auto_policy(app, client, lms, key_server):
    response = register(client, lms)

    assert response.status_code == 200, page_text(response)
    assert "Each deployment of this client is accepted on its first launch" in page_text(response)
    platforms = stored_platforms(app)
    assert len(platforms) == 1
    platform = platforms[0]
    assert platform.issuer == lms.issuer
    assert platform.client_id == lms.client_id
    assert platform.deployment_policy == DeploymentPolicy.AUTO
    assert platform.auth_login_url == f"{lms.issuer}/api/lti/authorize_redirect"
    assert platform.auth_token_url == f"{lms.issuer}/login/oauth2/token"
    assert platform.jwks_url == key_server.url
    assert deployment_rows(app) == []


def test_first_launch_after_registration_recorded(app, lms, key_server):
    assert register(app.test_client(), lms).status_code == 200
    platform = TestPlatform(issuer=lms.issuer, client_id=lms.client_id, deployment_id="1:canvas-deployment")
    key_server.keys = [platform.key.public_jwk]

    response = launch(app.test_client(), platform)

    assert response.status_code == 200, page_text(response)
    assert "Ada Lovelace" in page_text(response)
    assert deployment_rows(app) == [("1:canvas-deployment", DeploymentStatus.ACTIVE)]


def test_second_registration_updates_platform(app, client, lms, key_server):
    assert register(client, lms).status_code == 200
    moved_keys = KeySetServer()
    try:
        lms.jwks_url = moved_keys.url

        response = register(client, lms)
    finally:
        moved_keys.stop()

    assert response.status_code == 200, page_text(response)
    assert "is updated" in page_text(response)
    platforms = stored_platforms(app)
    assert len(platforms) == 1
    assert platforms[0].jwks_url == moved_keys.url


def test_moodle_deployment_id_approves_that_deployment(app, client, lms):
    lms.product_family_code = "moodle"
    lms.deployment_id = "7"

    response = register(client, lms)

    assert response.status_code == 200, page_text(response)
    text = page_text(response)
    assert "Deployment 7 is active." in text
    assert "Moodle lists the tool as pending. Activate it in Site administration" in text
    platforms = stored_platforms(app)
    assert platforms[0].deployment_policy == DeploymentPolicy.APPROVE
    assert deployment_rows(app) == [("7", DeploymentStatus.ACTIVE)]


def test_canvas_confirmation_has_no_moodle_step(client, lms):
    response = register(client, lms)

    text = page_text(response)
    assert "Canvas shows the registration next" in text
    assert "Moodle lists the tool as pending" not in text


def test_posted_metadata_describes_tool(client, lms):
    register(client, lms)

    metadata = lms.requests_to("/registrations")[0].body
    assert metadata["application_type"] == "web"
    assert metadata["response_types"] == ["id_token"]
    assert metadata["grant_types"] == ["implicit", "client_credentials"]
    assert metadata["initiate_login_uri"] == "http://localhost/lti/login"
    assert metadata["redirect_uris"] == ["http://localhost/lti/launch"]
    assert metadata["jwks_uri"] == "http://localhost/lti/jwks"
    assert metadata["token_endpoint_auth_method"] == "private_key_jwt"
    assert metadata["scope"] == NRPS_SCOPE
    tool = metadata[TOOL_CONFIGURATION_KEY]
    assert tool["domain"] == "localhost"
    assert tool["target_link_uri"] == "http://localhost/lti/launch"
    assert tool["custom_parameters"] == {
        "context_history": "$Context.id.history",
        "resource_link_history": "$ResourceLink.id.history",
        "canvas_previous_context_ids": "$Canvas.course.previousContextIds.recursive",
    }
    assert tool["claims"] == ["iss", "sub", "name", "given_name", "family_name", "email", "locale"]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    messages = {message["type"]: message for message in tool["messages"]}
    assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert messages["LtiResourceLinkRequest"]["placements"] == ["course_navigation"]
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["link_selection"]
    assert messages["LtiDeepLinkingRequest"]["target_link_uri"] == "http://localhost/lti/launch"


def test_authorization_server_becomes_token_audience(app, client, lms):
    lms.configuration_overrides = {"authorization_server": "canvas.test"}

    register(client, lms)

    assert stored_platforms(app)[0].auth_audience == "canvas.test"


@pytest.mark.parametrize(
    "configuration_url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/openid-configuration",
        "javascript:alert(1)",
        "//127.0.0.1/x",
        "http://",
        "http://127.0.0.1/openid\nconfiguration",
    ],
)
def test_non_http_configuration_url_rejected(app, client, configuration_url):
    response = client.get(
        "/lti/register", query_string={"openid_configuration": configuration_url, "registration_token": "t"}
    )

    assert response.status_code == 400
    assert "is not an http or https URL" in page_text(response)
    assert stored_platforms(app) == []


def test_missing_configuration_url_rejected(client):
    response = client.get("/lti/register")

    assert response.status_code == 400
    assert "The openid_configuration parameter is missing." in page_text(response)


def test_token_with_line_break_rejected(client, lms):
    response = register(client, lms, token="abc\r\nX-Injected: 1")

    assert response.status_code == 400
    assert lms.requests == []


def test_configuration_timeout_shown(app, lms):
    app.config["ROOMS_REGISTRATION_TIMEOUT"] = 0.5
    lms.delay = 2.0

    response = register(app.test_client(), lms)

    assert response.status_code == 504
    assert "did not respond to the OpenID configuration request within 0.5 seconds" in page_text(response)
    assert stored_platforms(app) == []


def test_redirect_not_followed(app, client, lms):
    elsewhere = KeySetServer()
    try:
        lms.configuration_redirect = elsewhere.url

        response = register(client, lms)
    finally:
        elsewhere.stop()

    assert response.status_code == 502
    assert "redirected the OpenID configuration request to another URL" in page_text(response)
    assert elsewhere.fetches == 0
    assert stored_platforms(app) == []


def test_registration_endpoint_on_other_host_rejected(app, client, lms):
    elsewhere = KeySetServer()
    try:
        lms.configuration_overrides = {"registration_endpoint": elsewhere.url}

        response = register(client, lms)
    finally:
        elsewhere.stop()

    assert response.status_code == 502
    assert "is not on the host of its OpenID configuration URL" in page_text(response)
    assert elsewhere.fetches == 0
    assert stored_platforms(app) == []


def test_unreachable_platform_shown(app, client):
    response = client.get(
        "/lti/register",
        query_string={"openid_configuration": "http://127.0.0.1:9/openid-configuration", "registration_token": "t"},
    )

    assert response.status_code == 502
    assert "could not be reached" in page_text(response)
    assert stored_platforms(app) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("jwks_uri", None, "has no jwks_uri"),
        ("authorization_endpoint", "ftp://127.0.0.1/auth", "is not an http or https URL"),
        ("token_endpoint", "not a url", "is not an http or https URL"),
        ("jwks_uri", "http://127.0.0.1/" + "k" * 1000, "is longer than 1000 characters"),
    ],
)
def test_invalid_configuration_field_rejected(app, client, lms, field, value, message):
    lms.configuration_overrides = {field: value}

    response = register(client, lms)

    assert response.status_code == 502
    assert message in page_text(response)
    assert lms.requests_to("/registrations") == []
    assert stored_platforms(app) == []


def test_missing_client_id_stores_nothing(app, client, lms):
    lms.registration_error = (200, {"client_name": "rooms-lti"})

    response = register(client, lms)

    assert response.status_code == 502
    assert "returned no client_id" in page_text(response)
    assert stored_platforms(app) == []


def test_registration_token_never_logged(app, client, lms, caplog):
    # Not shaped like a JWT, so that the log filter's token masking cannot hide a leak.
    lms.registration_token = "plain-registration-secret-4711"
    caplog.set_level(logging.DEBUG)

    register(client, lms)
    register(client, lms, token="plain-wrong-secret-0815")

    assert "Dynamic registration" in tool_log(caplog)
    assert "plain-registration-secret-4711" not in tool_log(caplog)
    assert "plain-wrong-secret-0815" not in tool_log(caplog)


def test_configuration_query_not_logged(app, client, lms, caplog):
    caplog.set_level(logging.INFO)
    url = f"{lms.configuration_url}?registration_token=query-secret-1234"

    client.get("/lti/register", query_string={"openid_configuration": url, "registration_token": lms.registration_token})

    assert lms.configuration_url in tool_log(caplog)
    assert "query-secret-1234" not in tool_log(caplog)


def test_registration_page_headers(client, lms):
    response = register(client, lms)

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_error_page_framable_by_lms(client, lms):
    lms.registration_error = (422, {"errors": ["nope"]})

    response = register(client, lms)

    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_confirmation_posts_close_message(client, lms):
    response = register(client, lms)

    page = response.get_data(as_text=True)
    assert "data-lti-close" in page
    assert '<script src="/static/lti_registration.js" defer nonce="' in page
    script = (STATIC_DIR / "lti_registration.js").read_text()
    assert "(window.opener || window.parent).postMessage" in script
    assert 'subject: "org.imsglobal.lti.close"' in script


def test_other_pages_keep_framing_rules(client):
    response = client.get("/healthz")

    assert "frame-ancestors *" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
