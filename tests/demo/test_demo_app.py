"""The demo LMS's pages and endpoints, through the Flask test client."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from demo.app import create_app

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@pytest.fixture
def client(platform):
    return create_app(platform).test_client()


def hidden_fields(html: str) -> dict[str, str]:
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)
    }


def frame_login_params(html: str) -> dict[str, str]:
    """Return the login initiation parameters in the query of the page's iframe src."""
    src = unescape(re.search(r'<iframe[^>]* src="([^"]*)"', html).group(1))
    return {name: values[0] for name, values in parse_qs(urlsplit(src).query).items()}


def start_launch(client, **fields: str):
    form = {"user": "ada", "link": "link-rooms", "presentation": "frame", "login_method": "get"}
    form.update(fields)
    return client.post("/launch", data=form)


# Course page


def test_course_page_lists_people_and_links(client):
    response = client.get("/")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "<h1>Introduction to Computing" in html
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"):
        assert name in html
    for title in ("Course rooms", "Week 1: Analytical engines", "Rooms (course navigation)"):
        assert title in html


def test_course_page_has_launch_forms(client):
    html = client.get("/").get_data(as_text=True)

    # Three links, four people: one form with both buttons per link and person.
    assert html.count('action="/launch" class="launch-form"') == 12
    assert len(re.findall(r'name="presentation" value="frame">\s*Open in the course \(frame\)', html)) == 12
    assert len(re.findall(r'value="window" formtarget="_blank">\s*Open in a new tab', html)) == 12


def test_course_page_deep_linking_for_instructors_only(client):
    html = client.get("/").get_data(as_text=True)

    assert "Add content (deep linking) as Ada Lovelace" in html
    assert "Add content (deep linking) as Grace Hopper" in html
    assert "Add content (deep linking) as Alan Turing" not in html


def test_course_page_shows_registration_command(client, platform):
    html = client.get("/").get_data(as_text=True)

    assert f"--auth-url {platform.auth_url}" in html
    assert f"--jwks-url {platform.jwks_url}" in html


def test_course_page_of_registered_demo(platform):
    html = create_app(platform, registered=True).test_client().get("/").get_data(as_text=True)

    assert "The tool has this LMS registered already." in html
    assert "platform add" not in html


def test_course_page_security_headers(client):
    response = client.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-src 'self' http://127.0.0.1:5000" in policy
    assert "onclick" not in response.get_data(as_text=True)


# Launches


def test_frame_launch_with_get_login(client, platform):
    response = start_launch(client)
    html = response.get_data(as_text=True)

    src = unescape(re.search(r'<iframe[^>]* src="([^"]*)"', html).group(1))
    params = frame_login_params(html)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert src.startswith(platform.tool_login_url + "?")
    assert params["iss"] == platform.issuer
    assert params["login_hint"] == "10001"
    assert params["client_id"] == platform.client_id
    assert 'allow="autoplay http://127.0.0.1:5000;' in html
    assert 'title="Course rooms (tool)"' in html


def test_frame_launch_with_post_login(client, platform):
    response = start_launch(client, login_method="post", platform_storage="on")
    html = response.get_data(as_text=True)

    fields = hidden_fields(html)
    assert f'<form method="post" action="{platform.tool_login_url}" target="tool-frame" data-auto-submit' in html
    assert '<iframe name="tool-frame"' in html
    assert fields["login_hint"] == "10001"
    assert fields["lti_storage_target"] == "_parent"
    assert fields["lti_message_hint"]


def test_new_tab_launch_with_get_login_redirects(client, platform):
    response = start_launch(client, presentation="window")

    assert response.status_code == 303
    assert response.headers["Location"].startswith(platform.tool_login_url + "?")


def test_new_tab_launch_with_post_login(client, platform):
    response = start_launch(client, presentation="window", login_method="post")
    html = response.get_data(as_text=True)

    assert f'<form method="post" action="{platform.tool_login_url}" data-auto-submit' in html
    assert hidden_fields(html)["login_hint"] == "10001"


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"user": "nobody"}, 400),
        ({"link": "no-such-link"}, 400),
        ({"presentation": "popup"}, 400),
        ({"login_method": "put"}, 400),
        ({"user": "alan", "link": "", "message_type": "LtiDeepLinkingRequest"}, 403),
    ],
)
def test_invalid_launch_rejected(client, fields, status):
    response = start_launch(client, **fields)

    assert response.status_code == status
    assert 'class="error-reason"' in response.get_data(as_text=True)


# Authentication endpoint


def auth_query(client, tool, **changes):
    login_params = frame_login_params(start_launch(client).get_data(as_text=True))
    return tool.auth_request(login_params, **changes)


def test_auth_posts_id_token_to_tool(client, tool, platform):
    response = client.get("/auth", query_string=auth_query(client, tool))
    html = response.get_data(as_text=True)

    (redirect_uri,) = platform.tool_redirect_uris
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert f'<form method="post" action="{redirect_uri}" data-auto-submit>' in html
    assert set(hidden_fields(html)) == {"id_token", "state"}


def test_auth_accepts_form_post(client, tool):
    response = client.post("/auth", data=auth_query(client, tool))

    assert response.status_code == 200


def test_auth_refusal_renders_reason(client, tool):
    response = client.get("/auth", query_string=auth_query(client, tool, redirect_uri="http://evil.example/launch"))
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert "The redirect_uri &#39;http://evil.example/launch&#39; is not registered for this tool" in html
    assert "id_token" not in html


# Platform endpoints


def test_jwks_endpoint(client, platform):
    response = client.get("/jwks")

    assert response.status_code == 200
    assert response.get_json() == platform.jwks()


def test_token_endpoint(client, tool):
    response = client.post("/token", data=tool.token_request())

    assert response.status_code == 200
    assert response.get_json()["scope"] == NRPS_SCOPE
    assert response.headers["Cache-Control"] == "no-store"


def test_token_endpoint_invalid_client(client, tool):
    assertion = tool.client_assertion(claim_overrides={"aud": "http://elsewhere.example/token"})

    response = client.post("/token", data=tool.token_request(assertion))

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert "aud must name" in response.get_json()["error_description"]


def test_token_endpoint_unsupported_grant(client, tool):
    response = client.post("/token", data=tool.token_request(grant_type="password"))

    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_nrps_endpoint_pages(client, tool):
    token = client.post("/token", data=tool.token_request()).get_json()["access_token"]

    response = client.get(
        "/nrps/course-cs101", query_string={"limit": "2"}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    assert len(response.get_json()["members"]) == 2
    assert response.headers["Link"].endswith('?limit=2&page=2>; rel="next"')


def test_nrps_endpoint_without_token(client):
    response = client.get("/nrps/course-cs101")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# Deep linking


def deep_linking_settings(client, tool):
    response = start_launch(client, link="", message_type="LtiDeepLinkingRequest")
    login_params = frame_login_params(response.get_data(as_text=True))
    form = hidden_fields(client.get("/auth", query_string=tool.auth_request(login_params)).get_data(as_text=True))
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    return claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]


def test_deep_link_return_adds_link_to_course(client, tool):
    settings = deep_linking_settings(client, tool)
    return_path = settings["deep_link_return_url"].removeprefix("http://localhost:5001")

    response = client.post(return_path, data={"JWT": tool.deep_linking_response(settings)})

    assert response.status_code == 200
    assert "Room: Lecture 1" in response.get_data(as_text=True)
    assert "Room: Lecture 1" in client.get("/").get_data(as_text=True)


def test_deep_link_return_refusal_renders_reason(client, tool):
    settings = deep_linking_settings(client, tool)
    return_path = settings["deep_link_return_url"].removeprefix("http://localhost:5001")
    response_jwt = tool.deep_linking_response(settings, claim_overrides={"iss": "someone-else"})

    response = client.post(return_path, data={"JWT": response_jwt})

    assert response.status_code == 400
    assert "iss must be the client id" in response.get_data(as_text=True)
    assert "Room: Lecture 1" not in client.get("/").get_data(as_text=True)


def test_deep_link_return_without_jwt(client):
    response = client.post("/deep_link_return?request=x", data={})

    assert response.status_code == 400
