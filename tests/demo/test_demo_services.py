"""The demo platform's token endpoint and its Names and Role Provisioning Service."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from demo.platform import DemoPlatform, PlatformRefusal

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MEMBERSHIP_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CONTEXT_ID = "course-cs101"


# Access tokens


def test_valid_client_assertion_gets_token(platform, tool):
    token = platform.issue_access_token(tool.token_request())

    assert token["token_type"] == "bearer"
    assert token["scope"] == NRPS_SCOPE
    assert token["expires_in"] == 3600


def test_access_token_verifies_with_platform_jwks(platform, tool):
    token = platform.issue_access_token(tool.token_request())

    kid = jwt.get_unverified_header(token["access_token"])["kid"]
    key = jwt.PyJWKSet.from_dict(platform.jwks())[kid]
    claims = jwt.decode(token["access_token"], key, algorithms=["RS256"])
    assert claims["sub"] == platform.client_id
    assert claims["iss"] == platform.issuer


def test_token_scope_limited_to_nrps(platform, tool):
    token = platform.issue_access_token(tool.token_request(scope=f"{AGS_SCORE_SCOPE} {NRPS_SCOPE}"))

    assert token["scope"] == NRPS_SCOPE


def assert_token_refused(platform, form: dict[str, str], expected_error: str, expected_reason: str) -> None:
    with pytest.raises(PlatformRefusal) as refusal:
        platform.issue_access_token(form)

    assert refusal.value.oauth_error == expected_error
    assert expected_reason in refusal.value.reason


@pytest.mark.parametrize(
    "audience",
    [
        "http://localhost:5001/token/",
        "http://localhost:5001",
        "http://localhost:5001/tok",
        ["http://localhost:5001"],
    ],
)
def test_token_refused_for_wrong_audience(platform, tool, audience):
    assertion = tool.client_assertion(claim_overrides={"aud": audience})

    assert_token_refused(platform, tool.token_request(assertion), "invalid_client", "aud must name")


def test_token_refused_for_reused_jti(platform, tool):
    assertion = tool.client_assertion(claim_overrides={"jti": "jti-1"})
    platform.issue_access_token(tool.token_request(assertion))
    second_assertion = tool.client_assertion(claim_overrides={"jti": "jti-1"})
    form = tool.token_request(second_assertion)

    assert_token_refused(platform, form, "invalid_client", "jti 'jti-1' was already used")


def test_token_refused_for_replayed_assertion(platform, tool):
    form = tool.token_request()
    platform.issue_access_token(form)

    assert_token_refused(platform, form, "invalid_client", "already used")


@pytest.mark.parametrize(
    ("claim_overrides", "remove_claims", "expected_reason"),
    [
        ({"iss": "someone-else"}, (), "iss must be the client id"),
        ({"sub": "someone-else"}, (), "sub must be the client id"),
        ({"exp": int(time.time()) - 600}, (), "expired"),
        ({}, ("exp",), "no exp"),
        ({}, ("jti",), "no jti"),
    ],
)
def test_token_refused_for_invalid_assertion(platform, tool, claim_overrides, remove_claims, expected_reason):
    assertion = tool.client_assertion(claim_overrides=claim_overrides, remove_claims=remove_claims)

    assert_token_refused(platform, tool.token_request(assertion), "invalid_client", expected_reason)


def test_token_refused_for_foreign_signature(platform, tool, other_private_key_pem):
    assertion = tool.client_assertion(private_key_pem=other_private_key_pem)

    assert_token_refused(platform, tool.token_request(assertion), "invalid_client", "is invalid")


@pytest.mark.parametrize(
    ("changes", "expected_error"),
    [
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"client_assertion_type": "urn:other"}, "invalid_request"),
        ({"scope": AGS_SCORE_SCOPE}, "invalid_scope"),
    ],
)
def test_token_refused_for_invalid_request(platform, tool, changes, expected_error):
    with pytest.raises(PlatformRefusal) as refusal:
        platform.issue_access_token(tool.token_request(**changes))

    assert refusal.value.oauth_error == expected_error


def test_configured_audience_required(platform_private_key_pem, tool):
    platform = DemoPlatform(
        issuer="http://localhost:5001",
        private_key_pem=platform_private_key_pem,
        client_id="rooms-test",
        deployment_id="1",
        tool_login_url="http://127.0.0.1:5000/lti/login",
        tool_redirect_uris={"http://127.0.0.1:5000/lti/launch"},
        tool_launch_url="http://127.0.0.1:5000/lti/launch",
        tool_jwks=tool.jwks,
        token_url="http://localhost:5001/token",
        token_audience="https://lms.example/oauth2/audience",
    )
    token_url_assertion = tool.client_assertion()
    audience_assertion = tool.client_assertion(claim_overrides={"aud": "https://lms.example/oauth2/audience"})

    token = platform.issue_access_token(tool.token_request(audience_assertion))

    assert token["scope"] == NRPS_SCOPE
    assert_token_refused(platform, tool.token_request(token_url_assertion), "invalid_client", "aud must name")


# Names and Role Provisioning Service


@pytest.fixture
def bearer(platform, tool) -> str:
    return "Bearer " + platform.issue_access_token(tool.token_request())["access_token"]


def next_page_url(link_header: str | None) -> str | None:
    """Return the rel="next" URL of a Link header, matched as pylti1.3 matches it."""
    match = re.search(r'<([^>]*)>;\s*rel="next"', link_header or "", re.IGNORECASE)
    return match.group(1) if match else None


def test_memberships_paged_with_link_header(platform, bearer):
    first_page = platform.memberships(CONTEXT_ID, bearer, page="1", limit="3")
    next_url = next_page_url(first_page.headers.get("Link"))
    next_query = {name: values[0] for name, values in parse_qs(urlsplit(next_url).query).items()}
    second_page = platform.memberships(CONTEXT_ID, bearer, **next_query)

    assert first_page.status == 200
    assert first_page.headers["Content-Type"] == MEMBERSHIP_MEDIA_TYPE
    assert [member["name"] for member in first_page.body["members"]] == ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    assert urlsplit(next_url).path == urlsplit(platform.memberships_url(CONTEXT_ID)).path
    assert next_query == {"page": "2", "limit": "3"}
    assert second_page.status == 200
    assert [member["name"] for member in second_page.body["members"]] == ["Katherine Johnson"]
    assert "Link" not in second_page.headers


def test_memberships_body_has_no_next_field(platform, bearer):
    page = platform.memberships(CONTEXT_ID, bearer, limit=2)

    assert "next" not in page.body
    assert page.body["context"] == {"id": CONTEXT_ID, "label": "CS101", "title": "Introduction to Computing"}


def test_memberships_without_limit_lists_everyone(platform, bearer):
    page = platform.memberships(CONTEXT_ID, bearer)

    assert len(page.body["members"]) == 4
    assert "Link" not in page.headers


def test_member_fields(platform, bearer):
    page = platform.memberships(CONTEXT_ID, bearer)

    ada = page.body["members"][0]
    assert ada["user_id"] == "demo-user-0001"
    assert ada["status"] == "Active"
    assert ada["email"] == "ada.lovelace@example.edu"
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in ada["roles"]


def test_memberships_role_filter(platform, bearer):
    page = platform.memberships(CONTEXT_ID, bearer, role="Learner")

    assert [member["name"] for member in page.body["members"]] == ["Alan Turing", "Katherine Johnson"]


def test_memberships_role_filter_keeps_paging_parameters(platform, bearer):
    page = platform.memberships(CONTEXT_ID, bearer, role="Learner", limit=1)

    next_query = parse_qs(urlsplit(next_page_url(page.headers["Link"])).query)
    assert next_query == {"role": ["Learner"], "limit": ["1"], "page": ["2"]}


def test_memberships_unknown_resource_link_forbidden(platform, bearer):
    page = platform.memberships(CONTEXT_ID, bearer, rlid="no-such-link")

    assert page.status == 403


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic abc", "Bearer", "Bearer not-a-jwt"],
)
def test_memberships_rejects_missing_or_malformed_token(platform, authorization):
    page = platform.memberships(CONTEXT_ID, authorization)

    assert page.status == 401


def test_memberships_rejects_token_of_another_signer(platform, other_private_key_pem):
    forged = jwt.encode(
        {"iss": platform.issuer, "sub": platform.client_id, "scopes": NRPS_SCOPE, "exp": int(time.time()) + 60},
        other_private_key_pem,
        algorithm="RS256",
        headers={"kid": platform.signing_key.kid},
    )

    page = platform.memberships(CONTEXT_ID, "Bearer " + forged)

    assert page.status == 401


def test_memberships_rejects_token_without_nrps_scope(platform):
    token = platform.sign({"iss": platform.issuer, "sub": platform.client_id, "scopes": AGS_SCORE_SCOPE})

    page = platform.memberships(CONTEXT_ID, "Bearer " + token)

    assert page.status == 401


def test_memberships_accepts_token_issued_before_key_rotation(platform, bearer):
    platform.rotate_key()

    page = platform.memberships(CONTEXT_ID, bearer)

    assert page.status == 200


def test_memberships_unknown_context(platform, bearer):
    page = platform.memberships("another-course", bearer)

    assert page.status == 404


@pytest.mark.parametrize(("page_number", "limit"), [("0", "3"), ("1", "-1"), ("one", "3"), ("1", "3.5")])
def test_memberships_rejects_invalid_paging(platform, bearer, page_number, limit):
    page = platform.memberships(CONTEXT_ID, bearer, page=page_number, limit=limit)

    assert page.status == 400
