"""LTI client-side platform storage: the server side of the postMessage protocol.

When a login carries ``lti_storage_target``, the login page keeps the OIDC
state and nonce in the LMS window (``lti.put_data``) instead of relying on
the state cookie, which browsers that block third-party cookies drop. The
launch then verifies the id_token, parks the verified launch here under a
one-time key, and a page script reads the state and nonce back
(``lti.get_data``) before it posts the key to the completion route.

Specification: 1EdTech "LTI postMessage Storage",
https://www.imsglobal.org/spec/lti-pm-s/v0p1
"""

import re
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from flask_caching import Cache

from app.models import Platform

PARKED_LAUNCH_PREFIX = "lti-parked-launch:"

# A frame name: "_parent" (the window that frames the tool) or a named frame
# of it, such as Canvas's "post_message_forwarding".
_STORAGE_TARGET_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,100}")


def valid_storage_target(value: str) -> str:
    """Return ``value`` if it can name a frame, else an empty string (no platform storage)."""
    return value if _STORAGE_TARGET_PATTERN.fullmatch(value or "") else ""


def storage_target_origin(platform: Platform) -> str:
    """Return the origin the platform storage messages go to: the configured one, or the auth URL's."""
    if platform.storage_target_origin:
        return platform.storage_target_origin
    parts = urlsplit(platform.auth_login_url)
    return f"{parts.scheme}://{parts.netloc}"


def storage_keys(state: str, nonce: str) -> dict[str, str]:
    """Return the platform storage keys of a login's state and nonce."""
    return {"state": f"state_{state}", "nonce": f"nonce_{nonce}"}


@dataclass(frozen=True)
class ParkedLaunch:
    """A verified launch that waits for the browser's platform storage to confirm its state and nonce."""

    platform_id: int
    deployment_id: int
    claims: dict
    state: str
    nonce: str


def park_launch(cache: Cache, parked: ParkedLaunch, *, max_age: int) -> str:
    """Store a verified launch under a new one-time key and return the key."""
    key = secrets.token_urlsafe(32)
    if not cache.set(PARKED_LAUNCH_PREFIX + key, asdict(parked), timeout=max_age):
        raise RuntimeError("The launch state cache could not store the verified launch.")
    return key


def take_parked_launch(cache: Cache, key: str) -> ParkedLaunch | None:
    """Remove and return a parked launch, or None if the key is unknown, expired or used."""
    if not key or len(key) > 100:
        return None
    cache_key = PARKED_LAUNCH_PREFIX + key
    stored = cache.get(cache_key)
    if stored is None:
        return None
    # NOTE: get and delete are two cache calls, and the file-system cache's
    # delete reports success for a missing file, so two completions that arrive
    # at the same moment could both read the entry. Only the browser that posted
    # the launch was given the key.
    cache.delete(cache_key)
    return ParkedLaunch(**stored)
