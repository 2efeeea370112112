"""The platforms' public keys, cached in the database and shared by every process.

A launch whose ``kid`` is missing from the cached key set triggers one refetch,
and every process together fetches a platform's key set at most once per
``ROOMS_JWKS_MIN_FETCH_INTERVAL`` seconds.
"""

import json
import logging
import re
import time
from datetime import timedelta

import requests
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from app.lti.exceptions import PlatformKeyError
from app.models import Platform
from app.models.base import utcnow

logger = logging.getLogger(__name__)

MAX_AGE_PATTERN = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)
MAX_CACHE_SECONDS = 7 * 24 * 3600


def _cached_keys(platform: Platform) -> list[dict]:
    if not platform.jwks_json:
        return []
    return json.loads(platform.jwks_json).get("keys", [])


def _find(keys: list[dict], kid: str) -> dict | None:
    for key in keys:
        if key.get("kid") == kid:
            return key
    return None


def _cache_lifetime(response: requests.Response, default_max_age: int) -> int:
    cache_control = response.headers.get("Cache-Control", "")
    if "no-store" in cache_control.lower() or "no-cache" in cache_control.lower():
        return 0
    match = MAX_AGE_PATTERN.search(cache_control)
    if match:
        return min(int(match.group(1)), MAX_CACHE_SECONDS)
    return default_max_age


def _claim_fetch(session: Session, platform: Platform, min_interval: int) -> bool:
    """Take this platform's fetch slot for the interval; False if another process has it."""
    now = utcnow()
    result = session.execute(
        update(Platform)
        .where(
            Platform.id == platform.id,
            or_(
                Platform.jwks_fetch_started_at.is_(None),
                Platform.jwks_fetch_started_at <= now - timedelta(seconds=min_interval),
            ),
        )
        .values(jwks_fetch_started_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _fetch(platform: Platform, timeout: float) -> requests.Response:
    try:
        response = requests.get(platform.jwks_url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response
    except requests.Timeout:
        logger.warning("Platform key set fetch timed out after %ss: %s", timeout, platform.jwks_url)
        raise PlatformKeyError(
            f"The platform's key set at {platform.jwks_url} did not answer within {timeout:g} seconds."
        ) from None
    except requests.RequestException as error:
        logger.warning("Platform key set fetch failed: %s: %s", platform.jwks_url, error)
        raise PlatformKeyError(f"The platform's key set at {platform.jwks_url} could not be fetched.") from None


def find_platform_key(
    session: Session,
    platform: Platform,
    kid: str,
    *,
    timeout: float,
    min_fetch_interval: int,
    default_max_age: int,
) -> dict:
    """Return the platform's public JWK with this ``kid``, fetching the key set if needed.

    The fetch commits its own short transactions so that other processes see
    the fetch slot and the new keys at once. Call it before the launch writes
    anything, and never hold a transaction across the network fetch.
    """
    now = utcnow()
    fresh = platform.jwks_expires_at is not None and platform.jwks_expires_at > now
    if fresh:
        key = _find(_cached_keys(platform), kid)
        if key is not None:
            return key

    if session.new or session.dirty or session.deleted:
        raise RuntimeError("find_platform_key() would commit unrelated pending changes.")

    if not _claim_fetch(session, platform, min_fetch_interval):
        # Another process fetched recently: use what it stored, fresh or not.
        # If its fetch is still under way (the stored keys are older than its
        # claim), wait for it up to the fetch timeout instead of rejecting.
        deadline = time.monotonic() + timeout
        while True:
            session.refresh(platform)
            key = _find(_cached_keys(platform), kid)
            if key is not None:
                return key
            in_progress = platform.jwks_expires_at is None or platform.jwks_expires_at < platform.jwks_fetch_started_at
            if not in_progress or time.monotonic() >= deadline:
                break
            # End the read transaction: on SQLite it holds the lock the other process needs to store the keys.
            session.commit()
            time.sleep(0.1)
        logger.info(
            "Platform %s key set fetch skipped: fetched less than %ss ago (kid=%s)",
            platform.id,
            min_fetch_interval,
            kid,
        )
        raise PlatformKeyError(f"The launch is signed with key {kid!r}, which the platform does not publish.")

    response = _fetch(platform, timeout)
    try:
        key_set = response.json()
        keys = key_set["keys"]
        if not isinstance(keys, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        logger.warning("Platform key set at %s is not a JSON key set", platform.jwks_url)
        raise PlatformKeyError(f"The platform's key set at {platform.jwks_url} is not a valid JSON Web Key Set.") from None

    lifetime = _cache_lifetime(response, default_max_age)
    platform.jwks_json = json.dumps({"keys": keys})
    platform.jwks_expires_at = utcnow() + timedelta(seconds=lifetime)
    session.commit()
    logger.info("Fetched platform %s key set: %d keys, cached for %ss", platform.id, len(keys), lifetime)

    key = _find(keys, kid)
    if key is None:
        raise PlatformKeyError(f"The launch is signed with key {kid!r}, which the platform does not publish.")
    return key
