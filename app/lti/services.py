"""Map the claims of a validated launch to users, identities, courses and memberships."""

import logging
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.lti.exceptions import LaunchRejected
from app.lti.roles import MappedRoles, map_roles
from app.models import Course, CourseMembership, Deployment, Identity, Platform, User
from app.models.base import utcnow

logger = logging.getLogger(__name__)

CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
RESOURCE_LINK_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LAUNCH_PRESENTATION_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

# Column sizes of the rows the claims go to.
MAX_NAME = 300
MAX_EMAIL = 320
MAX_LOCALE = 35
MAX_TITLE = 500
MAX_LABEL = 255
MAX_ID = 255


@dataclass
class LaunchedUser:
    user: User
    identity: Identity
    course: Course
    membership: CourseMembership
    roles: MappedRoles


def _text(value, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip()[:limit]


def _display_name(claims: dict) -> str:
    name = _text(claims.get("name"), MAX_NAME)
    if name:
        return name
    parts = [_text(claims.get("given_name"), MAX_NAME), _text(claims.get("family_name"), MAX_NAME)]
    return " ".join(part for part in parts if part)[:MAX_NAME]


def _required_id(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LaunchRejected(f"The launch has no {what}.")
    if len(value) > MAX_ID:
        raise LaunchRejected(f"The launch's {what} is longer than {MAX_ID} characters.")
    return value


def _insert_or_get(session: Session, model, lookup: dict, defaults: dict):
    """Insert the row that ``lookup`` names, after the caller found it missing; return it.

    The insert runs in a savepoint, so that a concurrent launch inserting the
    same row makes this one read it instead of failing.
    """
    try:
        with session.begin_nested():
            row = model(**lookup, **defaults)
            session.add(row)
    except IntegrityError:
        row = session.scalars(select(model).filter_by(**lookup)).one()
    return row


def record_launch(session: Session, platform: Platform, deployment: Deployment, claims: dict) -> LaunchedUser:
    """Find or create the rows a launch names, and refresh name, email, locale and roles."""
    sub = _required_id(claims.get("sub"), "user id (sub)")
    context = claims.get(CONTEXT_CLAIM)
    if not isinstance(context, dict):
        raise LaunchRejected("The launch has no course context: open the tool from a course.")
    context_id = _required_id(context.get("id"), "course context id")
    roles_claim = claims.get(ROLES_CLAIM)
    if not isinstance(roles_claim, list):
        raise LaunchRejected("The launch has no roles claim.")
    roles = map_roles(roles_claim)

    # Each lookup also loads the row that comes next (identity with user, course
    # with membership), so that a returning user's four rows take two SELECTs.
    identity = session.scalars(
        select(Identity)
        .where(Identity.platform_id == platform.id, Identity.sub == sub)
        .options(joinedload(Identity.user))
    ).first()
    if identity is None:
        user = User()
        session.add(user)
        session.flush()
        identity = _insert_or_get(
            session, Identity, {"platform_id": platform.id, "sub": sub}, {"user_id": user.id}
        )
    user = identity.user
    user.name = _display_name(claims) or user.name
    user.email = _text(claims.get("email"), MAX_EMAIL) or user.email
    user.locale = _text(claims.get("locale"), MAX_LOCALE) or user.locale
    identity.is_lms_admin = roles.is_lms_admin

    found = session.execute(
        select(Course, CourseMembership)
        .outerjoin(
            CourseMembership, and_(CourseMembership.course_id == Course.id, CourseMembership.user_id == user.id)
        )
        .where(Course.platform_id == platform.id, Course.context_id == context_id)
    ).first()
    course, membership = found if found is not None else (None, None)
    if course is None:
        course = _insert_or_get(session, Course, {"platform_id": platform.id, "context_id": context_id}, {})
    course.title = _text(context.get("title"), MAX_TITLE) or course.title
    course.label = _text(context.get("label"), MAX_LABEL) or course.label
    nrps = claims.get(NRPS_CLAIM)
    if isinstance(nrps, dict) and isinstance(nrps.get("context_memberships_url"), str):
        course.nrps_url = nrps["context_memberships_url"][:2000]

    if membership is None:
        membership = _insert_or_get(
            session,
            CourseMembership,
            {"user_id": user.id, "course_id": course.id},
            {"role": roles.course_role},
        )
    membership.role = roles.course_role
    membership.is_teaching_assistant = roles.is_teaching_assistant
    membership.last_launch_at = utcnow()
    session.flush()

    logger.info(
        "LTI launch accepted: user %s (platform %s, deployment %s) in course %s as %s%s",
        user.id,
        platform.id,
        deployment.deployment_id,
        course.id,
        roles.course_role.value,
        ", LMS administrator" if roles.is_lms_admin else "",
    )
    return LaunchedUser(user=user, identity=identity, course=course, membership=membership, roles=roles)
