"""A test platform that signs its own id_tokens with a key made for the test."""

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"


class SigningKey:
    def __init__(self):
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        jwk = JWK.from_pem(self.public_pem)
        self.kid = jwk.thumbprint()
        self.public_jwk = {**json.loads(jwk.export_public()), "kid": self.kid, "alg": "RS256", "use": "sig"}


class TestPlatform:
    """Issuer, client id, deployment and signing key of a platform under test."""

    __test__ = False

    def __init__(self, issuer="https://lms.test", client_id="tool-client-1", deployment_id="deployment-1"):
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.key = SigningKey()

    def claims(self, *, nonce, sub="user-1", roles=None, context_id="course-1", **extra) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Ada Lovelace",
            "email": "ada@example.edu",
            "locale": "en-GB",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": "http://localhost/lti/launch",
            LTI + "roles": roles if roles is not None else [MEMBERSHIP + "Instructor"],
            LTI + "context": {"id": context_id, "title": "Introduction to Rooms", "label": "ROOMS101"},
            LTI + "resource_link": {"id": "link-1", "title": "Rooms"},
        }
        claims.update(extra)
        return claims

    def sign(self, claims: dict, *, key: SigningKey | None = None, headers: dict | None = None) -> str:
        key = key or self.key
        header = {"kid": key.kid}
        header.update(headers or {})
        return jwt.encode(claims, key.private_pem, algorithm="RS256", headers=header)


def unsigned_token(claims: dict, header: dict) -> str:
    """A token with alg "none": header and body, empty signature."""
    import base64

    def encode(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{encode(header)}.{encode(claims)}."


def random_nonce() -> str:
    return uuid.uuid4().hex
