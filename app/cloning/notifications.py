"""Notifications in the tool: the user's messages in the current course."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.auth.access import CourseAccess
from app.models import Notification, Room
from app.models.base import utcnow

NOTIFICATIONS_SHOWN = 50


@dataclass(frozen=True)
class NotificationItem:
    """A notification as the list shows it: its message now, and whether its room still opens."""

    notification: Notification
    message: str
    room_opens: bool


def _current_message(notification: Notification, room_name: str | None) -> str:
    # A ready clone is named by the room's name now, because its owner may have renamed
    # it since the job ended. Other messages stay as the job wrote them.
    if notification.kind == "clone_succeeded" and room_name is not None:
        return _("Your clone %(name)s is ready.", name=room_name)
    return notification.message


def list_notifications(session: Session, access: CourseAccess) -> list[NotificationItem]:
    """Return the user's newest notifications in the course, newest first."""
    rows = session.execute(
        select(Notification, Room.name, Room.deleted_at)
        .outerjoin(Room, Room.id == Notification.room_id)
        .where(Notification.user_id == access.user.id, Notification.course_id == access.course.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(NOTIFICATIONS_SHOWN)
    )
    return [
        NotificationItem(
            notification=notification,
            message=_current_message(notification, room_name),
            room_opens=room_name is not None and deleted_at is None,
        )
        for notification, room_name, deleted_at in rows
    ]


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
