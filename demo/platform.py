"""The demo LMS's platform core, usable without HTTP.

``DemoPlatform`` implements the platform side of LTI 1.3: OIDC third-party-initiated login,
the authentication endpoint that signs id_tokens, the JWKS, deep-linking responses, the
client-credentials token endpoint and NRPS. It uses lti1p3platform 0.1.8 to build the
claims, verify the tool's JWTs and serve NRPS, and adds the checks that the library leaves
out but a real LMS makes, so that a tool that would fail against the LMS fails here too.
"""

import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jwt
from lti1p3platform.exceptions import InvalidKeySetUrl, LtiException

from demo.claims import DEEP_LINKING_REQUEST, MESSAGE_TYPES, RESOURCE_LINK_REQUEST, audiences
from demo.course import Course, ResourceLink, build_demo_course
from demo.deep_linking import (
    DOCUMENT_TARGETS,
    DeepLinkingRequest,
    check_response_claims,
    check_response_matches_request,
    content_items,
    link_from_content_item,
    settings_claim,
)
from demo.exceptions import PlatformRefusal
from demo.keys import PlatformKey, SigningOptions, generate_private_key_pem, sign_jwt
from demo.launch import DemoMessageLaunch, LaunchDetails
from demo.memberships import MEMBERSHIP_CONTAINER_MEDIA_TYPE, DemoMembershipService
from demo.platform_config import DemoPlatformConf, DemoRegistration, ParamsRequest
from demo.replay_cache import ReplayCache

__all__ = ["DemoPlatform", "PlatformRefusal", "ServiceResponse", "SigningOptions"]

logger = logging.getLogger(__name__)

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class PendingLaunch:
    """A launch announced by a login initiation, stored under its lti_message_hint until used."""

    user_key: str
    link_id: str | None
    message_type: str
    document_target: str
    login_hint: str
    with_data: bool


@dataclass(frozen=True)
class ServiceResponse:
    """An HTTP response of a service endpoint: status, JSON body and headers."""

    status: int
    body: dict[str, Any] | None
    headers: dict[str, str]


class DemoPlatform:
    """One LMS with one course and one tool registration (client id and deployment).

    The endpoints it publishes are derived from ``issuer``: ``/auth``, ``/jwks``, ``/token``,
    ``/deep_link_return`` and ``/nrps/<context id>``. The tool's redirect URIs must match
    exactly, as in Moodle's mod/lti/auth.php. ``tool_jwks`` is the tool's JWKS URL, or a
    callable that returns the JWKS dict (for tests). ``token_audience`` is the audience that
    client assertions must name. When it is None, they must name ``token_url``.
    ``tool_custom`` contains the tool-level custom parameters, which win over a link's
    parameters with the same name, as in Moodle (``lti_build_custom_parameters`` in
    mod/lti/locallib.php).

    All methods are thread-safe.
    """

    def __init__(
        self,
        *,
        issuer: str,
        private_key_pem: str,
        client_id: str,
        deployment_id: str,
        tool_login_url: str,
        tool_redirect_uris: Iterable[str],
        tool_launch_url: str,
        tool_jwks: str | Callable[[], dict[str, Any]],
        token_url: str | None = None,
        token_audience: str | None = None,
        course: Course | None = None,
        tool_custom: Mapping[str, str] | None = None,
        name: str = "Demo LMS",
    ):
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.name = name
        self.guid = str(uuid.uuid5(uuid.NAMESPACE_URL, self.issuer))

        self.tool_login_url = tool_login_url
        self.tool_redirect_uris = frozenset(tool_redirect_uris)
        self.tool_launch_url = tool_launch_url
        self.tool_jwks = tool_jwks
        self.tool_custom = dict(tool_custom or {})

        self.auth_url = f"{self.issuer}/auth"
        self.jwks_url = f"{self.issuer}/jwks"
        self.token_url = token_url or f"{self.issuer}/token"
        self.token_audience = token_audience
        self.deep_link_return_url = f"{self.issuer}/deep_link_return"
        self.course_url = f"{self.issuer}/"

        self.course = course or build_demo_course()

        self._lock = threading.Lock()
        self._keys = [PlatformKey(private_key_pem)]
        self._pending_launches: dict[str, PendingLaunch] = {}
        self._used_message_hints: set[str] = set()
        self._deep_linking_requests: dict[str, DeepLinkingRequest] = {}
        self._response_nonces = ReplayCache()
        self._assertion_ids = ReplayCache()

    # Keys

    @property
    def signing_key(self) -> PlatformKey:
        """The key that signs new tokens: the one added last."""
        with self._lock:
            return self._keys[-1]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Return the platform's public key set, the signing key last."""
        with self._lock:
            return {"keys": [dict(key.public_jwk) for key in self._keys]}

    def rotate_key(self, private_key_pem: str | None = None) -> str:
        """Add a key (a new one when ``private_key_pem`` is None), sign with it from now on, and return its kid.

        The previous keys stay in the JWKS, so tokens they signed still verify.
        """
        key = PlatformKey(private_key_pem or generate_private_key_pem())
        with self._lock:
            self._keys.append(key)
        logger.info("Platform key rotated: new kid %s", key.kid)
        return key.kid

    def sign(self, claims: Mapping[str, Any], options: SigningOptions | None = None) -> str:
        """Sign ``claims`` with the current platform key, changed by ``options``, and return the JWT."""
        return sign_jwt(claims, self.signing_key, options)

    def _key_by_kid(self, kid: str | None) -> PlatformKey | None:
        with self._lock:
            return next((key for key in self._keys if key.kid == kid), None)

    # Course

    def links(self) -> list[ResourceLink]:
        """Return a snapshot of the course's links, those added by deep linking last."""
        with self._lock:
            return list(self.course.links)

    def memberships_url(self, context_id: str) -> str:
        return f"{self.issuer}/nrps/{quote(context_id, safe='')}"

    # OIDC login and authentication

    def login_initiation(
        self,
        user_key: str,
        link_id: str | None = None,
        *,
        message_type: str = RESOURCE_LINK_REQUEST,
        document_target: str = "iframe",
        lti_storage_target: str | None = None,
        with_data: bool = True,
    ) -> dict[str, str]:
        """Start a launch and return the parameters of the third-party-initiated login request.

        ``lti_message_hint`` is a new random value that stands for this user, link and message
        type, and the authentication request may use it once. A deep-linking request needs no
        link. ``with_data`` set to False makes a deep-linking request without a ``data`` value.
        Raises ValueError for an unknown user or link, or an unsupported message type.
        """
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"Unsupported message type {message_type!r}: use one of {MESSAGE_TYPES}.")
        if document_target not in DOCUMENT_TARGETS:
            raise ValueError(f"Unsupported document target {document_target!r}: use one of {DOCUMENT_TARGETS}.")
        if message_type == RESOURCE_LINK_REQUEST and link_id is None:
            raise ValueError("A resource link launch needs a link_id.")

        try:
            user = self.course.user(user_key)
            link = self._link(link_id) if link_id is not None else None
        except KeyError as error:
            raise ValueError(error.args[0]) from None

        message_hint = secrets.token_urlsafe(24)
        with self._lock:
            self._pending_launches[message_hint] = PendingLaunch(
                user_key=user.key,
                link_id=link_id,
                message_type=message_type,
                document_target=document_target,
                login_hint=user.login_hint,
                with_data=with_data,
            )

        params = {
            "iss": self.issuer,
            "login_hint": user.login_hint,
            "target_link_uri": (link.url if link and link.url else self.tool_launch_url),
            "lti_message_hint": message_hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        if lti_storage_target:
            params["lti_storage_target"] = lti_storage_target
        return params

    def authorize(
        self,
        params: Mapping[str, str],
        *,
        claim_overrides: Mapping[str, Any] | None = None,
        remove_claims: Iterable[str] = (),
        header_overrides: Mapping[str, Any] | None = None,
        signing_key_pem: str | None = None,
        algorithm: str = "RS256",
        hmac_secret: bytes | None = None,
    ) -> tuple[str, dict[str, str]]:
        """Check an OIDC authentication request, sign the id_token, and return the redirect URI and form.

        The form, to be posted to the redirect URI, contains ``id_token`` and, when the request
        had one, ``state``. Raises PlatformRefusal for an invalid or replayed request. The
        keyword arguments change the signed id_token as described in
        :class:`demo.keys.SigningOptions`.
        """
        signing_options = SigningOptions(
            claim_overrides=dict(claim_overrides or {}),
            remove_claims=tuple(remove_claims),
            header_overrides=dict(header_overrides or {}),
            private_key_pem=signing_key_pem,
            algorithm=algorithm,
            hmac_secret=hmac_secret,
        )
        # As in Moodle's mod/lti/auth.php, a request with an unregistered redirect_uri keeps
        # its message hint, and every other request uses the hint up, accepted or not.
        self._check_redirect_uri(params)
        pending = self._take_pending_launch(params)
        self._check_authentication_request(params, pending)
        details = self._launch_details(pending)

        registration = self._registration(signing_options)
        launch = DemoMessageLaunch(ParamsRequest(query=params), DemoPlatformConf(registration=registration), details)
        launch_data = launch.lti_launch()

        form = {"id_token": launch_data["id_token"]}
        if params.get("state"):
            form["state"] = params["state"]
        logger.info(
            "Launch authorized: %s for user %s, link %s", pending.message_type, pending.user_key, pending.link_id
        )
        return launch_data["launch_url"], form

    def _check_redirect_uri(self, params: Mapping[str, str]) -> None:
        redirect_uri = params.get("redirect_uri")
        if redirect_uri not in self.tool_redirect_uris:
            registered = ", ".join(sorted(self.tool_redirect_uris))
            raise PlatformRefusal(
                f"The redirect_uri {redirect_uri!r} is not registered for this tool. Registered: {registered}."
            )

    def _take_pending_launch(self, params: Mapping[str, str]) -> PendingLaunch:
        message_hint = params.get("lti_message_hint")
        if not message_hint:
            raise PlatformRefusal("The authentication request has no lti_message_hint.")

        with self._lock:
            pending = self._pending_launches.pop(message_hint, None)
            already_used = message_hint in self._used_message_hints
            self._used_message_hints.add(message_hint)

        if pending is None and already_used:
            raise PlatformRefusal("The lti_message_hint was already used. Start the launch again from the course.")
        if pending is None:
            raise PlatformRefusal("The lti_message_hint is unknown. Start the launch again from the course.")
        return pending

    def _check_authentication_request(self, params: Mapping[str, str], pending: PendingLaunch) -> None:
        expected_values = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post"}
        for name, expected in expected_values.items():
            if params.get(name) != expected:
                raise PlatformRefusal(f"The {name} must be {expected!r}, not {params.get(name)!r}.")

        if params.get("client_id") != self.client_id:
            raise PlatformRefusal(f"Unknown client_id {params.get('client_id')!r}: no tool is registered with it.")
        if not params.get("nonce"):
            raise PlatformRefusal("The authentication request has no nonce.")
        if params.get("prompt") not in (None, "", "none"):
            raise PlatformRefusal(f"The prompt must be 'none' or absent, not {params['prompt']!r}.")
        if params.get("login_hint") != pending.login_hint:
            raise PlatformRefusal(
                f"The login_hint {params.get('login_hint')!r} is not the one this launch was started for."
            )

    def _launch_details(self, pending: PendingLaunch) -> LaunchDetails:
        link = self._link(pending.link_id) if pending.link_id is not None else None
        custom = dict(link.custom) if link else {}
        custom.update(self.tool_custom)

        deep_linking_settings = None
        if pending.message_type == DEEP_LINKING_REQUEST:
            deep_linking_settings = self._open_deep_linking_request(pending.with_data)

        return LaunchDetails(
            course=self.course,
            user=self.course.user(pending.user_key),
            link=link,
            message_type=pending.message_type,
            document_target=pending.document_target,
            return_url=self.course_url,
            memberships_url=self.memberships_url(self.course.context_id),
            tool_platform={"guid": self.guid, "name": self.name, "product_family_code": "demo"},
            custom=custom,
            deep_linking_settings=deep_linking_settings,
        )

    def _open_deep_linking_request(self, with_data: bool) -> dict[str, Any]:
        request = DeepLinkingRequest(
            request_id=secrets.token_urlsafe(12),
            deployment_id=self.deployment_id,
            data=secrets.token_urlsafe(16) if with_data else None,
        )
        with self._lock:
            self._deep_linking_requests[request.request_id] = request

        return settings_claim(request, self.deep_link_return_url)

    # Deep linking

    def accept_deep_linking_response(self, jwt_string: str, request_id: str) -> list[dict[str, Any]]:
        """Verify the tool's deep-linking response to request ``request_id`` and return its content items.

        ``request_id`` is the ``request`` query parameter of the deep_link_return_url that the
        request carried. Each accepted ltiResourceLink item becomes a new link of the course,
        launchable at once. Raises PlatformRefusal for an invalid or replayed response, where
        lti1p3platform alone checks only the signature, the message type and the item types.
        """
        with self._lock:
            request = self._deep_linking_requests.get(request_id)
        if request is None:
            raise PlatformRefusal(f"No deep-linking request {request_id!r} is waiting for a response.")

        platform_conf = DemoPlatformConf(registration=self._registration())
        claims = self._verify_tool_jwt(platform_conf, jwt_string, "deep-linking response")
        check_response_claims(claims, client_id=self.client_id, issuer=self.issuer)

        with self._lock:
            nonce_is_new = self._response_nonces.use(claims["nonce"], claims["exp"])
        if not nonce_is_new:
            raise PlatformRefusal(f"The deep-linking response's nonce {claims['nonce']!r} was already used.")

        check_response_matches_request(claims, request)
        items = content_items(claims)
        links = [link_from_content_item(item) for item in items]

        with self._lock:
            if request.answered:
                raise PlatformRefusal(f"Deep-linking request {request_id!r} already has a response.")
            request.answered = True
            self.course.links.extend(links)

        logger.info("Deep-linking response to request %s accepted: %d links added", request_id, len(links))
        return items

    # Access tokens

    def issue_access_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Issue an access token for a client-credentials token request with a JWT client assertion.

        Returns the RFC 6749 token response (``access_token``, ``token_type``, ``expires_in``,
        ``scope``), limited to the NRPS scope. Raises PlatformRefusal whose ``oauth_error``
        is the RFC 6749 error code.
        """
        if form.get("grant_type") != "client_credentials":
            raise PlatformRefusal(
                f"The grant_type must be 'client_credentials', not {form.get('grant_type')!r}.",
                oauth_error="unsupported_grant_type",
            )
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise PlatformRefusal(
                f"The client_assertion_type must be {CLIENT_ASSERTION_TYPE!r}, "
                f"not {form.get('client_assertion_type')!r}."
            )
        if not form.get("client_assertion"):
            raise PlatformRefusal("The token request has no client_assertion.")
        if NRPS_SCOPE not in (form.get("scope") or "").split():
            raise PlatformRefusal(
                f"The token request has no scope that this platform grants. Request {NRPS_SCOPE!r}.",
                oauth_error="invalid_scope",
            )

        platform_conf = DemoPlatformConf(registration=self._registration())
        claims = self._verify_tool_jwt(
            platform_conf, form["client_assertion"], "client assertion", oauth_error="invalid_client"
        )
        self._check_client_assertion(claims)

        # The library verifies the assertion's signature again, with the key set cached above.
        token = platform_conf.get_access_token({**form, "scope": NRPS_SCOPE})
        logger.info("Access token issued to client %s with scope %s", self.client_id, token["scope"])
        return dict(token)

    def _check_client_assertion(self, claims: Mapping[str, Any]) -> None:
        for name in ("iss", "sub"):
            if claims.get(name) != self.client_id:
                raise PlatformRefusal(
                    f"The client assertion's {name} must be the client id {self.client_id!r}, "
                    f"not {claims.get(name)!r}.",
                    oauth_error="invalid_client",
                )

        audience = self.token_audience or self.token_url
        if audience not in audiences(claims):
            raise PlatformRefusal(
                f"The client assertion's aud must name {audience!r}, not {claims.get('aud')!r}.",
                oauth_error="invalid_client",
            )
        if "exp" not in claims:
            raise PlatformRefusal("The client assertion has no exp claim.", oauth_error="invalid_client")

        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise PlatformRefusal("The client assertion has no jti claim.", oauth_error="invalid_client")
        with self._lock:
            jti_is_new = self._assertion_ids.use(jti, claims["exp"])
        if not jti_is_new:
            raise PlatformRefusal(f"The client assertion's jti {jti!r} was already used.", oauth_error="invalid_client")

    # Names and Role Provisioning Service

    def memberships(
        self,
        context_id: str,
        authorization: str | None,
        *,
        page: int | str | None = None,
        limit: int | str | None = None,
        role: str | None = None,
        rlid: str | None = None,
    ) -> ServiceResponse:
        """Return one page of the course's members for an NRPS membership request.

        ``authorization`` is the request's Authorization header. ``page`` and ``limit`` may be
        query-string values. With a ``limit`` and more members left, the response carries a
        ``Link: <url>; rel="next"`` header, which is the only paging that pylti1.3 follows.
        """
        if context_id != self.course.context_id:
            return ServiceResponse(404, {"error": f"No course has the context id {context_id!r}."}, {})
        try:
            query = self._membership_query(page=page, limit=limit, role=role, rlid=rlid)
        except ValueError as error:
            return ServiceResponse(400, {"error": str(error)}, {})

        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ServiceResponse(401, {"error": "The request has no bearer access token."}, {})
        try:
            kid = jwt.get_unverified_header(token.strip()).get("kid")
        except jwt.InvalidTokenError as error:
            return ServiceResponse(401, {"error": f"The access token is malformed: {error}."}, {})
        key = self._key_by_kid(kid)
        if key is None:
            return ServiceResponse(401, {"error": f"The access token's kid {kid!r} is not a key of this platform."}, {})

        # Access tokens signed before a key rotation stay valid, so the token's own key verifies it.
        platform_conf = DemoPlatformConf(registration=self._registration(signing_key=key))
        request = ParamsRequest(method="GET", query=query, headers={"Authorization": authorization})
        service = DemoMembershipService(request, platform_conf, self.memberships_url(context_id), self.course)
        try:
            response = service.handle_resp(service.handle_get_members)
        except (jwt.InvalidTokenError, LtiException) as error:
            return ServiceResponse(401, {"error": f"The access token is invalid: {error}."}, {})
        if response.code != 200:
            return ServiceResponse(response.code, {"error": response.message}, {})

        body = dict(response.result)
        headers = {"Content-Type": MEMBERSHIP_CONTAINER_MEDIA_TYPE}
        # The library puts the next page's URL in the body, but NRPS 2.0 sends it only in the Link header.
        next_url = body.pop("next", None)
        if next_url:
            headers["Link"] = f'<{next_url}>; rel="next"'
        return ServiceResponse(200, body, headers)

    @staticmethod
    def _membership_query(**values: int | str | None) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name, value in values.items():
            if value is None:
                continue
            if name in ("page", "limit"):
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise ValueError(f"The {name} must be a positive integer, not {value!r}.") from None
                if value < 1:
                    raise ValueError(f"The {name} must be a positive integer, not {value!r}.")
            query[name] = value
        return query

    # lti1p3platform objects, built per request

    def _link(self, link_id: str) -> ResourceLink:
        with self._lock:
            return self.course.link(link_id)

    def _registration(
        self, signing_options: SigningOptions | None = None, *, signing_key: PlatformKey | None = None
    ) -> DemoRegistration:
        registration = DemoRegistration(signing_key or self.signing_key, signing_options)
        registration.set_iss(self.issuer)
        registration.set_client_id(self.client_id)
        registration.set_deployment_id(self.deployment_id)
        registration.set_oidc_login_url(self.tool_login_url)
        registration.set_launch_url(self.tool_launch_url)
        registration.set_deeplink_launch_url(self.tool_launch_url)
        if callable(self.tool_jwks):
            registration.set_tool_key_set(self.tool_jwks())
        else:
            registration.set_tool_key_set_url(self.tool_jwks)
        return registration

    @staticmethod
    def _verify_tool_jwt(
        platform_conf: DemoPlatformConf,
        jwt_string: str,
        token_name: str,
        *,
        oauth_error: str = "invalid_request",
    ) -> dict[str, Any]:
        """Return the claims of a JWT the tool signed, after checking its signature and expiry."""
        try:
            return platform_conf.tool_validate_and_decode(jwt_string)
        except jwt.ExpiredSignatureError:
            raise PlatformRefusal(f"The {token_name} has expired.", oauth_error=oauth_error) from None
        except jwt.InvalidTokenError as error:
            raise PlatformRefusal(f"The {token_name} is invalid: {error}.", oauth_error=oauth_error) from None
        except (LtiException, InvalidKeySetUrl) as error:
            raise PlatformRefusal(
                f"The {token_name} cannot be verified with the tool's keys: {error or type(error).__name__}.",
                oauth_error=oauth_error,
            ) from None
