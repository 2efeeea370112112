"""The tool's public key set: /lti/jwks and /.well-known/jwks.json."""

from datetime import timedelta

import pytest
from jwcrypto.jwk import JWK

from app.extensions import db
from app.lti import keys

JWKS_PATHS = ["/lti/jwks", "/.well-known/jwks.json"]
PUBLIC_JWK_FIELDS = {"kty", "kid", "n", "e", "alg", "use"}


@pytest.fixture
def rotated_twice(app):
    """Rotate the tool's keys twice, so that the set contains next, active and retired keys."""
    with app.app_context():
        for _ in range(2):
            keys.rotate_keys(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"], timedelta(days=7))
        db.session.commit()


@pytest.mark.parametrize("path", JWKS_PATHS)
def test_jwks_contains_only_public_fields(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    key_set = response.get_json()
    assert list(key_set) == ["keys"]
    assert len(key_set["keys"]) == 2
    for key in key_set["keys"]:
        assert set(key) == PUBLIC_JWK_FIELDS
        assert all(isinstance(value, str) for value in key.values()), key
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"


@pytest.mark.parametrize("path", JWKS_PATHS)
def test_jwks_kid_is_rfc7638_thumbprint(client, rotated_twice, path):
    key_set = client.get(path).get_json()

    assert len(key_set["keys"]) == 4
    for key in key_set["keys"]:
        public_key = JWK(**{name: key[name] for name in ("kty", "n", "e")})
        assert key["kid"] == public_key.thumbprint()
        assert not public_key.has_private


@pytest.mark.parametrize("path", JWKS_PATHS)
def test_jwks_kids_unique(client, rotated_twice, path):
    kids = [key["kid"] for key in client.get(path).get_json()["keys"]]

    assert len(kids) == 4
    assert len(set(kids)) == len(kids)


def test_jwks_paths_serve_same_set(client, rotated_twice):
    assert client.get(JWKS_PATHS[0]).get_json() == client.get(JWKS_PATHS[1]).get_json()


def test_jwks_includes_active_signing_key(app, client):
    with app.app_context():
        active_kid = keys.active_signing_key(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"]).kid

    kids = [key["kid"] for key in client.get("/lti/jwks").get_json()["keys"]]

    assert active_kid in kids
