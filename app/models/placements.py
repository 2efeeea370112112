"""Course copy records: which courses a course was copied from, and how each copied link was resolved."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.courses import Course


class CopyEvidenceKind(enum.StrEnum):
    CONTEXT_HISTORY = "context_history"
    CANVAS_PREVIOUS_CONTEXT_IDS = "canvas_previous_context_ids"
    RESOURCE_LINK_HISTORY = "resource_link_history"


class CourseCopySource(Base):
    """A course that ``course`` was copied from, as a launch's history stated it.

    ``distance`` is 1 for the course copied directly, 2 for the course that one
    was copied from, and so on (the histories list the newest copy first).
    """

    __tablename__ = "course_copy_source"
    __table_args__ = (UniqueConstraint("course_id", "source_course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    source_course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    distance: Mapped[int] = mapped_column(Integer, default=1)
    evidence: Mapped[CopyEvidenceKind] = mapped_column(string_enum(CopyEvidenceKind))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    source_course: Mapped[Course] = relationship(foreign_keys=[source_course_id])


class ResolutionRule(enum.StrEnum):
    KNOWN_PLACEMENT = "known_placement"
    ROOM_OF_COURSE = "room_of_course"
    EXISTING_CLONE = "existing_clone"
    COPY_FLOW = "copy_flow"
    COURSE_LEVEL = "course_level"
    LINKED_FROM_LIST = "linked_from_list"


class ResolutionChoice(enum.StrEnum):
    BOUND = "bound"
    CLONE = "clone"
    EMPTY_ROOM = "empty_room"
    NOT_SET_UP = "not_set_up"
    OFFERED = "offered"


class PlacementResolution(Base):
    """The record of one resolution of an LMS link: who, when, which evidence, which choice."""

    __tablename__ = "placement_resolution"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rule: Mapped[ResolutionRule] = mapped_column(string_enum(ResolutionRule))
    choice: Mapped[ResolutionChoice] = mapped_column(string_enum(ResolutionChoice))
    # The room the link named (custom parameter ``room``), the room it now opens, and the evidence used.
    named_room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    evidence: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CloneBatch(Base):
    """A "Clone all" request: every room that the links of a source course opened, cloned into a course."""

    __tablename__ = "clone_batch"
    __table_args__ = (UniqueConstraint("requested_by_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    source_course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
