"""Course roles from the roles claim: map_roles, and what a launch stores and shows."""

import pytest

from app.extensions import db
from app.lti.roles import MappedRoles, map_roles
from app.models import CourseMembership, CourseRole, Identity
from tests.conftest import complete_launch, launch, start_login
from tests.support.rejections import page_content
from tests.support.tokens import INSTITUTION, LTI, MEMBERSHIP

TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"

# (case, roles claim, course role, teaching assistant, LMS administrator, label on the course page)
ROLE_CASES = [
    ("R01-instructor", [MEMBERSHIP + "Instructor"], CourseRole.INSTRUCTOR, False, False, "Instructor"),
    ("R02-short-instructor", ["Instructor"], CourseRole.INSTRUCTOR, False, False, "Instructor"),
    (
        "R03-canvas-ta",
        [MEMBERSHIP + "Instructor", TEACHING_ASSISTANT],
        CourseRole.INSTRUCTOR,
        True,
        False,
        "Teaching assistant",
    ),
    ("R04-content-developer", [MEMBERSHIP + "ContentDeveloper"], CourseRole.INSTRUCTOR, False, False, "Instructor"),
    (
        "R05-institution-admin-learner",
        [INSTITUTION + "Administrator", INSTITUTION + "Instructor", MEMBERSHIP + "Learner"],
        CourseRole.LEARNER,
        False,
        True,
        "Learner, LMS administrator",
    ),
    (
        "R06-institution-instructor-learner",
        [INSTITUTION + "Instructor", MEMBERSHIP + "Learner"],
        CourseRole.LEARNER,
        False,
        False,
        "Learner",
    ),
    ("R07-no-roles", [], CourseRole.VIEWER, False, False, "Viewer"),
    ("R08-moodle-non-editing-teacher", [TEACHING_ASSISTANT], CourseRole.INSTRUCTOR, True, False, "Teaching assistant"),
    ("R09-mentor", [MEMBERSHIP + "Mentor"], CourseRole.VIEWER, False, False, "Viewer"),
    ("R10-manager", [MEMBERSHIP + "Manager"], CourseRole.INSTRUCTOR, False, False, "Instructor"),
]

# Further forms that platforms send, for map_roles alone.
MORE_ROLE_CASES = [
    ("member", [MEMBERSHIP + "Member"], CourseRole.LEARNER, False, False),
    ("short-learner", ["Learner"], CourseRole.LEARNER, False, False),
    ("institution-instructor-only", [INSTITUTION + "Instructor"], CourseRole.VIEWER, False, False),
    ("system-admin-only", [SYSTEM + "Administrator"], CourseRole.VIEWER, False, True),
    ("legacy-urn-instructor", ["urn:lti:role:ims/lis/Instructor"], CourseRole.INSTRUCTOR, False, False),
    (
        "legacy-urn-ta",
        ["urn:lti:role:ims/lis/Instructor/TeachingAssistant"],
        CourseRole.INSTRUCTOR,
        True,
        False,
    ),
    ("legacy-urn-sysadmin", ["urn:lti:sysrole:ims/lis/SysAdmin"], CourseRole.VIEWER, False, True),
    ("unknown-uri", ["http://example.test/roles#Instructor"], CourseRole.VIEWER, False, False),
    ("not-a-string", [None, 7, {"role": "Instructor"}], CourseRole.VIEWER, False, False),
    (
        "learner-and-instructor",
        [MEMBERSHIP + "Learner", MEMBERSHIP + "Instructor"],
        CourseRole.INSTRUCTOR,
        False,
        False,
    ),
]


@pytest.mark.parametrize(
    ("roles", "course_role", "is_teaching_assistant", "is_lms_admin"),
    [case[1:5] for case in ROLE_CASES] + [case[1:] for case in MORE_ROLE_CASES],
    ids=[case[0] for case in ROLE_CASES] + [case[0] for case in MORE_ROLE_CASES],
)
def test_map_roles(roles, course_role, is_teaching_assistant, is_lms_admin):
    assert map_roles(roles) == MappedRoles(
        course_role=course_role,
        is_teaching_assistant=is_teaching_assistant,
        is_lms_admin=is_lms_admin,
    )


def stored_roles(app, sub: str) -> tuple[CourseRole, bool, bool]:
    """Return the course role, teaching-assistant flag and LMS-administrator flag stored for ``sub``."""
    with app.app_context():
        identity = db.session.scalars(db.select(Identity).where(Identity.sub == sub)).one()
        membership = db.session.scalars(
            db.select(CourseMembership).where(CourseMembership.user_id == identity.user_id)
        ).one()
        return membership.role, membership.is_teaching_assistant, identity.is_lms_admin


@pytest.mark.parametrize(
    ("roles", "course_role", "is_teaching_assistant", "is_lms_admin", "label"),
    [case[1:] for case in ROLE_CASES],
    ids=[case[0] for case in ROLE_CASES],
)
def test_launch_stores_and_shows_role(
    app, client, test_platform, roles, course_role, is_teaching_assistant, is_lms_admin, label
):
    response = launch(client, test_platform, roles=roles)

    page = response.get_data(as_text=True)
    assert response.status_code == 200, page_content(page)
    assert f"Signed in as Ada Lovelace, {label} in Introduction to Rooms." in page, page_content(page)
    assert f'<span class="role-badge">{label}</span>' in page, page_content(page)
    assert stored_roles(app, "user-1") == (course_role, is_teaching_assistant, is_lms_admin)


def test_launch_replaces_earlier_roles(app, client, test_platform):
    first = launch(client, test_platform, roles=[INSTITUTION + "Administrator", TEACHING_ASSISTANT])
    assert first.status_code == 200
    assert stored_roles(app, "user-1") == (CourseRole.INSTRUCTOR, True, True)

    response = launch(client, test_platform, roles=[MEMBERSHIP + "Learner"])

    assert response.status_code == 200
    assert "Signed in as Ada Lovelace, Learner in Introduction to Rooms." in response.get_data(as_text=True)
    assert stored_roles(app, "user-1") == (CourseRole.LEARNER, False, False)


def test_launch_without_roles_claim_rejected(client, test_platform, rejection):
    _, auth = start_login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    del claims[LTI + "roles"]

    response = complete_launch(client, test_platform, auth, claims=claims)

    rejection.assert_rejected(
        response, reason="Missing Roles Claim", issuer=test_platform.issuer, client_id=test_platform.client_id
    )
