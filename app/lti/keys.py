"""The tool's signing keys: stored encrypted in the database, rotated from the CLI.

A key is ``next`` (published, not yet signing), ``active`` (signing) or
``retired`` (still published so that tokens it signed keep verifying).
Key ids are RFC 7638 thumbprints, as pylti1p3 computes them when it signs.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ToolKey, ToolKeyStatus
from app.models.base import utcnow

logger = logging.getLogger(__name__)

RSA_KEY_SIZE = 2048
PUBLIC_JWK_FIELDS = ("kty", "kid", "n", "e", "alg", "use")


class KeyDecryptionError(RuntimeError):
    """A stored private key cannot be decrypted with the configured key-encryption key."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key_pem: str


def _public_jwk(private_key: rsa.RSAPrivateKey) -> dict:
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = JWK.from_pem(public_pem)
    fields = json.loads(jwk.export_public())
    fields["kid"] = jwk.thumbprint()
    fields["alg"] = "RS256"
    fields["use"] = "sig"
    return {name: fields[name] for name in PUBLIC_JWK_FIELDS}


def generate_key(session: Session, key_encryption_key: str, status: ToolKeyStatus) -> ToolKey:
    """Generate an RSA key pair and add it to the session with the given status."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_jwk = _public_jwk(private_key)

    key = ToolKey(
        kid=public_jwk["kid"],
        status=status,
        public_jwk=json.dumps(public_jwk),
        private_key_encrypted=Fernet(key_encryption_key.encode()).encrypt(private_pem).decode(),
        activated_at=utcnow() if status == ToolKeyStatus.ACTIVE else None,
    )
    session.add(key)
    session.flush()
    return key


def ensure_keys(session: Session, key_encryption_key: str) -> None:
    """Create the first active key and the next key if they are missing."""
    statuses = set(session.scalars(select(ToolKey.status)))
    if ToolKeyStatus.ACTIVE not in statuses:
        generate_key(session, key_encryption_key, ToolKeyStatus.ACTIVE)
        logger.info("Generated the tool's first active signing key")
    if ToolKeyStatus.NEXT not in statuses:
        generate_key(session, key_encryption_key, ToolKeyStatus.NEXT)
        logger.info("Generated the tool's next signing key")


def rotate_keys(session: Session, key_encryption_key: str, retired_key_overlap: timedelta) -> ToolKey:
    """Promote the next key to active, retire the active key and generate a new next key.

    The promoted key was already published as ``next``, so platforms that cached
    the key set before the rotation know it. Retired keys older than
    ``retired_key_overlap`` are deleted. Returns the new active key.
    """
    ensure_keys(session, key_encryption_key)
    now = utcnow()

    for key in session.scalars(select(ToolKey).where(ToolKey.status == ToolKeyStatus.ACTIVE)):
        key.status = ToolKeyStatus.RETIRED
        key.retired_at = now

    promoted = session.scalars(
        select(ToolKey).where(ToolKey.status == ToolKeyStatus.NEXT).order_by(ToolKey.id)
    ).first()
    promoted.status = ToolKeyStatus.ACTIVE
    promoted.activated_at = now
    session.flush()

    generate_key(session, key_encryption_key, ToolKeyStatus.NEXT)

    expired = session.scalars(
        select(ToolKey).where(
            ToolKey.status == ToolKeyStatus.RETIRED,
            ToolKey.retired_at < now - retired_key_overlap,
        )
    )
    for key in expired:
        logger.info("Deleted retired tool key %s", key.kid)
        session.delete(key)
    session.flush()

    logger.info("Rotated tool keys: %s is now active", promoted.kid)
    return promoted


def published_jwks(session: Session) -> dict:
    """Return the public key set: next, active and retired keys, newest first."""
    keys = session.scalars(select(ToolKey).order_by(ToolKey.id.desc()))
    return {"keys": [json.loads(key.public_jwk) for key in keys]}


def active_signing_key(session: Session, key_encryption_key: str) -> SigningKey:
    """Return the active key, decrypted, for signing."""
    key = session.scalars(
        select(ToolKey).where(ToolKey.status == ToolKeyStatus.ACTIVE).order_by(ToolKey.id.desc())
    ).first()
    if key is None:
        raise LookupError("The tool has no active signing key: run `flask --app app keys rotate`.")

    try:
        private_pem = Fernet(key_encryption_key.encode()).decrypt(key.private_key_encrypted.encode())
    except InvalidToken:
        raise KeyDecryptionError(
            f"Tool key {key.kid} cannot be decrypted: ROOMS_KEY_ENCRYPTION_KEY differs from the one it was stored with."
        ) from None
    return SigningKey(kid=key.kid, private_key_pem=private_pem.decode())
