"""Errors of the rooms domain, each with a message for the person who caused it."""


class RoomError(Exception):
    """A room action that cannot be done; ``message`` is shown to the user."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRoomInput(RoomError):
    """A name, description, tag or other field is invalid."""

    status = 422


class RoomPermissionDenied(RoomError):
    status = 403


class CCDisabled(RoomPermissionDenied):
    """C&C is turned off for the deployment of the launch, so nothing is published or answered."""


class InteractionConflict(RoomError):
    """The interaction's status does not allow the action, such as closing a draft."""

    status = 409


class AlreadyAnswered(InteractionConflict):
    """The learner has a response to this poll or quiz already."""


class AssetTooLarge(InvalidRoomInput):
    """An uploaded file is larger than the configured maximum."""

    status = 413


class InvalidMediaLink(RoomError):
    """A media URL whose signature is wrong, or whose asset is gone or belongs to another course."""

    status = 404


class ExpiredMediaLink(RoomError):
    """A media URL with a valid signature that is older than its maximum age."""

    status = 403
