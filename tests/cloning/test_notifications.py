"""The notifications page after a clone job: current room names, and no link to a deleted room."""

import re

from app.extensions import db
from app.models import CloneJob, Notification
from tests.cloning.test_clone_job import create_room, request_clone, run_job
from tests.support.actors import INSTRUCTOR, launch_actor


def notification_lines(page: str) -> list[str]:
    """Return each notification's text after its time, with tags removed and spaces joined."""
    items = re.findall(r'<li [^>]*data-testid="notification">(.*?)</li>', page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()).split(" UTC ", 1)[1] for item in items]


def test_ready_clone_shows_current_name(app, test_platform):
    owner = launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)
    source_id = create_room(owner, name="Algebra week 1")
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    run_job(app, job_id)
    with app.app_context():
        target_id = db.session.get(CloneJob, job_id).target_room_id
        stored = db.session.scalars(db.select(Notification.message)).one()
    assert notification_lines(owner.get("/notifications").get_data(as_text=True)) == [stored]

    response = owner.post(f"/rooms/{target_id}/edit", {"name": "Algebra, spring term", "description": "", "tags": ""})
    assert response.status_code == 303
    page = owner.get("/notifications").get_data(as_text=True)
    assert notification_lines(page) == ["Your clone Algebra, spring term is ready."]
    assert f'href="/rooms/{target_id}"' in page


def test_deleted_clone_has_no_link(app, test_platform):
    owner = launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)
    source_id = create_room(owner)
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    run_job(app, job_id)
    with app.app_context():
        target_id = db.session.get(CloneJob, job_id).target_room_id

    assert owner.post(f"/rooms/{target_id}/delete").status_code == 303
    page = owner.get("/notifications").get_data(as_text=True)
    assert len(notification_lines(page)) == 1
    assert f'href="/rooms/{target_id}"' not in page
