"""Two job consumer processes that receive every clone job twice run each job exactly once."""

import re
import time

import pytest

from app.cloning.tasks import enqueue_clone
from app.extensions import db
from app.models import Asset, CloneJob, Interaction, Notification, StoryboardItem
from tests.cloning.test_clone_job import create_room, fill_room
from tests.support.actors import INSTRUCTOR, launch_actor
from tests.support.servers import app_settings, start_worker

JOB_COUNT = 100
FINISH_TIMEOUT = 180.0


def count_rows(model, room_id: int) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)).where(model.room_id == room_id))


@pytest.mark.slow
def test_two_workers_run_each_job_once(app, test_platform, tmp_path):
    owner = launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)
    source_id = create_room(owner)
    fill_room(app, source_id)

    # Each request enqueues its job once; a second message for every job stands for
    # the sweeper re-enqueueing a job that looked lost. The consumers start only
    # afterwards, so they compete for a full queue.
    job_ids = []
    for number in range(JOB_COUNT):
        response = owner.post(f"/rooms/{source_id}/clone", {"idempotency_key": f"race-key-{number:04d}"})
        assert response.status_code == 303, response.get_data(as_text=True)
        job_ids.append(int(response.location.rsplit("/", 1)[1]))
    with app.app_context():
        for job_id in job_ids:
            enqueue_clone(job_id)

    settings = {**app_settings(app), "ROOMS_BASE_URL": "http://localhost"}
    workers = [start_worker(settings, tmp_path / "logs", name=f"worker-{number}") for number in (1, 2)]
    try:
        deadline = time.monotonic() + FINISH_TIMEOUT
        while time.monotonic() < deadline:
            with app.app_context():
                unfinished = db.session.scalar(
                    db.select(db.func.count(CloneJob.id)).where(
                        CloneJob.id.in_(job_ids), CloneJob.status.in_(["queued", "running"])
                    )
                )
            if unfinished == 0:
                break
            for worker in workers:
                assert worker.process.poll() is None, f"a consumer exited:\n{worker.log_text()}"
            time.sleep(0.2)
        # Let the consumers take the remaining duplicate messages before they stop.
        time.sleep(2)
    finally:
        for worker in workers:
            worker.stop()
    logs = [worker.log_text() for worker in workers]

    with app.app_context():
        jobs = db.session.scalars(db.select(CloneJob).where(CloneJob.id.in_(job_ids))).all()
        assert sorted(job.status.value for job in jobs) == ["succeeded"] * JOB_COUNT, "\n".join(logs)
        assert sorted(job.attempt for job in jobs) == [1] * JOB_COUNT

        # A copy that ran twice would hold every row twice. Deleted interactions are not copied.
        copied_interactions = db.session.scalar(
            db.select(db.func.count(Interaction.id)).where(Interaction.room_id == source_id, Interaction.status != "deleted")
        )
        expected = (count_rows(Asset, source_id), count_rows(StoryboardItem, source_id), copied_interactions)
        assert expected[0] > 0
        for job in jobs:
            room_id = job.target_room_id
            assert (count_rows(Asset, room_id), count_rows(StoryboardItem, room_id), count_rows(Interaction, room_id)) == expected
            notifications = db.session.scalars(db.select(Notification.kind).where(Notification.room_id == room_id)).all()
            assert notifications == ["clone_succeeded"]

    started = [set(re.findall(r"Clone job (\d+) attempt 1 started", log)) for log in logs]
    not_claimed = sum(len(re.findall(r"Clone job \d+ not claimed", log)) for log in logs)
    assert started[0].isdisjoint(started[1])
    assert len(started[0]) + len(started[1]) == JOB_COUNT
    assert started[0] and started[1], "one consumer ran every job, so the two never raced"
    assert not_claimed == JOB_COUNT
