"""The platform's side of LTI Dynamic Registration, served over real HTTP on 127.0.0.1.

It responds as Canvas and Moodle do: the OpenID configuration and the
registration endpoint both require the registration token as a Bearer token
(401 without it), the registration endpoint returns the stored registration
with a new ``client_id``, and a deployment id only when the test sets one,
as Moodle does. Tests change the responses through the attributes.
"""

import json
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

TOOL_CONFIGURATION_KEY = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION_KEY = "https://purl.imsglobal.org/spec/lti-platform-configuration"


@dataclass
class RecordedRequest:
    method: str
    path: str
    authorization: str
    body: dict | None


@dataclass
class RegistrationPlatform:
    jwks_url: str
    registration_token: str = "registration-token-1"
    client_id: str = "10000000000042"
    # None: no deployment id in the registration response (Canvas).
    deployment_id: str | None = None
    product_family_code: str = "canvas"
    # Overrides of the OpenID configuration's fields, e.g. {"issuer": "https://elsewhere.test"}.
    configuration_overrides: dict = field(default_factory=dict)
    # When set, the registration endpoint responds with this status and body: JSON for a
    # dict, plain text for a string.
    registration_error: tuple[int, dict | str] | None = None
    # When set, the configuration URL responds with this status and plain-text body.
    configuration_error: tuple[int, str] | None = None
    # When set, the configuration URL responds with a redirect to this URL.
    configuration_redirect: str = ""
    # Seconds to wait before responding to the configuration request.
    delay: float = 0.0
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self.configuration_url = f"{self.issuer}/api/lti/security/openid-configuration"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def configuration(self) -> dict:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/api/lti/authorize_redirect",
            "registration_endpoint": f"{self.issuer}/api/lti/registrations",
            "jwks_uri": self.jwks_url,
            "token_endpoint": f"{self.issuer}/login/oauth2/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "scopes_supported": ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email", "locale"],
            PLATFORM_CONFIGURATION_KEY: {
                "product_family_code": self.product_family_code,
                "version": "test",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
            },
        }
        document.update(self.configuration_overrides)
        return document

    def requests_to(self, path_end: str) -> list[RecordedRequest]:
        with self._lock:
            return [recorded for recorded in self.requests if recorded.path.endswith(path_end)]

    def stop(self) -> None:
        self._server.shutdown()

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.method == "POST" else None
        with self._lock:
            self.requests.append(
                RecordedRequest(request.method, request.path, request.headers.get("Authorization", ""), body)
            )

        if request.headers.get("Authorization") != f"Bearer {self.registration_token}":
            return _json({"errors": [{"message": "Invalid or missing registration token"}]}, 401)

        if request.method == "GET" and request.path.endswith("/openid-configuration"):
            if self.delay:
                time.sleep(self.delay)
            if self.configuration_error is not None:
                status, text = self.configuration_error
                return Response(text, status=status, mimetype="text/plain")
            if self.configuration_redirect:
                return Response(status=302, headers={"Location": self.configuration_redirect})
            return _json(self.configuration())

        if request.method == "POST" and request.path.endswith("/registrations"):
            if self.registration_error is not None:
                status, error_body = self.registration_error
                if isinstance(error_body, str):
                    return Response(error_body, status=status, mimetype="text/plain")
                return _json(error_body, status)
            if not isinstance(body, dict):
                return _json({"error": "invalid_client_metadata"}, 400)
            registration = dict(body)
            registration["client_id"] = self.client_id
            tool_configuration = dict(registration.get(TOOL_CONFIGURATION_KEY) or {})
            if self.deployment_id is not None:
                tool_configuration["deployment_id"] = self.deployment_id
            registration[TOOL_CONFIGURATION_KEY] = tool_configuration
            return _json(registration)

        return _json({"error": "not found"}, 404)


def _json(document: dict, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")
