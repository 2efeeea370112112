"""Periodic clean-up of the media store."""

from datetime import timedelta

from huey import crontab

from app.extensions import db
from app.queue import huey, in_app_context
from app.rooms import assets
from app.storage import blob_store

# Only bytes written over this long ago are collected, so that the collection stays
# clear of uploads in progress. The content locks keep it safe in any case.
UNREFERENCED_BLOB_GRACE = timedelta(hours=1)


@huey.periodic_task(crontab(minute="23"))
@in_app_context
def collect_unreferenced_blobs_task():
    assets.collect_unreferenced_blobs(db.session, blob_store(), older_than=UNREFERENCED_BLOB_GRACE)
