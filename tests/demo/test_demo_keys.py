"""The demo platform's key file and JWT signing."""

import base64
import hashlib
import json
import stat

import jwt
import pytest

from demo.keys import PlatformKey, SigningOptions, load_or_create_private_key, sign_jwt


def test_key_file_created_once(tmp_path):
    key_path = tmp_path / "platform-private-key.pem"

    first = load_or_create_private_key(key_path)
    second = load_or_create_private_key(key_path)

    assert first == second
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_kid_is_rfc7638_thumbprint(platform_private_key_pem):
    key = PlatformKey(platform_private_key_pem)

    # RFC 7638 section 3: SHA-256 of the required members in lexicographic order, without
    # whitespace, encoded as base64url without padding.
    members = {name: key.public_jwk[name] for name in ("e", "kty", "n")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":")).encode("ascii")).digest()
    assert key.kid == base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    assert key.public_jwk["kid"] == key.kid


def test_signed_token_verifies(platform_private_key_pem):
    key = PlatformKey(platform_private_key_pem)

    token = sign_jwt({"sub": "x"}, key)

    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    assert jwt.decode(token, jwt.PyJWK(key.public_jwk).key, algorithms=["RS256"]) == {"sub": "x"}


def test_header_override_keeps_signature_algorithm(platform_private_key_pem):
    key = PlatformKey(platform_private_key_pem)

    token = sign_jwt({"sub": "x"}, key, SigningOptions(header_overrides={"alg": "none"}))

    assert jwt.get_unverified_header(token)["alg"] == "none"
    assert token.rsplit(".", 1)[1] != ""


def test_hs256_needs_secret():
    with pytest.raises(ValueError):
        SigningOptions(algorithm="HS256")


def test_unknown_algorithm_rejected():
    with pytest.raises(ValueError):
        SigningOptions(algorithm="ES256")
