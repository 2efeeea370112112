"""A clone job whose consumer process dies is taken over and finishes exactly once."""

import time

import pytest

from app.cloning.runner import BARRIER_DIR_VARIABLE
from app.cloning.tasks import sweep_clone_jobs
from app.extensions import db
from app.models import Asset, CloneJob, Notification, Room
from tests.cloning.test_clone_job import create_room, fill_room
from tests.support.actors import INSTRUCTOR, launch_actor
from tests.support.servers import app_settings, start_worker


def wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(message)


@pytest.mark.slow
def test_killed_consumer_job_finishes_once(app, test_platform, tmp_path):
    owner = launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)
    source_id = create_room(owner)
    fill_room(app, source_id)

    barrier = tmp_path / "barrier"
    barrier.mkdir()
    worker_env = {
        **app_settings(app),
        "ROOMS_BASE_URL": "http://localhost",
        BARRIER_DIR_VARIABLE: str(barrier),
    }
    # Neither consumer runs the periodic sweeper: a sweep that the first one queues at
    # its start would run in the second one, before the sweep this test makes below.
    first = start_worker(worker_env, tmp_path / "logs", name="first", periodic=False)
    try:
        response = owner.post(f"/rooms/{source_id}/clone", {"idempotency_key": "crash-key-1"})
        assert response.status_code == 303
        job_id = int(response.location.rsplit("/", 1)[1])

        held = barrier / f"job-{job_id}.held"
        wait_for(held.exists, 90, f"the consumer never reached the barrier:\n{first.log_text()}")
        first.kill()
    finally:
        first.stop()

    with app.app_context():
        job = db.session.get(CloneJob, job_id)
        assert job.status.value == "running"
        assert job.attempt == 1
        assert job.target_room.status.value == "cloning"
        assert db.session.scalar(db.select(db.func.count(Asset.id)).where(Asset.room_id == job.target_room_id)) == 0

    # The restarted consumer passes the barrier at once, and treats a heartbeat
    # older than one second as stale.
    (barrier / f"job-{job_id}.release").touch()
    second = start_worker(
        {**worker_env, "ROOMS_CLONE_STALE_AFTER": "1"}, tmp_path / "logs", name="second", periodic=False
    )
    try:
        time.sleep(1.5)
        with app.app_context():
            app.config["ROOMS_CLONE_STALE_AFTER"] = 1
            assert sweep_clone_jobs() == [job_id]

        def finished() -> bool:
            with app.app_context():
                return db.session.get(CloneJob, job_id).status.value == "succeeded"

        wait_for(finished, 90, f"the job did not finish after the restart:\n{second.log_text()}")
    finally:
        second.stop()

    with app.app_context():
        job = db.session.get(CloneJob, job_id)
        target = db.session.get(Room, job.target_room_id)
        assert job.attempt == 2
        assert target.status.value == "ready"
        assert db.session.scalar(db.select(db.func.count(Asset.id)).where(Asset.room_id == target.id)) == 2
        notifications = db.session.scalars(db.select(Notification).where(Notification.room_id == target.id)).all()
        assert [notification.kind for notification in notifications] == ["clone_succeeded"]
