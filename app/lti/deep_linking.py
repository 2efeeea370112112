"""Deep linking: an instructor picks or creates a room, and the LMS gets a link that opens it.

pylti1p3's deep-linking resource always emits ``custom: {}``, null fields and
``data: null``, so the response JWT is built here with exactly the claims the
specification asks for: ``data`` echoed only when the request had it.
"""

import logging
import secrets
import time
import uuid

import jwt
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.access import current_access
from app.auth.launch_session import current_launch_claims
from app.extensions import cache, db
from app.lti import keys
from app.lti.roles import map_roles
from app.models import CourseRole, Platform, Room
from app.rooms import permissions
from app.rooms import services as room_services
from app.rooms.exceptions import RoomError

logger = logging.getLogger(__name__)

bp = Blueprint("deep_linking", __name__)

SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DEPLOYMENT_ID_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
REQUEST_PREFIX = "deep-linking:"
REQUEST_SECONDS = 3600
RESPONSE_LIFETIME = 300


def is_staff_launch(claims: dict) -> bool:
    roles = claims.get(ROLES_CLAIM)
    mapped = map_roles(roles if isinstance(roles, list) else [])
    return mapped.course_role == CourseRole.INSTRUCTOR or mapped.is_lms_admin


def deep_linking_picker(claims: dict, platform_id: int):
    """Keep the request's settings in the cache and render the room picker."""
    settings = claims.get(SETTINGS_CLAIM)
    if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
        return render_template(
            "errors/error.html",
            title=_("The tool could not be opened"),
            message=_("The LMS sent a content selection request without a return address. Open it again from the LMS."),
            detail="",
            status=400,
        ), 400

    request_id = secrets.token_urlsafe(18)
    claims_session = current_launch_claims()
    stored = {
        "return_url": settings["deep_link_return_url"],
        "has_data": "data" in settings,
        "data": settings.get("data"),
        "accept_types": settings.get("accept_types") or [],
        "platform_id": platform_id,
        "deployment_id": claims.get(DEPLOYMENT_ID_CLAIM),
        "session_id": claims_session.session_id,
    }
    cache.set(REQUEST_PREFIX + request_id, stored, timeout=REQUEST_SECONDS)
    return _render_picker(request_id)


def _render_picker(request_id: str, *, error: str = "", status: int = 200):
    access = current_access()
    rooms = db.session.scalars(
        select(Room)
        .where(Room.course_id == access.course.id, Room.deleted_at.is_(None))
        .order_by(Room.created_at.desc(), Room.id.desc())
    ).all()
    return render_template(
        "lti/deep_linking.html",
        request_id=request_id,
        rooms=rooms,
        error=error,
        page_url=url_for("deep_linking.pick", request_id=request_id),
    ), status


def _load_request(request_id: str) -> dict:
    stored = cache.get(REQUEST_PREFIX + request_id)
    claims = current_launch_claims()
    if stored is None or claims is None or stored["session_id"] != claims.session_id:
        abort(404)
    return stored


def build_response_jwt(stored: dict, platform: Platform, room: Room) -> str:
    """Sign the LtiDeepLinkingResponse for one ltiResourceLink that opens ``room``."""
    now = int(time.time())
    payload = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_LIFETIME,
        "nonce": uuid.uuid4().hex,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        DEPLOYMENT_ID_CLAIM: stored["deployment_id"],
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [
            {
                "type": "ltiResourceLink",
                "title": room.name,
                "url": url_for("lti.launch", _external=True),
                "custom": {"room": room.public_id},
            }
        ],
    }
    if stored["has_data"]:
        payload["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = stored["data"]
    signing_key = keys.active_signing_key(db.session, current_app.config["ROOMS_KEY_ENCRYPTION_KEY"])
    return jwt.encode(payload, signing_key.private_key_pem, algorithm="RS256", headers={"kid": signing_key.kid})


@bp.get("/lti/deep-linking/<request_id>")
def pick(request_id: str):
    _load_request(request_id)
    if not permissions.is_course_staff(current_access()):
        abort(403)
    return _render_picker(request_id)


@bp.post("/lti/deep-linking/<request_id>")
def respond(request_id: str):
    stored = _load_request(request_id)
    access = current_access()
    if not permissions.is_course_staff(access):
        abort(403)

    if request.form.get("action") == "create":
        try:
            room = room_services.create_room(
                db.session,
                access.course,
                access.user,
                name=request.form.get("name", ""),
                description=request.form.get("description", ""),
                tags=request.form.get("tags", ""),
            )
        except RoomError as error:
            db.session.rollback()
            return _render_picker(request_id, error=error.message, status=error.status)
    else:
        room = db.session.get(Room, request.form.get("room_id", type=int) or 0)
        if room is None or room.course_id != access.course.id or room.deleted_at is not None:
            abort(404)
    db.session.commit()

    platform = db.session.get(Platform, stored["platform_id"])
    token = build_response_jwt(stored, platform, room)
    cache.delete(REQUEST_PREFIX + request_id)
    logger.info("Deep-linking response for room %s sent to platform %s by user %s", room.id, platform.id, access.user.id)
    return render_template("lti/deep_linking_return.html", return_url=stored["return_url"], token=token, room=room)
