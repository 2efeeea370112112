"""LTI Dynamic Registration 1.0 (https://www.imsglobal.org/spec/lti-dr/v1p0), the tool's side.

An LMS administrator pastes the tool's ``/lti/register`` URL into the LMS. The
LMS opens it with ``openid_configuration`` (the URL of its OpenID
configuration) and, usually, a ``registration_token``. The tool then:

1. fetches the OpenID configuration, sending the token as a Bearer token,
   which Canvas requires;
2. checks that the configuration's issuer matches the URL it came from;
3. posts its client metadata to the configuration's ``registration_endpoint``;
4. stores the platform with the client id (and deployment id, if any) that the
   response returns.

Nothing is stored before the platform has accepted the registration, so a
failed step leaves the database as it was. Every request times out, follows no
redirect, and goes only to the configuration URL and a registration endpoint on
the same origin. Unless ``ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS`` is on, that
origin's host must resolve to public addresses only, because anyone may open
``/lti/register`` and would otherwise make the tool send requests into its own
network. The registration token and the URLs' query strings, where Canvas puts
the token, are never logged.
"""

import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.lti.platforms import InvalidRegistration, PlatformFields, save_platform
from app.lti.registration_values import TOOL_CONFIGURATION_KEY, dynamic_registration_metadata
from app.models import DeploymentPolicy, Platform

logger = logging.getLogger(__name__)

PLATFORM_CONFIGURATION_KEY = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CANVAS_ACCOUNT_NAME_KEY = "https://canvas.instructure.com/lti/account_name"

MAX_URL_LENGTH = 2000
MAX_TOKEN_LENGTH = 4096
# Limit of a response body read into memory. An OpenID configuration is far smaller
# (an estimate: tens of kB with every Canvas placement and variable listed).
MAX_RESPONSE_BYTES = 1_000_000
MAX_PLATFORM_MESSAGE_LENGTH = 500
# Column sizes of the platform table, checked before the registration is sent,
# so that a value the database cannot store fails before the LMS keeps a registration.
MAX_STORED_ISSUER_LENGTH = 500
MAX_STORED_URL_LENGTH = 1000
DEFAULT_PORTS = {"http": 80, "https": 443}


class RegistrationFailed(Exception):
    """A failed dynamic registration step; ``message`` is the reason in the administrator's terms.

    ``platform_message`` is the error text the platform returned, if any, and
    ``cause`` the name of the network error, for the log. ``status`` is the
    HTTP status of the page that reports the failure.
    """

    def __init__(self, message: str, *, status: int = 502, platform_message: str = "", cause: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.platform_message = platform_message
        self.cause = cause


@dataclass(frozen=True)
class PlatformConfiguration:
    """The fields of a platform's OpenID configuration that registration uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    # The audience of client assertions sent to the token endpoint; empty means the endpoint itself.
    authorization_server: str
    product_family_code: str
    account_name: str


@dataclass(frozen=True)
class RegistrationResult:
    platform: Platform
    created: bool
    deployment_id: str
    product_family_code: str


def loggable_url(url: str) -> str:
    """Return ``url`` without its query and fragment, which may carry the registration token.

    Control characters become "?", so that the value fits on one log line.
    """
    try:
        parts = urlsplit(url)
        text = f"{parts.scheme}://{parts.netloc}{parts.path}"
    except ValueError:
        # urlsplit raises ValueError for an unclosed "[" in the host.
        text = url.split("?", 1)[0].split("#", 1)[0]
    return "".join(character if character.isprintable() else "?" for character in text)


def check_configuration_url(url: str) -> str:
    """Return the ``openid_configuration`` parameter stripped, or raise RegistrationFailed (400).

    The host's addresses are checked later, by ``check_public_host``.
    """
    url = (url or "").strip()
    if not url:
        raise RegistrationFailed(
            _("The openid_configuration parameter is missing. Start the registration from the LMS, which adds it."),
            status=400,
        )
    if len(url) > MAX_URL_LENGTH:
        raise RegistrationFailed(
            _("The openid_configuration URL is longer than %(limit)d characters.", limit=MAX_URL_LENGTH), status=400
        )
    if not _is_http_url(url) or any(character.isspace() or not character.isprintable() for character in url):
        raise RegistrationFailed(
            _("The openid_configuration URL %(url)s is not an http or https URL.", url=loggable_url(url)[:200]),
            status=400,
        )
    return url


def check_registration_token(token: str | None) -> str:
    """Return the registration token, or an empty string when the LMS sent none.

    The token goes into an HTTP header, so it must be printable ASCII without spaces.
    """
    token = (token or "").strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise RegistrationFailed(
            _("The registration_token is longer than %(limit)d characters.", limit=MAX_TOKEN_LENGTH), status=400
        )
    if token and not all("!" <= character <= "~" for character in token):
        raise RegistrationFailed(_("The registration_token contains characters that a token cannot contain."), status=400)
    return token


def issuer_matches_configuration_url(issuer: str, configuration_url: str) -> bool:
    """Return whether the issuer has the same scheme, host and port as the configuration URL.

    LTI Dynamic Registration 1.0, section 3.5.1 "Issuer and OpenID Configuration
    URL Match": the issuer that the configuration names must match the URL the
    tool fetched it from, so that a configuration served by one site cannot
    register, or overwrite the registration of, another site's issuer. Moodle
    (issuer = its wwwroot) and Canvas (configuration URL built from the issuer's
    scheme, host and port) both pass.
    """
    return _origin(issuer) is not None and _origin(issuer) == _origin(configuration_url)


def is_public_address(address: str) -> bool:
    """Return whether an IP address is globally routable: not loopback, private, link-local, shared or reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_public_host(url: str) -> None:
    """Raise RegistrationFailed unless every address that the URL's host resolves to is public.

    NOTE: the request resolves the host again, so a DNS server that answers with
    another address the second time can still direct that request elsewhere.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, ValueError, UnicodeError) as error:
        raise RegistrationFailed(
            _("The LMS host %(host)s could not be resolved.", host=host[:200]), cause=type(error).__name__
        ) from None
    private = sorted(address for address in addresses if not is_public_address(address))
    if private:
        raise RegistrationFailed(
            _(
                "The LMS host %(host)s resolves to the non-public address %(address)s, and registration "
                "from private networks is turned off. If the LMS runs on a private network, the tool's "
                "administrator can set ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS=true.",
                host=host[:200],
                address=private[0],
            ),
            status=403,
        )


def fetch_platform_configuration(
    http: requests.Session, url: str, token: str, timeout: float, *, allow_private_hosts: bool = False
) -> PlatformConfiguration:
    """Fetch and check the platform's OpenID configuration."""
    if not allow_private_hosts:
        # The registration endpoint must be on the same origin, so this check covers it too.
        check_public_host(url)
    request_label = _("the OpenID configuration request")
    # The URL comes from the request, so any host may respond here: an error body
    # reaches the page only as the error fields of a JSON object, never as raw text.
    body = _send(http, "GET", url, token=token, timeout=timeout, request_label=request_label)
    document = _json_object(body, request_label=request_label)

    issuer = _required_string(document, "issuer", max_length=MAX_STORED_ISSUER_LENGTH)
    if not _is_http_url(issuer) or urlsplit(issuer).query or urlsplit(issuer).fragment:
        raise RegistrationFailed(_("The LMS's issuer %(issuer)s is not an http or https URL without a query.", issuer=issuer[:200]))
    if not issuer_matches_configuration_url(issuer, url):
        raise RegistrationFailed(
            _(
                "The LMS's issuer %(issuer)s does not match the host of its OpenID configuration URL %(url)s, "
                "so the configuration cannot be trusted.",
                issuer=issuer[:200],
                url=loggable_url(url)[:200],
            )
        )

    registration_endpoint = _required_url(document, "registration_endpoint")
    # The registration token goes to this endpoint too: it must be the LMS's own.
    if _origin(registration_endpoint) != _origin(url):
        raise RegistrationFailed(
            _(
                "The LMS's registration endpoint %(endpoint)s is not on the host of its OpenID configuration URL.",
                endpoint=loggable_url(registration_endpoint)[:200],
            )
        )

    platform_configuration = document.get(PLATFORM_CONFIGURATION_KEY)
    if not isinstance(platform_configuration, dict):
        platform_configuration = {}
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=_required_url(document, "authorization_endpoint"),
        token_endpoint=_optional_url(document, "token_endpoint"),
        jwks_uri=_required_url(document, "jwks_uri"),
        registration_endpoint=registration_endpoint,
        authorization_server=_optional_string(document, "authorization_server")[:MAX_STORED_URL_LENGTH],
        product_family_code=_optional_string(platform_configuration, "product_family_code").lower(),
        account_name=_optional_string(platform_configuration, CANVAS_ACCOUNT_NAME_KEY),
    )


def send_registration(
    http: requests.Session, configuration: PlatformConfiguration, token: str, base_url: str, timeout: float
) -> tuple[str, str]:
    """Post the tool's client metadata; return the client id and the deployment id ("" when none)."""
    request_label = _("the registration request")
    body = _send(
        http,
        "POST",
        configuration.registration_endpoint,
        token=token,
        timeout=timeout,
        request_label=request_label,
        json_body=dynamic_registration_metadata(base_url),
        plain_text_errors=True,
    )
    document = _json_object(body, request_label=request_label)

    client_id = document.get("client_id")
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)
    if not isinstance(client_id, str) or not client_id.strip():
        raise RegistrationFailed(_("The LMS accepted the registration but returned no client_id."))

    # Moodle returns the deployment it created inside the tool configuration; Canvas returns none.
    tool_configuration = document.get(TOOL_CONFIGURATION_KEY)
    deployment_id = tool_configuration.get("deployment_id") if isinstance(tool_configuration, dict) else None
    if isinstance(deployment_id, int) and not isinstance(deployment_id, bool):
        deployment_id = str(deployment_id)
    if not isinstance(deployment_id, str):
        deployment_id = ""
    return client_id.strip(), deployment_id.strip()


def register_tool(
    session: Session,
    http: requests.Session,
    *,
    configuration_url: str,
    registration_token: str,
    base_url: str,
    timeout: float,
    allow_private_hosts: bool = False,
) -> RegistrationResult:
    """Register the tool with the platform whose OpenID configuration is at ``configuration_url``.

    Adds the platform, or updates the one with the same issuer and client id.
    Without a deployment id in the response (Canvas), new deployments are
    accepted on first launch (policy ``auto``). With one (Moodle), that
    deployment is active and later new ones wait for approval (policy
    ``approve``). Flushes and never commits: the caller commits.
    """
    configuration = fetch_platform_configuration(
        http, configuration_url, registration_token, timeout, allow_private_hosts=allow_private_hosts
    )
    logger.info(
        "Dynamic registration: fetched the OpenID configuration of %s from %s",
        configuration.issuer,
        loggable_url(configuration_url),
    )

    client_id, deployment_id = send_registration(http, configuration, registration_token, base_url, timeout)
    logger.info(
        "Dynamic registration: %s accepted the tool as client_id=%s, deployment_id=%s",
        configuration.issuer,
        client_id,
        deployment_id or "-",
    )

    fields = PlatformFields(
        issuer=configuration.issuer,
        client_id=client_id,
        auth_login_url=configuration.authorization_endpoint,
        jwks_url=configuration.jwks_uri,
        auth_token_url=configuration.token_endpoint,
        auth_audience=configuration.authorization_server,
        name=configuration.account_name,
        deployment_policy=DeploymentPolicy.APPROVE if deployment_id else DeploymentPolicy.AUTO,
        deployment_ids=[deployment_id] if deployment_id else [],
    )
    try:
        platform, created = save_platform(session, fields)
    except InvalidRegistration as error:
        raise RegistrationFailed(
            _("The LMS registered the tool, but its values cannot be stored: %(reason)s", reason=str(error))
        ) from None
    except IntegrityError:
        raise RegistrationFailed(
            _("Another registration of this LMS was stored at the same moment. Start the registration again."),
            status=409,
        ) from None

    return RegistrationResult(
        platform=platform,
        created=created,
        deployment_id=deployment_id,
        product_family_code=configuration.product_family_code,
    )


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in DEFAULT_PORTS and bool(parts.hostname)


def _origin(url: str) -> tuple[str, str, int] | None:
    """Return (scheme, host, port) of an http or https URL, with the default port filled in."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def _send(
    http: requests.Session,
    method: str,
    url: str,
    *,
    token: str,
    timeout: float,
    request_label: str,
    json_body: dict | None = None,
    plain_text_errors: bool = False,
) -> bytes:
    """Send one request to the platform and return the body of its successful response.

    ``timeout`` limits the connection, each read, and the whole response.
    ``plain_text_errors`` allows an error body that is not JSON to reach the
    administrator's page. The caller logs the failures this raises.
    """
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    deadline = time.monotonic() + timeout
    try:
        with http.request(
            method, url, headers=headers, json=json_body, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            status = response.status_code
            redirected = response.is_redirect
            body = _read_body(response, deadline, request_label)
    except requests.Timeout:
        raise RegistrationFailed(
            _("The LMS did not respond to %(request)s within %(seconds)s seconds.", request=request_label, seconds=f"{timeout:g}"),
            status=504,
        ) from None
    except requests.RequestException as error:
        raise RegistrationFailed(
            _("The LMS could not be reached for %(request)s at %(url)s.", request=request_label, url=loggable_url(url)[:200]),
            cause=type(error).__name__,
        ) from None

    if redirected:
        raise RegistrationFailed(
            _(
                "The LMS redirected %(request)s to another URL. The tool contacts only the URL it was given: "
                "check the LMS's configured address.",
                request=request_label,
            )
        )
    if not 200 <= status < 300:
        raise RegistrationFailed(
            _("The LMS rejected %(request)s with HTTP status %(status)d.", request=request_label, status=status),
            platform_message=platform_error_message(body, plain_text=plain_text_errors),
        )
    return body


def _read_body(response: requests.Response, deadline: float, request_label: str) -> bytes:
    chunks = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise RegistrationFailed(_("The LMS's response to %(request)s is larger than 1 MB.", request=request_label))
        if time.monotonic() > deadline:
            raise requests.Timeout()
        chunks.append(chunk)
    return b"".join(chunks)


def platform_error_message(body: bytes, *, plain_text: bool = True) -> str:
    """Return the error text of a platform's error response: one line, at most MAX_PLATFORM_MESSAGE_LENGTH characters.

    Reads OAuth's ``error`` and ``error_description``, the ``errors`` list or
    object that Canvas returns with HTTP 422, ``errorMessage`` and ``message``,
    and otherwise, with ``plain_text``, the body as text (Moodle's registration
    endpoint returns errors as plain text).
    """
    text = body.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        document = None

    message = text if plain_text else ""
    if isinstance(document, dict):
        parts = [document[key] for key in ("error", "error_description", "errorMessage", "message") if isinstance(document.get(key), str)]
        errors = document.get("errors")
        if isinstance(errors, dict):
            errors = [f"{field}: {_join_messages(messages)}" for field, messages in errors.items()]
        if isinstance(errors, list):
            for error in errors:
                if isinstance(error, dict):
                    error = error.get("message") or json.dumps(error)
                parts.append(str(error))
        message = "; ".join(part.strip() for part in parts if part.strip()) or message

    # The text goes into a log line and a page: no line breaks or control characters.
    printable = "".join(character if character.isprintable() else " " for character in message)
    return printable[:MAX_PLATFORM_MESSAGE_LENGTH]


def _join_messages(messages) -> str:
    if isinstance(messages, list):
        return ", ".join(str(message) for message in messages)
    return str(messages)


def _json_object(body: bytes, *, request_label: str) -> dict:
    try:
        document = json.loads(body)
    except ValueError:
        raise RegistrationFailed(_("The LMS's response to %(request)s is not JSON.", request=request_label)) from None
    if not isinstance(document, dict):
        raise RegistrationFailed(_("The LMS's response to %(request)s is not a JSON object.", request=request_label))
    return document


def _required_string(document: dict, name: str, *, max_length: int = MAX_STORED_URL_LENGTH) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RegistrationFailed(_("The LMS's OpenID configuration has no %(field)s.", field=name))
    if len(value.strip()) > max_length:
        raise RegistrationFailed(
            _("The %(field)s in the LMS's OpenID configuration is longer than %(limit)d characters.", field=name, limit=max_length)
        )
    return value.strip()


def _optional_string(document: dict, name: str) -> str:
    value = document.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional_url(document: dict, name: str) -> str:
    if not _optional_string(document, name):
        return ""
    return _required_url(document, name)


def _required_url(document: dict, name: str) -> str:
    value = _required_string(document, name)
    if not _is_http_url(value):
        raise RegistrationFailed(
            _("The %(field)s %(url)s in the LMS's OpenID configuration is not an http or https URL.", field=name, url=value[:200])
        )
    return value
