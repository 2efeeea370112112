"""Periodic clean-up of LTI records that have served their purpose."""

import logging
from datetime import timedelta

from huey import crontab
from sqlalchemy import delete

from app.extensions import db
from app.models import RejectedLaunch, UsedNonce
from app.models.base import utcnow
from app.queue import huey, in_app_context

logger = logging.getLogger(__name__)

REJECTED_LAUNCH_RETENTION = timedelta(days=30)


def purge_expired_records() -> tuple[int, int]:
    """Delete used nonces past their expiry and rejected launches past retention."""
    now = utcnow()
    nonces = db.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now)).rowcount
    rejections = db.session.execute(
        delete(RejectedLaunch).where(RejectedLaunch.created_at < now - REJECTED_LAUNCH_RETENTION)
    ).rowcount
    db.session.commit()
    if nonces or rejections:
        logger.info("Purged %d expired nonces and %d old rejected launches", nonces, rejections)
    return nonces, rejections


@huey.periodic_task(crontab(minute="*/10"))
@in_app_context
def purge_expired_records_task():
    purge_expired_records()
