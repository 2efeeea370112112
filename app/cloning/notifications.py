"""Notifications in the tool: the user's messages in the current course."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.auth.access import CourseAccess
from app.models import Notification
from app.models.base import utcnow

NOTIFICATIONS_SHOWN = 50


def list_notifications(session: Session, access: CourseAccess) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == access.user.id, Notification.course_id == access.course.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(NOTIFICATIONS_SHOWN)
        )
    )


def unread_count(session: Session, access: CourseAccess) -> int:
    return session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == access.user.id,
            Notification.course_id == access.course.id,
            Notification.read_at.is_(None),
        )
    )


def mark_all_read(session: Session, access: CourseAccess) -> None:
    session.execute(
        update(Notification)
        .where(
            Notification.user_id == access.user.id,
            Notification.course_id == access.course.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
