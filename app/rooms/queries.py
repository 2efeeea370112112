"""Read queries for room lists."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.auth.access import CourseAccess
from app.models import Room, RoomCoEditor, RoomStatus
from app.models.base import utcnow
from app.rooms import permissions


def rooms_visible_to(session: Session, access: CourseAccess) -> list[Room]:
    """Return the course's rooms the user may see, newest first."""
    query = (
        select(Room)
        .where(Room.course_id == access.course.id, Room.deleted_at.is_(None))
        .options(selectinload(Room.owner), selectinload(Room.tags), selectinload(Room.parent))
        .order_by(Room.created_at.desc(), Room.id.desc())
    )
    if not permissions.can_see_hidden_rooms(access):
        now = utcnow()
        co_edited = select(RoomCoEditor.room_id).where(RoomCoEditor.user_id == access.user.id)
        query = query.where(
            or_(
                Room.owner_id == access.user.id,
                Room.id.in_(co_edited),
                (Room.visible_to_learners.is_(True))
                & (Room.status == RoomStatus.READY)
                & (or_(Room.available_from.is_(None), Room.available_from <= now))
                & (or_(Room.available_until.is_(None), Room.available_until > now)),
            )
        )
    return list(session.scalars(query))
