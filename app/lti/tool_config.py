"""pylti1p3 configuration read from the database."""

from flask import current_app
from pylti1p3.deployment import Deployment as LibraryDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.lti import keys
from app.models import Deployment, DeploymentStatus, Platform


class PlatformRegistration(Registration):
    """A library registration that decrypts the tool's private key only when it signs."""

    def __init__(self, session: Session, platform: Platform):
        super().__init__()
        self._session = session
        self._active_signing_key: keys.SigningKey | None = None
        self.platform = platform
        self.set_issuer(platform.issuer)
        self.set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url)
        self.set_auth_token_url(platform.auth_token_url)
        self.set_auth_audience(platform.auth_audience or platform.auth_token_url)
        self.set_key_set_url(platform.jwks_url)

    def _signing_key(self) -> keys.SigningKey:
        # Read once per registration object. The library reads the kid and the
        # private key in separate calls, and a rotation between two reads would
        # pair the old kid with the new key.
        if self._active_signing_key is None:
            self._active_signing_key = keys.active_signing_key(
                self._session, current_app.config["ROOMS_KEY_ENCRYPTION_KEY"]
            )
        return self._active_signing_key

    def get_tool_private_key(self):
        return self._signing_key().private_key_pem

    def get_kid(self):
        return self._signing_key().kid

    def get_jwks(self):
        return keys.published_jwks(self._session)["keys"]


class DatabaseToolConf(ToolConfAbstract):
    """Registrations looked up by (issuer, client id) in the ``platform`` table."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    # Every issuer may have several client ids, so the library always calls
    # the *_by_params lookups with the client id.
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_platform(self, iss: str, client_id: str | None) -> Platform | None:
        if not iss or not client_id:
            return None
        return self.session.scalars(
            select(Platform).where(Platform.issuer == iss, Platform.client_id == client_id)
        ).first()

    def platforms_for_issuer(self, iss: str) -> list[Platform]:
        return list(self.session.scalars(select(Platform).where(Platform.issuer == iss).limit(2)))

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        platforms = self.platforms_for_issuer(iss)
        if len(platforms) != 1:
            return None
        return PlatformRegistration(self.session, platforms[0])

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = self.find_platform(iss, client_id)
        if platform is None:
            return None
        return PlatformRegistration(self.session, platform)

    def find_deployment(self, iss, deployment_id):
        return None

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = self.find_platform(iss, client_id)
        if platform is None:
            return None
        deployment = self.session.scalars(
            select(Deployment).where(
                Deployment.platform_id == platform.id,
                Deployment.deployment_id == deployment_id,
                Deployment.status == DeploymentStatus.ACTIVE,
            )
        ).first()
        if deployment is None:
            return None
        return LibraryDeployment().set_deployment_id(deployment.deployment_id)
