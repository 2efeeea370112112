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
