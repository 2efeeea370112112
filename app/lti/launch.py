"""Launch validation: pylti1p3's steps plus the checks the library lacks.

pylti1p3 takes the client id from ``aud[0]``, never verifies ``aud``, only
checks that a nonce exists, reads the state from a cookie and has no clock
leeway. This subclass replaces those steps:

- the state must come back from the same browser and is taken from the
  shared cache once. The browser proves it with a cookie set at login, or,
  for a login with ``lti_storage_target``, through the LMS's platform storage,
  which the launch view reads afterwards. The state binds the issuer, client
  id, ``lti_deployment_id`` and nonce of the login;
- ``aud`` must contain our client id, and with several audiences ``azp`` must
  equal it;
- only RS256, ``exp`` and ``iat`` required, with a configurable clock leeway;
- the nonce must equal the login's and is stored as used until it expires;
- an unknown ``deployment_id`` follows the platform's deployment policy.
"""

import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import LtiException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.lti.exceptions import DeploymentPendingApproval, LaunchRejected, ReplayedLaunch, UnknownPlatform
from app.lti.login_state import LoginState, peek_login_state, take_login_state
from app.lti.platform_keys import find_platform_key
from app.lti.tool_config import DatabaseToolConf, PlatformRegistration
from app.models import Deployment, DeploymentPolicy, DeploymentStatus, Platform, UsedNonce
from app.models.base import utcnow

logger = logging.getLogger(__name__)

STATE_COOKIE_PREFIX = "rooms-lti-state-"
SUPPORTED_MESSAGE_TYPES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
DEPLOYMENT_ID_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
MESSAGE_TYPE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/message_type"


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + state[:24]


@dataclass(frozen=True)
class LaunchSettings:
    clock_leeway: int
    jwks_timeout: float
    jwks_min_fetch_interval: int
    jwks_default_max_age: int


class RoomsMessageLaunch(FlaskMessageLaunch):
    def __init__(self, request, tool_config: DatabaseToolConf, *, cache, settings: LaunchSettings):
        super().__init__(request, tool_config)
        self._cache = cache
        self._settings = settings
        self.login_state: LoginState | None = None
        self.platform: Platform | None = None
        self.deployment: Deployment | None = None
        # True when the state came without its cookie from a login that used
        # platform storage: the launch may complete only after lti.get_data.
        self.needs_platform_storage_check = False

    @property
    def session(self):
        return self._tool_config.session

    def validate(self):
        # The library reads claims through _get_jwt_body(), which validates on
        # first use unless this flag is already set.
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_message()
            self.validate_deployment()
            self.validate_nonce()
        except LtiException as error:
            self._validated = False
            raise LaunchRejected(str(error)) from None
        except Exception:
            self._validated = False
            raise
        return self

    def claims(self) -> dict:
        body = self._jwt.get("body")
        return body if isinstance(body, dict) else {}

    def validate_state(self):
        state = self._get_request_param("state") or ""
        if not state:
            raise LaunchRejected("The launch has no state parameter.")
        if not self._get_request_param("id_token"):
            raise LaunchRejected("The launch has no id_token.")

        # The state must come back to the browser that started the login;
        # a launch POST replayed from elsewhere carries no matching cookie.
        # A state that is no longer waiting is reported as used first, because
        # a successful launch deletes the cookie of the state it used.
        # A login that used platform storage may arrive without the cookie:
        # then the browser's platform storage must confirm the state before
        # the launch completes (see app.lti.platform_storage).
        cookie_value = self._request.get_cookie(state_cookie_name(state)) or ""
        if not hmac.compare_digest(cookie_value.encode(), state.encode()):
            waiting = peek_login_state(self._cache, state)
            if waiting is None:
                raise ReplayedLaunch("The launch state is unknown, expired or already used.", status=401)
            if not waiting.storage_target:
                raise LaunchRejected(
                    "The launch state was not issued to this browser, or the browser did not send the tool's cookie.",
                    status=401,
                )
            self.needs_platform_storage_check = True

        login_state = take_login_state(self._cache, state)
        if login_state is None:
            raise ReplayedLaunch("The launch state is unknown, expired or already used.", status=401)
        self.login_state = login_state
        return self

    def validate_jwt_format(self):
        super().validate_jwt_format()
        if not isinstance(self._jwt.get("header"), dict):
            raise LaunchRejected("The id_token header is not a JSON object.")
        if not isinstance(self._jwt.get("body"), dict):
            raise LaunchRejected("The id_token claims are not a JSON object.")
        return self

    def validate_registration(self):
        claims = self.claims()
        login_state = self.login_state

        if claims.get("iss") != login_state.issuer:
            raise LaunchRejected(f"The id_token issuer {claims.get('iss')!r} differs from the login's issuer.")

        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if login_state.client_id not in audiences:
            raise LaunchRejected(f"The id_token audience does not contain this tool's client id {login_state.client_id!r}.")
        if len(audiences) > 1 and claims.get("azp") != login_state.client_id:
            raise LaunchRejected("The id_token has several audiences and its azp is not this tool's client id.")
        if "azp" in claims and claims.get("azp") != login_state.client_id:
            raise LaunchRejected("The id_token azp is not this tool's client id.")

        platform = self.session.get(Platform, login_state.platform_id)
        if platform is None:
            raise UnknownPlatform(f"The platform {login_state.issuer!r} was removed during the login.", status=401)
        self.platform = platform
        self._registration = PlatformRegistration(self.session, platform)
        return self

    def get_client_id(self) -> str:
        if self.login_state is None:
            raise LaunchRejected("The launch state has not been validated.")
        return self.login_state.client_id

    def validate_jwt_signature(self):
        header = self._jwt.get("header", {})
        if header.get("alg") != "RS256":
            raise LaunchRejected(f"The id_token is signed with {header.get('alg')!r}; only RS256 is accepted.")
        kid = header.get("kid")
        if not kid or not isinstance(kid, str):
            raise LaunchRejected("The id_token header has no key id (kid).")

        public_jwk = find_platform_key(
            self.session,
            self.platform,
            kid,
            timeout=self._settings.jwks_timeout,
            min_fetch_interval=self._settings.jwks_min_fetch_interval,
            default_max_age=self._settings.jwks_default_max_age,
        )
        try:
            key = jwt.PyJWK(public_jwk, algorithm="RS256")
            jwt.decode(
                self._get_id_token(),
                key=key,
                algorithms=["RS256"],
                issuer=self.login_state.issuer,
                leeway=self._settings.clock_leeway,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
            )
        except jwt.PyJWKError as error:
            raise LaunchRejected(f"The platform key {kid!r} is not a usable RSA key: {error}") from None
        except jwt.InvalidTokenError as error:
            raise LaunchRejected(f"The id_token is invalid: {error}") from None
        self._check_numeric_dates()
        return self

    def _check_numeric_dates(self) -> None:
        # PyJWT accepts any value that int() converts, such as a string. The
        # nonce's expiry in validate_nonce() needs a number that is a
        # representable time even after the leeway is added.
        for name in ("exp", "iat"):
            value = self.claims()[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise LaunchRejected(f"The id_token {name} claim is not a number.")
            try:
                datetime.fromtimestamp(value, UTC) + timedelta(seconds=self._settings.clock_leeway)
            except (OverflowError, OSError, ValueError):
                raise LaunchRejected(f"The id_token {name} claim {value!r} is out of range.") from None

    def validate_message(self):
        message_type = self.claims().get(MESSAGE_TYPE_CLAIM)
        if message_type not in SUPPORTED_MESSAGE_TYPES:
            raise LaunchRejected(f"The LTI message type {message_type!r} is not supported by this tool.")
        return super().validate_message()

    def validate_deployment(self):
        deployment_id = self.claims().get(DEPLOYMENT_ID_CLAIM)
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchRejected("The id_token has no deployment_id claim.")
        expected = self.login_state.lti_deployment_id
        if expected and expected != deployment_id:
            raise LaunchRejected(
                f"The deployment_id {deployment_id!r} differs from the login's lti_deployment_id {expected!r}."
            )

        platform = self.platform
        deployment = self.session.scalars(
            select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id)
        ).first()

        if deployment is None:
            deployment = self._record_new_deployment(deployment_id)
        if deployment.status == DeploymentStatus.PENDING:
            raise DeploymentPendingApproval(
                f"Deployment {deployment_id!r} of this platform waits for an LMS administrator's approval.",
                status=403,
            )
        if deployment.status == DeploymentStatus.REJECTED:
            raise LaunchRejected(
                f"Deployment {deployment_id!r} of this platform was rejected by an LMS administrator.",
                status=403,
                advice="register",
            )
        self.deployment = deployment
        return self

    def _record_new_deployment(self, deployment_id: str) -> Deployment:
        platform = self.platform
        accepted = platform.deployment_policy == DeploymentPolicy.AUTO
        deployment = Deployment(
            platform_id=platform.id,
            deployment_id=deployment_id,
            status=DeploymentStatus.ACTIVE if accepted else DeploymentStatus.PENDING,
            decided_at=utcnow() if accepted else None,
        )
        self.session.add(deployment)
        self.session.flush()
        # Committed at once: a pending deployment must stay queued for the
        # administrator even though this launch is rejected.
        self.session.commit()
        logger.warning(
            "New deployment %s of platform %s (iss=%s, client_id=%s): %s by policy %s",
            deployment_id,
            platform.id,
            platform.issuer,
            platform.client_id,
            "accepted" if accepted else "queued for approval",
            platform.deployment_policy.value,
        )
        return deployment

    def validate_nonce(self):
        nonce = self.claims().get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchRejected("The id_token has no nonce.")
        if not hmac.compare_digest(nonce.encode(), self.login_state.nonce.encode()):
            raise LaunchRejected("The id_token nonce differs from the one issued at login.", status=401)

        expires_at = datetime.fromtimestamp(self.claims()["exp"], UTC) + timedelta(seconds=self._settings.clock_leeway)
        # A nonce that outlives the token by the leeway cannot be replayed
        # with a valid token, so it can then be purged.
        expires_at = max(expires_at, utcnow() + timedelta(seconds=self._settings.clock_leeway))
        # One INSERT ... ON CONFLICT DO NOTHING: a row inserted means the nonce was unused.
        # RETURNING shows whether it was, because an ORM-enabled INSERT run by the session
        # reports a rowcount of -1 on PostgreSQL (SQLAlchemy 2.1 with psycopg 3).
        dialect = self.session.get_bind().dialect.name
        insert_statement = postgresql_insert if dialect == "postgresql" else sqlite_insert
        inserted = self.session.execute(
            insert_statement(UsedNonce)
            .values(platform_id=self.platform.id, nonce=nonce, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["platform_id", "nonce"])
            .returning(UsedNonce.nonce)
        ).scalar_one_or_none()
        if inserted is None:
            raise ReplayedLaunch("The id_token nonce was already used.", status=401)
        return self

    def save_launch_data(self):
        # pylti1p3 would store the whole id_token body in the session; the
        # tool keeps only the rows it maps the claims to.
        return self
