"""Errors of the demo platform."""


class PlatformRefusal(Exception):
    """A request that the demo platform rejects, as a real LMS would.

    ``reason`` names the invalid value. ``oauth_error`` is the RFC 6749 error code that the
    token endpoint returns (``invalid_request``, ``invalid_client``, ``invalid_grant``,
    ``unsupported_grant_type`` or ``invalid_scope``). The other endpoints ignore it.
    """

    def __init__(self, reason: str, *, oauth_error: str = "invalid_request"):
        super().__init__(reason)
        self.reason = reason
        self.oauth_error = oauth_error
