"""Errors of the LTI layer; each carries what the person on the page should do next."""


class LaunchRejected(Exception):
    """A login or launch that must not go on.

    ``reason`` is logged and shown to LMS administrators; ``advice`` says what
    the person should do. ``status`` is the HTTP status of the error page.
    """

    advice = "relaunch"

    def __init__(self, reason: str, *, status: int = 400, advice: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        if advice is not None:
            self.advice = advice


class UnknownPlatform(LaunchRejected):
    """The issuer or client id is not registered with the tool."""

    advice = "register"


class DeploymentPendingApproval(LaunchRejected):
    """A new deployment id waits for an LMS administrator's approval."""

    advice = "await_approval"


class ReplayedLaunch(LaunchRejected):
    """The state or nonce was already used."""


class PlatformKeyError(LaunchRejected):
    """The platform's public key could not be found or fetched."""

    advice = "retry"
