"""The course roster from the platform's Names and Role Provisioning Service (NRPS).

pylti1p3 does the OAuth 2 client-credentials exchange and follows the
``Link: <...>; rel="next"`` header between pages; this module gives it an
access-token cache shared by every process, a request timeout, and a limit on
the number of pages.
"""

import hashlib
import logging
from dataclasses import dataclass

import requests
from flask import current_app
from pylti1p3.exception import LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy.orm import Session

from app.extensions import cache
from app.lti.registration_values import NRPS_SCOPE
from app.lti.roles import map_roles
from app.lti.tool_config import PlatformRegistration
from app.models import Course, CourseRole, Platform

logger = logging.getLogger(__name__)

MAX_ROSTER_PAGES = 50
TOKEN_CACHE_PREFIX = "lti-access-token:"


class RosterUnavailable(Exception):
    """The roster could not be fetched; ``message`` says why in the user's terms."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RosterMember:
    sub: str
    name: str
    email: str
    course_role: CourseRole


class TimeoutSession(requests.Session):
    """A requests session whose requests time out unless a timeout is given."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout
        self.headers["User-Agent"] = "rooms-lti"

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


class CachedServiceConnector(ServiceConnector):
    """A service connector whose access tokens live in the shared cache."""

    def _scope_key(self, scopes) -> str:
        # pylti1p3 keys tokens by issuer only; two registrations of one issuer
        # must not share them, so the client id is part of the key.
        text = "|".join([self._registration.get_issuer() or "", self._registration.get_client_id() or "", *sorted(scopes)])
        return hashlib.sha256(text.encode()).hexdigest()

    def _get_cached_access_token(self, scope_key: str):
        return cache.get(TOKEN_CACHE_PREFIX + scope_key)

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        # Expire the cached token a little early, so that it is never sent stale.
        lifetime = int(expires_in or 0) - 30
        if lifetime > 0:
            cache.set(TOKEN_CACHE_PREFIX + scope_key, access_token, timeout=lifetime)


def fetch_roster(session: Session, platform: Platform, course: Course) -> list[RosterMember]:
    """Fetch every active member of the course from the platform, following ``Link`` paging.

    Commits the session before the first request to the platform, so call it before
    the request changes anything.
    """
    if not course.nrps_url:
        raise RosterUnavailable("The LMS did not offer the course roster in its launches.")
    if not platform.auth_token_url:
        raise RosterUnavailable("The LMS registration has no access token URL, so the roster cannot be fetched.")

    registration = PlatformRegistration(session, platform)
    # The platform checks the client assertion against the tool's key set, which it may
    # fetch from this tool while this request waits for the token. On SQLite every
    # transaction of the tool holds the database's write lock, so the key set request
    # would wait for this one until the token request timed out. The signing key is
    # read now, and the transaction ends before any request leaves.
    registration.get_kid()
    nrps_url, course_id, platform_id = course.nrps_url, course.id, platform.id
    session.commit()

    connector = CachedServiceConnector(registration, TimeoutSession(current_app.config["ROOMS_JWKS_TIMEOUT"]))
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": nrps_url})

    members: list[RosterMember] = []
    url = nrps_url
    pages = 0
    try:
        while url and pages < MAX_ROSTER_PAGES:
            page, url = service.get_members_page(url)
            pages += 1
            for member in page:
                if member.get("status", "Active") != "Active" or not member.get("user_id"):
                    continue
                members.append(
                    RosterMember(
                        sub=str(member["user_id"])[:255],
                        name=str(member.get("name") or " ".join(filter(None, [member.get("given_name"), member.get("family_name")])))[:300],
                        email=str(member.get("email") or "")[:320],
                        course_role=map_roles(list(member.get("roles") or [])).course_role,
                    )
                )
    except (LtiServiceException, requests.RequestException) as error:
        logger.warning("NRPS roster fetch failed for course %s (platform %s): %s", course_id, platform_id, error)
        raise RosterUnavailable("The LMS did not return the course roster. Try again later.") from None

    if url:
        logger.warning("NRPS roster of course %s has more than %d pages; the rest is not read", course_id, MAX_ROSTER_PAGES)
    logger.info("Fetched NRPS roster of course %s: %d members in %d pages", course_id, len(members), pages)
    return members
