"""Requesting a clone: preconditions, the target room and its job row.

Functions flush; the view commits, then enqueues the job id.
"""

import logging
import re

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.access import CourseAccess
from app.models import CloneJob, CloneJobStatus, Room, RoomStatus, RoomTag
from app.models.base import utcnow
from app.models.rooms import ROOM_NAME_MAX
from app.rooms import permissions
from app.rooms.exceptions import InvalidRoomInput, RoomError, RoomPermissionDenied

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class CloneRefused(RoomError):
    status = 409


def copy_name(name: str) -> str:
    """Return "Copy of <name>" in the user's language, cut to the name limit."""
    return _("Copy of %(name)s", name=name)[:ROOM_NAME_MAX].rstrip()


def check_clone_allowed(session: Session, access: CourseAccess, source: Room) -> None:
    if not access.cc_enabled:
        raise RoomPermissionDenied(
            _("Clone room is turned off because C&C is disabled for this LMS installation. Ask your LMS administrator.")
        )
    if source.is_deleted:
        raise CloneRefused(_("This room was deleted, so it cannot be cloned."))
    if not permissions.can_edit_room(session, access, source):
        raise RoomPermissionDenied(_("Only the owner, a co-editor or an LMS administrator can clone this room."))
    if source.status != RoomStatus.READY:
        raise CloneRefused(_("This room is still being cloned or its clone failed, so it cannot be cloned yet."))


def find_job(session: Session, access: CourseAccess, idempotency_key: str) -> CloneJob | None:
    return session.scalars(
        select(CloneJob).where(CloneJob.requested_by_id == access.user.id, CloneJob.idempotency_key == idempotency_key)
    ).first()


def request_clone(session: Session, access: CourseAccess, source: Room, idempotency_key: str) -> tuple[CloneJob, bool]:
    """Create the target room in the source's course and its queued job; return the job and whether it is new.

    A repeated request with the same idempotency key returns the first job.
    """
    if not IDEMPOTENCY_KEY_PATTERN.match(idempotency_key or ""):
        raise InvalidRoomInput(_("The clone request is invalid: reload the page and try again."))

    existing = find_job(session, access, idempotency_key)
    if existing is not None:
        return existing, False
    check_clone_allowed(session, access, source)
    return create_clone(
        session, source=source, target_course_id=source.course_id, requester_id=access.user.id, idempotency_key=idempotency_key
    )


def create_clone(
    session: Session,
    *,
    source: Room,
    target_course_id: int,
    requester_id: int,
    idempotency_key: str,
    batch_id: int | None = None,
) -> tuple[CloneJob, bool]:
    """Create a "cloning" room with the source's name, description and tags, and its queued job.

    The caller has checked that the requester may clone the source. A
    concurrent request with the same key returns the job that won the race.
    """
    try:
        with session.begin_nested():
            target = Room(
                course_id=target_course_id,
                owner_id=requester_id,
                parent_id=source.id,
                name=copy_name(source.name) if target_course_id == source.course_id else source.name,
                description=source.description,
                status=RoomStatus.CLONING,
                visible_to_learners=False,
                settings={},
            )
            target.tags = [RoomTag(tag=tag) for tag in source.tag_names]
            session.add(target)
            session.flush()
            job = CloneJob(
                source_room_id=source.id,
                target_room_id=target.id,
                requested_by_id=requester_id,
                idempotency_key=idempotency_key,
                status=CloneJobStatus.QUEUED,
                enqueued_at=utcnow(),
                batch_id=batch_id,
            )
            session.add(job)
            session.flush()
    except IntegrityError:
        existing = session.scalars(
            select(CloneJob).where(CloneJob.requested_by_id == requester_id, CloneJob.idempotency_key == idempotency_key)
        ).first()
        if existing is None:
            raise
        return existing, False

    logger.info("Clone job %s queued: room %s -> room %s in course %s by user %s", job.id, source.id, target.id, target_course_id, requester_id)
    return job, True


def retry_job(session: Session, job: CloneJob) -> None:
    """Queue a failed job again; its target room goes back to cloning."""
    if job.status != CloneJobStatus.FAILED:
        raise CloneRefused(_("Only a failed clone can be retried."))
    job.status = CloneJobStatus.QUEUED
    job.error = ""
    job.enqueued_at = utcnow()
    job.finished_at = None
    job.target_room.status = RoomStatus.CLONING
    session.flush()
    logger.info("Clone job %s queued again after failure", job.id)
