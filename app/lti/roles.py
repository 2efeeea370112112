"""Map the LTI ``roles`` claim to a course role and the LMS administrator flag.

Course rights come only from context (membership) roles. Institution and
system roles never make anyone an instructor; an institution or system
Administrator is an LMS administrator of the platform.
"""

from dataclasses import dataclass

from app.models import CourseRole

MEMBERSHIP_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
MEMBERSHIP_SUBROLE_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
INSTITUTION_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
# LTI 1.1 role URNs, which some platforms still send in 1.3 launches.
LEGACY_CONTEXT_PREFIX = "urn:lti:role:ims/lis/"
LEGACY_INSTITUTION_PREFIXES = ("urn:lti:instrole:ims/lis/", "urn:lti:sysrole:ims/lis/")

INSTRUCTOR_ROLES = {"Instructor", "ContentDeveloper", "Manager"}
LEARNER_ROLES = {"Learner", "Member"}
ADMIN_ROLES = {"Administrator", "SysAdmin"}


@dataclass(frozen=True)
class MappedRoles:
    course_role: CourseRole
    is_teaching_assistant: bool
    is_lms_admin: bool


def _context_role(role: str) -> tuple[str, str | None] | None:
    """Split a context role into (principal role, sub-role), or None for other roles.

    Accepts the full membership URI, the sub-role URI
    (``.../membership/Instructor#TeachingAssistant``) and the deprecated short
    names such as ``Instructor``.
    """
    if role.startswith(MEMBERSHIP_PREFIX):
        return role[len(MEMBERSHIP_PREFIX):], None
    if role.startswith(LEGACY_CONTEXT_PREFIX):
        principal, _, sub_role = role[len(LEGACY_CONTEXT_PREFIX):].partition("/")
        return principal, sub_role or None
    if role.startswith(MEMBERSHIP_SUBROLE_PREFIX):
        principal, _, sub_role = role[len(MEMBERSHIP_SUBROLE_PREFIX):].partition("#")
        return principal, sub_role or None
    if ":" not in role and "/" not in role and "#" not in role:
        return role, None
    return None


def map_roles(roles: list[str]) -> MappedRoles:
    principals: set[str] = set()
    is_teaching_assistant = False
    is_lms_admin = False

    for role in roles:
        if not isinstance(role, str):
            continue
        if role.startswith((INSTITUTION_PREFIX, SYSTEM_PREFIX, *LEGACY_INSTITUTION_PREFIXES)):
            if role.rpartition("#")[2].rpartition("/")[2] in ADMIN_ROLES:
                is_lms_admin = True
            continue

        context_role = _context_role(role)
        if context_role is None:
            continue
        principal, sub_role = context_role
        principals.add(principal)
        if sub_role == "TeachingAssistant" or principal == "TeachingAssistant":
            is_teaching_assistant = True
            principals.add("Instructor")

    if principals & INSTRUCTOR_ROLES:
        course_role = CourseRole.INSTRUCTOR
    elif principals & LEARNER_ROLES:
        course_role = CourseRole.LEARNER
    else:
        course_role = CourseRole.VIEWER

    return MappedRoles(
        course_role=course_role,
        is_teaching_assistant=is_teaching_assistant,
        is_lms_admin=is_lms_admin,
    )
