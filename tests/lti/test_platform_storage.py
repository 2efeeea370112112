"""Logins and launches without the state cookie: LTI platform storage and the framed login page."""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest

from app.auth.launch_session import TOKEN_COOKIE
from app.extensions import db
from app.lti.launch import state_cookie_name
from app.models import Platform, User
from tests.conftest import complete_launch, start_login
from tests.support.rejections import page_content


def data_attribute(page: str, name: str) -> str:
    match = re.search(rf'data-{name}="([^"]*)"', page)
    assert match, f"the page has no data-{name} attribute"
    return unescape(match.group(1))


def hidden_field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"the page has no hidden field {name}"
    return unescape(match.group(1))


def storage_login(client, platform, target: str = "_parent") -> dict:
    """Start a login that offers platform storage; return its state and nonce from the login page."""
    response, _ = start_login(client, platform, lti_storage_target=target)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page_content(page)
    return {"state": data_attribute(page, "state"), "nonce": data_attribute(page, "nonce")}


def set_cookie_names(response) -> set[str]:
    return {value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie")}


def user_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(db.select(User)).all())


def test_login_in_frame_renders_check_page(client, test_platform):
    response, _ = start_login(client, test_platform)
    framed_response = client.get(
        "/lti/login",
        query_string={
            "iss": test_platform.issuer,
            "login_hint": "hint-1",
            "target_link_uri": "http://localhost/lti/launch",
            "client_id": test_platform.client_id,
        },
        headers={"Sec-Fetch-Dest": "iframe"},
    )
    page = framed_response.get_data(as_text=True)

    assert response.status_code == 302
    assert framed_response.status_code == 200
    assert data_attribute(page, "auth-url").startswith("https://lms.test/auth?tenant=7&")
    assert data_attribute(page, "storage-target") == ""
    assert 'data-testid="open-in-new-window"' in page
    assert "rooms-lti-cookie-check" in set_cookie_names(framed_response)
    assert state_cookie_name(data_attribute(page, "state")) in set_cookie_names(framed_response)
    assert framed_response.headers["Cache-Control"] == "no-store"


def test_login_new_window_link_restarts_same_login(client, test_platform):
    response, _ = start_login(client, test_platform, method="POST", lti_storage_target="_parent")
    page = response.get_data(as_text=True)
    match = re.search(r'href="([^"]*)" target="_blank" data-testid="open-in-new-window"', page)
    assert match, "the page has no new-window link"
    new_window_url = urlsplit(unescape(match.group(1)))

    restarted = client.get(new_window_url.path, query_string=new_window_url.query)

    assert dict(parse_qsl(new_window_url.query)) == {
        "iss": test_platform.issuer,
        "login_hint": "hint-1",
        "target_link_uri": "http://localhost/lti/launch",
        "client_id": test_platform.client_id,
        "lti_deployment_id": test_platform.deployment_id,
        "lti_message_hint": "message-hint-1",
    }
    assert restarted.status_code == 302
    assert restarted.location.startswith("https://lms.test/auth?tenant=7&")


def test_login_with_storage_target_renders_check_page(client, test_platform):
    response, _ = start_login(client, test_platform, lti_storage_target="_parent")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert data_attribute(page, "storage-target") == "_parent"
    assert data_attribute(page, "storage-origin") == "https://lms.test"
    assert data_attribute(page, "state-key") == "state_" + data_attribute(page, "state")
    assert data_attribute(page, "nonce-key") == "nonce_" + data_attribute(page, "nonce")


def test_login_storage_target_origin_configurable(app, client, test_platform):
    with app.app_context():
        platform = db.session.scalars(db.select(Platform).where(Platform.issuer == test_platform.issuer)).one()
        platform.storage_target_origin = "https://sso.lms.test"
        db.session.commit()

    response, _ = start_login(client, test_platform, lti_storage_target="post_message_forwarding")
    page = response.get_data(as_text=True)

    assert data_attribute(page, "storage-target") == "post_message_forwarding"
    assert data_attribute(page, "storage-origin") == "https://sso.lms.test"


def test_login_invalid_storage_target_ignored(client, test_platform):
    response, auth = start_login(client, test_platform, lti_storage_target="<frame>")

    assert response.status_code == 302
    assert auth["state"]


def test_cookie_check_reports_cookie(client, test_platform):
    before = client.get("/lti/cookie-check").get_json()
    start_login(client, test_platform, lti_storage_target="_parent")
    after = client.get("/lti/cookie-check").get_json()

    assert before == {"cookies_sent": False}
    assert after == {"cookies_sent": True}


def test_storage_launch_without_cookie_waits_for_storage(app, client, test_platform):
    auth = storage_login(client, test_platform)
    cookieless_browser = app.test_client()
    users_before = user_count(app)

    response = complete_launch(cookieless_browser, test_platform, auth)
    page = response.get_data(as_text=True)

    assert response.status_code == 200, page_content(page)
    assert 'data-lti-step="launch"' in page
    assert data_attribute(page, "state-key") == "state_" + auth["state"]
    assert data_attribute(page, "nonce-key") == "nonce_" + auth["nonce"]
    assert hidden_field(page, "launch_key")
    assert TOKEN_COOKIE not in set_cookie_names(response)
    assert user_count(app) == users_before


def test_storage_launch_completes_with_stored_values(app, client, test_platform):
    auth = storage_login(client, test_platform)
    cookieless_browser = app.test_client()
    page = complete_launch(cookieless_browser, test_platform, auth).get_data(as_text=True)

    response = cookieless_browser.post(
        "/lti/launch/complete",
        data={"launch_key": hidden_field(page, "launch_key"), "state": auth["state"], "nonce": auth["nonce"]},
    )

    assert response.status_code == 200, page_content(response.get_data(as_text=True))
    assert "Signed in as Ada Lovelace" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["state", "nonce"])
def test_storage_launch_other_values_rejected(app, client, test_platform, rejection, field):
    auth = storage_login(client, test_platform)
    cookieless_browser = app.test_client()
    page = complete_launch(cookieless_browser, test_platform, auth).get_data(as_text=True)
    values = {"launch_key": hidden_field(page, "launch_key"), "state": auth["state"], "nonce": auth["nonce"]}
    values[field] = "not-" + values[field]

    response = cookieless_browser.post("/lti/launch/complete", data=values)

    rejection.assert_rejected(
        response,
        reason="did not return the state and nonce",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
        status=401,
    )
    assert cookieless_browser.get_cookie(TOKEN_COOKIE) is None


def test_storage_launch_key_single_use(app, client, test_platform, rejection):
    auth = storage_login(client, test_platform)
    cookieless_browser = app.test_client()
    page = complete_launch(cookieless_browser, test_platform, auth).get_data(as_text=True)
    values = {"launch_key": hidden_field(page, "launch_key"), "state": auth["state"], "nonce": auth["nonce"]}
    first = cookieless_browser.post("/lti/launch/complete", data=values)
    rejection.take_snapshot()

    second = app.test_client().post("/lti/launch/complete", data=values)

    assert first.status_code == 200
    rejection.assert_rejected(second, reason="unknown, expired or already completed", issuer="-", client_id="-", status=401)


def test_storage_launch_posted_twice_rejected(app, client, test_platform, rejection):
    auth = storage_login(client, test_platform)
    token = test_platform.sign(test_platform.claims(nonce=auth["nonce"]))
    complete_launch(app.test_client(), test_platform, auth, token=token)

    response = complete_launch(app.test_client(), test_platform, auth, token=token)

    rejection.assert_rejected(
        response,
        reason="unknown, expired or already used",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
        status=401,
    )


def test_storage_launch_with_cookie_completes_at_once(client, test_platform):
    auth = storage_login(client, test_platform)

    response = complete_launch(client, test_platform, auth)

    assert response.status_code == 200
    assert "Signed in as Ada Lovelace" in response.get_data(as_text=True)
