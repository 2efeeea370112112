"""OIDC login initiation (third-party initiated login, LTI 1.3 core section 5.1.1)."""

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pylti1p3.contrib.flask import FlaskOIDCLogin

from app.lti.exceptions import LaunchRejected, UnknownPlatform
from app.lti.login_state import LoginState, create_login_state
from app.lti.platform_storage import valid_storage_target
from app.lti.tool_config import DatabaseToolConf, PlatformRegistration
from app.models import Platform

logger = logging.getLogger(__name__)


def add_query_parameters(url: str, parameters: dict[str, str]) -> str:
    """Append parameters to a URL, keeping the query string it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend(parameters.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


class RoomsOIDCLogin(FlaskOIDCLogin):
    """Login initiation with the checks pylti1p3 lacks.

    The state and nonce live in the shared cache, bound to the issuer, client
    id and ``lti_deployment_id`` of this login, instead of pylti1p3's session.
    """

    def __init__(self, request, tool_config: DatabaseToolConf, *, cache, allowed_hosts: set[str], state_max_age: int):
        super().__init__(request, tool_config)
        self._cache = cache
        self._allowed_hosts = allowed_hosts
        self._state_max_age = state_max_age
        self.login_state: LoginState | None = None
        self.platform: Platform | None = None

    def param(self, name: str) -> str:
        return (self._get_request_param(name) or "").strip()

    def validate_oidc_login(self) -> PlatformRegistration:
        iss = self.param("iss")
        login_hint = self.param("login_hint")
        target_link_uri = self.param("target_link_uri")
        client_id = self.param("client_id")

        if not iss:
            raise LaunchRejected("The login request has no issuer (iss).")
        if not login_hint:
            raise LaunchRejected("The login request has no login_hint.")
        if not target_link_uri:
            raise LaunchRejected("The login request has no target_link_uri.")

        try:
            target = urlsplit(target_link_uri)
        except ValueError:
            # urlsplit raises ValueError for an unclosed "[" in the host.
            raise LaunchRejected("The target_link_uri is not a valid URL.") from None
        if target.scheme not in {"http", "https"} or target.netloc.lower() not in self._allowed_hosts:
            raise LaunchRejected(f"The target_link_uri {target_link_uri!r} points at another host than this tool.")

        if client_id:
            platform = self._tool_config.find_platform(iss, client_id)
            if platform is None:
                raise UnknownPlatform(
                    f"No platform is registered with issuer {iss!r} and client id {client_id!r}.", status=401
                )
        else:
            platforms = self._tool_config.platforms_for_issuer(iss)
            if not platforms:
                raise UnknownPlatform(f"No platform is registered with issuer {iss!r}.", status=401)
            if len(platforms) > 1:
                raise UnknownPlatform(
                    f"Issuer {iss!r} has several registrations and the login request names no client_id.",
                    status=400,
                )
            platform = platforms[0]

        return PlatformRegistration(self._tool_config.session, platform)

    def _prepare_redirect_url(self, launch_url: str) -> str:
        registration = self.validate_oidc_login()
        self._registration = registration
        platform = registration.platform
        self.platform = platform

        self.login_state = create_login_state(
            self._cache,
            platform_id=platform.id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            lti_deployment_id=self.param("lti_deployment_id"),
            target_link_uri=self.param("target_link_uri"),
            storage_target=valid_storage_target(self.param("lti_storage_target")),
            max_age=self._state_max_age,
        )

        auth_parameters = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": launch_url,
            "state": self.login_state.state,
            "nonce": self.login_state.nonce,
            "login_hint": self.param("login_hint"),
        }
        lti_message_hint = self.param("lti_message_hint")
        if lti_message_hint:
            auth_parameters["lti_message_hint"] = lti_message_hint

        logger.info("LTI login accepted (iss=%s, client_id=%s)", platform.issuer, platform.client_id)
        return add_query_parameters(platform.auth_login_url, auth_parameters)
