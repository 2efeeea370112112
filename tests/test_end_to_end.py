"""End to end: an LMS built on lti1p3platform launches the tool, then the user works without cookies.

The demo platform signs the id_token and checks the tool's authentication
request as Canvas and Moodle do. The tool fetches the platform's keys over
real HTTP from a server on 127.0.0.1.
"""

from urllib.parse import parse_qsl, urlsplit

import pytest

from app.extensions import db
from app.lti.platforms import PlatformFields, save_platform
from app.models import DeploymentPolicy, Room
from demo.keys import generate_private_key_pem
from demo.platform import DemoPlatform
from tests.support.jwks_server import KeySetServer
from tests.support.pages import hidden_field, meta_content

TOOL = "http://localhost"


@pytest.fixture
def lms(app, client):
    platform = DemoPlatform(
        issuer="http://localhost:5001",
        private_key_pem=generate_private_key_pem(),
        client_id="rooms-e2e",
        deployment_id="1",
        tool_login_url=f"{TOOL}/lti/login",
        tool_redirect_uris=[f"{TOOL}/lti/launch"],
        tool_launch_url=f"{TOOL}/lti/launch",
        tool_jwks=lambda: client.get("/lti/jwks").get_json(),
    )
    keys = KeySetServer(keys=platform.jwks()["keys"])
    with app.app_context():
        save_platform(
            db.session,
            PlatformFields(
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=platform.auth_url,
                auth_token_url=platform.token_url,
                jwks_url=keys.url,
                deployment_policy=DeploymentPolicy.APPROVE,
                deployment_ids=[platform.deployment_id],
            ),
        )
        db.session.commit()
    yield platform
    keys.stop()


def launch_through_lms(client, lms: DemoPlatform, user: str, *, login_method: str):
    """Run login initiation, the platform's authorization and the launch POST; return the launch response."""
    login_params = lms.login_initiation(user, "link-rooms")
    if login_method == "GET":
        login = client.get("/lti/login", query_string=login_params)
    else:
        login = client.post("/lti/login", data=login_params)
    assert login.status_code == 302, login.get_data(as_text=True)
    assert login.location.startswith(lms.auth_url + "?")

    auth_request = dict(parse_qsl(urlsplit(login.location).query))
    redirect_uri, form = lms.authorize(auth_request)
    assert redirect_uri == f"{TOOL}/lti/launch"
    return client.post(urlsplit(redirect_uri).path, data=form)


@pytest.mark.parametrize("login_method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("user", "name", "role"),
    [("ada", "Ada Lovelace", "Instructor"), ("alan", "Alan Turing", "Learner")],
)
def test_launch_shows_course_page(app, client, lms, login_method, user, name, role):
    response = launch_through_lms(client, lms, user, login_method=login_method)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert name in page
    assert role in page
    assert meta_content(page, "launch-token")


@pytest.mark.parametrize("login_method", ["GET", "POST"])
def test_second_page_and_form_without_cookies(app, client, lms, login_method):
    launched = launch_through_lms(client, lms, "ada", login_method=login_method).get_data(as_text=True)
    token = meta_content(launched, "launch-token")
    course_url = meta_content(launched, "page-url")
    new_room_url = course_url.replace("/rooms", "/rooms/new")

    # From here on the browser sends no cookie at all, as in an iframe that blocks them.
    cookieless = app.test_client(use_cookies=False)
    form_page = cookieless.get(new_room_url, headers={"X-Launch-Token": token})
    assert form_page.status_code == 200
    assert "Ada Lovelace" in form_page.get_data(as_text=True)

    form_html = form_page.get_data(as_text=True)
    created = cookieless.post(
        new_room_url,
        data={
            "launch_token": hidden_field(form_html, "launch_token"),
            "csrf_token": hidden_field(form_html, "csrf_token"),
            "name": "Difference engines",
            "tags": "history",
        },
    )
    assert created.status_code == 303
    assert "Set-Cookie" not in created.headers

    room_page = cookieless.get(created.location, headers={"X-Launch-Token": token})
    assert room_page.status_code == 200
    assert "Difference engines" in room_page.get_data(as_text=True)
    with app.app_context():
        room = db.session.scalars(db.select(Room)).one()
        assert room.owner.name == "Ada Lovelace"


def test_page_without_token_or_cookie_is_401(app, client, lms):
    launched = launch_through_lms(client, lms, "ada", login_method="GET").get_data(as_text=True)
    course_url = meta_content(launched, "page-url")
    response = app.test_client(use_cookies=False).get(course_url)
    assert response.status_code == 401
    assert "Open the tool again from your course" in response.get_data(as_text=True)


def test_forged_token_is_401(app, client, lms):
    launched = launch_through_lms(client, lms, "ada", login_method="GET").get_data(as_text=True)
    token = meta_content(launched, "launch-token")
    course_url = meta_content(launched, "page-url")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = app.test_client(use_cookies=False).get(course_url, headers={"X-Launch-Token": forged})
    assert response.status_code == 401


def test_demo_refuses_wrong_redirect_uri(app, client, lms):
    login_params = lms.login_initiation("ada", "link-rooms")
    login = client.get("/lti/login", query_string=login_params)
    auth_request = dict(parse_qsl(urlsplit(login.location).query))
    auth_request["redirect_uri"] = f"{TOOL}/lti/launch/"

    from demo.exceptions import PlatformRefusal

    with pytest.raises(PlatformRefusal):
        lms.authorize(auth_request)
