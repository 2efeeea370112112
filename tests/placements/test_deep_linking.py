"""Deep linking through the lti1p3platform-based LMS: pick or create a room, then launch the new link."""

import re
from html import unescape
from urllib.parse import parse_qs, parse_qsl, urlsplit

import jwt
import pytest

from app.extensions import db
from app.models import Placement, Room
from demo.launch import DEEP_LINKING_REQUEST
from tests.support.lms import MultiCourseLms
from tests.support.pages import hidden_field, meta_content


@pytest.fixture
def lms(app, client):
    multi = MultiCourseLms(app, client)
    multi.register()
    yield multi
    multi.stop()


def deep_linking_launch(app, lms, user: str, *, with_data: bool = True):
    platform = lms.course("D")
    browser = app.test_client()
    login_params = platform.login_initiation(user, None, message_type=DEEP_LINKING_REQUEST, with_data=with_data)
    login = browser.get("/lti/login", query_string=login_params)
    redirect_uri, form = platform.authorize(dict(parse_qsl(urlsplit(login.location).query)))
    return browser.post(urlsplit(redirect_uri).path, data=form)


def returned_form(html: str) -> tuple[str, str]:
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', html).group(1))
    token = hidden_field(html, "JWT")
    return action, token


def test_round_trip_creates_room_and_link(app, client, lms):
    picker = deep_linking_launch(app, lms, "ada")
    page = picker.get_data(as_text=True)
    assert picker.status_code == 200
    assert "Add a room to the course" in page

    cookieless = app.test_client(use_cookies=False)
    action = meta_content(page, "page-url")
    created = cookieless.post(
        action,
        data={
            "launch_token": hidden_field(page, "launch_token"),
            "csrf_token": hidden_field(page, "csrf_token"),
            "action": "create",
            "name": "Lecture 5: Babbage",
        },
    )
    assert created.status_code == 200
    return_url, response_jwt = returned_form(created.get_data(as_text=True))
    assert return_url.startswith("http://localhost:5001/deep_link_return")

    header = jwt.get_unverified_header(response_jwt)
    published = {key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]}
    assert header["kid"] in published
    claims = jwt.decode(response_jwt, options={"verify_signature": False})
    assert claims["iss"] == "rooms-copy"
    assert claims["aud"] == "http://localhost:5001"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "1"
    assert claims["nonce"]
    assert None not in claims.values()

    platform = lms.course("D")
    request_id = parse_qs(urlsplit(return_url).query)["request"][0]
    items = platform.accept_deep_linking_response(response_jwt, request_id)
    assert len(items) == 1
    with app.app_context():
        room = db.session.scalars(db.select(Room).where(Room.name == "Lecture 5: Babbage")).one()
        room_id, public_id = room.id, room.public_id
    assert items[0]["custom"] == {"room": public_id}

    new_link = platform.links()[-1]
    hidden, _learner = lms.launch("D", "lena", new_link.id)
    assert hidden.status_code == 403
    assert "not available yet" in hidden.get_data(as_text=True)

    opened, ada = lms.launch("D", "ada", new_link.id)
    assert f'content="/rooms/{room_id}"' in opened.get_data(as_text=True)
    assert ada.post(f"/rooms/{room_id}/visibility", {"visible": "y"}).status_code == 303

    visible, _learner = lms.launch("D", "lena", new_link.id)
    assert visible.status_code == 200
    assert "Lecture 5: Babbage" in visible.get_data(as_text=True)
    with app.app_context():
        placement = db.session.scalars(db.select(Placement).where(Placement.resource_link_id == new_link.id)).one()
        assert placement.room_id == room_id


@pytest.mark.parametrize("with_data", [True, False])
def test_data_echoed_exactly(app, lms, with_data):
    picker = deep_linking_launch(app, lms, "ada", with_data=with_data).get_data(as_text=True)
    cookieless = app.test_client(use_cookies=False)
    chosen = cookieless.post(
        meta_content(picker, "page-url"),
        data={"launch_token": hidden_field(picker, "launch_token"), "csrf_token": hidden_field(picker, "csrf_token"),
              "action": "create", "name": "Echo room"},
    )
    _url, response_jwt = returned_form(chosen.get_data(as_text=True))
    claims = jwt.decode(response_jwt, options={"verify_signature": False})
    assert ("https://purl.imsglobal.org/spec/lti-dl/claim/data" in claims) is with_data
    platform = lms.course("D")
    request_id = parse_qs(urlsplit(_url).query)["request"][0]
    assert len(platform.accept_deep_linking_response(response_jwt, request_id)) == 1


def test_learner_cannot_deep_link(app, lms):
    response = deep_linking_launch(app, lms, "lena")
    assert response.status_code == 403
    assert "Only instructors" in response.get_data(as_text=True)
