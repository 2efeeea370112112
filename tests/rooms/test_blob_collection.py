"""The hourly collection of stored media bytes that no asset refers to."""

import io
import os
import time

from app.extensions import db
from app.models import Asset
from app.rooms import assets
from app.rooms.tasks import UNREFERENCED_BLOB_GRACE, collect_unreferenced_blobs_task
from app.storage import blob_store
from tests.rooms.test_assets import create_room, upload_ok
from tests.support import media_samples
from tests.support.actors import INSTRUCTOR, launch_actor

TWO_HOURS = 2 * 60 * 60


def store_orphan(app, content: bytes, *, age_seconds: int = 0) -> str:
    """Store bytes that no asset refers to, as a failed upload leaves them, written ``age_seconds`` ago."""
    with app.app_context():
        store = blob_store()
        content_hash = store.put(io.BytesIO(content)).content_hash
        make_old(store.path(content_hash), age_seconds)
    return content_hash


def make_old(path, age_seconds: int) -> None:
    then = time.time() - age_seconds
    os.utime(path, (then, then))


def stored_hashes(app) -> set[str]:
    with app.app_context():
        return {path.name for path in blob_store().root.glob("??/??/*")}


def collect(app) -> list[str]:
    with app.app_context():
        return assets.collect_unreferenced_blobs(db.session, blob_store(), older_than=UNREFERENCED_BLOB_GRACE)


def test_old_orphans_collected_referenced_kept(app, test_platform):
    owner = launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)
    room_id = create_room(owner)
    video = upload_ok(owner, room_id, media_samples.mp4(), "lecture.mp4", captions=media_samples.webvtt())
    with app.app_context():
        store = blob_store()
        make_old(store.path(video.content_hash), TWO_HOURS)
        make_old(store.path(video.captions_hash), TWO_HOURS)
    old_orphan = store_orphan(app, b"left by a failed upload", age_seconds=TWO_HOURS)
    new_orphan = store_orphan(app, b"an upload in progress")

    assert collect(app) == [old_orphan]

    assert stored_hashes(app) == {video.content_hash, video.captions_hash, new_orphan}
    page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "lecture.mp4" in page


def test_many_orphans_collected_in_batches(app):
    orphans = {store_orphan(app, f"orphan {number}".encode(), age_seconds=TWO_HOURS) for number in range(7)}
    with app.app_context():
        deleted = assets.collect_unreferenced_blobs(
            db.session, blob_store(), older_than=UNREFERENCED_BLOB_GRACE, batch_size=3
        )
    assert sorted(deleted) == sorted(orphans)
    assert stored_hashes(app) == set()


def test_abandoned_temporary_files_deleted(app):
    with app.app_context():
        temporary_folder = blob_store().root / "tmp"
    abandoned = temporary_folder / "upload-abandoned"
    in_progress = temporary_folder / "upload-in-progress"
    abandoned.write_bytes(b"partial")
    in_progress.write_bytes(b"partial")
    make_old(abandoned, TWO_HOURS)

    collect(app)

    assert not abandoned.exists()
    assert in_progress.exists()


def test_periodic_task_collects(app):
    orphan = store_orphan(app, b"left by a failed upload", age_seconds=TWO_HOURS)
    with app.app_context():
        collect_unreferenced_blobs_task.call_local()
        assert db.session.scalar(db.select(db.func.count(Asset.id))) == 0
    assert orphan not in stored_hashes(app)
