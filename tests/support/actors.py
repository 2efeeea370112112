"""People using the tool in tests: each launches once, then browses with no cookies at all."""

from dataclasses import dataclass

from tests.support.pages import meta_content
from tests.support.tokens import MEMBERSHIP, TestPlatform

INSTRUCTOR = [MEMBERSHIP + "Instructor"]
LEARNER = [MEMBERSHIP + "Learner"]
MENTOR = [MEMBERSHIP + "Mentor"]
LMS_ADMIN = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]


@dataclass
class Actor:
    """A launched user: the launch token and CSRF token of their session, and a cookieless client."""

    client: object
    token: str
    csrf: str
    course_url: str

    @property
    def course_id(self) -> int:
        return int(self.course_url.split("/")[2])

    def get(self, url: str, **kwargs):
        headers = {"X-Launch-Token": self.token, **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        form = {"launch_token": self.token, "csrf_token": self.csrf, **(data or {})}
        return self.client.post(url, data=form, **kwargs)


def launch_actor(app, platform: TestPlatform, *, sub: str, name: str, roles: list[str], context_id: str = "course-1") -> Actor:
    """Launch as this user through the real login and launch, then drop every cookie."""
    from tests.conftest import launch

    browser = app.test_client()
    response = launch(browser, platform, sub=sub, name=name, roles=roles, context_id=context_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    return Actor(
        client=app.test_client(use_cookies=False),
        token=meta_content(page, "launch-token"),
        csrf=meta_content(page, "csrf-token"),
        course_url=meta_content(page, "page-url"),
    )
