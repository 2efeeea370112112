"""A source asset deleted while its room is being cloned never leaves a copy without its bytes."""

import threading
import time

from app.cloning.runner import BARRIER_DIR_VARIABLE
from app.extensions import db
from app.models import Asset, CloneJob
from app.storage import blob_store
from tests.cloning.test_clone_job import create_room, request_clone, run_job
from tests.rooms.test_assets import upload_ok
from tests.support.actors import INSTRUCTOR, Actor, launch_actor
from tests.support.media_samples import png

# How long the delete request gets to prove that it waits for the copy.
BLOCKED_CHECK_SECONDS = 1.0


def wait_for_file(path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists(), f"{path.name} did not appear within {timeout:g} s"


def test_asset_deleted_during_clone_keeps_bytes(app, test_platform, tmp_path, monkeypatch):
    owner = launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)
    source_id = create_room(owner)
    asset = upload_ok(owner, source_id, png(), "diagram.png", title="Diagram", alt_text="A diagram")
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])

    # The job stops at the barrier after its snapshot read, holding its locks.
    monkeypatch.setenv(BARRIER_DIR_VARIABLE, str(tmp_path))
    clone = threading.Thread(target=run_job, args=(app, job_id))
    clone.start()
    wait_for_file(tmp_path / f"job-{job_id}.held")

    # The owner deletes the source's only asset meanwhile, from another thread and client.
    deleter = Actor(client=app.test_client(use_cookies=False), token=owner.token, csrf=owner.csrf, course_url=owner.course_url)
    delete_statuses = []
    delete = threading.Thread(
        target=lambda: delete_statuses.append(deleter.post(f"/rooms/{source_id}/assets/{asset.id}/delete").status_code)
    )
    delete.start()
    delete.join(timeout=BLOCKED_CHECK_SECONDS)
    delete_waited = delete.is_alive()

    (tmp_path / f"job-{job_id}.release").touch()
    clone.join(timeout=30)
    delete.join(timeout=30)
    assert not clone.is_alive()
    assert not delete.is_alive()
    assert delete_statuses == [303]

    with app.app_context():
        job = db.session.get(CloneJob, job_id)
        assert job.status.value == "succeeded"
        assert db.session.get(Asset, asset.id) is None
        copies = db.session.scalars(db.select(Asset).where(Asset.room_id == job.target_room_id)).all()
        # Whatever the order, every asset row left must have its bytes.
        remaining = db.session.scalars(db.select(Asset)).all()
        missing = [row.id for row in remaining if not blob_store().exists(row.content_hash)]
        assert missing == []

        if db.engine.dialect.name == "postgresql":
            # The copy share-locked the source's asset rows: the delete waited for it to
            # commit, and its release then found the copy referring to the bytes.
            assert delete_waited
            assert [copy.content_hash for copy in copies] == [asset.content_hash]
            assert blob_store().exists(asset.content_hash)
        else:
            # SQLite let the delete commit first; the copy's first write then failed on
            # its stale snapshot, and the retry copied a room without the asset.
            assert not delete_waited
            assert copies == []
            assert not blob_store().exists(asset.content_hash)
