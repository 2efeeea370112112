"""What instructors do with LMS links: resolve a copied link, link a plain link to a room, clone all."""

import logging

from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.auth.access import CourseAccess
from app.cloning.services import IDEMPOTENCY_KEY_PATTERN, create_clone
from app.models import (
    CloneBatch,
    CloneJob,
    Notification,
    Placement,
    ResolutionChoice,
    ResolutionRule,
    Room,
    RoomStatus,
)
from app.models.base import utcnow
from app.placements import services
from app.rooms import permissions
from app.rooms import services as room_services
from app.rooms.exceptions import InvalidRoomInput, RoomError, RoomPermissionDenied

logger = logging.getLogger(__name__)


class AlreadyResolved(Exception):
    """Another instructor resolved the link first; ``room`` is the room it now opens."""

    def __init__(self, room: Room):
        super().__init__(room.id)
        self.room = room


def _check_key(idempotency_key: str) -> None:
    if not IDEMPOTENCY_KEY_PATTERN.match(idempotency_key or ""):
        raise InvalidRoomInput(_("The request is invalid: reload the page and try again."))


def notify_source_owner(session: Session, source: Room, clone: Room, course_title: str) -> None:
    """Tell the owner of a room that a clone of it was made in a copied course."""
    session.execute(
        insert(Notification).values(
            user_id=source.owner_id,
            course_id=source.course_id,
            room_id=source.id,
            kind="cloned_into_copy",
            message=_("Your room %(name)s was cloned into the copied course %(course)s.", name=source.name, course=course_title)[:1000],
            created_at=utcnow(),
        )
    )


def resolve_copied_link(
    session: Session, access: CourseAccess, placement: Placement, *, choice: str, idempotency_key: str, claims_room: Room
) -> tuple[Room, CloneJob | None]:
    """Carry out the copy flow's choice; the checks of the launch are made again here."""
    _check_key(idempotency_key)
    if not permissions.is_course_staff(access):
        raise RoomPermissionDenied(_("Only an instructor of this course can set up this link."))
    if placement.room_id is not None:
        raise AlreadyResolved(placement.room)

    if choice == "clone":
        context = services.LaunchContext(
            platform_id=placement.platform_id,
            course=access.course,
            user=access.user,
            is_instructor=True,
            is_lms_admin=access.is_lms_admin,
            cc_enabled=access.cc_enabled,
        )
        sources = services.copy_sources(session, access.course)
        source = services._effective_source(session, claims_room, sources)
        has_evidence = source.course_id in {course.id for course in sources}
        may_clone = has_evidence or services.is_editor_of(session, access.user, source) or services.is_editor_of(
            session, access.user, claims_room
        )
        if not context.cc_enabled:
            raise RoomPermissionDenied(_("Clone room is turned off because C&C is disabled for this LMS installation."))
        if not may_clone:
            raise RoomPermissionDenied(
                _("This room can be cloned only by its owner or a co-editor, or when the LMS says this course was copied from its course.")
            )
        if source.status != RoomStatus.READY or source.deleted_at is not None:
            raise RoomError(_("The room to clone is not ready. Choose an empty room or try again later."))

        job, _created = create_clone(
            session, source=source, target_course_id=access.course.id, requester_id=access.user.id, idempotency_key=idempotency_key
        )
        room = job.target_room
        if not services.bind_placement(session, placement, room):
            raise AlreadyResolved(placement.room)
        if has_evidence:
            notify_source_owner(session, source, room, access.course.display_name)
        services.record_resolution(
            session, placement, user=access.user, rule=ResolutionRule.COPY_FLOW, choice=ResolutionChoice.CLONE,
            named_room=claims_room, room=room, evidence=["history" if has_evidence else "owner or co-editor"],
        )
        logger.info("Placement %s resolved by user %s: clone of room %s as room %s", placement.id, access.user.id, source.id, room.id)
        return room, job

    if choice == "empty":
        room = room_services.create_room(
            session, access.course, access.user, name=placement.title or _("Room"), description="", tags=""
        )
        if not services.bind_placement(session, placement, room):
            raise AlreadyResolved(placement.room)
        services.record_resolution(
            session, placement, user=access.user, rule=ResolutionRule.COPY_FLOW, choice=ResolutionChoice.EMPTY_ROOM,
            named_room=claims_room, room=room,
        )
        logger.info("Placement %s resolved by user %s: empty room %s", placement.id, access.user.id, room.id)
        return room, None

    raise InvalidRoomInput(_("Choose to clone the room or to start with an empty room."))


def link_placement_to_room(session: Session, access: CourseAccess, placement: Placement, room: Room) -> None:
    """Make a plain LMS link open one room of the course, from the room list."""
    if not permissions.is_course_staff(access):
        raise RoomPermissionDenied(_("Only an instructor of this course can choose the room a link opens."))
    if room.course_id != access.course.id or room.deleted_at is not None:
        raise InvalidRoomInput(_("Choose a room of this course."))
    if placement.room_id is not None:
        raise AlreadyResolved(placement.room)
    if not services.bind_placement(session, placement, room):
        raise AlreadyResolved(placement.room)
    services.record_resolution(
        session, placement, user=access.user, rule=ResolutionRule.LINKED_FROM_LIST, choice=ResolutionChoice.BOUND, room=room
    )


def rooms_opened_by_links(session: Session, course_id: int) -> list[Room]:
    """Return the rooms that the course's LMS links open, oldest link first."""
    # Grouped rather than DISTINCT, because PostgreSQL rejects a DISTINCT query ordered by
    # a column it does not select. Each room is ordered by its oldest link.
    return list(
        session.scalars(
            select(Room)
            .join(Placement, Placement.room_id == Room.id)
            .where(Placement.course_id == course_id, Room.course_id == course_id, Room.deleted_at.is_(None))
            .group_by(Room.id)
            .order_by(func.min(Placement.id))
        )
    )


def clone_all(session: Session, access: CourseAccess, idempotency_key: str) -> CloneBatch:
    """Clone into this course every room that the links of the course it was copied from opened."""
    _check_key(idempotency_key)
    if not permissions.is_course_staff(access):
        raise RoomPermissionDenied(_("Only an instructor of this course can clone rooms into it."))
    if not access.cc_enabled:
        raise RoomPermissionDenied(_("Clone room is turned off because C&C is disabled for this LMS installation."))
    existing = session.scalars(
        select(CloneBatch).where(CloneBatch.requested_by_id == access.user.id, CloneBatch.idempotency_key == idempotency_key)
    ).first()
    if existing is not None:
        return existing
    sources = services.copy_sources(session, access.course)
    if not sources:
        raise RoomError(_("The LMS has not said that this course was copied from another one."))
    source_course = sources[0]

    batch = CloneBatch(
        course_id=access.course.id,
        source_course_id=source_course.id,
        requested_by_id=access.user.id,
        idempotency_key=idempotency_key,
    )
    session.add(batch)
    session.flush()
    for index, room in enumerate(rooms_opened_by_links(session, source_course.id)):
        if services._clone_in_course(session, room, access.course.id) is not None or room.status != RoomStatus.READY:
            continue
        job, _created = create_clone(
            session,
            source=room,
            target_course_id=access.course.id,
            requester_id=access.user.id,
            idempotency_key=f"{idempotency_key[:50]}-{index}",
            batch_id=batch.id,
        )
        notify_source_owner(session, room, job.target_room, access.course.display_name)
    logger.info("Clone all: batch %s from course %s into course %s by user %s", batch.id, source_course.id, access.course.id, access.user.id)
    return batch


def batch_jobs(session: Session, batch: CloneBatch) -> list[CloneJob]:
    return list(session.scalars(select(CloneJob).where(CloneJob.batch_id == batch.id).order_by(CloneJob.id)))
