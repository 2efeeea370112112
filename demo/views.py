"""Routes of the demo LMS: the course page, launches and the platform's LTI endpoints."""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, jsonify, make_response, redirect, render_template, request

from demo.claims import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST
from demo.platform import DemoPlatform, PlatformRefusal

logger = logging.getLogger(__name__)

bp = Blueprint("demo", __name__)

LOGIN_METHODS = ("get", "post")
PRESENTATIONS = {"frame": "iframe", "window": "window"}

# Browser features the tool may use inside the course frame: media, screen sharing and
# fullscreen for a virtual classroom, and the clipboard for sharing links.
FRAME_FEATURES = (
    "autoplay",
    "camera",
    "microphone",
    "display-capture",
    "fullscreen",
    "picture-in-picture",
    "encrypted-media",
    "clipboard-write",
)


@dataclass(frozen=True)
class LaunchOptions:
    """Launch settings of the course page: the login request's HTTP method, and whether to offer platform storage."""

    login_method: str = "get"
    platform_storage: bool = False

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> "LaunchOptions":
        """Read the options from query or form values, raising ValueError for an unknown login method."""
        login_method = values.get("login_method", "get")
        if login_method not in LOGIN_METHODS:
            raise ValueError(f"Unknown login method {login_method!r}: use one of {LOGIN_METHODS}.")
        return cls(login_method=login_method, platform_storage=values.get("platform_storage") == "on")


def current_platform() -> DemoPlatform:
    return current_app.extensions["demo_platform"]


def origin_of(url: str) -> str:
    """Return the origin (scheme, host and port) of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def url_with_query(url: str, params: Mapping[str, str]) -> str:
    """Append ``params`` to the query string of ``url``, keeping the parameters it has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def render_error(status: int, title: str, reason: str) -> tuple[str, int]:
    return render_template("error.html", title=title, reason=reason), status


def add_security_headers(response: Response) -> Response:
    """Allow scripts, styles and forms from the demo itself, and frames and forms of the tool."""
    tool_origin = origin_of(current_platform().tool_login_url)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        f"frame-src 'self' {tool_origin}; form-action 'self' {tool_origin}; frame-ancestors 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


# Course pages


@bp.get("/")
def course():
    """Show the course with its links, a launch form per user, and the registration values."""
    platform = current_platform()
    try:
        options = LaunchOptions.from_values(request.args)
    except ValueError:
        options = LaunchOptions()

    return render_template(
        "course.html",
        course=platform.course,
        links=platform.links(),
        users=platform.course.users,
        instructors=[user for user in platform.course.users if user.is_instructor],
        options=options,
        platform=platform,
        registration_command=current_app.config["DEMO_REGISTRATION_COMMAND"],
        registered=current_app.config.get("DEMO_REGISTERED", False),
        resource_link_request=RESOURCE_LINK_REQUEST,
        deep_linking_request=DEEP_LINKING_REQUEST,
    )


@bp.post("/launch")
def launch():
    """Start a launch: render the tool in a frame of the course, or continue to it in this tab."""
    platform = current_platform()
    form = request.form
    try:
        options = LaunchOptions.from_values(form)
    except ValueError as error:
        return render_error(400, "The launch could not start", str(error))
    presentation = form.get("presentation", "")
    if presentation not in PRESENTATIONS:
        return render_error(400, "The launch could not start", f"Unknown presentation {presentation!r}.")

    message_type = form.get("message_type", RESOURCE_LINK_REQUEST)
    user_key = form.get("user", "")
    link_id = form.get("link") or None
    users = {user.key: user for user in platform.course.users}
    if user_key in users and message_type == DEEP_LINKING_REQUEST and not users[user_key].is_instructor:
        return render_error(403, "The launch could not start", "Only instructors can add content to the course.")

    storage_target = "_parent" if options.platform_storage and presentation == "frame" else None
    try:
        params = platform.login_initiation(
            user_key,
            link_id,
            message_type=message_type,
            document_target=PRESENTATIONS[presentation],
            lti_storage_target=storage_target,
        )
    except ValueError as error:
        return render_error(400, "The launch could not start", str(error))

    login_url_with_params = url_with_query(platform.tool_login_url, params)
    if presentation == "window" and options.login_method == "get":
        response = redirect(login_url_with_params, code=303)
        response.headers["Cache-Control"] = "no-store"
        return response

    tool_origin = origin_of(platform.tool_login_url)
    response = make_response(
        render_template(
            "frame.html" if presentation == "frame" else "window_launch.html",
            course=platform.course,
            user=users[user_key],
            link=next((link for link in platform.links() if link.id == link_id), None),
            login_method=options.login_method,
            login_url=platform.tool_login_url,
            login_url_with_params=login_url_with_params,
            params=params,
            tool_origin=tool_origin,
            frame_allow="; ".join(f"{feature} {tool_origin}" for feature in FRAME_FEATURES),
        )
    )
    # The page carries a message hint, which is single use and must not come back from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


# Platform endpoints


@bp.route("/auth", methods=["GET", "POST"])
def auth():
    """OIDC authentication endpoint: post the signed id_token to the tool's redirect URI."""
    platform = current_platform()
    params = (request.args if request.method == "GET" else request.form).to_dict()

    try:
        redirect_uri, launch_form = platform.authorize(params)
    except PlatformRefusal as refusal:
        logger.warning("Authentication request rejected (client_id=%r): %s", params.get("client_id"), refusal.reason)
        return render_error(400, "The LMS rejected the tool's authentication request", refusal.reason)

    response = make_response(render_template("auth_response.html", redirect_uri=redirect_uri, form=launch_form))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jwks")
def jwks():
    response = jsonify(current_platform().jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/token")
def token():
    """OAuth 2 token endpoint for the client-credentials grant with a JWT client assertion."""
    try:
        token_response = current_platform().issue_access_token(request.form.to_dict())
    except PlatformRefusal as refusal:
        logger.warning("Token request rejected (%s): %s", refusal.oauth_error, refusal.reason)
        response = jsonify(error=refusal.oauth_error, error_description=refusal.reason)
        response.status_code = 401 if refusal.oauth_error == "invalid_client" else 400
    else:
        response = jsonify(token_response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/nrps/<context_id>")
def memberships(context_id: str):
    """NRPS context membership endpoint."""
    result = current_platform().memberships(
        context_id,
        request.headers.get("Authorization"),
        page=request.args.get("page"),
        limit=request.args.get("limit"),
        role=request.args.get("role"),
        rlid=request.args.get("rlid"),
    )
    if result.status != 200:
        logger.warning("NRPS request for context %r rejected (%d): %s", context_id, result.status, result.body)

    response = current_app.response_class(json.dumps(result.body), status=result.status, mimetype="application/json")
    response.headers.update(result.headers)
    if result.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


@bp.post("/deep_link_return")
def deep_link_return():
    """Deep-linking return URL: add the tool's content items to the course."""
    jwt_string = request.form.get("JWT", "")
    if not jwt_string:
        return render_error(400, "The LMS rejected the tool's content", "The deep-linking response has no JWT field.")

    request_id = request.args.get("request", "")
    try:
        items = current_platform().accept_deep_linking_response(jwt_string, request_id)
    except PlatformRefusal as refusal:
        logger.warning("Deep-linking response to request %r rejected: %s", request_id, refusal.reason)
        return render_error(400, "The LMS rejected the tool's content", refusal.reason)

    return render_template("deep_link_done.html", items=items)
