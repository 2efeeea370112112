"""Business rules for rooms. Functions flush; the caller commits."""

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import Course, CourseMembership, CourseRole, Room, RoomCoEditor, RoomStatus, RoomTag, User
from app.models.base import utcnow
from app.rooms.exceptions import InvalidRoomInput, RoomError
from app.rooms.settings import with_defaults
from app.rooms.validation import clean_description, clean_name, clean_tags

logger = logging.getLogger(__name__)


def create_room(session: Session, course: Course, owner: User, *, name: str, description: str, tags) -> Room:
    room = Room(
        course_id=course.id,
        owner_id=owner.id,
        name=clean_name(name),
        description=clean_description(description),
        status=RoomStatus.READY,
        visible_to_learners=False,
        settings=with_defaults({}),
    )
    room.tags = [RoomTag(tag=tag) for tag in clean_tags(tags)]
    session.add(room)
    session.flush()
    logger.info("Room %s created in course %s by user %s", room.id, course.id, owner.id)
    return room


def update_room_details(session: Session, room: Room, *, name: str, description: str, tags) -> Room:
    room.name = clean_name(name)
    room.description = clean_description(description)
    wanted = clean_tags(tags)
    existing = {tag.tag: tag for tag in room.tags}
    room.tags = [existing.get(tag) or RoomTag(tag=tag) for tag in wanted]
    session.flush()
    return room


def set_visibility(
    session: Session,
    room: Room,
    *,
    visible: bool,
    available_from: datetime | None,
    available_until: datetime | None,
) -> Room:
    if available_from and available_until and available_until <= available_from:
        raise InvalidRoomInput(_("The end of availability must be after its start."))
    if visible and room.status != RoomStatus.READY:
        raise RoomError(_("A room can be shown to learners only once it is ready."))
    room.visible_to_learners = visible
    room.available_from = available_from
    room.available_until = available_until
    session.flush()
    logger.info("Room %s visibility set to %s", room.id, "visible" if visible else "hidden")
    return room


def delete_room(session: Session, room: Room, actor: User) -> None:
    """Soft-delete the room: it disappears from every list, its clones keep their parent link."""
    room.deleted_at = utcnow()
    room.visible_to_learners = False
    session.flush()
    logger.info("Room %s deleted by user %s", room.id, actor.id)


def transfer_ownership(session: Session, room: Room, new_owner: User, actor: User) -> None:
    membership = session.scalars(
        select(CourseMembership).where(
            CourseMembership.course_id == room.course_id, CourseMembership.user_id == new_owner.id
        )
    ).first()
    if membership is None:
        raise InvalidRoomInput(_("The new owner must be a member of this course."))
    if membership.role != CourseRole.INSTRUCTOR:
        raise InvalidRoomInput(_("The new owner must be an instructor of this course."))
    if new_owner.id == room.owner_id:
        raise InvalidRoomInput(_("%(name)s already owns this room.", name=new_owner.display_name))

    previous_owner_id = room.owner_id
    room.owner_id = new_owner.id
    # The new owner's co-editor entry would be redundant; the previous owner keeps editing rights.
    session.execute(delete(RoomCoEditor).where(RoomCoEditor.room_id == room.id, RoomCoEditor.user_id == new_owner.id))
    session.add(RoomCoEditor(room_id=room.id, user_id=previous_owner_id, added_by_id=actor.id))
    session.flush()
    logger.info("Room %s ownership transferred from user %s to user %s by user %s", room.id, previous_owner_id, new_owner.id, actor.id)


def list_clones(session: Session, room: Room, access) -> list[Room]:
    """Return the room's clones in its course that the user may see."""
    from app.rooms.queries import rooms_visible_to

    return [clone for clone in rooms_visible_to(session, access) if clone.parent_id == room.id]
