"""Room permissions, checked on the server on every request.

| action                                | learner | instructor | co-editor | owner | LMS admin |
| see the room list, open visible rooms | yes     | yes        | yes       | yes   | yes       |
| see hidden rooms, create rooms        | no      | yes        | yes       | yes   | yes       |
| answer a published poll or quiz       | yes     | -          | -         | -     | -         |
| edit, clone                           | no      | no         | yes       | yes   | yes       |
| add or remove co-editors              | no      | no         | no        | yes   | yes       |
| delete, transfer ownership            | no      | no         | no        | yes   | yes       |
"""

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.auth.access import CourseAccess
from app.models import CourseRole, Room, RoomCoEditor
from app.models.base import utcnow


def is_owner(access: CourseAccess, room: Room) -> bool:
    return room.owner_id == access.user.id


def is_co_editor(session: Session, access: CourseAccess, room: Room) -> bool:
    return bool(
        session.scalar(
            select(exists().where(RoomCoEditor.room_id == room.id, RoomCoEditor.user_id == access.user.id))
        )
    )


def is_course_staff(access: CourseAccess) -> bool:
    return access.role == CourseRole.INSTRUCTOR or access.is_lms_admin


def can_see_hidden_rooms(access: CourseAccess) -> bool:
    return is_course_staff(access)


def can_create_room(access: CourseAccess) -> bool:
    return is_course_staff(access)


def can_open_room(session: Session, access: CourseAccess, room: Room) -> bool:
    if room.is_deleted:
        return False
    if can_see_hidden_rooms(access) or is_owner(access, room):
        return True
    if is_co_editor(session, access, room):
        return True
    return room.is_available_to_learners(utcnow())


def opens_room_only_when_available(session: Session, access: CourseAccess, room: Room) -> bool:
    """Return whether the user may open the room only while it is available to learners."""
    return not (can_see_hidden_rooms(access) or is_owner(access, room) or is_co_editor(session, access, room))


def can_edit_room(session: Session, access: CourseAccess, room: Room) -> bool:
    if room.is_deleted:
        return False
    return access.is_lms_admin or is_owner(access, room) or is_co_editor(session, access, room)


def can_manage_owner_rights(access: CourseAccess, room: Room) -> bool:
    """Add or remove co-editors, delete the room, transfer its ownership."""
    if room.is_deleted:
        return False
    return access.is_lms_admin or is_owner(access, room)


def can_answer_interactions(session: Session, access: CourseAccess, room: Room) -> bool:
    """Answer polls and quizzes: learners of the course only, never viewers or the room's editors."""
    if access.role != CourseRole.LEARNER:
        return False
    return not can_edit_room(session, access, room)
