"""Queue tasks of clone jobs: the job itself and the sweeper that rescues lost ones."""

import logging
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import and_, or_, select, update

from app.cloning.runner import run_clone_job
from app.extensions import db
from app.models import CloneJob, CloneJobStatus
from app.models.base import utcnow
from app.queue import huey, in_app_context

logger = logging.getLogger(__name__)


@huey.task()
@in_app_context
def clone_room_task(job_id: int) -> None:
    run_clone_job(job_id)


def enqueue_clone(job_id: int) -> None:
    """Put a job id on the queue; call only after the job row is committed."""
    clone_room_task(job_id)


def sweep_clone_jobs() -> list[int]:
    """Re-enqueue jobs left queued too long and running jobs whose heartbeat is stale.

    Huey has no acknowledgement, so a message taken by a worker that died is
    lost; the job row still says what is left to do.
    """
    now = utcnow()
    queued_before = now - timedelta(seconds=current_app.config["ROOMS_CLONE_QUEUED_TIMEOUT"])
    stale_before = now - timedelta(seconds=current_app.config["ROOMS_CLONE_STALE_AFTER"])
    job_ids = list(
        db.session.scalars(
            select(CloneJob.id).where(
                or_(
                    and_(CloneJob.status == CloneJobStatus.QUEUED, CloneJob.enqueued_at < queued_before),
                    and_(CloneJob.status == CloneJobStatus.RUNNING, CloneJob.heartbeat_at < stale_before),
                )
            )
        )
    )
    if not job_ids:
        return []
    db.session.execute(
        update(CloneJob)
        .where(CloneJob.id.in_(job_ids), CloneJob.status == CloneJobStatus.QUEUED)
        .values(enqueued_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    for job_id in job_ids:
        logger.warning("Clone job %s re-enqueued by the sweeper", job_id)
        enqueue_clone(job_id)
    return job_ids


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_clone_jobs_task() -> None:
    sweep_clone_jobs()
