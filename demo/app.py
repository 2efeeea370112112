"""The demo LMS web app: a course page that launches the tool, and the platform's endpoints."""

import shlex
from collections.abc import Mapping

from flask import Flask

from demo.platform import DemoPlatform
from demo.views import add_security_headers, bp

# Paths of the tool's fixed LTI endpoints, relative to the tool's base URL.
TOOL_LOGIN_PATH = "/lti/login"
TOOL_LAUNCH_PATH = "/lti/launch"
TOOL_JWKS_PATH = "/lti/jwks"


def build_platform(
    *,
    issuer: str,
    tool_url: str,
    client_id: str,
    deployment_id: str,
    private_key_pem: str,
    token_audience: str | None = None,
    tool_custom: Mapping[str, str] | None = None,
) -> DemoPlatform:
    """Build the platform for a rooms-lti tool at ``tool_url``, whose endpoints have fixed paths."""
    tool_url = tool_url.rstrip("/")
    return DemoPlatform(
        issuer=issuer,
        private_key_pem=private_key_pem,
        client_id=client_id,
        deployment_id=deployment_id,
        tool_login_url=tool_url + TOOL_LOGIN_PATH,
        tool_redirect_uris={tool_url + TOOL_LAUNCH_PATH},
        tool_launch_url=tool_url + TOOL_LAUNCH_PATH,
        tool_jwks=tool_url + TOOL_JWKS_PATH,
        token_audience=token_audience,
        tool_custom=tool_custom,
    )


def registration_command(platform: DemoPlatform) -> str:
    """Return the rooms-lti shell command that registers this platform with the tool."""
    arguments = ["flask", "--app", "app", "platform", "add"]
    arguments += ["--issuer", platform.issuer, "--client-id", platform.client_id]
    arguments += ["--auth-url", platform.auth_url, "--jwks-url", platform.jwks_url, "--token-url", platform.token_url]
    arguments += ["--deployment", platform.deployment_id]
    if platform.token_audience:
        arguments += ["--audience", platform.token_audience]
    return shlex.join(arguments)


def create_app(platform: DemoPlatform, *, registered: bool = False) -> Flask:
    """Create the demo LMS's Flask app around ``platform``.

    All state lives in ``platform``, in memory, so a restart starts a clean course.
    ``registered`` says that the tool has this platform registered already, so that the
    course page does not ask for the registration command.
    """
    app = Flask(__name__)
    app.config["DEMO_REGISTRATION_COMMAND"] = registration_command(platform)
    app.config["DEMO_REGISTERED"] = registered
    app.extensions["demo_platform"] = platform

    app.register_blueprint(bp)
    app.after_request(add_security_headers)
    return app
