"""Two editors of one room: a save over changes made after the form was opened is not lost silently."""

import re
import threading
from html import unescape

import pytest

from app.extensions import db
from app.models import Interaction, Room, RoomCoEditor, User
from tests.support.actors import INSTRUCTOR, Actor, launch_actor


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


@pytest.fixture
def colleague(app, test_platform):
    return launch_actor(app, test_platform, sub="colleague", name="Carl Colleague", roles=INSTRUCTOR)


def shared_room(app, owner: Actor) -> int:
    response = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": "Shared room", "tags": "week1"})
    room_id = int(response.location.rsplit("/", 1)[1])
    with app.app_context():
        colleague_id = db.session.scalar(db.select(User.id).where(User.name == "Carl Colleague"))
        db.session.add(RoomCoEditor(room_id=room_id, user_id=colleague_id))
        db.session.commit()
    return room_id


def original_of(page: str) -> str:
    match = re.search(r'name="original"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="original"', page)
    assert match, "the edit form has no original field"
    return match.group(1)


def room_details(app, room_id: int) -> tuple[str, str, list[str]]:
    with app.app_context():
        room = db.session.get(Room, room_id)
        return room.name, room.description, room.tag_names


def test_stale_room_save_rejected_then_confirmed(app, owner, colleague):
    room_id = shared_room(app, owner)
    owner_original = original_of(owner.get(f"/rooms/{room_id}/edit").get_data(as_text=True))
    colleague_original = original_of(colleague.get(f"/rooms/{room_id}/edit").get_data(as_text=True))

    saved = colleague.post(
        f"/rooms/{room_id}/edit",
        {"name": "Carl's name", "description": "Carl's text", "tags": "week1", "original": colleague_original},
    )
    assert saved.status_code == 303

    stale = owner.post(
        f"/rooms/{room_id}/edit",
        {"name": "Olive's name", "description": "Olive's text", "tags": "week2", "original": owner_original},
    )
    assert stale.status_code == 409
    page = unescape(stale.get_data(as_text=True))
    assert "Someone else saved changes to this room after you opened this form" in page
    assert "<dd>Carl's name</dd>" in page
    assert "<dd>Carl's text</dd>" in page
    assert 'value="Olive\'s name"' in page
    assert room_details(app, room_id) == ("Carl's name", "Carl's text", ["week1"])

    # The conflict page's form carries the new fingerprint: saving it replaces Carl's version.
    confirmed = owner.post(
        f"/rooms/{room_id}/edit",
        {"name": "Olive's name", "description": "Olive's text", "tags": "week2", "original": original_of(page)},
    )
    assert confirmed.status_code == 303
    assert room_details(app, room_id) == ("Olive's name", "Olive's text", ["week2"])


def test_unrelated_change_is_no_conflict(app, owner, colleague):
    room_id = shared_room(app, owner)
    original = original_of(owner.get(f"/rooms/{room_id}/edit").get_data(as_text=True))
    assert colleague.post(f"/rooms/{room_id}/visibility", {"visible": "y"}).status_code == 303

    response = owner.post(f"/rooms/{room_id}/edit", {"name": "Renamed", "tags": "week1", "original": original})

    assert response.status_code == 303
    assert room_details(app, room_id)[0] == "Renamed"


def test_concurrent_saves_one_wins(app, owner, colleague):
    room_id = shared_room(app, owner)
    original = original_of(owner.get(f"/rooms/{room_id}/edit").get_data(as_text=True))
    start = threading.Barrier(2)
    statuses = {}

    def save(actor: Actor, name: str) -> None:
        client = Actor(app.test_client(use_cookies=False), actor.token, actor.csrf, actor.course_url)
        start.wait()
        statuses[name] = client.post(f"/rooms/{room_id}/edit", {"name": name, "original": original}).status_code

    threads = [threading.Thread(target=save, args=(actor, name)) for actor, name in ((owner, "First"), (colleague, "Second"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses.values()) == [303, 409]
    winner = next(name for name, status in statuses.items() if status == 303)
    assert room_details(app, room_id)[0] == winner


def test_stale_quiz_save_rejected(app, owner, colleague):
    room_id = shared_room(app, owner)
    fields = {"kind": "quiz", "title": "Capital of Australia?", "options-0": "Sydney", "options-1": "Canberra", "correct": ["1"]}
    assert owner.post(f"/rooms/{room_id}/interactions", fields).status_code == 303
    with app.app_context():
        quiz_id = db.session.scalar(db.select(db.func.max(Interaction.id)))
    edit_url = f"/rooms/{room_id}/interactions/{quiz_id}/edit"
    owner_original = original_of(owner.get(edit_url).get_data(as_text=True))
    colleague_original = original_of(colleague.get(edit_url).get_data(as_text=True))

    assert colleague.post(edit_url, {**fields, "correct": ["0"], "original": colleague_original}).status_code == 303
    stale = owner.post(edit_url, {**fields, "title": "Which city is the capital?", "original": owner_original})

    assert stale.status_code == 409
    page = unescape(stale.get_data(as_text=True))
    assert "Someone else saved changes here after you opened this form" in page
    assert "<dd>Sydney; Canberra</dd>" in page
    with app.app_context():
        quiz = db.session.get(Interaction, quiz_id)
        assert quiz.title == "Capital of Australia?"
        assert quiz.correct_options == [0]
