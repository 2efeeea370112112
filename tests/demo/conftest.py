"""Fixtures for the demo LMS tests: a platform, and a tool side that signs with its own throwaway key.

The tool side signs with PyJWT directly rather than with demo.keys, so that the code under
test never checks its own output.
"""

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from demo.keys import generate_private_key_pem
from demo.platform import DemoPlatform

ISSUER = "http://localhost:5001"
CLIENT_ID = "rooms-test"
DEPLOYMENT_ID = "1"
TOOL_URL = "http://127.0.0.1:5000"
TOOL_LOGIN_URL = TOOL_URL + "/lti/login"
REDIRECT_URI = TOOL_URL + "/lti/launch"
TOKEN_URL = ISSUER + "/token"

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEEP_LINKING_SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DATA_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/data"


class ToolSide:
    """The tool's half of each exchange, signed with a throwaway RSA key."""

    def __init__(self) -> None:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        self.public_key_pem = (
            private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )
        public_jwk = JWK.from_pem(self.private_key_pem.encode("ascii"))
        self.kid = public_jwk.thumbprint()
        self.jwk = {**json.loads(public_jwk.export_public()), "kid": self.kid, "alg": "RS256", "use": "sig"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def sign(self, claims: dict[str, Any], *, private_key_pem: str | None = None) -> str:
        return jwt.encode(claims, private_key_pem or self.private_key_pem, algorithm="RS256", headers={"kid": self.kid})

    @staticmethod
    def auth_request(login_params: dict[str, str], **changes: str | None) -> dict[str, str]:
        """Return the OIDC authentication request a tool sends after this login initiation.

        A change whose value is None removes the parameter.
        """
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": login_params["client_id"],
            "redirect_uri": REDIRECT_URI,
            "login_hint": login_params["login_hint"],
            "lti_message_hint": login_params["lti_message_hint"],
            "nonce": uuid.uuid4().hex,
            "state": uuid.uuid4().hex,
        }
        params.update(changes)
        return {name: value for name, value in params.items() if value is not None}

    def deep_linking_response(
        self,
        settings: dict[str, Any],
        *,
        content_items: list[dict[str, Any]] | None = None,
        claim_overrides: dict[str, Any] | None = None,
        remove_claims: tuple[str, ...] = (),
        private_key_pem: str | None = None,
    ) -> str:
        """Sign a valid deep-linking response to the request with these settings, then apply the changes."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": CLIENT_ID,
            "aud": ISSUER,
            "iat": now,
            "exp": now + 300,
            "nonce": uuid.uuid4().hex,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
            "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": (
                content_items
                if content_items is not None
                else [{"type": "ltiResourceLink", "title": "Room: Lecture 1", "custom": {"room": "r-lecture-1"}}]
            ),
        }
        if "data" in settings:
            claims[DATA_CLAIM] = settings["data"]
        claims.update(claim_overrides or {})
        for name in remove_claims:
            claims.pop(name, None)
        return self.sign(claims, private_key_pem=private_key_pem)

    def client_assertion(
        self,
        *,
        claim_overrides: dict[str, Any] | None = None,
        remove_claims: tuple[str, ...] = (),
        private_key_pem: str | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": TOKEN_URL,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        claims.update(claim_overrides or {})
        for name in remove_claims:
            claims.pop(name, None)
        return self.sign(claims, private_key_pem=private_key_pem)

    def token_request(self, assertion: str | None = None, **changes: str) -> dict[str, str]:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion or self.client_assertion(),
            "scope": NRPS_SCOPE,
        }
        form.update(changes)
        return form


@pytest.fixture(scope="session")
def tool() -> ToolSide:
    return ToolSide()


@pytest.fixture(scope="session")
def platform_private_key_pem() -> str:
    return generate_private_key_pem()


@pytest.fixture(scope="session")
def other_private_key_pem() -> str:
    """A key that neither side has published, for forged signatures."""
    return generate_private_key_pem()


@pytest.fixture
def platform(tool: ToolSide, platform_private_key_pem: str) -> DemoPlatform:
    return DemoPlatform(
        issuer=ISSUER,
        private_key_pem=platform_private_key_pem,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        tool_login_url=TOOL_LOGIN_URL,
        tool_redirect_uris={REDIRECT_URI},
        tool_launch_url=REDIRECT_URI,
        tool_jwks=tool.jwks,
        token_url=TOKEN_URL,
    )


@pytest.fixture
def verify_id_token(platform: DemoPlatform):
    """Verify an id_token with the platform's published JWKS, as a tool does, and return its claims."""

    def verify(id_token: str) -> dict[str, Any]:
        kid = jwt.get_unverified_header(id_token)["kid"]
        key = jwt.PyJWKSet.from_dict(platform.jwks())[kid]
        return jwt.decode(id_token, key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER)

    return verify


@pytest.fixture
def launch(platform: DemoPlatform, tool: ToolSide, verify_id_token):
    """Run a login initiation and an authentication request, and return the verified id_token claims."""

    def run(user_key: str = "ada", link_id: str | None = "link-rooms", **login_options: Any) -> dict[str, Any]:
        login_params = platform.login_initiation(user_key, link_id, **login_options)
        _, form = platform.authorize(tool.auth_request(login_params))
        return verify_id_token(form["id_token"])

    return run


@pytest.fixture
def deep_linking_request(launch):
    """Open a deep-linking request as Ada, and return its settings claim and its request id."""

    def run(**login_options: Any) -> tuple[dict[str, Any], str]:
        claims = launch("ada", None, message_type="LtiDeepLinkingRequest", **login_options)
        settings = claims[DEEP_LINKING_SETTINGS_CLAIM]
        request_id = parse_qs(urlsplit(settings["deep_link_return_url"]).query)["request"][0]
        return settings, request_id

    return run
