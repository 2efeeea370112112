"""Read queries for room lists."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.auth.access import CourseAccess
from app.models import Room, RoomCoEditor, RoomStatus, RoomTag
from app.models.base import utcnow
from app.rooms import permissions

ROOMS_PER_PAGE = 20
SEARCH_MAX = 100


@dataclass
class RoomPage:
    rooms: list[Room]
    page: int
    pages: int
    total: int
    query: str
    co_edited_ids: set[int]


def _visible_rooms(access: CourseAccess):
    """Build a SELECT of the course's rooms that are not deleted and that the user may see."""
    statement = select(Room).where(Room.course_id == access.course.id, Room.deleted_at.is_(None))
    if permissions.can_see_hidden_rooms(access):
        return statement

    now = utcnow()
    co_edited = select(RoomCoEditor.room_id).where(RoomCoEditor.user_id == access.user.id)
    return statement.where(
        or_(
            Room.owner_id == access.user.id,
            Room.id.in_(co_edited),
            (Room.visible_to_learners.is_(True))
            & (Room.status == RoomStatus.READY)
            & (or_(Room.available_from.is_(None), Room.available_from <= now))
            & (or_(Room.available_until.is_(None), Room.available_until > now)),
        )
    )


def rooms_visible_to(session: Session, access: CourseAccess) -> list[Room]:
    """Return every room of the course the user may see, newest first."""
    statement = _visible_rooms(access).order_by(Room.created_at.desc(), Room.id.desc())
    return list(session.scalars(statement))


def search_rooms(session: Session, access: CourseAccess, *, query: str = "", page: int = 1) -> RoomPage:
    """Return one page of the rooms the user may see whose name or a tag contains ``query``."""
    query = " ".join(query.split())[:SEARCH_MAX]
    statement = _visible_rooms(access)
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        tagged = select(RoomTag.room_id).where(RoomTag.tag.like(pattern, escape="\\"))
        statement = statement.where(or_(func.lower(Room.name).like(pattern, escape="\\"), Room.id.in_(tagged)))

    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    pages = max(1, -(-total // ROOMS_PER_PAGE))
    page = min(max(page, 1), pages)
    rooms = list(
        session.scalars(
            statement.options(selectinload(Room.owner), selectinload(Room.tags), selectinload(Room.parent))
            .order_by(Room.created_at.desc(), Room.id.desc())
            .limit(ROOMS_PER_PAGE)
            .offset((page - 1) * ROOMS_PER_PAGE)
        )
    )
    room_ids = [room.id for room in rooms]
    co_edited_ids = set(
        session.scalars(
            select(RoomCoEditor.room_id).where(RoomCoEditor.user_id == access.user.id, RoomCoEditor.room_id.in_(room_ids))
        )
    ) if room_ids else set()
    return RoomPage(rooms=rooms, page=page, pages=pages, total=total, query=query, co_edited_ids=co_edited_ids)
