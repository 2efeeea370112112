"""Running a clone job: claim it, copy in one transaction, finish it exactly once.

A job is claimed by a conditional update that increments its attempt. The
copy commits only together with a second conditional update on (job,
attempt): if another attempt took the job over meanwhile, this one rolls
back and leaves no trace.
"""

import logging
import os
import time
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from app.cloning.copier import SourceUnavailable, copy_room_content
from app.cloning.progress import clear_progress, set_progress
from app.database import SQLITE_DEFERRED
from app.extensions import db
from app.models import CloneJob, CloneJobStatus, Notification, Room, RoomStatus, User
from app.models.base import utcnow

logger = logging.getLogger(__name__)

# Attempts of the copy transaction when the database reports a conflict with
# a concurrent write (SQLite's stale snapshot, PostgreSQL's serialization failure).
MAX_CONFLICT_RETRIES = 5
# Set only by tests: the job waits after its snapshot read until a release file exists.
BARRIER_DIR_VARIABLE = "ROOMS_TEST_CLONE_BARRIER_DIR"


class AttemptSuperseded(Exception):
    """Another attempt claimed the job while this one was copying."""


def claim_job(job_id: int) -> int | None:
    """Claim a queued job, or a running one whose heartbeat is stale; return the new attempt number.

    The queue delivers one job id, so the claim is one conditional UPDATE of that row
    rather than a ``SELECT ... FOR UPDATE SKIP LOCKED`` scan for any free job. When two
    workers receive the same id (the sweeper re-enqueued it), both try to claim it. On
    PostgreSQL the second UPDATE waits for the first one's row lock, then re-checks its
    WHERE clause against the committed row. It finds the job running with a fresh
    heartbeat and updates nothing. On SQLite the write transactions run one at a time
    (``BEGIN IMMEDIATE``).
    """
    now = utcnow()
    stale_before = now - timedelta(seconds=current_app.config["ROOMS_CLONE_STALE_AFTER"])
    with db.engine.begin() as connection:
        attempt = connection.execute(
            update(CloneJob)
            .where(
                CloneJob.id == job_id,
                or_(
                    CloneJob.status == CloneJobStatus.QUEUED,
                    and_(CloneJob.status == CloneJobStatus.RUNNING, CloneJob.heartbeat_at < stale_before),
                ),
            )
            .values(
                status=CloneJobStatus.RUNNING,
                attempt=CloneJob.attempt + 1,
                heartbeat_at=now,
                started_at=now,
            )
            .returning(CloneJob.attempt)
        ).scalar_one_or_none()
    return attempt


def _wait_at_test_barrier(job_id: int) -> None:
    barrier_dir = os.environ.get(BARRIER_DIR_VARIABLE)
    if not barrier_dir:
        return
    held = os.path.join(barrier_dir, f"job-{job_id}.held")
    release = os.path.join(barrier_dir, f"job-{job_id}.release")
    with open(held, "w") as handle:
        handle.write(str(os.getpid()))
    while not os.path.exists(release):
        time.sleep(0.05)


def _is_conflict(error: DBAPIError) -> bool:
    text = str(error.orig).lower()
    return (
        "database is locked" in text
        or "could not serialize" in text
        or "deadlock detected" in text
        or getattr(error.orig, "sqlstate", None) in {"40001", "40P01"}
    )


def _notify(connection, job_row, room_name: str, *, succeeded: bool, error: str = "") -> None:
    requester = connection.execute(select(User.locale).where(User.id == job_row.requested_by_id)).scalar_one()
    locale = (requester or "en").replace("-", "_")
    with force_locale(locale):
        if succeeded:
            message = _("Your clone %(name)s is ready.", name=room_name)
        else:
            message = _("Your clone %(name)s failed: %(error)s", name=room_name, error=error)
    connection.execute(
        insert(Notification).values(
            user_id=job_row.requested_by_id,
            course_id=job_row.course_id,
            room_id=job_row.target_room_id,
            kind="clone_succeeded" if succeeded else "clone_failed",
            message=message[:1000],
            created_at=utcnow(),
        )
    )


def _job_row(connection, job_id: int):
    return connection.execute(
        select(
            CloneJob.id,
            CloneJob.source_room_id,
            CloneJob.target_room_id,
            CloneJob.requested_by_id,
            Room.course_id,
            Room.name,
        )
        .join(Room, Room.id == CloneJob.target_room_id)
        .where(CloneJob.id == job_id)
    ).one()


def _copy_once(job_id: int, attempt: int, *, first_try: bool) -> None:
    engine = db.engine
    options = {}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    elif engine.dialect.name == "sqlite" and first_try:
        # The first try reads without the write lock, so that web requests can write
        # while it reads. It fails at its first write if another write committed
        # meanwhile, which a steady stream of writes (other clone jobs, claims) makes
        # happen every time. So the retries take the write lock at BEGIN (BEGIN
        # IMMEDIATE, set up in app.database), and they cannot fail that way.
        options[SQLITE_DEFERRED] = True

    with engine.connect() as connection:
        connection = connection.execution_options(**options)
        with connection.begin():
            job = _job_row(connection, job_id)
            now = utcnow()
            counts = copy_room_content(
                connection,
                source_id=job.source_room_id,
                target_id=job.target_room_id,
                now=now,
                report_progress=lambda stage, percent: set_progress(job_id, stage, percent),
                after_snapshot=(lambda: _wait_at_test_barrier(job_id)) if first_try else None,
            )
            finished = connection.execute(
                update(CloneJob)
                .where(CloneJob.id == job_id, CloneJob.attempt == attempt, CloneJob.status == CloneJobStatus.RUNNING)
                .values(status=CloneJobStatus.SUCCEEDED, finished_at=now, heartbeat_at=now, error="")
            )
            if finished.rowcount != 1:
                raise AttemptSuperseded()
            connection.execute(update(Room).where(Room.id == job.target_room_id).values(status=RoomStatus.READY))
            room_name = connection.execute(select(Room.name).where(Room.id == job.target_room_id)).scalar_one()
            _notify(connection, job, room_name, succeeded=True)
    logger.info(
        "Clone job %s attempt %s succeeded: room %s -> room %s (%d assets, %d storyboard items, %d interactions)",
        job_id,
        attempt,
        job.source_room_id,
        job.target_room_id,
        counts.assets,
        counts.storyboard_items,
        counts.interactions,
    )


def _mark_failed(job_id: int, attempt: int, reason: str) -> None:
    with db.engine.begin() as connection:
        failed = connection.execute(
            update(CloneJob)
            .where(CloneJob.id == job_id, CloneJob.attempt == attempt, CloneJob.status == CloneJobStatus.RUNNING)
            .values(status=CloneJobStatus.FAILED, finished_at=utcnow(), error=reason[:2000])
        )
        if failed.rowcount != 1:
            return
        job = _job_row(connection, job_id)
        connection.execute(update(Room).where(Room.id == job.target_room_id).values(status=RoomStatus.FAILED))
        _notify(connection, job, job.name, succeeded=False, error=reason)


def run_clone_job(job_id: int) -> None:
    """Claim and run a clone job; a job already claimed by a live attempt is left alone."""
    attempt = claim_job(job_id)
    if attempt is None:
        logger.info("Clone job %s not claimed: finished, failed or running elsewhere", job_id)
        return
    logger.info("Clone job %s attempt %s started", job_id, attempt)
    set_progress(job_id, "snapshot", 5)

    try:
        for retry in range(MAX_CONFLICT_RETRIES):
            try:
                _copy_once(job_id, attempt, first_try=retry == 0)
                break
            except (OperationalError, DBAPIError) as error:
                if not _is_conflict(error) or retry == MAX_CONFLICT_RETRIES - 1:
                    raise
                logger.info("Clone job %s attempt %s met a concurrent write; copying again", job_id, attempt)
                time.sleep(0.05 * (retry + 1))
    except AttemptSuperseded:
        logger.warning("Clone job %s attempt %s rolled back: another attempt took the job over", job_id, attempt)
        return
    except SourceUnavailable:
        logger.warning("Clone job %s failed: its source room was deleted", job_id)
        _mark_failed(job_id, attempt, _("The room to copy was deleted before it could be copied."))
        return
    except Exception as error:
        logger.exception("Clone job %s attempt %s failed", job_id, attempt)
        _mark_failed(job_id, attempt, _("The copy failed (%(error)s). Try again.", error=type(error).__name__))
        return
    finally:
        clear_progress(job_id)
