"""An LMS with several courses, built on the demo platform (and so on lti1p3platform), for copy tests.

Every course is served by its own DemoPlatform object that shares the issuer,
key, client id and deployment, so the tool sees one registered platform.
Tool-level custom parameters stand for what the platform expands, such as
``context_history``.
"""

from urllib.parse import parse_qsl, urlsplit

from app.extensions import db
from app.lti.platforms import PlatformFields, save_platform
from app.models import DeploymentPolicy
from demo.course import INSTRUCTOR, LEARNER, Course, ResourceLink, User
from demo.keys import generate_private_key_pem
from demo.platform import DemoPlatform
from tests.support.actors import Actor
from tests.support.jwks_server import KeySetServer
from tests.support.pages import meta_content

TOOL = "http://localhost"
ISSUER = "http://localhost:5001"
CLIENT_ID = "rooms-copy"
DEPLOYMENT_ID = "1"


def person(key: str, given: str, family: str, role: str) -> User:
    return User(
        key=key,
        sub=f"sub-{key}",
        login_hint=f"hint-{key}",
        given_name=given,
        family_name=family,
        email=f"{key}@example.edu",
        locale="en",
        roles=(role,),
    )


PEOPLE = [
    person("ada", "Ada", "Lovelace", INSTRUCTOR),
    person("bob", "Bob", "Babbage", INSTRUCTOR),
    person("carla", "Carla", "Colleague", INSTRUCTOR),
    person("lena", "Lena", "Learner", LEARNER),
]


class MultiCourseLms:
    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.private_key_pem = generate_private_key_pem()
        self.courses: dict[str, DemoPlatform] = {}
        self.key_server = None

    def register(self) -> None:
        probe = self.course("registration-probe")
        self.key_server = KeySetServer(keys=probe.jwks()["keys"])
        with self.app.app_context():
            save_platform(
                db.session,
                PlatformFields(
                    issuer=ISSUER,
                    client_id=CLIENT_ID,
                    auth_login_url=probe.auth_url,
                    auth_token_url=probe.token_url,
                    jwks_url=self.key_server.url,
                    deployment_policy=DeploymentPolicy.APPROVE,
                    deployment_ids=[DEPLOYMENT_ID],
                ),
            )
            db.session.commit()

    def stop(self) -> None:
        if self.key_server is not None:
            self.key_server.stop()

    def course(self, context_id: str, *, history: dict[str, str] | None = None) -> DemoPlatform:
        """Return the course's platform object, creating it; ``history`` sets the expanded history parameters."""
        if context_id not in self.courses:
            self.courses[context_id] = DemoPlatform(
                issuer=ISSUER,
                private_key_pem=self.private_key_pem,
                client_id=CLIENT_ID,
                deployment_id=DEPLOYMENT_ID,
                tool_login_url=f"{TOOL}/lti/login",
                tool_redirect_uris=[f"{TOOL}/lti/launch"],
                tool_launch_url=f"{TOOL}/lti/launch",
                tool_jwks=lambda: self.client.get("/lti/jwks").get_json(),
                course=Course(context_id=context_id, title=f"Course {context_id}", label=context_id, users=list(PEOPLE), links=[]),
            )
        platform = self.courses[context_id]
        if history is not None:
            platform.tool_custom = dict(history)
        return platform

    def add_link(self, context_id: str, link_id: str, *, title: str = "Room link", custom: dict | None = None) -> None:
        self.course(context_id).course.links.append(ResourceLink(id=link_id, title=title, custom=dict(custom or {})))

    def launch(self, context_id: str, user: str, link_id: str, *, client=None):
        """Launch as ``user`` through ``link_id`` of the course; return the response and a cookieless Actor."""
        platform = self.course(context_id)
        browser = client or self.app.test_client()
        login = browser.get("/lti/login", query_string=platform.login_initiation(user, link_id))
        assert login.status_code == 302, login.get_data(as_text=True)
        redirect_uri, form = platform.authorize(dict(parse_qsl(urlsplit(login.location).query)))
        response = browser.post(urlsplit(redirect_uri).path, data=form)
        page = response.get_data(as_text=True)
        actor = None
        if response.status_code == 200 and 'name="launch-token" content=""' not in page:
            actor = Actor(
                client=self.app.test_client(use_cookies=False),
                token=meta_content(page, "launch-token"),
                csrf=meta_content(page, "csrf-token"),
                course_url=meta_content(page, "page-url") if 'name="page-url"' in page else "",
            )
        return response, actor
