"""All models, imported here so that Alembic and the app see every table."""

from app.models.base import Base
from app.models.courses import Course, CourseMembership, CourseRole
from app.models.lti import (
    Deployment,
    DeploymentPolicy,
    DeploymentStatus,
    Platform,
    RejectedLaunch,
    ToolKey,
    ToolKeyStatus,
    UsedNonce,
)
from app.models.people import Identity, User
from app.models.rooms import Room, RoomCoEditor, RoomStatus, RoomTag

__all__ = [
    "Base",
    "Course",
    "CourseMembership",
    "CourseRole",
    "Deployment",
    "DeploymentPolicy",
    "DeploymentStatus",
    "Identity",
    "Platform",
    "RejectedLaunch",
    "Room",
    "RoomCoEditor",
    "RoomStatus",
    "RoomTag",
    "ToolKey",
    "ToolKeyStatus",
    "UsedNonce",
    "User",
]
