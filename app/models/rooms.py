"""Rooms and what they contain: tags, co-editors, assets, storyboard, interactions."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.courses import Course
from app.models.people import User

ROOM_NAME_MAX = 200
ROOM_DESCRIPTION_MAX = 5000
TAG_MAX = 50
TAGS_PER_ROOM_MAX = 20


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


class RoomStatus(enum.StrEnum):
    CLONING = "cloning"
    READY = "ready"
    FAILED = "failed"


class Room(Base):
    """A course-scoped virtual classroom."""

    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id placed in LMS links (custom parameter ``room``); never reused.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    name: Mapped[str] = mapped_column(String(ROOM_NAME_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoomStatus] = mapped_column(string_enum(RoomStatus), default=RoomStatus.READY)
    visible_to_learners: Mapped[bool] = mapped_column(Boolean, default=False)
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship()
    owner: Mapped[User] = relationship()
    parent: Mapped["Room | None"] = relationship(remote_side=[id])
    tags: Mapped[list["RoomTag"]] = relationship(
        back_populates="room", cascade="all, delete-orphan", order_by="RoomTag.tag"
    )

    @property
    def tag_names(self) -> list[str]:
        return [tag.tag for tag in self.tags]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def is_available_to_learners(self, now: datetime) -> bool:
        if self.is_deleted or self.status != RoomStatus.READY or not self.visible_to_learners:
            return False
        if self.available_from is not None and now < self.available_from:
            return False
        if self.available_until is not None and now >= self.available_until:
            return False
        return True


class RoomTag(Base):
    __tablename__ = "room_tag"
    __table_args__ = (UniqueConstraint("room_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    # Stored in lower case so that search by tag ignores case.
    tag: Mapped[str] = mapped_column(String(TAG_MAX), index=True)

    room: Mapped[Room] = relationship(back_populates="tags")


class RoomCoEditor(Base):
    """A user whom the owner allowed to edit the room. Never copied by a clone."""

    __tablename__ = "room_co_editor"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AssetKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    SLIDES = "slides"
    IMAGE = "image"


class Asset(Base):
    """A media file of a room; the bytes live in the content-addressed store under ``content_hash``."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AssetKind] = mapped_column(string_enum(AssetKind))
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # SHA-256 of the bytes, hex: the key of the content-addressed store.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    captions_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    captions_file_name: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The asset this one was cloned from, used to map old ids to new ones.
    source_asset_id: Mapped[int | None] = mapped_column(Integer, index=True)


class StoryboardItemKind(enum.StrEnum):
    ASSET = "asset"
    NOTE = "note"
    LINK = "link"


class StoryboardItem(Base):
    """One step of a room's storyboard: an asset, a note or a link, in ``position`` order."""

    __tablename__ = "storyboard_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StoryboardItemKind] = mapped_column(string_enum(StoryboardItemKind))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    link_title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    asset: Mapped[Asset | None] = relationship()


class InteractionKind(enum.StrEnum):
    ANNOUNCEMENT = "announcement"
    POLL = "poll"
    QUIZ = "quiz"


class InteractionStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    CLOSED = "closed"
    DELETED = "deleted"


class Interaction(Base):
    """A chat-and-collaboration item prepared for a session: announcement, poll or quiz."""

    __tablename__ = "interaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InteractionKind] = mapped_column(string_enum(InteractionKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # Poll and quiz options, in order; quizzes list the indexes of the correct ones.
    options: Mapped[list] = mapped_column(JSON, default=list)
    correct_options: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[InteractionStatus] = mapped_column(string_enum(InteractionStatus), default=InteractionStatus.DRAFT)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The interaction this one was cloned from, used to map old ids to new ones.
    source_interaction_id: Mapped[int | None] = mapped_column(Integer, index=True)


class InteractionResponse(Base):
    """A learner's answer to a poll or quiz: one per learner and interaction."""

    __tablename__ = "interaction_response"
    __table_args__ = (UniqueConstraint("interaction_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    choices: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Placement(Base):
    """An LTI resource link in a course and the room it opens (none yet: course-level)."""

    __tablename__ = "placement"
    __table_args__ = (UniqueConstraint("platform_id", "course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), index=True)
    bound_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    room: Mapped[Room | None] = relationship()
