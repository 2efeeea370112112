"""Co-editors: chosen by the owner, given edit rights, never owner rights."""

import pytest

from app.extensions import db
from app.models import Room, RoomCoEditor, User
from tests.support.actors import INSTRUCTOR, LEARNER, launch_actor


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


@pytest.fixture
def colleague(app, test_platform):
    return launch_actor(app, test_platform, sub="colleague", name="Carl Colleague", roles=INSTRUCTOR)


def user_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.name == name))


def create_room(actor) -> int:
    response = actor.post(f"/courses/{actor.course_id}/rooms/new", {"name": "Shared room"})
    return int(response.location.rsplit("/", 1)[1])


def test_launched_instructor_offered_and_added(app, owner, colleague):
    room_id = create_room(owner)
    page = owner.get(f"/rooms/{room_id}/co-editors").get_data(as_text=True)
    assert "Carl Colleague" in page
    assert "did not offer the course roster" in page

    colleague_id = user_id(app, "Carl Colleague")
    assert owner.post(f"/rooms/{room_id}/co-editors", {"candidate": f"user:{colleague_id}"}).status_code == 303

    assert colleague.post(f"/rooms/{room_id}/edit", {"name": "Renamed by co-editor"}).status_code == 303
    assert colleague.post(f"/rooms/{room_id}/delete").status_code == 403
    assert colleague.get(f"/rooms/{room_id}/co-editors").status_code == 403


def test_learner_cannot_become_co_editor(app, test_platform, owner):
    room_id = create_room(owner)
    launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER)
    learner_id = user_id(app, "Lena Learner")

    response = owner.post(f"/rooms/{room_id}/co-editors", {"candidate": f"user:{learner_id}"})
    assert response.status_code == 422
    assert "Only instructors" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RoomCoEditor.id))) == 0


def test_remove_co_editor(app, owner, colleague):
    room_id = create_room(owner)
    colleague_id = user_id(app, "Carl Colleague")
    owner.post(f"/rooms/{room_id}/co-editors", {"candidate": f"user:{colleague_id}"})

    assert owner.post(f"/rooms/{room_id}/co-editors/{colleague_id}/remove").status_code == 303
    assert colleague.post(f"/rooms/{room_id}/edit", {"name": "Not allowed"}).status_code == 403
    with app.app_context():
        assert db.session.get(Room, room_id).name == "Shared room"


def test_co_editor_sees_hidden_room(app, test_platform, owner, colleague):
    room_id = create_room(owner)
    helper = launch_actor(app, test_platform, sub="ta", name="Tara Assistant", roles=INSTRUCTOR)
    owner.post(f"/rooms/{room_id}/co-editors", {"candidate": f"user:{user_id(app, 'Tara Assistant')}"})
    assert helper.get(f"/rooms/{room_id}").status_code == 200
