"""The signed-in user's access in the course of the current launch session."""

from dataclasses import dataclass

from flask import abort, g
from flask_login import current_user

from app.auth.launch_session import LaunchClaims, current_launch_claims
from app.extensions import db, login_manager
from app.models import Course, CourseMembership, CourseRole, Deployment, Identity, User


@dataclass
class CourseAccess:
    user: User
    course: Course
    membership: CourseMembership
    identity: Identity
    deployment: Deployment

    @property
    def role(self) -> CourseRole:
        return self.membership.role

    @property
    def is_instructor(self) -> bool:
        return self.membership.role == CourseRole.INSTRUCTOR

    @property
    def is_lms_admin(self) -> bool:
        return self.identity.is_lms_admin

    @property
    def cc_enabled(self) -> bool:
        return self.deployment.cc_enabled


def load_course_access(claims: LaunchClaims) -> CourseAccess | None:
    membership = db.session.scalars(
        db.select(CourseMembership).where(
            CourseMembership.user_id == claims.user_id,
            CourseMembership.course_id == claims.course_id,
        )
    ).first()
    identity = db.session.get(Identity, claims.identity_id)
    deployment = db.session.get(Deployment, claims.deployment_id)
    if membership is None or identity is None or deployment is None or identity.user_id != claims.user_id:
        return None
    return CourseAccess(
        user=membership.user,
        course=membership.course,
        membership=membership,
        identity=identity,
        deployment=deployment,
    )


@login_manager.request_loader
def _load_user_from_launch(req):
    claims = current_launch_claims()
    if claims is None:
        return None
    access = load_course_access(claims)
    if access is None:
        return None
    g.course_access = access
    return access.user


def current_access() -> CourseAccess:
    """Return the current course access, or abort with 401 when there is no launch session."""
    if not current_user.is_authenticated:
        abort(401)
    return g.course_access


def course_access_or_404(course_id: int) -> CourseAccess:
    """Return the access to ``course_id``; a course of another launch answers 404."""
    access = current_access()
    if access.course.id != course_id:
        abort(404)
    return access
