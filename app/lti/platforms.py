"""Adding, updating and removing platform registrations."""

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Deployment, DeploymentPolicy, DeploymentStatus, Platform
from app.models.base import utcnow

logger = logging.getLogger(__name__)


class InvalidRegistration(ValueError):
    """A registration field is missing or malformed."""


@dataclass
class PlatformFields:
    """A platform registration's values.

    ``None`` in an optional field keeps the stored value when the platform exists, and
    sets the default (an empty string, or ``DeploymentPolicy.APPROVE``) when it is new.
    """

    issuer: str
    client_id: str
    auth_login_url: str
    jwks_url: str
    auth_token_url: str | None = ""
    auth_audience: str | None = ""
    name: str = ""
    deployment_policy: DeploymentPolicy | None = DeploymentPolicy.APPROVE
    deployment_ids: list[str] = field(default_factory=list)
    frame_origins: list[str] | None = None
    # An empty string clears the stored origin, so that the auth URL's origin is used.
    storage_target_origin: str | None = None


# An origin as a CSP host source writes it: scheme, host (whose first label may be "*"),
# optional port, and no path. IPv6 hosts are not accepted.
FRAME_ORIGIN_PATTERN = re.compile(r"(https?)://(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?")
MAX_FRAME_ORIGINS = 20
MAX_FRAME_ORIGINS_LENGTH = 2000


def _credentials_error(field_name: str) -> InvalidRegistration:
    # The value is left out of the message, so that a password reaches no log.
    return InvalidRegistration(_("The %(what)s must not contain a user name or password.", what=field_name))


def check_origin(value: str, field_name: str, *, wildcard: bool) -> str:
    """Return the origin in lower case, or raise InvalidRegistration naming ``field_name``."""
    origin = value.strip().lower().rstrip("/")
    match = FRAME_ORIGIN_PATTERN.fullmatch(origin)
    port = int(match.group(7)[1:]) if match and match.group(7) else None
    # "*.edu" would let every site of a top-level domain frame the tool.
    too_wide = match is not None and match.group(2) is not None and match.group(5) is None
    if match is None or (match.group(2) and not wildcard) or too_wide or (port is not None and not 0 < port < 65536):
        if "@" in value:
            raise _credentials_error(field_name)
        example = "https://school.instructure.com" + (" or https://*.instructure.com" if wildcard else "")
        raise InvalidRegistration(
            _(
                "The %(what)s %(value)s is not an origin such as %(example)s.",
                what=field_name,
                value=repr(value.strip()[:200]),
                example=example,
            )
        )
    return origin


def check_frame_origins(values: list[str]) -> list[str]:
    """Return the frame origins without duplicates, or raise InvalidRegistration."""
    origins = list(
        dict.fromkeys(check_origin(value, _("frame origin"), wildcard=True) for value in values if value.strip())
    )
    if len(origins) > MAX_FRAME_ORIGINS or len(" ".join(origins)) > MAX_FRAME_ORIGINS_LENGTH:
        raise InvalidRegistration(
            _(
                "At most %(count)d frame origins of %(length)d characters in all are allowed.",
                count=MAX_FRAME_ORIGINS,
                length=MAX_FRAME_ORIGINS_LENGTH,
            )
        )
    return origins


def _check_url(value: str, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidRegistration(f"The {what} is required.")
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        # urlsplit raises ValueError for an unclosed "[" in the host.
        parts = None
    is_http_url = parts is not None and parts.scheme in {"http", "https"} and bool(parts.netloc)
    # A value that is no URL may still carry "user:password@host", so all of it is searched.
    if "@" in (parts.netloc if is_http_url else value):
        raise _credentials_error(what)
    if not is_http_url:
        raise InvalidRegistration(f"The {what} {value!r} is not an http or https URL.")
    return value


def validate_fields(fields: PlatformFields) -> PlatformFields:
    issuer = (fields.issuer or "").strip()
    client_id = (fields.client_id or "").strip()
    if not issuer:
        raise InvalidRegistration("The issuer is required.")
    if len(issuer) > 500 or len(client_id) > 500:
        raise InvalidRegistration("The issuer and client id must be at most 500 characters.")
    if not client_id:
        raise InvalidRegistration("The client id is required.")
    # LTI 1.3 uses OpenID Connect's issuer identifier, which OpenID Connect Core 1.0
    # (section 2, the iss claim) defines as an https URL without a query or fragment.
    # http stays allowed here, for LMSs on a development machine.
    _check_url(issuer, "issuer")
    if urlsplit(issuer).query or urlsplit(issuer).fragment:
        raise InvalidRegistration(f"The issuer {issuer!r} must not contain a query or a fragment.")
    if any(not (value or "").strip() for value in fields.deployment_ids):
        raise InvalidRegistration(_("A deployment id is empty. Give the id that the LMS shows for the deployment."))
    deployment_ids = [value.strip() for value in fields.deployment_ids]
    for value in deployment_ids:
        if len(value) > 500:
            raise InvalidRegistration(f"The deployment id {value[:40]!r}... is longer than 500 characters.")
    return PlatformFields(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=_check_url(fields.auth_login_url, "OIDC authentication URL"),
        jwks_url=_check_url(fields.jwks_url, "public keyset (JWKS) URL"),
        auth_token_url=None if fields.auth_token_url is None else _check_url(fields.auth_token_url, "access token URL", required=False),
        auth_audience=None if fields.auth_audience is None else fields.auth_audience.strip(),
        name=(fields.name or "").strip()[:200],
        deployment_policy=None if fields.deployment_policy is None else DeploymentPolicy(fields.deployment_policy),
        deployment_ids=list(dict.fromkeys(deployment_ids)),
        frame_origins=None if fields.frame_origins is None else check_frame_origins(fields.frame_origins),
        storage_target_origin=(
            None
            if fields.storage_target_origin is None
            else check_origin(fields.storage_target_origin, _("storage target origin"), wildcard=False)
            if fields.storage_target_origin.strip()
            else ""
        ),
    )


def save_platform(session: Session, fields: PlatformFields) -> tuple[Platform, bool]:
    """Add a platform, or update the one with the same issuer and client id.

    Returns the platform and whether it was created. Deployment ids listed are
    added as active; existing deployments are kept.
    """
    fields = validate_fields(fields)
    platform = session.scalars(
        select(Platform).where(Platform.issuer == fields.issuer, Platform.client_id == fields.client_id)
    ).first()
    created = platform is None
    if created:
        platform = Platform(issuer=fields.issuer, client_id=fields.client_id)
        session.add(platform)

    platform.name = fields.name or platform.name or fields.issuer
    platform.auth_login_url = fields.auth_login_url
    if fields.auth_token_url is not None or created:
        platform.auth_token_url = fields.auth_token_url or ""
    if fields.auth_audience is not None or created:
        platform.auth_audience = fields.auth_audience or ""
    if platform.jwks_url != fields.jwks_url:
        platform.jwks_json = None
        platform.jwks_expires_at = None
    platform.jwks_url = fields.jwks_url
    if fields.deployment_policy is not None or created:
        platform.deployment_policy = fields.deployment_policy or DeploymentPolicy.APPROVE
    if fields.frame_origins is not None or created:
        platform.frame_origins = " ".join(fields.frame_origins or [])
    if fields.storage_target_origin is not None:
        platform.storage_target_origin = fields.storage_target_origin or None
    session.flush()

    known = {deployment.deployment_id: deployment for deployment in platform.deployments}
    for deployment_id in fields.deployment_ids:
        deployment = known.get(deployment_id)
        if deployment is None:
            session.add(
                Deployment(
                    platform_id=platform.id,
                    deployment_id=deployment_id,
                    status=DeploymentStatus.ACTIVE,
                    decided_at=utcnow(),
                )
            )
        elif deployment.status != DeploymentStatus.ACTIVE:
            deployment.status = DeploymentStatus.ACTIVE
            deployment.decided_at = utcnow()
    session.flush()
    session.refresh(platform)

    logger.info("%s platform %s (iss=%s, client_id=%s)", "Added" if created else "Updated", platform.id, platform.issuer, platform.client_id)
    return platform, created


def find_platforms(session: Session, selector: str, client_id: str | None = None) -> list[Platform]:
    """Find platforms by numeric id, or by issuer and optional client id."""
    if selector.isdigit() and client_id is None:
        platform = session.get(Platform, int(selector))
        return [platform] if platform else []
    query = select(Platform).where(Platform.issuer == selector)
    if client_id:
        query = query.where(Platform.client_id == client_id)
    return list(session.scalars(query.order_by(Platform.id)))
