"""Registration endpoints that an LMS administrator pastes into the LMS: dynamic registration and the Canvas JSON."""

import logging

import requests
from flask import Blueprint, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _

from app.errors import render_error
from app.extensions import db
from app.lti.registration import (
    RegistrationFailed,
    check_configuration_url,
    check_registration_token,
    loggable_url,
    register_tool,
)
from app.lti.registration_values import canvas_developer_key
from app.security import frame_ancestors

logger = logging.getLogger(__name__)

bp = Blueprint("lti_registration", __name__)


def tool_base_url() -> str:
    """Return the tool's public URL: ROOMS_BASE_URL, or the URL this request reached."""
    return (current_app.config.get("ROOMS_BASE_URL") or request.url_root).rstrip("/")


@bp.get("/lti/register")
def register():
    """Register the tool with the LMS that opened this page (LTI Dynamic Registration).

    The LMS opens this URL in an iframe or a new window with the
    ``openid_configuration`` and ``registration_token`` parameters, and the
    specification's sequence registers on that request, so this GET changes
    state. CSRF protection does not apply: the request carries no cookie or
    session of the tool, so a forged request has no more power than anyone
    calling the URL directly. What protects existing registrations is the
    issuer check: only a configuration served from an issuer's own host can
    add or update a registration of that issuer. The LMS, for its part,
    accepts the registration only with the token it issued.
    """
    # The page may be framed by the LMS's admin pages, whose origin is not known
    # yet (Canvas serves them from the institution's own domain). It has no
    # action to click, so framing by any site gains nothing.
    g.frame_ancestors = "*"

    try:
        configuration_url = check_configuration_url(request.args.get("openid_configuration", ""))
        registration_token = check_registration_token(request.args.get("registration_token"))
        with requests.Session() as http:
            result = register_tool(
                db.session,
                http,
                configuration_url=configuration_url,
                registration_token=registration_token,
                base_url=tool_base_url(),
                timeout=current_app.config["ROOMS_REGISTRATION_TIMEOUT"],
                allow_private_hosts=current_app.config["ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS"],
            )
    except RegistrationFailed as error:
        db.session.rollback()
        logger.warning(
            "Dynamic registration failed (openid_configuration=%s): %s%s%s",
            loggable_url(request.args.get("openid_configuration", ""))[:200] or "-",
            error.message,
            f" The LMS's error message: {error.platform_message}" if error.platform_message else "",
            f" ({error.cause})" if error.cause else "",
        )
        detail = _("The LMS's error message: %(message)s", message=error.platform_message) if error.platform_message else ""
        page = render_error(error.status, _("The tool could not be registered"), error.message, detail=detail)
        return _registration_headers(current_app.make_response(page))

    db.session.commit()
    # The new platform may frame the tool from now on.
    frame_ancestors.invalidate()
    logger.info(
        "Dynamic registration %s platform %s (iss=%s, client_id=%s, policy=%s)",
        "added" if result.created else "updated",
        result.platform.id,
        result.platform.issuer,
        result.platform.client_id,
        result.platform.deployment_policy.value,
    )
    page = render_template("lti/registered.html", result=result, platform=result.platform)
    return _registration_headers(current_app.make_response(page))


@bp.get("/lti/canvas.json")
def canvas_json():
    """Return the developer-key configuration to paste into Canvas (Developer Keys > LTI Key > Paste JSON)."""
    return jsonify(canvas_developer_key(tool_base_url()))


def _registration_headers(response):
    # The page's URL carries the registration token: keep it out of caches and
    # out of the Referer of anything the page loads.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
