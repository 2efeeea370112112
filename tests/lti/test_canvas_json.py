"""/lti/canvas.json: the developer-key JSON that a Canvas administrator pastes (LTI Key > Paste JSON).

The expected fields follow Canvas's "Configuring LTI Advantage Tools" guide
(doc/api/lti_dev_key_config.md in instructure/canvas-lms).
"""

from app.lti.registration_values import NRPS_SCOPE

TOOL_CUSTOM_FIELDS = {
    "context_history": "$Context.id.history",
    "resource_link_history": "$ResourceLink.id.history",
    "canvas_previous_context_ids": "$Canvas.course.previousContextIds.recursive",
}


def canvas_extension(document: dict) -> dict:
    extensions = [extension for extension in document["extensions"] if extension["platform"] == "canvas.instructure.com"]
    assert len(extensions) == 1, document["extensions"]
    return extensions[0]


def placements_by_name(document: dict) -> dict[str, dict]:
    return {placement["placement"]: placement for placement in canvas_extension(document)["settings"]["placements"]}


def test_canvas_json_top_level_fields(client):
    response = client.get("/lti/canvas.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["title"] == "rooms-lti"
    assert document["description"]
    assert document["oidc_initiation_url"] == "http://localhost/lti/login"
    assert document["target_link_uri"] == "http://localhost/lti/launch"
    assert document["public_jwk_url"] == "http://localhost/lti/jwks"
    assert "public_jwk" not in document


def test_canvas_json_asks_nrps_scope_only(client):
    document = client.get("/lti/canvas.json").get_json()

    assert document["scopes"] == [NRPS_SCOPE]


def test_canvas_json_privacy_level_public(client):
    extension = canvas_extension(client.get("/lti/canvas.json").get_json())

    assert extension["privacy_level"] == "public"
    assert extension["domain"] == "localhost"
    assert extension["tool_id"] == "rooms-lti"


def test_canvas_json_placements(client):
    placements = placements_by_name(client.get("/lti/canvas.json").get_json())

    assert set(placements) == {"course_navigation", "link_selection"}
    assert placements["course_navigation"]["message_type"] == "LtiResourceLinkRequest"
    assert placements["course_navigation"]["target_link_uri"] == "http://localhost/lti/launch"
    assert placements["link_selection"]["message_type"] == "LtiDeepLinkingRequest"
    assert placements["link_selection"]["target_link_uri"] == "http://localhost/lti/launch"
    for placement in placements.values():
        assert placement["text"]


def test_canvas_json_custom_fields(client):
    document = client.get("/lti/canvas.json").get_json()

    assert document["custom_fields"] == TOOL_CUSTOM_FIELDS


def test_canvas_json_uses_base_url(app, client):
    app.config["ROOMS_BASE_URL"] = "https://rooms.example.edu:8443"

    document = client.get("/lti/canvas.json").get_json()

    assert document["oidc_initiation_url"] == "https://rooms.example.edu:8443/lti/login"
    assert document["public_jwk_url"] == "https://rooms.example.edu:8443/lti/jwks"
    assert canvas_extension(document)["domain"] == "rooms.example.edu:8443"


def test_canvas_json_falls_back_to_request_host(app, client):
    app.config["ROOMS_BASE_URL"] = ""

    document = client.get("/lti/canvas.json", base_url="https://tool.example.edu").get_json()

    assert document["target_link_uri"] == "https://tool.example.edu/lti/launch"
    assert canvas_extension(document)["domain"] == "tool.example.edu"


def test_canvas_json_needs_no_session(app):
    response = app.test_client(use_cookies=False).get("/lti/canvas.json")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
