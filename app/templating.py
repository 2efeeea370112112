"""Values every template can use."""

import secrets

from flask import Flask, g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from app.models import CourseRole, RoomStatus

from app.auth.launch_session import TOKEN_FIELD, TOKEN_HEADER, renewed_token
from app.security import script_nonce


def init_templating(app: Flask) -> None:
    @app.context_processor
    def _template_values():
        return {
            "script_nonce": script_nonce,
            "launch_token_field": TOKEN_FIELD,
            "launch_token_header": TOKEN_HEADER,
            "launch_token": _page_launch_token,
            "csrf_token": generate_csrf,
            "course_access": g.get("course_access"),
            "role_label": role_label,
            "get_locale": get_locale,
            "room_status_label": room_status_label,
            "new_idempotency_key": new_idempotency_key,
            "unread_notifications": _unread_notifications,
        }


def role_label(access) -> str:
    """Return the user's course role as the pages show it."""
    if access.role == CourseRole.INSTRUCTOR:
        label = _("Teaching assistant") if access.membership.is_teaching_assistant else _("Instructor")
    elif access.role == CourseRole.LEARNER:
        label = _("Learner")
    else:
        label = _("Viewer")
    if access.is_lms_admin:
        label = _("%(role)s, LMS administrator", role=label)
    return label


def _page_launch_token() -> str:
    # One renewed token per page, shared by every form on it.
    if "page_launch_token" not in g:
        g.page_launch_token = renewed_token()
    return g.page_launch_token


def room_status_label(room) -> str:
    if room.is_deleted:
        return _("Deleted")
    if room.status == RoomStatus.CLONING:
        return _("Being cloned")
    if room.status == RoomStatus.FAILED:
        return _("Clone failed")
    return _("Ready")


def new_idempotency_key() -> str:
    """Return a fresh key for a form whose repeated submission must act once."""
    return secrets.token_urlsafe(16)


def _unread_notifications() -> int:
    access = g.get("course_access")
    if access is None:
        return 0
    from app.cloning.notifications import unread_count
    from app.extensions import db

    return unread_count(db.session, access)
