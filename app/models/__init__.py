"""All models, imported here so that Alembic and the app see every table."""

from app.models.base import Base
from app.models.cloning import CloneJob, CloneJobStatus, Notification
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
from app.models.placements import (
    CloneBatch,
    CopyEvidenceKind,
    CourseCopySource,
    PlacementResolution,
    ResolutionChoice,
    ResolutionRule,
)
from app.models.rooms import (
    Asset,
    AssetKind,
    Interaction,
    InteractionKind,
    InteractionResponse,
    InteractionStatus,
    Placement,
    Room,
    RoomCoEditor,
    RoomStatus,
    RoomTag,
    StoryboardItem,
    StoryboardItemKind,
)

__all__ = [
    "Asset",
    "AssetKind",
    "Base",
    "CloneBatch",
    "CloneJob",
    "CloneJobStatus",
    "CopyEvidenceKind",
    "Course",
    "CourseCopySource",
    "CourseMembership",
    "CourseRole",
    "Deployment",
    "DeploymentPolicy",
    "DeploymentStatus",
    "Identity",
    "Interaction",
    "InteractionKind",
    "InteractionResponse",
    "InteractionStatus",
    "Notification",
    "Placement",
    "PlacementResolution",
    "Platform",
    "RejectedLaunch",
    "ResolutionChoice",
    "ResolutionRule",
    "Room",
    "RoomCoEditor",
    "RoomStatus",
    "RoomTag",
    "StoryboardItem",
    "StoryboardItemKind",
    "ToolKey",
    "ToolKeyStatus",
    "UsedNonce",
    "User",
]
