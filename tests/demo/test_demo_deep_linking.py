"""Deep-linking requests of the demo platform, and its checks on the tool's responses."""

import time

import pytest

from demo.course import PLACEMENT_DEEP_LINKING
from demo.platform import PlatformRefusal

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


# The request


def test_deep_linking_request_claims(launch, platform):
    claims = launch("ada", None, message_type="LtiDeepLinkingRequest")

    settings = claims[DL + "deep_linking_settings"]
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert settings["deep_link_return_url"].startswith(platform.deep_link_return_url + "?request=")
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is False
    assert settings["auto_create"] is True
    assert len(settings["data"]) >= 16
    assert LTI + "resource_link" not in claims


def test_deep_linking_request_data_differs_each_time(deep_linking_request):
    first, _ = deep_linking_request()
    second, _ = deep_linking_request()

    assert first["data"] != second["data"]


def test_deep_linking_request_without_data(deep_linking_request):
    settings, _ = deep_linking_request(with_data=False)

    assert "data" not in settings


# A valid response


def test_valid_response_returns_content_items(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request()
    item = {"type": "ltiResourceLink", "title": "Room: Lecture 1", "custom": {"room": "r-lecture-1"}}

    items = platform.accept_deep_linking_response(
        tool.deep_linking_response(settings, content_items=[item]), request_id
    )

    assert items == [item]


def test_valid_response_adds_launchable_link(platform, tool, deep_linking_request, launch):
    settings, request_id = deep_linking_request()
    links_before = platform.links()
    platform.accept_deep_linking_response(tool.deep_linking_response(settings), request_id)

    (new_link,) = [link for link in platform.links() if link not in links_before]
    claims = launch("alan", new_link.id)

    assert new_link.title == "Room: Lecture 1"
    assert new_link.placement == PLACEMENT_DEEP_LINKING
    assert claims[LTI + "resource_link"] == {"id": new_link.id, "title": "Room: Lecture 1"}
    assert claims[LTI + "custom"] == {"room": "r-lecture-1"}


def test_content_item_url_becomes_target_link_uri(platform, tool, deep_linking_request, launch):
    settings, request_id = deep_linking_request()
    item = {"type": "ltiResourceLink", "title": "Room", "url": "http://127.0.0.1:5000/lti/launch?room=r1"}
    platform.accept_deep_linking_response(tool.deep_linking_response(settings, content_items=[item]), request_id)

    new_link = platform.links()[-1]
    login_params = platform.login_initiation("alan", new_link.id)
    claims = launch("alan", new_link.id)

    assert login_params["target_link_uri"] == item["url"]
    assert claims[LTI + "target_link_uri"] == item["url"]


def test_response_without_items_adds_nothing(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request()
    links_before = platform.links()

    items = platform.accept_deep_linking_response(tool.deep_linking_response(settings, content_items=[]), request_id)

    assert items == []
    assert platform.links() == links_before


def test_response_without_data_to_request_without_data(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request(with_data=False)

    items = platform.accept_deep_linking_response(tool.deep_linking_response(settings), request_id)

    assert len(items) == 1


def test_response_with_audience_list(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request()
    response = tool.deep_linking_response(settings, claim_overrides={"aud": ["someone-else", platform.issuer]})

    items = platform.accept_deep_linking_response(response, request_id)

    assert len(items) == 1


# Rejected responses


def assert_rejected(platform, response: str, request_id: str, expected_reason: str) -> None:
    links_before = platform.links()

    with pytest.raises(PlatformRefusal) as refusal:
        platform.accept_deep_linking_response(response, request_id)

    assert expected_reason in refusal.value.reason
    assert platform.links() == links_before


@pytest.mark.parametrize(
    ("claim_overrides", "expected_reason"),
    [
        ({"iss": "someone-else"}, "iss must be the client id"),
        ({"iss": "http://localhost:5001"}, "iss must be the client id"),
        ({"aud": "http://lms.example"}, "aud must name the platform issuer"),
        ({"aud": "rooms-test"}, "aud must name the platform issuer"),
        ({"aud": ["http://lms.example"]}, "aud must name the platform issuer"),
        ({LTI + "deployment_id": "2"}, "deployment_id"),
        ({LTI + "message_type": "LtiResourceLinkRequest"}, "message_type"),
        ({LTI + "version": "1.1"}, "version"),
        ({"nonce": ""}, "no nonce"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({DL + "data": "forged-data"}, "data differs"),
    ],
)
def test_response_rejected_for_wrong_claim(platform, tool, deep_linking_request, claim_overrides, expected_reason):
    settings, request_id = deep_linking_request()

    response = tool.deep_linking_response(settings, claim_overrides=claim_overrides)

    assert_rejected(platform, response, request_id, expected_reason)


@pytest.mark.parametrize(
    ("removed_claim", "expected_reason"),
    [
        ("nonce", "no nonce"),
        ("exp", "no exp"),
        ("aud", "aud must name"),
        (LTI + "deployment_id", "deployment_id"),
        (DL + "data", "no data claim"),
    ],
)
def test_response_rejected_for_missing_claim(platform, tool, deep_linking_request, removed_claim, expected_reason):
    settings, request_id = deep_linking_request()

    response = tool.deep_linking_response(settings, remove_claims=(removed_claim,))

    assert_rejected(platform, response, request_id, expected_reason)


def test_response_rejected_for_reused_nonce(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request()
    first_response = tool.deep_linking_response(settings, claim_overrides={"nonce": "nonce-1"})
    platform.accept_deep_linking_response(first_response, request_id)
    other_settings, other_request_id = deep_linking_request()

    replayed_nonce = tool.deep_linking_response(other_settings, claim_overrides={"nonce": "nonce-1"})

    assert_rejected(platform, replayed_nonce, other_request_id, "nonce 'nonce-1' was already used")


def test_response_rejected_when_replayed(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request()
    response = tool.deep_linking_response(settings)
    platform.accept_deep_linking_response(response, request_id)

    assert_rejected(platform, response, request_id, "already used")


def test_response_rejected_for_data_when_request_had_none(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request(with_data=False)

    response = tool.deep_linking_response(settings, claim_overrides={DL + "data": "unexpected"})

    assert_rejected(platform, response, request_id, "the request sent no data")


def test_response_rejected_for_second_answer(platform, tool, deep_linking_request):
    settings, request_id = deep_linking_request()
    platform.accept_deep_linking_response(tool.deep_linking_response(settings), request_id)

    second_answer = tool.deep_linking_response(settings)

    assert_rejected(platform, second_answer, request_id, "already has a response")


def test_response_rejected_for_unknown_request(platform, tool, deep_linking_request):
    settings, _ = deep_linking_request()

    assert_rejected(platform, tool.deep_linking_response(settings), "no-such-request", "No deep-linking request")


def test_response_rejected_for_foreign_signature(platform, tool, deep_linking_request, other_private_key_pem):
    settings, request_id = deep_linking_request()

    response = tool.deep_linking_response(settings, private_key_pem=other_private_key_pem)

    assert_rejected(platform, response, request_id, "is invalid")


def test_response_rejected_for_malformed_jwt(platform, deep_linking_request):
    _, request_id = deep_linking_request()

    assert_rejected(platform, "not-a-jwt", request_id, "cannot be verified")


@pytest.mark.parametrize(
    ("content_items", "expected_reason"),
    [
        (
            [{"type": "ltiResourceLink", "title": "A"}, {"type": "ltiResourceLink", "title": "B"}],
            "accept_multiple is false",
        ),
        ([{"type": "html", "html": "<p>Hi</p>"}], "type 'html' is not accepted"),
        ([{"type": "ltiResourceLink", "custom": {"count": 3}}], "custom parameters"),
        ([{"type": "ltiResourceLink", "title": ["A"]}], "title must be a string"),
    ],
)
def test_response_rejected_for_content_items(platform, tool, deep_linking_request, content_items, expected_reason):
    settings, request_id = deep_linking_request()

    response = tool.deep_linking_response(settings, content_items=content_items)

    assert_rejected(platform, response, request_id, expected_reason)


def test_response_verified_after_tool_key_rotation(platform, tool, deep_linking_request):
    # The tool's key set is read per response, so a new tool key verifies at once.
    settings, request_id = deep_linking_request()
    new_tool = type(tool)()
    platform.tool_jwks = lambda: {"keys": [tool.jwk, new_tool.jwk]}

    items = platform.accept_deep_linking_response(new_tool.deep_linking_response(settings), request_id)

    assert len(items) == 1
