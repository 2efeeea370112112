"""Single-use values of tokens (nonces and jti), remembered until the tokens expire."""

import time

# A nonce or jti stays blocked this many seconds after its token's exp, to cover clock skew.
REPLAY_LEEWAY_SECONDS = 60


class ReplayCache:
    """Single-use values (nonces, jti) kept until their token expired plus ``REPLAY_LEEWAY_SECONDS``.

    Not thread-safe: ``DemoPlatform`` calls it under its lock.
    """

    def __init__(self) -> None:
        self._expiry_by_value: dict[str, float] = {}

    def use(self, value: str, token_expiry: float) -> bool:
        """Record ``value`` and return True, or return False if it was recorded before."""
        now = time.time()
        self._expiry_by_value = {seen: expiry for seen, expiry in self._expiry_by_value.items() if expiry > now}
        if value in self._expiry_by_value:
            return False
        self._expiry_by_value[value] = token_expiry + REPLAY_LEEWAY_SECONDS
        return True
