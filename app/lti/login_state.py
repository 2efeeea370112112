"""The OIDC login state, kept in the shared cache between login and launch.

The state is bound to the login's issuer, client id and ``lti_deployment_id``
and to the nonce sent to the platform. It is taken out of the cache by the
launch that uses it; the nonce table makes that use single even if two
processes read the same entry at once.
"""

import secrets
from dataclasses import asdict, dataclass

from flask_caching import Cache

STATE_PREFIX = "lti-state:"


@dataclass(frozen=True)
class LoginState:
    state: str
    nonce: str
    platform_id: int
    issuer: str
    client_id: str
    lti_deployment_id: str
    target_link_uri: str


def create_login_state(
    cache: Cache,
    *,
    platform_id: int,
    issuer: str,
    client_id: str,
    lti_deployment_id: str,
    target_link_uri: str,
    max_age: int,
) -> LoginState:
    login_state = LoginState(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        platform_id=platform_id,
        issuer=issuer,
        client_id=client_id,
        lti_deployment_id=lti_deployment_id,
        target_link_uri=target_link_uri,
    )
    if not cache.set(STATE_PREFIX + login_state.state, asdict(login_state), timeout=max_age):
        raise RuntimeError("The launch state cache could not store the login state.")
    return login_state


def _valid_state_value(state: str) -> bool:
    return bool(state) and len(state) <= 200


def login_state_exists(cache: Cache, state: str) -> bool:
    """Return whether the state is still waiting for its launch, without taking it."""
    return _valid_state_value(state) and cache.has(STATE_PREFIX + state)


def take_login_state(cache: Cache, state: str) -> LoginState | None:
    """Remove and return the login state, or None if it is unknown, expired or used."""
    if not _valid_state_value(state):
        return None
    key = STATE_PREFIX + state
    stored = cache.get(key)
    if stored is None:
        return None
    cache.delete(key)
    return LoginState(**stored)
