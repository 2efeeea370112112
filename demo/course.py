"""The demo LMS's course model: one course, its users and its LTI links.

lti1p3platform has no course or roster model, so the demo keeps this one in memory.
"""

from dataclasses import dataclass, field

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

INSTRUCTOR = MEMBERSHIP + "Instructor"
LEARNER = MEMBERSHIP + "Learner"

PLACEMENT_LINK = "link"
PLACEMENT_COURSE_NAVIGATION = "course_navigation"
PLACEMENT_DEEP_LINKING = "deep_linking"


@dataclass(frozen=True)
class User:
    """A user enrolled in the course, with the identity claims a launch sends."""

    key: str
    sub: str
    login_hint: str
    given_name: str
    family_name: str
    email: str
    locale: str
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_instructor(self) -> bool:
        return INSTRUCTOR in self.roles


@dataclass(frozen=True)
class ResourceLink:
    """An LTI link placed in the course.

    ``url`` is the target link URI of the launch. None means the tool's default launch URL.
    """

    id: str
    title: str
    custom: dict[str, str] = field(default_factory=dict)
    placement: str = PLACEMENT_LINK
    url: str | None = None


@dataclass
class Course:
    """An LTI context with its enrolled users and its links, in display order."""

    context_id: str
    title: str
    label: str
    users: list[User]
    links: list[ResourceLink]

    def user(self, key: str) -> User:
        """Return the user with this key, or raise KeyError."""
        for user in self.users:
            if user.key == key:
                return user
        raise KeyError(f"No user with key {key!r} in course {self.context_id!r}.")

    def link(self, link_id: str) -> ResourceLink:
        """Return the link with this resource link id, or raise KeyError."""
        for link in self.links:
            if link.id == link_id:
                return link
        raise KeyError(f"No resource link {link_id!r} in course {self.context_id!r}.")


def build_demo_course() -> Course:
    """Build the demo course: two instructors, two learners, two links and course navigation.

    Grace Hopper is also an institution administrator, so the tool treats her as an LMS
    administrator. Login hints differ from ``sub``, so that a tool that mixes them up fails here.
    """
    context_id = "course-cs101"
    users = [
        User(
            key="ada",
            sub="demo-user-0001",
            login_hint="10001",
            given_name="Ada",
            family_name="Lovelace",
            email="ada.lovelace@example.edu",
            locale="en-GB",
            roles=(INSTRUCTOR, INSTITUTION + "Faculty"),
        ),
        User(
            key="grace",
            sub="demo-user-0002",
            login_hint="10002",
            given_name="Grace",
            family_name="Hopper",
            email="grace.hopper@example.edu",
            locale="en-US",
            roles=(INSTRUCTOR, INSTITUTION + "Faculty", INSTITUTION + "Administrator"),
        ),
        User(
            key="alan",
            sub="demo-user-0003",
            login_hint="10003",
            given_name="Alan",
            family_name="Turing",
            email="alan.turing@example.edu",
            locale="en-GB",
            roles=(LEARNER, INSTITUTION + "Student"),
        ),
        User(
            key="katherine",
            sub="demo-user-0004",
            login_hint="10004",
            given_name="Katherine",
            family_name="Johnson",
            email="katherine.johnson@example.edu",
            locale="en-US",
            roles=(LEARNER, INSTITUTION + "Student"),
        ),
    ]
    links = [
        ResourceLink(id="link-rooms", title="Course rooms"),
        ResourceLink(id="link-week-1", title="Week 1: Analytical engines", custom={"unit": "week-1"}),
        # Canvas course navigation launches with the context id as the resource link id.
        ResourceLink(id=context_id, title="Rooms (course navigation)", placement=PLACEMENT_COURSE_NAVIGATION),
    ]
    return Course(
        context_id=context_id,
        title="Introduction to Computing",
        label="CS101",
        users=users,
        links=links,
    )
