"""The per-launch session, which works without any third-party cookie.

A launch issues a signed, short-lived token bound to the user, course,
identity and deployment of that launch. Pages carry it in a hidden form
field (``launch_token``) and scripts send it in the ``X-Launch-Token``
header; it never goes into a URL, where access logs would keep it. Every
page rendered with a valid token embeds a renewed one, and open pages renew
theirs on a timer, so a class that lasts hours keeps its session.

Where the browser keeps cookies, the same token also goes into a cookie, so
that a page opened in a new tab works.

The Flask session is derived from the token: its CSRF secret is an HMAC of
the token's session id, so Flask-WTF's CSRF protection needs no cookie.
"""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from flask import Flask, Request, current_app, g, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Launch-Token"
TOKEN_FIELD = "launch_token"
TOKEN_COOKIE = "rooms_launch"
TOKEN_SALT = "rooms-launch-token"


@dataclass(frozen=True)
class LaunchClaims:
    """What a launch token states: the ids of the launch it was issued for."""

    session_id: str
    user_id: int
    course_id: int
    identity_id: int
    deployment_id: int
    # The LMS link (placement) the launch came through; None for course-level launches.
    placement_id: int | None = None

    def to_payload(self) -> dict:
        payload = {
            "sid": self.session_id,
            "uid": self.user_id,
            "cid": self.course_id,
            "iid": self.identity_id,
            "did": self.deployment_id,
        }
        if self.placement_id is not None:
            payload["pid"] = self.placement_id
        return payload

    @classmethod
    def from_payload(cls, payload) -> "LaunchClaims | None":
        try:
            return cls(
                session_id=str(payload["sid"]),
                user_id=int(payload["uid"]),
                course_id=int(payload["cid"]),
                identity_id=int(payload["iid"]),
                deployment_id=int(payload["did"]),
                placement_id=int(payload["pid"]) if payload.get("pid") is not None else None,
            )
        except (KeyError, TypeError, ValueError):
            return None


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=TOKEN_SALT)


def new_launch_claims(
    *, user_id: int, course_id: int, identity_id: int, deployment_id: int, placement_id: int | None = None
) -> LaunchClaims:
    return LaunchClaims(
        session_id=secrets.token_urlsafe(18),
        user_id=user_id,
        course_id=course_id,
        identity_id=identity_id,
        deployment_id=deployment_id,
        placement_id=placement_id,
    )


def issue_token(claims: LaunchClaims) -> str:
    return _serializer(current_app).dumps(claims.to_payload())


def read_token(token: str) -> LaunchClaims | None:
    """Return the claims of a valid, unexpired token, or None."""
    if not token or len(token) > 1000:
        return None
    try:
        payload = _serializer(current_app).loads(token, max_age=current_app.config["ROOMS_LAUNCH_TOKEN_MAX_AGE"])
    except SignatureExpired:
        logger.info("Launch token expired")
        return None
    except BadSignature:
        logger.info("Launch token rejected: invalid signature")
        return None
    return LaunchClaims.from_payload(payload)


def _token_from_request(req: Request) -> str:
    header = req.headers.get(TOKEN_HEADER)
    if header:
        return header
    if req.method == "POST" and req.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        field = req.form.get(TOKEN_FIELD)
        if field:
            return field
    return req.cookies.get(TOKEN_COOKIE, "")


class LaunchSession(CallbackDict, SessionMixin):
    """A Flask session that lives only as long as the request.

    Nothing in it is persisted: its content is derived from the launch token
    on every request.
    """

    def __init__(self, initial=None):
        super().__init__(initial)
        self.modified = False
        self.new_cookie_token: str | None = None


class LaunchSessionInterface(SessionInterface):
    def open_session(self, app, req):
        # The token is read in a before_request hook (load_launch_session), after
        # the request body may be parsed with the app's error handlers active.
        return LaunchSession()

    def save_session(self, app, session, response):
        # Pages of a launch session embed its token: no cache may keep them.
        if g.get("launch_claims") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        token = getattr(session, "new_cookie_token", None)
        if token is None:
            return
        secure = app.config["ROOMS_SECURE_COOKIES"]
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            max_age=app.config["ROOMS_LAUNCH_TOKEN_MAX_AGE"],
            httponly=True,
            secure=secure,
            samesite="None" if secure else "Lax",
            partitioned=secure,
            path="/",
        )


def csrf_secret(app: Flask, session_id: str) -> str:
    return hmac.new(app.secret_key.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def attach_launch(claims: LaunchClaims) -> None:
    """Make ``claims`` the current request's launch session."""
    from flask import session

    g.launch_claims = claims
    session["csrf_token"] = csrf_secret(current_app, claims.session_id)


def detach_launch() -> None:
    """Drop the current request's launch session, so that the response neither shows nor renews it."""
    from flask import session

    g.launch_claims = None
    g.pop("course_access", None)
    session.pop("csrf_token", None)


def load_launch_session() -> None:
    """before_request hook: read the launch token, if any, into ``g`` and the session."""
    g.launch_claims = None
    claims = read_token(_token_from_request(request))
    if claims is not None:
        attach_launch(claims)


def current_launch_claims() -> LaunchClaims | None:
    return g.get("launch_claims")


def renewed_token() -> str:
    """Return a fresh token for the current launch session, or an empty string."""
    claims = current_launch_claims()
    if claims is None:
        return ""
    return issue_token(claims)
