"""Business rules for rooms. Functions flush; the caller commits."""

import logging

from sqlalchemy.orm import Session

from app.models import Course, Room, RoomStatus, RoomTag, User
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
    )
    room.tags = [RoomTag(tag=tag) for tag in clean_tags(tags)]
    session.add(room)
    session.flush()
    logger.info("Room %s created in course %s by user %s", room.id, course.id, owner.id)
    return room
