"""The demo platform's login initiation and OIDC authentication endpoint."""

import hashlib
import hmac

import jwt
import pytest
from jwt.utils import base64url_decode

from demo.platform import PlatformRefusal

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def registered_redirect_uri(platform) -> str:
    (redirect_uri,) = platform.tool_redirect_uris
    return redirect_uri


# Login initiation


def test_login_initiation_parameters(platform):
    params = platform.login_initiation("ada", "link-rooms")

    assert params["iss"] == platform.issuer
    assert params["login_hint"] == "10001"
    assert params["target_link_uri"] == platform.tool_launch_url
    assert params["client_id"] == platform.client_id
    assert params["lti_deployment_id"] == platform.deployment_id
    assert len(params["lti_message_hint"]) >= 20
    assert "lti_storage_target" not in params


def test_login_initiation_message_hints_differ(platform):
    first = platform.login_initiation("ada", "link-rooms")
    second = platform.login_initiation("ada", "link-rooms")

    assert first["lti_message_hint"] != second["lti_message_hint"]


def test_login_initiation_storage_target(platform):
    params = platform.login_initiation("alan", "link-rooms", lti_storage_target="_parent")

    assert params["lti_storage_target"] == "_parent"


@pytest.mark.parametrize(
    ("user_key", "link_id", "options"),
    [
        ("nobody", "link-rooms", {}),
        ("ada", "no-such-link", {}),
        ("ada", None, {}),
        ("ada", "link-rooms", {"message_type": "LtiSubmissionReviewRequest"}),
        ("ada", "link-rooms", {"document_target": "popup"}),
    ],
)
def test_login_initiation_invalid_arguments(platform, user_key, link_id, options):
    with pytest.raises(ValueError):
        platform.login_initiation(user_key, link_id, **options)


# A successful authentication


def test_authorize_returns_redirect_uri_and_state(platform, tool):
    auth_request = tool.auth_request(platform.login_initiation("ada", "link-rooms"))

    redirect_uri, form = platform.authorize(auth_request)

    assert redirect_uri == registered_redirect_uri(platform)
    assert form["state"] == auth_request["state"]
    assert set(form) == {"id_token", "state"}


def test_authorize_without_state_sends_none(platform, tool):
    auth_request = tool.auth_request(platform.login_initiation("ada", "link-rooms"), state=None)

    _, form = platform.authorize(auth_request)

    assert set(form) == {"id_token"}


def test_id_token_header(platform, tool):
    _, form = platform.authorize(tool.auth_request(platform.login_initiation("ada", "link-rooms")))

    header = jwt.get_unverified_header(form["id_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == platform.signing_key.kid
    assert header["kid"] in [key["kid"] for key in platform.jwks()["keys"]]


def test_id_token_claims(platform, tool, verify_id_token):
    auth_request = tool.auth_request(platform.login_initiation("ada", "link-week-1"))
    _, form = platform.authorize(auth_request)

    claims = verify_id_token(form["id_token"])

    assert claims["iss"] == platform.issuer
    assert claims["aud"] == platform.client_id
    assert claims["azp"] == platform.client_id
    assert claims["sub"] == "demo-user-0001"
    assert claims["nonce"] == auth_request["nonce"]
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert claims[LTI + "deployment_id"] == platform.deployment_id
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "target_link_uri"] == platform.tool_launch_url
    assert INSTRUCTOR in claims[LTI + "roles"]
    assert claims["name"] == "Ada Lovelace"
    assert claims["given_name"] == "Ada"
    assert claims["family_name"] == "Lovelace"
    assert claims["email"] == "ada.lovelace@example.edu"
    assert claims["locale"] == "en-GB"
    assert claims[LTI + "context"] == {
        "id": "course-cs101",
        "title": "Introduction to Computing",
        "label": "CS101",
        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
    }
    assert claims[LTI + "resource_link"] == {"id": "link-week-1", "title": "Week 1: Analytical engines"}
    assert claims[LTI + "custom"] == {"unit": "week-1"}
    assert claims[LTI + "launch_presentation"] == {"document_target": "iframe", "return_url": platform.course_url}
    assert claims[LTI + "tool_platform"]["product_family_code"] == "demo"
    assert claims[LTI + "tool_platform"]["guid"] == platform.guid
    assert claims[LTI + "tool_platform"]["name"] == platform.name
    assert claims[NRPS_CLAIM]["context_memberships_url"] == platform.memberships_url("course-cs101")


def test_id_token_learner_roles(launch):
    claims = launch("katherine", "link-rooms")

    assert LEARNER in claims[LTI + "roles"]
    assert INSTRUCTOR not in claims[LTI + "roles"]


def test_id_token_administrator_roles(launch):
    claims = launch("grace", "link-rooms")

    assert INSTRUCTOR in claims[LTI + "roles"]
    assert "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator" in claims[LTI + "roles"]


def test_id_token_new_tab_document_target(launch):
    claims = launch("alan", "link-rooms", document_target="window")

    assert claims[LTI + "launch_presentation"]["document_target"] == "window"


def test_course_navigation_link_id_is_context_id(launch):
    claims = launch("ada", "course-cs101")

    assert claims[LTI + "resource_link"]["id"] == claims[LTI + "context"]["id"]


def test_tool_custom_parameters_win(platform, tool, verify_id_token):
    platform.tool_custom = {"unit": "from-tool", "context_history": ""}
    _, form = platform.authorize(tool.auth_request(platform.login_initiation("ada", "link-week-1")))

    claims = verify_id_token(form["id_token"])

    assert claims[LTI + "custom"] == {"unit": "from-tool", "context_history": ""}


# Rejected authentication requests


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("scope", "openid profile", "scope"),
        ("scope", None, "scope"),
        ("response_type", "code", "response_type"),
        ("response_mode", "query", "response_mode"),
        ("response_mode", None, "response_mode"),
        ("client_id", "someone-else", "client_id"),
        ("nonce", None, "nonce"),
        ("nonce", "", "nonce"),
        ("prompt", "login", "prompt"),
        ("lti_message_hint", None, "lti_message_hint"),
    ],
)
def test_authorize_rejects_invalid_parameter(platform, tool, name, value, reason):
    auth_request = tool.auth_request(platform.login_initiation("ada", "link-rooms"), **{name: value})

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(auth_request)

    assert reason in refusal.value.reason


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:5000/lti/launc",  # a prefix of the registered URI
        "http://127.0.0.1:5000/lti/launch/",  # the registered URI plus a suffix
        "http://127.0.0.1:5000/lti/launch?next=/admin",
        "http://127.0.0.1:5000/lti/launch.evil.example",
        "http://127.0.0.1:5000/lti/other",
        "http://localhost:5000/lti/launch",
        "https://127.0.0.1:5000/lti/launch",
        "http://evil.example/lti/launch",
    ],
)
def test_authorize_rejects_unregistered_redirect_uri(platform, tool, redirect_uri):
    auth_request = tool.auth_request(platform.login_initiation("ada", "link-rooms"), redirect_uri=redirect_uri)

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(auth_request)

    assert "redirect_uri" in refusal.value.reason
    assert "not registered" in refusal.value.reason


def test_authorize_rejects_reused_message_hint(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")
    platform.authorize(tool.auth_request(login_params))

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(tool.auth_request(login_params))

    assert "already used" in refusal.value.reason


def test_authorize_rejects_unknown_message_hint(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(tool.auth_request(login_params, lti_message_hint="made-up-hint"))

    assert "unknown" in refusal.value.reason


def test_authorize_rejects_wrong_login_hint(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(tool.auth_request(login_params, login_hint="10003"))

    assert "login_hint" in refusal.value.reason


def test_wrong_login_hint_uses_up_message_hint(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")
    with pytest.raises(PlatformRefusal):
        platform.authorize(tool.auth_request(login_params, login_hint="10003"))

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(tool.auth_request(login_params))

    assert "already used" in refusal.value.reason


def test_invalid_scope_uses_up_message_hint(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")
    with pytest.raises(PlatformRefusal):
        platform.authorize(tool.auth_request(login_params, scope="profile"))

    with pytest.raises(PlatformRefusal) as refusal:
        platform.authorize(tool.auth_request(login_params))

    assert "already used" in refusal.value.reason


def test_authorize_without_prompt(platform, tool):
    auth_request = tool.auth_request(platform.login_initiation("ada", "link-rooms"), prompt=None)

    redirect_uri, _ = platform.authorize(auth_request)

    assert redirect_uri == registered_redirect_uri(platform)


def test_unregistered_redirect_uri_keeps_message_hint(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")
    with pytest.raises(PlatformRefusal):
        platform.authorize(tool.auth_request(login_params, redirect_uri="http://evil.example/"))

    redirect_uri, _ = platform.authorize(tool.auth_request(login_params))

    assert redirect_uri == registered_redirect_uri(platform)


# Forged id_tokens for the tool's tests


def test_claim_overrides_and_removals(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")

    _, form = platform.authorize(
        tool.auth_request(login_params), claim_overrides={"aud": "someone-else"}, remove_claims=["exp"]
    )

    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    assert claims["aud"] == "someone-else"
    assert "exp" not in claims


def test_header_override_unknown_kid(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")

    _, form = platform.authorize(tool.auth_request(login_params), header_overrides={"kid": "unknown-kid"})

    assert jwt.get_unverified_header(form["id_token"])["kid"] == "unknown-kid"


def test_header_override_removes_kid(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")

    _, form = platform.authorize(tool.auth_request(login_params), header_overrides={"kid": None})

    assert "kid" not in jwt.get_unverified_header(form["id_token"])


def test_unsigned_id_token(platform, tool):
    login_params = platform.login_initiation("ada", "link-rooms")

    _, form = platform.authorize(tool.auth_request(login_params), algorithm="none")

    assert jwt.get_unverified_header(form["id_token"])["alg"] == "none"
    assert form["id_token"].endswith(".")


def test_hs256_id_token_keyed_with_public_key(platform, tool):
    public_key_pem = platform.signing_key.public_key_pem.encode("ascii")
    login_params = platform.login_initiation("ada", "link-rooms")

    _, form = platform.authorize(tool.auth_request(login_params), algorithm="HS256", hmac_secret=public_key_pem)

    signing_input, _, signature = form["id_token"].rpartition(".")
    expected_signature = hmac.new(public_key_pem, signing_input.encode("ascii"), hashlib.sha256).digest()
    assert jwt.get_unverified_header(form["id_token"])["alg"] == "HS256"
    assert base64url_decode(signature) == expected_signature


def test_id_token_signed_with_another_key(platform, tool, other_private_key_pem):
    platform_key = jwt.PyJWK(platform.jwks()["keys"][0]).key
    login_params = platform.login_initiation("ada", "link-rooms")

    _, form = platform.authorize(
        tool.auth_request(login_params),
        signing_key_pem=other_private_key_pem,
        header_overrides={"kid": platform.signing_key.kid},
    )

    assert jwt.get_unverified_header(form["id_token"])["kid"] == platform.signing_key.kid
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(form["id_token"], platform_key, algorithms=["RS256"], options={"verify_aud": False})


# Key rotation


def test_rotate_key_publishes_both_keys(platform):
    old_kid = platform.signing_key.kid

    new_kid = platform.rotate_key()

    kids = [key["kid"] for key in platform.jwks()["keys"]]
    assert kids == [old_kid, new_kid]
    assert new_kid != old_kid


def test_rotated_key_signs_new_id_tokens(platform, tool, verify_id_token):
    new_kid = platform.rotate_key()

    _, form = platform.authorize(tool.auth_request(platform.login_initiation("ada", "link-rooms")))

    assert jwt.get_unverified_header(form["id_token"])["kid"] == new_kid
    assert verify_id_token(form["id_token"])["sub"] == "demo-user-0001"


def test_jwks_keys_have_public_fields_only(platform):
    (key,) = platform.jwks()["keys"]

    assert set(key) == {"kty", "kid", "n", "e", "alg", "use"}
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
