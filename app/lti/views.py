"""LTI endpoints: login initiation, launch and the tool's public key set."""

import hmac
import logging
import shlex

import jwt
from flask import Blueprint, current_app, g, jsonify, make_response, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.exception import LtiException

from app.auth.access import CourseAccess
from app.auth.launch_session import attach_launch, detach_launch, issue_token, new_launch_claims
from app.courses.views import room_list
from app.errors import render_error
from app.extensions import cache, csrf, db
from app.lti import keys
from app.lti.deep_linking import deep_linking_picker, is_staff_launch
from app.lti.exceptions import LaunchRejected, ReplayedLaunch
from app.lti.launch import DEPLOYMENT_ID_CLAIM, MESSAGE_TYPE_CLAIM, LaunchSettings, RoomsMessageLaunch, state_cookie_name
from app.lti.login import RoomsOIDCLogin
from app.lti.platform_storage import (
    ParkedLaunch,
    park_launch,
    storage_keys,
    storage_target_origin,
    take_parked_launch,
)
from app.lti.registration_values import tool_urls
from app.lti.rejections import record_rejection
from app.lti.services import record_launch
from app.lti.tool_config import DatabaseToolConf
from app.models import CourseRole, Deployment, Platform
from app.placements.services import LaunchContext, resolve_launch

logger = logging.getLogger(__name__)

bp = Blueprint("lti", __name__)


def _allowed_hosts() -> set[str]:
    hosts = {request.host.lower()}
    base_url = current_app.config["ROOMS_BASE_URL"]
    hosts.add(base_url.split("://", 1)[-1].split("/", 1)[0].lower())
    return hosts


def _launch_settings() -> LaunchSettings:
    config = current_app.config
    return LaunchSettings(
        clock_leeway=config["ROOMS_CLOCK_LEEWAY"],
        jwks_timeout=config["ROOMS_JWKS_TIMEOUT"],
        jwks_min_fetch_interval=config["ROOMS_JWKS_MIN_FETCH_INTERVAL"],
        jwks_default_max_age=config["ROOMS_JWKS_DEFAULT_MAX_AGE"],
    )


def _registration_help(issuer: str, client_id: str) -> str:
    """Return the steps that register an unknown issuer and client id, for the error page's details."""
    urls = tool_urls(current_app.config["ROOMS_BASE_URL"])
    # The issuer and client id come from the request, so they are shell-quoted
    # to keep a pasted command from running anything else.
    command = " ".join(
        [
            "flask --app app platform add",
            f"--issuer {shlex.quote(issuer)}" if issuer else "--issuer <issuer>",
            f"--client-id {shlex.quote(client_id)}" if client_id else "--client-id <client id>",
            "--auth-url <the LMS's OIDC authentication URL>",
            "--jwks-url <the LMS's public keyset URL>",
            "--deployment <deployment id>",
        ]
    )
    return _(
        "To register this LMS, an administrator of the tool runs: %(command)s. In the LMS, enter the tool's "
        "login URL %(login)s, redirect URI %(launch)s and public keyset URL %(jwks)s.",
        command=command,
        login=urls["login"],
        launch=urls["launch"],
        jwks=urls["jwks"],
    )


def _unverified_claims(message_launch: RoomsMessageLaunch) -> dict:
    """Return the id_token's claims as the launch parsed them, or decoded without any check.

    Only the log and the list of rejected launches use them, to name the issuer,
    client id and deployment of a launch that failed before its checks read them.
    """
    if message_launch.claims():
        return message_launch.claims()
    try:
        claims = jwt.decode(request.form.get("id_token", ""), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _claimed_client_id(claims: dict) -> str:
    """Return the client id that unverified claims name: ``azp``, or the only audience."""
    azp = claims.get("azp")
    if isinstance(azp, str):
        return azp
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) == 1:
        audience = audience[0]
    return audience if isinstance(audience, str) else ""


def _log_value(value: str) -> str:
    """Return a request value fit for one log line: control characters replaced, at most 200 characters."""
    if not value:
        return "-"
    return "".join(character if character.isprintable() else "?" for character in value[:200])


def _rejection_page(error: LaunchRejected, *, stage: str, issuer: str, client_id: str, deployment_id: str = ""):
    db.session.rollback()
    # The error page must not show or renew a launch session that the browser
    # already had, because the rejected login or launch may be another person's.
    detach_launch()
    logger.warning(
        "LTI %s rejected (iss=%s, client_id=%s, deployment_id=%s): %s",
        stage,
        _log_value(issuer),
        _log_value(client_id),
        _log_value(deployment_id),
        error.reason,
    )
    record_rejection(db.session, stage=stage, issuer=issuer, client_id=client_id, deployment_id=deployment_id, reason=error.reason)
    db.session.commit()

    detail = error.reason
    if error.advice == "register":
        advice = _(
            "This LMS is not registered with the tool. Ask your LMS administrator to register it, "
            "then open the tool again."
        )
        detail = f"{error.reason} {_registration_help(issuer, client_id)}"
    elif error.advice == "await_approval":
        advice = _(
            "This installation of the tool waits for approval by your LMS administrator. "
            "Try again once they have approved it."
        )
    elif error.advice == "retry":
        advice = _("The LMS could not be reached to check the launch. Try again in a minute.")
    else:
        advice = _("Open the tool again from your course in the LMS.")
    return render_error(error.status, _("The tool could not be opened"), advice, detail=detail)


# The login parameters that a new window needs to start the same login again.
LOGIN_PARAMETERS = ("iss", "login_hint", "target_link_uri", "client_id", "lti_deployment_id", "lti_message_hint")
COOKIE_CHECK_COOKIE = "rooms-lti-cookie-check"
# How long a verified launch waits for the browser's platform storage to confirm it.
PARKED_LAUNCH_MAX_AGE = 120


def _set_login_cookie(response, name: str, value: str) -> None:
    secure = current_app.config["ROOMS_SECURE_COOKIES"]
    response.set_cookie(
        name,
        value,
        max_age=current_app.config["ROOMS_LOGIN_STATE_MAX_AGE"],
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
        partitioned=secure,
        path="/lti/",
    )


def _login_page(oidc_login: RoomsOIDCLogin, auth_url: str):
    """Render the page that continues a framed login to the auth URL once the state can come back.

    Its script keeps the state and nonce in platform storage when the login
    offered it, or else checks that the browser sends the tool's cookies. When
    neither works, the page offers to open the tool in a new window, which
    starts the same login again at the top level. The message hint is still
    unused then, because the browser never went to the auth URL.
    """
    login_state = oidc_login.login_state
    new_window_parameters = {name: oidc_login.param(name) for name in LOGIN_PARAMETERS if oidc_login.param(name)}
    response = make_response(
        render_template(
            "lti/login.html",
            auth_url=auth_url,
            new_window_url=url_for("lti.login", _external=True, **new_window_parameters),
            storage_target=login_state.storage_target,
            storage_origin=storage_target_origin(oidc_login.platform),
            storage_keys=storage_keys(login_state.state, login_state.nonce),
            state=login_state.state,
            nonce=login_state.nonce,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/lti/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    tool_conf = DatabaseToolConf(db.session)
    oidc_login = RoomsOIDCLogin(
        FlaskRequest(),
        tool_conf,
        cache=cache,
        allowed_hosts=_allowed_hosts(),
        state_max_age=current_app.config["ROOMS_LOGIN_STATE_MAX_AGE"],
    )

    try:
        response = oidc_login.redirect(url_for("lti.launch", _external=True))
    except LaunchRejected as error:
        return _rejection_page(
            error, stage="login", issuer=oidc_login.param("iss"), client_id=oidc_login.param("client_id")
        )

    # A login inside a frame may be in a browser that blocks the tool's cookies
    # there, so it gets the page that checks before the redirect. Browsers mark
    # it with the Fetch Metadata header Sec-Fetch-Dest (Chromium, Firefox, and
    # Safari from 16.4). A top-level login, and a browser that sends no Fetch
    # Metadata, is redirected at once, as a first-party cookie comes back.
    login_state = oidc_login.login_state
    if login_state.storage_target or request.headers.get("Sec-Fetch-Dest") == "iframe":
        response = _login_page(oidc_login, response.location)
        _set_login_cookie(response, COOKIE_CHECK_COOKIE, "1")
    _set_login_cookie(response, state_cookie_name(login_state.state), login_state.state)
    return response


@bp.get("/lti/cookie-check")
def cookie_check():
    """Report whether the browser sent the cookie that the login page set."""
    response = jsonify({"cookies_sent": request.cookies.get(COOKIE_CHECK_COOKIE) == "1"})
    response.headers["Cache-Control"] = "no-store"
    return response


def _launch_rejection(error: LaunchRejected | LtiException, message_launch: RoomsMessageLaunch):
    if isinstance(error, LtiException):
        error = LaunchRejected(str(error))
    login_state = message_launch.login_state
    claims = _unverified_claims(message_launch)
    if login_state is not None:
        issuer = login_state.issuer
        client_id = login_state.client_id
    else:
        issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
        client_id = _claimed_client_id(claims)
    return _rejection_page(
        error,
        stage="launch",
        issuer=issuer,
        client_id=client_id,
        deployment_id=str(claims.get(DEPLOYMENT_ID_CLAIM, ""))[:500],
    )


@bp.post("/lti/launch")
@csrf.exempt
def launch():
    tool_conf = DatabaseToolConf(db.session)
    message_launch = RoomsMessageLaunch(FlaskRequest(), tool_conf, cache=cache, settings=_launch_settings())

    try:
        message_launch.validate()
        claims = message_launch.claims()
        if claims.get(MESSAGE_TYPE_CLAIM) == "LtiDeepLinkingRequest" and not is_staff_launch(claims):
            raise LaunchRejected(
                "Only instructors can add rooms to the course through the LMS's content selection.", status=403
            )
        if message_launch.needs_platform_storage_check:
            # The used nonce is committed now, so that the id_token cannot
            # start a second launch while this one waits for the browser.
            db.session.commit()
            return _platform_storage_check_page(message_launch)
        launched = record_launch(db.session, message_launch.platform, message_launch.deployment, claims)
    except (LaunchRejected, LtiException) as error:
        return _launch_rejection(error, message_launch)

    response = make_response(_finish_launch(message_launch.platform, message_launch.deployment, claims, launched))
    response.delete_cookie(state_cookie_name(request.form.get("state", "")), path="/lti/")
    return response


def _platform_storage_check_page(message_launch: RoomsMessageLaunch):
    """Park the verified launch and render the page that confirms its state and nonce through lti.get_data."""
    login_state = message_launch.login_state
    key = park_launch(
        cache,
        ParkedLaunch(
            platform_id=message_launch.platform.id,
            deployment_id=message_launch.deployment.id,
            claims=message_launch.claims(),
            state=login_state.state,
            nonce=login_state.nonce,
        ),
        max_age=PARKED_LAUNCH_MAX_AGE,
    )
    logger.info(
        "LTI launch waits for platform storage (iss=%s, client_id=%s)", login_state.issuer, login_state.client_id
    )
    response = make_response(
        render_template(
            "lti/launch_check.html",
            launch_key=key,
            storage_target=login_state.storage_target,
            storage_origin=storage_target_origin(message_launch.platform),
            storage_keys=storage_keys(login_state.state, login_state.nonce),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/lti/launch/complete")
@csrf.exempt
def complete_launch():
    """Complete a launch parked by /lti/launch once the page's lti.get_data returned its state and nonce."""
    parked = take_parked_launch(cache, request.form.get("launch_key", ""))
    issuer = client_id = ""
    try:
        if parked is None:
            raise ReplayedLaunch("The launch is unknown, expired or already completed.", status=401)
        platform = db.session.get(Platform, parked.platform_id)
        deployment = db.session.get(Deployment, parked.deployment_id)
        if platform is None or deployment is None:
            raise LaunchRejected("The platform or deployment of the launch was removed.", status=401)
        issuer, client_id = platform.issuer, platform.client_id
        state = request.form.get("state", "")
        nonce = request.form.get("nonce", "")
        if not hmac.compare_digest(state.encode(), parked.state.encode()) or not hmac.compare_digest(
            nonce.encode(), parked.nonce.encode()
        ):
            raise LaunchRejected("The LMS's platform storage did not return the state and nonce of this launch.", status=401)
        launched = record_launch(db.session, platform, deployment, parked.claims)
    except LaunchRejected as error:
        return _rejection_page(error, stage="launch", issuer=issuer, client_id=client_id)

    logger.info("LTI launch confirmed by platform storage (iss=%s, client_id=%s)", issuer, client_id)
    return _finish_launch(platform, deployment, parked.claims, launched)


def _finish_launch(platform: Platform, deployment: Deployment, claims: dict, launched):
    """Commit the launch's rows, start its launch session and render the page it lands on."""
    destination = None
    if claims.get(MESSAGE_TYPE_CLAIM) == "LtiResourceLinkRequest":
        destination = resolve_launch(
            db.session,
            LaunchContext(
                platform_id=platform.id,
                course=launched.course,
                user=launched.user,
                is_instructor=launched.membership.role == CourseRole.INSTRUCTOR,
                is_lms_admin=launched.identity.is_lms_admin,
                cc_enabled=deployment.cc_enabled,
            ),
            claims,
        )
    # One commit for the launch's rows and its placement.
    db.session.commit()

    launch_claims = new_launch_claims(
        user_id=launched.user.id,
        course_id=launched.course.id,
        identity_id=launched.identity.id,
        deployment_id=deployment.id,
        placement_id=destination.placement.id if destination and destination.placement else None,
    )
    attach_launch(launch_claims)
    session.new_cookie_token = issue_token(launch_claims)
    # The page rendered below uses the rows the launch holds, instead of
    # loading them again through the launch token.
    g.course_access = CourseAccess(
        user=launched.user,
        course=launched.course,
        membership=launched.membership,
        identity=launched.identity,
        deployment=deployment,
    )
    login_user(launched.user)

    # The launch returns the page itself because a redirect could not carry
    # the launch token without putting it in the URL.
    if destination is None:
        return deep_linking_picker(claims, platform.id)
    return render_destination(destination, launched.course.id)


def render_destination(destination, course_id: int):
    """Render the page a resource-link launch lands on."""
    from app.auth.access import current_access
    from app.placements.views import render_copy_choice, render_not_set_up
    from app.rooms import permissions
    from app.rooms.views import show as show_room

    if destination.kind == "room":
        access = current_access()
        if permissions.can_open_room(db.session, access, destination.room):
            return show_room(room_id=destination.room.id)
        return render_error(
            403,
            _("This room is not available yet"),
            _("Your instructor has not made this room available. Try again later."),
        )
    if destination.kind == "copy_choice":
        return render_copy_choice(destination, current_access())
    if destination.kind == "not_set_up":
        return render_not_set_up()
    return room_list(course_id=course_id)


@bp.get("/lti/jwks")
@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(keys.published_jwks(db.session))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
