"""A test platform's side of an LTI launch: login parameters, the auth redirect and signed id_tokens."""

from urllib.parse import parse_qs, urlsplit

import jwt

from tests.support.tokens import LTI, MEMBERSHIP, TestPlatform

INSTRUCTOR = [MEMBERSHIP + "Instructor"]
LEARNER = [MEMBERSHIP + "Learner"]


def login_parameters(platform: TestPlatform, base_url: str, sub: str) -> dict:
    """Return the parameters of a login initiation for the user ``sub``."""
    return {
        "iss": platform.issuer,
        "login_hint": sub,
        "target_link_uri": f"{base_url}/lti/launch",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }


def auth_parameters(location: str) -> dict:
    """Return the query parameters of the login's redirect to the platform (state, nonce, ...)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def signed_token(platform: TestPlatform, base_url: str, nonce: str, sub: str, roles: list[str] = INSTRUCTOR) -> str:
    """Return the platform's id_token for a login's nonce.

    It signs with the parsed private key, because ``TestPlatform.sign`` loads
    the key from its PEM text on every call, and that load (with the key checks
    of the cryptography package) costs the client far more CPU than the signature.
    """
    claims = platform.claims(
        nonce=nonce, sub=sub, name=f"User {sub}", roles=roles, **{LTI + "target_link_uri": f"{base_url}/lti/launch"}
    )
    return jwt.encode(claims, platform.key.private_key, algorithm="RS256", headers={"kid": platform.key.kid})


def register_platform(app, platform: TestPlatform, jwks_url: str) -> None:
    """Register the test platform and its deployment with the tool, as ``flask platform add`` does."""
    from app.extensions import db
    from app.lti.platforms import PlatformFields, save_platform

    with app.app_context():
        save_platform(
            db.session,
            PlatformFields(
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=f"{platform.issuer}/auth",
                jwks_url=jwks_url,
                deployment_ids=[platform.deployment_id],
            ),
        )
        db.session.commit()
