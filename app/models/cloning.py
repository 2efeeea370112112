"""Clone jobs: the database row is the job's state; the queue only carries its id."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.people import User
from app.models.rooms import Room


class CloneJobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CloneJob(Base):
    """Copy the content of ``source_room`` into ``target_room``, once."""

    __tablename__ = "clone_job"
    # A repeated request (double click, browser retry) carries the same key.
    __table_args__ = (UniqueConstraint("requested_by_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    target_room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), unique=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[CloneJobStatus] = mapped_column(string_enum(CloneJobStatus), default=CloneJobStatus.QUEUED, index=True)
    # Incremented by every claim; only the attempt that claimed last may finish the job.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str] = mapped_column(Text, default="")
    # The "Clone all" request this job belongs to, if any.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("clone_batch.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    source_room: Mapped[Room] = relationship(foreign_keys=[source_room_id])
    target_room: Mapped[Room] = relationship(foreign_keys=[target_room_id])
    requested_by: Mapped[User] = relationship()


class Notification(Base):
    """A message to a user in the tool, such as the end of a clone job."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
