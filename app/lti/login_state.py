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
    # The login's lti_storage_target: the frame that keeps the state and nonce
    # through LTI platform storage, so the launch need not read the state cookie.
    # Empty when the platform offered no platform storage.
    storage_target: str = ""


def create_login_state(
    cache: Cache,
    *,
    platform_id: int,
    issuer: str,
    client_id: str,
    lti_deployment_id: str,
    target_link_uri: str,
    storage_target: str = "",
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
        storage_target=storage_target,
    )
    if not cache.set(STATE_PREFIX + login_state.state, asdict(login_state), timeout=max_age):
        raise RuntimeError("The launch state cache could not store the login state.")
    return login_state


def _valid_state_value(state: str) -> bool:
    return bool(state) and len(state) <= 200


def peek_login_state(cache: Cache, state: str) -> LoginState | None:
    """Return the login state without taking it, or None if it is unknown, expired or used."""
    if not _valid_state_value(state):
        return None
    stored = cache.get(STATE_PREFIX + state)
    return LoginState(**stored) if stored is not None else None


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
