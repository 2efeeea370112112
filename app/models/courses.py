"""Courses (LTI contexts) and the users' roles in them."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.people import User


class CourseRole(enum.StrEnum):
    INSTRUCTOR = "instructor"
    LEARNER = "learner"
    VIEWER = "viewer"


class Course(Base):
    """An LTI context of one platform."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    # The NRPS context memberships URL from the latest launch that carried one.
    nrps_url: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        return self.title or self.label or self.context_id


class CourseMembership(Base):
    """A user's course role as the latest launch in that course stated it."""

    __tablename__ = "course_membership"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    role: Mapped[CourseRole] = mapped_column(string_enum(CourseRole))
    is_teaching_assistant: Mapped[bool] = mapped_column(Boolean, default=False)
    last_launch_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
