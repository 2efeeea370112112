"""Pages anyone can reach, and the answers to malformed addresses."""

from tests.conftest import launch


def test_index_explains_the_tool(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "open this tool from a course" in page
    assert "http://localhost/lti/jwks" in page


def test_huge_id_is_404(client, test_platform):
    launched = launch(client, test_platform)
    assert launched.status_code == 200
    assert client.get("/rooms/99999999999999999999999").status_code == 404
    assert client.post("/rooms/99999999999999999999999/delete").status_code in (400, 404)


def test_session_pages_not_cached(client, test_platform):
    launched = launch(client, test_platform)
    assert launched.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/lti/jwks").headers.get("Cache-Control", "")


def test_frame_ancestors_include_configured_origins(app, client, test_platform):
    app.config["ROOMS_FRAME_ANCESTORS"] = ["https://*.instructure.com"]
    policy = client.get("/").headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors", 1)[1]
    assert "https://lms.test" in ancestors
    assert "https://*.instructure.com" in ancestors
