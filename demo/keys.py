"""The platform's RSA keys, and JWT signing with the changes that tests use to forge bad tokens."""

import hashlib
import hmac
import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.utils import base64url_encode
from lti1p3platform.registration import Registration

RSA_KEY_SIZE = 2048
SIGNING_ALGORITHMS = ("RS256", "HS256", "none")


def generate_private_key_pem() -> str:
    """Generate a new RSA private key and return it as an unencrypted PKCS#8 PEM string."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def load_or_create_private_key(path: Path) -> str:
    """Return the PEM private key stored at ``path``, generating and storing one if the file is missing.

    The file is created with O_EXCL and mode 0600, so two processes that start at once end up
    with the same key: the one that loses the race reads the winner's file.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii")

    private_key_pem = generate_private_key_pem()
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        key_file.write(private_key_pem)
    return private_key_pem


class PlatformKey:
    """An RSA signing key of the platform, with its public JWK.

    ``kid`` is the RFC 7638 thumbprint of the public key, as lti1p3platform's
    ``Registration.get_jwk`` computes it with jwcrypto.
    """

    def __init__(self, private_key_pem: str):
        self.private_key_pem = private_key_pem
        self.private_key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise ValueError("The platform key must be an RSA private key.")

        self.public_key_pem = (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )
        self.public_jwk = Registration.get_jwk(self.public_key_pem)
        self.kid: str = self.public_jwk["kid"]


@dataclass(frozen=True)
class SigningOptions:
    """Changes to one signed token, so that tests can forge the bad tokens a tool must reject.

    ``claim_overrides`` replace or add claims, then the claims named in ``remove_claims`` are
    deleted. ``header_overrides`` replace or add header fields, and a value of None deletes the
    field (``{"kid": None}``). Header overrides never change how the token is signed: a header
    that says ``"alg": "none"`` over an RS256 signature is possible.

    ``algorithm`` selects the signature: ``RS256`` with ``private_key_pem`` (the platform's
    current key when None), ``HS256`` with ``hmac_secret``, or ``none`` (an empty signature).
    """

    claim_overrides: Mapping[str, Any] = field(default_factory=dict)
    remove_claims: Collection[str] = ()
    header_overrides: Mapping[str, Any] = field(default_factory=dict)
    private_key_pem: str | None = None
    algorithm: str = "RS256"
    hmac_secret: bytes | None = None

    def __post_init__(self) -> None:
        if self.algorithm not in SIGNING_ALGORITHMS:
            raise ValueError(f"Unsupported signing algorithm {self.algorithm!r}: use one of {SIGNING_ALGORITHMS}.")
        if self.algorithm == "HS256" and not self.hmac_secret:
            raise ValueError("Signing with HS256 needs an hmac_secret.")

    def apply_to_claims(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of ``claims`` with the overrides applied and the removed claims deleted."""
        changed = dict(claims)
        changed.update(self.claim_overrides)
        for name in self.remove_claims:
            changed.pop(name, None)
        return changed


def _encode_segment(value: Mapping[str, Any]) -> bytes:
    return base64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def sign_jwt(claims: Mapping[str, Any], default_key: PlatformKey, options: SigningOptions | None = None) -> str:
    """Sign ``claims`` as a compact JWS and return it.

    Without options this is a normal RS256 token with ``default_key`` and its ``kid``. The JWS
    is assembled here rather than by PyJWT, because PyJWT 2.15 rejects the forgeries tests need: an
    HS256 token keyed with a PEM public key, or a header ``alg`` that differs from the signature's.
    """
    options = options or SigningOptions()
    key = PlatformKey(options.private_key_pem) if options.private_key_pem else default_key

    header: dict[str, Any] = {"alg": options.algorithm, "typ": "JWT", "kid": key.kid}
    header.update(options.header_overrides)
    header = {name: value for name, value in header.items() if value is not None}

    signing_input = _encode_segment(header) + b"." + _encode_segment(options.apply_to_claims(claims))
    if options.algorithm == "RS256":
        signature = key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif options.algorithm == "HS256":
        signature = hmac.new(options.hmac_secret, signing_input, hashlib.sha256).digest()
    else:
        signature = b""
    return (signing_input + b"." + base64url_encode(signature)).decode("ascii")
