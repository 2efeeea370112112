"""The co-editor picker reads the course roster from the LMS through NRPS, across Link-header pages.

The LMS is the demo platform (built on lti1p3platform), served over real HTTP
on 127.0.0.1: the tool fetches its keys, an access token and the roster pages
as it would from Canvas or Moodle.
"""

import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.lti.platforms import PlatformFields, save_platform
from app.models import Course, DeploymentPolicy, RoomCoEditor, User
from demo.app import create_app as create_demo_app
from demo.course import Course as DemoCourse
from demo.course import ResourceLink
from demo.keys import generate_private_key_pem
from demo.platform import DemoPlatform
from tests.support.lms import PEOPLE
from tests.support.pages import meta_content
from tests.support.servers import free_port


@pytest.fixture
def served_lms(app):
    port = free_port()
    # Bob Babbage, an instructor, is on the roster's second page of two.
    people = {person.key: person for person in PEOPLE}
    roster = [people["ada"], people["lena"], people["carla"], people["bob"]]
    platform = DemoPlatform(
        issuer=f"http://localhost:{port}",
        private_key_pem=generate_private_key_pem(),
        client_id="rooms-nrps",
        deployment_id="1",
        tool_login_url="http://localhost/lti/login",
        tool_redirect_uris=["http://localhost/lti/launch"],
        tool_launch_url="http://localhost/lti/launch",
        # The LMS reads the tool's key set from the tool while the tool waits for its
        # token, as Canvas and Moodle do: through a request of its own, on another thread.
        tool_jwks=lambda: app.test_client().get("/lti/jwks").get_json(),
        course=DemoCourse(context_id="NRPS-101", title="Roster course", label="NRPS", users=roster, links=[]),
    )
    platform.course.links.append(ResourceLink(id="nav", title="Rooms"))
    server = make_server("127.0.0.1", port, create_demo_app(platform), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        save_platform(
            db.session,
            PlatformFields(
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=platform.auth_url,
                auth_token_url=platform.token_url,
                jwks_url=platform.jwks_url,
                deployment_policy=DeploymentPolicy.APPROVE,
                deployment_ids=["1"],
            ),
        )
        db.session.commit()
    yield platform
    server.shutdown()


def launch_as(app, platform, user):
    browser = app.test_client()
    login = browser.get("/lti/login", query_string=platform.login_initiation(user, "nav"))
    redirect_uri, form = platform.authorize(dict(parse_qsl(urlsplit(login.location).query)))
    return browser.post(urlsplit(redirect_uri).path, data=form).get_data(as_text=True)


def test_roster_second_page_offers_instructor(app, served_lms):
    page = launch_as(app, served_lms, "carla")
    token, csrf = meta_content(page, "launch-token"), meta_content(page, "csrf-token")
    cookieless = app.test_client(use_cookies=False)
    course_url = meta_content(page, "page-url")
    created = cookieless.post(course_url.replace("/rooms", "/rooms/new"),
                              data={"launch_token": token, "csrf_token": csrf, "name": "Roster room"})
    room_url = created.location

    with app.app_context():
        course = db.session.scalars(db.select(Course).where(Course.context_id == "NRPS-101")).one()
        assert course.nrps_url == f"{served_lms.issuer}/nrps/NRPS-101"
        # Two members a page, so the roster of four takes two pages and a Link header.
        course.nrps_url += "?limit=2"
        db.session.commit()

    picker = cookieless.get(f"{room_url}/co-editors", headers={"X-Launch-Token": token})
    html = picker.get_data(as_text=True)
    assert picker.status_code == 200
    assert "Bob Babbage" in html
    assert "Ada Lovelace" in html
    assert "Lena Learner" not in html

    added = cookieless.post(f"{room_url}/co-editors",
                            data={"launch_token": token, "csrf_token": csrf, "candidate": "member:sub-bob"})
    assert added.status_code == 303

    bob_page = launch_as(app, served_lms, "bob")
    bob_token = meta_content(bob_page, "launch-token")
    bob_csrf = meta_content(bob_page, "csrf-token")
    renamed = cookieless.post(f"{room_url}/edit", data={"launch_token": bob_token, "csrf_token": bob_csrf, "name": "Renamed by Bob"})
    assert renamed.status_code == 303
    with app.app_context():
        bob = db.session.scalars(db.select(User).where(User.name == "Bob Babbage")).one()
        assert db.session.scalar(db.select(db.func.count(RoomCoEditor.id)).where(RoomCoEditor.user_id == bob.id)) == 1
        assert db.session.scalar(db.select(db.func.count(User.id)).where(User.name == "Bob Babbage")) == 1
