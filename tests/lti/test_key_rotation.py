"""Tool key rotation, and the key id of every JWT the tool signs.

A platform verifies the tool's JWTs (deep-linking responses, service client
assertions) with the key set it fetched from /lti/jwks, which it may have
cached before a rotation. So the key that signs after a rotation must have
been published before it, and a retired key must stay published for the
overlap period.
"""

import json
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs

import jwt
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.extensions import db
from app.lti import keys
from app.lti.nrps import CachedServiceConnector, TimeoutSession
from app.lti.platforms import PlatformFields, save_platform
from app.lti.registration_values import NRPS_SCOPE
from app.lti.tool_config import PlatformRegistration
from app.models import Platform, ToolKey, ToolKeyStatus
from app.models.base import utcnow


class TokenEndpoint:
    """A platform's OAuth 2 token endpoint on 127.0.0.1 that records the client assertions it receives."""

    def __init__(self):
        self.assertions: list[str] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/token"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        form = parse_qs(request.get_data(as_text=True))
        self.assertions.append(form["client_assertion"][0])
        body = {"access_token": "access-token-1", "token_type": "Bearer", "expires_in": 3600, "scope": NRPS_SCOPE}
        return Response(json.dumps(body), mimetype="application/json")

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def token_endpoint():
    endpoint = TokenEndpoint()
    yield endpoint
    endpoint.stop()


def published_kids(client) -> set[str]:
    return {key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]}


def verify_with_published_keys(client, token: str, *, audience: str) -> dict:
    """Verify ``token`` as a platform does: find its kid in /lti/jwks and check the signature with that key."""
    kid = jwt.get_unverified_header(token)["kid"]
    matching = [key for key in client.get("/lti/jwks").get_json()["keys"] if key["kid"] == kid]
    assert len(matching) == 1, f"kid {kid} is not published exactly once"
    return jwt.decode(token, jwt.PyJWK(matching[0]).key, algorithms=["RS256"], audience=audience)


def sign_deep_linking_response(app) -> str:
    """Sign a deep-linking response the way the tool does: with the active key and its kid."""
    with app.app_context():
        signing_key = keys.active_signing_key(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"])
    now = int(time.time())
    claims = {
        "iss": "tool-client-1",
        "aud": "https://lms.test",
        "iat": now,
        "exp": now + 300,
        "nonce": "nonce-1",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-1",
    }
    return jwt.encode(claims, signing_key.private_key_pem, algorithm="RS256", headers={"kid": signing_key.kid})


def rotate(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["keys", "rotate", *args])
    assert result.exit_code == 0, result.output
    return result.output.split("Active signing key: ", 1)[1].split()[0]


def test_key_signing_after_rotation_was_published_before(app, client):
    before = published_kids(client)

    new_active = rotate(app)

    assert new_active in before
    token = sign_deep_linking_response(app)
    assert jwt.get_unverified_header(token)["kid"] == new_active


def test_deep_linking_response_verifies_after_rotation(app, client):
    token = sign_deep_linking_response(app)
    signing_kid = jwt.get_unverified_header(token)["kid"]

    rotate(app)

    assert signing_kid in published_kids(client)
    claims = verify_with_published_keys(client, token, audience="https://lms.test")
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"


def test_deep_linking_response_verifies_after_two_rotations(app, client):
    token = sign_deep_linking_response(app)

    rotate(app)
    rotate(app)

    assert verify_with_published_keys(client, token, audience="https://lms.test")["nonce"] == "nonce-1"


def test_retired_key_dropped_after_overlap(app, client):
    token = sign_deep_linking_response(app)
    signing_kid = jwt.get_unverified_header(token)["kid"]
    rotate(app, "--overlap-days", "7")
    with app.app_context():
        retired = db.session.scalars(db.select(ToolKey).where(ToolKey.kid == signing_kid)).one()
        retired.retired_at = utcnow() - timedelta(days=8)
        db.session.commit()

    rotate(app, "--overlap-days", "7")

    assert signing_kid not in published_kids(client)


def test_rotation_overlap_defaults_to_setting(app, client):
    app.config["ROOMS_KEY_OVERLAP_DAYS"] = 2
    first_active = jwt.get_unverified_header(sign_deep_linking_response(app))["kid"]
    rotate(app)
    with app.app_context():
        retired = db.session.scalars(db.select(ToolKey).where(ToolKey.kid == first_active)).one()
        retired.retired_at = utcnow() - timedelta(days=3)
        db.session.commit()

    rotate(app)

    assert first_active not in published_kids(client)


def test_retired_key_kept_within_setting_overlap(app, client):
    app.config["ROOMS_KEY_OVERLAP_DAYS"] = 4
    first_active = jwt.get_unverified_header(sign_deep_linking_response(app))["kid"]
    rotate(app)
    with app.app_context():
        retired = db.session.scalars(db.select(ToolKey).where(ToolKey.kid == first_active)).one()
        retired.retired_at = utcnow() - timedelta(days=3)
        db.session.commit()

    rotate(app)

    assert first_active in published_kids(client)


def test_service_client_assertion_kid_published(app, client, token_endpoint, key_server):
    with app.app_context():
        platform, _created = save_platform(
            db.session,
            PlatformFields(
                issuer="https://lms.test",
                client_id="tool-client-1",
                auth_login_url="https://lms.test/auth",
                auth_token_url=token_endpoint.url,
                jwks_url=key_server.url,
                deployment_ids=["deployment-1"],
            ),
        )
        db.session.commit()
        connector = CachedServiceConnector(PlatformRegistration(db.session, platform), TimeoutSession(5))

        assert connector.get_access_token([NRPS_SCOPE]) == "access-token-1"

    assert len(token_endpoint.assertions) == 1
    assertion = token_endpoint.assertions[0]
    assert jwt.get_unverified_header(assertion)["kid"] in published_kids(client)
    claims = verify_with_published_keys(client, assertion, audience=token_endpoint.url)
    assert claims["iss"] == "tool-client-1"
    assert claims["sub"] == "tool-client-1"


def test_registration_signs_with_one_key_across_rotation(app, test_platform):
    # pylti1p3 reads the kid and the private key in two calls; a rotation
    # between them must not pair the old kid with the new key.
    with app.app_context():
        platform = db.session.scalars(db.select(Platform).where(Platform.issuer == test_platform.issuer)).one()
        registration = PlatformRegistration(db.session, platform)
        kid = registration.get_kid()
        keys.rotate_keys(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"], timedelta(days=7))
        db.session.commit()
        private_key_pem = registration.get_tool_private_key()

    token = jwt.encode({"sub": "check"}, private_key_pem, algorithm="RS256", headers={"kid": kid})
    with app.app_context():
        public_jwk = json.loads(db.session.scalars(db.select(ToolKey.public_jwk).where(ToolKey.kid == kid)).one())
    assert jwt.decode(token, jwt.PyJWK(public_jwk).key, algorithms=["RS256"])["sub"] == "check"


def test_next_key_published_but_not_signing(app, client):
    with app.app_context():
        next_kid = db.session.scalars(db.select(ToolKey.kid).where(ToolKey.status == ToolKeyStatus.NEXT)).one()

    signing_kid = jwt.get_unverified_header(sign_deep_linking_response(app))["kid"]

    assert next_kid in published_kids(client)
    assert signing_kid != next_kid
