"""Launch validation: the id_token checks of /lti/launch."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import jwt
import pytest

from app.auth.launch_session import TOKEN_COOKIE
from app.extensions import db
from app.lti.launch import state_cookie_name
from app.models import Deployment, DeploymentPolicy, DeploymentStatus, Platform, RejectedLaunch
from app.models.base import utcnow
from tests.conftest import complete_launch, start_login
from tests.support.rejections import page_content
from tests.support.tokens import LTI, SigningKey, random_nonce, unsigned_token

RELAUNCH_ADVICE = "Open the tool again from your course in the LMS."


def login(client, platform, **extra) -> dict:
    """Start a login and return the state and nonce the tool sent to the platform."""
    response, auth = start_login(client, platform, **extra)
    assert response.status_code == 302, response.get_data(as_text=True)
    return auth


def assert_accepted(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page_content(page)
    assert "Signed in as Ada Lovelace" in page
    assert any(value.startswith(TOKEN_COOKIE + "=") for value in response.headers.getlist("Set-Cookie"))


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_token(claims: dict, header: dict, secret: bytes) -> str:
    """Sign a token with HMAC-SHA256 by hand: PyJWT refuses a PEM key as an HMAC secret."""
    signing_input = f"{base64url(json.dumps(header).encode())}.{base64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64url(signature)}"


def platform_row(platform) -> Platform:
    return db.session.scalars(
        db.select(Platform).where(Platform.issuer == platform.issuer, Platform.client_id == platform.client_id)
    ).one()


# --- state ---------------------------------------------------------------------------------


def test_launch_without_state_rejected(client, test_platform, rejection):
    token = test_platform.sign(test_platform.claims(nonce=random_nonce()))

    response = client.post("/lti/launch", data={"id_token": token})

    page = rejection.assert_rejected(
        response,
        reason="The launch has no state parameter",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )
    assert RELAUNCH_ADVICE in page


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"state": "some-state"},
        {"id_token": "", "state": ""},
        {"id_token": "not-a-token", "state": "some-state"},
    ],
    ids=["empty", "no-id-token", "empty-fields", "unknown-state"],
)
def test_launch_malformed_post_rejected(client, test_platform, rejection, form):
    response = client.post("/lti/launch", data=form)

    rejection.assert_rejected(response, reason="The launch", issuer="-", client_id="-")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-token", "JWT must contain 3 parts"),
        ("a.b.c", "can't be decoded"),
        (f"{base64url(b'[]')}.{base64url(b'[]')}.", "not a JSON object"),
        (f"{base64url(b'{}')}.{base64url(b'[1]')}.", "not a JSON object"),
        (f"{base64url(b'{}')}.{base64url(b'{}')}.", "issuer None differs"),
    ],
    ids=["one-part", "not-base64-json", "array-header", "array-body", "empty-claims"],
)
def test_launch_malformed_id_token_rejected(client, test_platform, rejection, token, reason):
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, token=token)

    rejection.assert_rejected(
        response, reason=reason, issuer=test_platform.issuer, client_id=test_platform.client_id
    )


def test_launch_posted_twice_rejected_as_replay(client, test_platform, rejection):
    auth = login(client, test_platform)
    token = test_platform.sign(test_platform.claims(nonce=auth["nonce"]))
    assert_accepted(complete_launch(client, test_platform, auth, token=token))
    rejection.take_snapshot()

    response = complete_launch(client, test_platform, auth, token=token)

    page = rejection.assert_rejected(
        response,
        reason="already used",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )
    assert RELAUNCH_ADVICE in page


def test_launch_replay_with_state_cookie_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    token = test_platform.sign(test_platform.claims(nonce=auth["nonce"]))
    assert_accepted(complete_launch(client, test_platform, auth, token=token))
    rejection.take_snapshot()
    # A browser that kept the state cookie, for example one that resubmits the form from its history.
    client.set_cookie(state_cookie_name(auth["state"]), auth["state"], path="/lti/")

    response = complete_launch(client, test_platform, auth, token=token)

    page = rejection.assert_rejected(
        response,
        reason="already used",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )
    assert RELAUNCH_ADVICE in page


def test_rejection_page_hides_earlier_session(client, test_platform, rejection):
    assert_accepted(complete_launch(client, test_platform, login(client, test_platform)))
    rejection.take_snapshot()
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, claims=test_platform.claims(nonce=random_nonce()))

    page = rejection.assert_rejected(
        response,
        reason="nonce differs",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )
    assert "Ada Lovelace" not in page
    assert 'class="role-badge"' not in page


def test_launch_from_other_browser_rejected(app, client, test_platform, rejection):
    auth = login(client, test_platform)
    token = test_platform.sign(test_platform.claims(nonce=auth["nonce"], name="Mallory"))
    other_browser = app.test_client()

    response = complete_launch(other_browser, test_platform, auth, token=token)

    rejection.assert_rejected(
        response,
        reason="not issued to this browser",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
        status=401,
    )
    assert other_browser.get_cookie(TOKEN_COOKIE) is None


def test_launch_from_other_browser_leaves_state_usable(app, client, test_platform):
    auth = login(client, test_platform)
    token = test_platform.sign(test_platform.claims(nonce=auth["nonce"]))
    complete_launch(app.test_client(), test_platform, auth, token=token)

    response = complete_launch(client, test_platform, auth, token=token)

    assert_accepted(response)


# --- iat and exp ---------------------------------------------------------------------------


def test_launch_iat_one_second_ahead_accepted(client, test_platform):
    auth = login(client, test_platform)
    now = int(time.time())

    response = complete_launch(client, test_platform, auth, iat=now + 1, exp=now + 300)

    assert_accepted(response)


@pytest.mark.parametrize(
    ("times", "reason"),
    [
        ({"iat": 3600, "exp": 3900}, "The token is not yet valid (iat)"),
        ({"iat": -7200, "exp": -3600}, "Signature has expired"),
        ({"iat": -300, "exp": -61}, "Signature has expired"),
        ({"iat": 0, "exp": None}, 'Token is missing the "exp" claim'),
        ({"iat": None, "exp": 300}, 'Token is missing the "iat" claim'),
    ],
    ids=["iat-one-hour-ahead", "exp-one-hour-ago", "exp-beyond-leeway", "exp-missing", "iat-missing"],
)
def test_launch_bad_token_times_rejected(client, test_platform, rejection, times, reason):
    auth = login(client, test_platform)
    now = int(time.time())
    claims = test_platform.claims(nonce=auth["nonce"], name="Changed Name")
    for name, offset in times.items():
        if offset is None:
            del claims[name]
        else:
            claims[name] = now + offset

    response = complete_launch(client, test_platform, auth, claims=claims)

    rejection.assert_rejected(
        response, reason=reason, issuer=test_platform.issuer, client_id=test_platform.client_id
    )


@pytest.mark.parametrize("exp", ["9999999999", 10**12, 1e300], ids=["string", "beyond-year-9999", "float"])
def test_launch_unusable_exp_rejected(client, test_platform, rejection, exp):
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, exp=exp)

    rejection.assert_rejected(
        response, reason="exp", issuer=test_platform.issuer, client_id=test_platform.client_id
    )


# --- aud and azp ---------------------------------------------------------------------------


def test_launch_other_audience_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, aud="someone-else")

    rejection.assert_rejected(
        response,
        reason="audience does not contain this tool's client id",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


def test_launch_audience_list_of_one_accepted(client, test_platform):
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, aud=[test_platform.client_id])

    assert_accepted(response)


def test_launch_audience_list_with_azp_accepted(client, test_platform):
    auth = login(client, test_platform)

    response = complete_launch(
        client, test_platform, auth, aud=["other", test_platform.client_id], azp=test_platform.client_id
    )

    assert_accepted(response)


@pytest.mark.parametrize(
    ("audience", "reason"),
    [
        ({"aud": ["other", "tool-client-1"]}, "azp is not this tool's client id"),
        ({"aud": ["other", "tool-client-1"], "azp": "other"}, "azp is not this tool's client id"),
        ({"aud": "tool-client-1", "azp": "other"}, "azp is not this tool's client id"),
        ({"aud": ["other"], "azp": "tool-client-1"}, "audience does not contain this tool's client id"),
    ],
    ids=["several-without-azp", "several-azp-other", "one-azp-other", "azp-ours-aud-not"],
)
def test_launch_bad_azp_rejected(client, test_platform, rejection, audience, reason):
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, **audience)

    rejection.assert_rejected(
        response, reason=reason, issuer=test_platform.issuer, client_id=test_platform.client_id
    )


# --- nonce ---------------------------------------------------------------------------------


def test_launch_other_nonce_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)

    response = complete_launch(client, test_platform, auth, claims=test_platform.claims(nonce=random_nonce()))

    rejection.assert_rejected(
        response,
        reason="nonce differs from the one issued at login",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


def test_launch_missing_nonce_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    del claims["nonce"]

    response = complete_launch(client, test_platform, auth, claims=claims)

    rejection.assert_rejected(
        response, reason="has no nonce", issuer=test_platform.issuer, client_id=test_platform.client_id
    )


# --- signature -----------------------------------------------------------------------------


def test_launch_alg_none_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    token = unsigned_token(claims, {"alg": "none", "typ": "JWT", "kid": test_platform.key.kid})

    response = complete_launch(client, test_platform, auth, token=token)

    rejection.assert_rejected(
        response,
        reason="signed with 'none'; only RS256 is accepted",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


def test_launch_hs256_with_public_key_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    header = {"alg": "HS256", "typ": "JWT", "kid": test_platform.key.kid}
    token = hs256_token(claims, header, test_platform.key.public_pem)

    response = complete_launch(client, test_platform, auth, token=token)

    rejection.assert_rejected(
        response,
        reason="signed with 'HS256'; only RS256 is accepted",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


def test_launch_signed_by_other_key_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    # A key the platform never published, under the kid of the one it did.
    token = test_platform.sign(claims, key=SigningKey(), headers={"kid": test_platform.key.kid})

    response = complete_launch(client, test_platform, auth, token=token)

    rejection.assert_rejected(
        response,
        reason="Signature verification failed",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


def test_launch_without_kid_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    token = jwt.encode(claims, test_platform.key.private_pem, algorithm="RS256")

    response = complete_launch(client, test_platform, auth, token=token)

    rejection.assert_rejected(
        response, reason="has no key id (kid)", issuer=test_platform.issuer, client_id=test_platform.client_id
    )


# --- platform keys -------------------------------------------------------------------------


def move_key_set_fetch_back(app, platform, seconds: int) -> None:
    """Date the cached key set's fetch ``seconds`` earlier, as if that time had passed."""
    with app.app_context():
        row = platform_row(platform)
        row.jwks_fetch_started_at -= timedelta(seconds=seconds)
        db.session.commit()


def test_launch_rotated_platform_key_refetched(app, client, test_platform, key_server):
    assert_accepted(complete_launch(client, test_platform, login(client, test_platform)))
    assert key_server.fetches == 1
    move_key_set_fetch_back(app, test_platform, app.config["ROOMS_JWKS_MIN_FETCH_INTERVAL"] + 1)
    new_key = SigningKey()
    key_server.keys = [new_key.public_jwk]

    auth = login(client, test_platform)
    token = test_platform.sign(test_platform.claims(nonce=auth["nonce"]), key=new_key)
    response = complete_launch(client, test_platform, auth, token=token)

    assert_accepted(response)
    assert key_server.fetches == 2


def test_launch_cached_platform_key_not_refetched(client, test_platform, key_server):
    assert_accepted(complete_launch(client, test_platform, login(client, test_platform)))

    response = complete_launch(client, test_platform, login(client, test_platform))

    assert_accepted(response)
    assert key_server.fetches == 1


def test_launch_unknown_kid_fetches_once_a_minute(client, test_platform, key_server, rejection):
    for _ in range(5):
        auth = login(client, test_platform)
        token = test_platform.sign(test_platform.claims(nonce=auth["nonce"]), key=SigningKey())
        response = complete_launch(client, test_platform, auth, token=token)
        rejection.assert_rejected(
            response,
            reason="which the platform does not publish",
            issuer=test_platform.issuer,
            client_id=test_platform.client_id,
        )

    assert key_server.fetches == 1


def test_launch_jwks_timeout_rejected_quickly(app, client, test_platform, key_server, rejection, caplog):
    app.config["ROOMS_JWKS_TIMEOUT"] = 1.0
    key_server.delay = 4.0
    auth = login(client, test_platform)

    started = time.monotonic()
    response = complete_launch(client, test_platform, auth)
    elapsed = time.monotonic() - started

    assert elapsed < 2.5, f"the launch took {elapsed:.1f} s with a 1 s key set timeout"
    rejection.assert_rejected(
        response,
        reason=f"The platform's key set at {key_server.url} did not answer within 1 seconds",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )
    fetch_warnings = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name == "app.lti.platform_keys" and key_server.url in record.getMessage()
    ]
    assert fetch_warnings == [f"Platform key set fetch timed out after 1.0s: {key_server.url}"]


def test_launch_jwks_default_timeout_under_six_seconds(app, client, test_platform, key_server, rejection):
    assert app.config["ROOMS_JWKS_TIMEOUT"] == 5.0
    key_server.delay = 8.0
    auth = login(client, test_platform)

    started = time.monotonic()
    response = complete_launch(client, test_platform, auth)
    elapsed = time.monotonic() - started

    assert elapsed < 6.0, f"the launch took {elapsed:.1f} s with the default 5 s key set timeout"
    rejection.assert_rejected(
        response,
        reason=f"The platform's key set at {key_server.url} did not answer within 5 seconds",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


# --- deployment ----------------------------------------------------------------------------


def deployment_rows(app, platform) -> list[tuple[str, DeploymentStatus]]:
    with app.app_context():
        row = platform_row(platform)
        return [(deployment.deployment_id, deployment.status) for deployment in row.deployments]


def new_deployment_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name == "app.lti.launch"
        and record.levelname == "WARNING"
        and record.getMessage().startswith("New deployment 99:new")
    ]


def test_launch_new_deployment_queued_for_approval(app, client, test_platform, rejection, caplog):
    auth = login(client, test_platform, lti_deployment_id="99:new")

    response = complete_launch(client, test_platform, auth, **{LTI + "deployment_id": "99:new"})

    page = rejection.assert_rejected(
        response,
        reason="Deployment '99:new' of this platform waits for an LMS administrator's approval",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
        status=403,
    )
    assert "waits for approval by your LMS administrator" in page
    assert deployment_rows(app, test_platform) == [
        ("deployment-1", DeploymentStatus.ACTIVE),
        ("99:new", DeploymentStatus.PENDING),
    ]
    with app.app_context():
        rejected = db.session.scalars(db.select(RejectedLaunch)).all()
        assert [(row.stage, row.deployment_id, row.platform_id) for row in rejected] == [
            ("launch", "99:new", platform_row(test_platform).id)
        ]
    assert len(new_deployment_warnings(caplog)) == 1
    assert "queued for approval by policy approve" in new_deployment_warnings(caplog)[0]


def test_launch_pending_deployment_stays_rejected(app, client, test_platform, rejection):
    for _ in range(2):
        auth = login(client, test_platform, lti_deployment_id="99:new")
        response = complete_launch(client, test_platform, auth, **{LTI + "deployment_id": "99:new"})
        rejection.assert_rejected(
            response,
            reason="waits for an LMS administrator's approval",
            issuer=test_platform.issuer,
            client_id=test_platform.client_id,
            status=403,
        )

    assert deployment_rows(app, test_platform) == [
        ("deployment-1", DeploymentStatus.ACTIVE),
        ("99:new", DeploymentStatus.PENDING),
    ]


def test_launch_new_deployment_recorded_by_auto_policy(app, client, test_platform, caplog):
    with app.app_context():
        platform_row(test_platform).deployment_policy = DeploymentPolicy.AUTO
        db.session.commit()
    auth = login(client, test_platform, lti_deployment_id="99:new")

    response = complete_launch(client, test_platform, auth, **{LTI + "deployment_id": "99:new"})

    assert_accepted(response)
    assert deployment_rows(app, test_platform) == [
        ("deployment-1", DeploymentStatus.ACTIVE),
        ("99:new", DeploymentStatus.ACTIVE),
    ]
    with app.app_context():
        deployment = db.session.scalars(db.select(Deployment).where(Deployment.deployment_id == "99:new")).one()
        assert deployment.decided_at is not None
        assert deployment.decided_at <= utcnow()
    assert len(new_deployment_warnings(caplog)) == 1
    assert "accepted by policy auto" in new_deployment_warnings(caplog)[0]


def test_launch_deployment_differs_from_login_rejected(app, client, test_platform, rejection):
    with app.app_context():
        db.session.add(
            Deployment(platform_id=platform_row(test_platform).id, deployment_id="deployment-2", decided_at=utcnow())
        )
        db.session.commit()
    auth = login(client, test_platform, lti_deployment_id="deployment-1")

    response = complete_launch(client, test_platform, auth, **{LTI + "deployment_id": "deployment-2"})

    rejection.assert_rejected(
        response,
        reason="The deployment_id 'deployment-2' differs from the login's lti_deployment_id 'deployment-1'",
        issuer=test_platform.issuer,
        client_id=test_platform.client_id,
    )


def test_launch_without_deployment_id_rejected(client, test_platform, rejection):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    del claims[LTI + "deployment_id"]

    response = complete_launch(client, test_platform, auth, claims=claims)

    rejection.assert_rejected(
        response, reason="has no deployment_id claim", issuer=test_platform.issuer, client_id=test_platform.client_id
    )


# --- message -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "value", "reason"),
    [
        ("message_type", "LtiUnknownRequest", "The LTI message type 'LtiUnknownRequest' is not supported"),
        ("message_type", None, "The LTI message type None is not supported"),
        ("version", "1.1", "Incorrect version, expected 1.3.0"),
        ("version", None, "Incorrect version, expected 1.3.0"),
    ],
    ids=["unknown-message-type", "missing-message-type", "version-1.1", "missing-version"],
)
def test_launch_bad_message_rejected(client, test_platform, rejection, claim, value, reason):
    auth = login(client, test_platform)
    claims = test_platform.claims(nonce=auth["nonce"])
    if value is None:
        del claims[LTI + claim]
    else:
        claims[LTI + claim] = value

    response = complete_launch(client, test_platform, auth, claims=claims)

    rejection.assert_rejected(
        response, reason=reason, issuer=test_platform.issuer, client_id=test_platform.client_id
    )
