"""Every cell of the permission table, against the real routes.

| action                                      | learner | instructor | co-editor | owner | LMS admin |
| see the room list, open a visible room      | yes     | yes        | yes       | yes   | yes       |
| see hidden rooms                            | no      | yes        | yes       | yes   | yes       |
| answer a published poll or quiz             | yes     | -          | -         | -     | -         |
| create a room in the course                 | no      | yes        | yes       | yes   | yes       |
| edit metadata, assets, storyboard, ...      | no      | no         | yes       | yes   | yes       |
| clone the room                              | no      | no         | yes       | yes   | yes       |
| add or remove co-editors                    | no      | no         | no        | yes   | yes       |
| delete the room, transfer ownership         | no      | no         | no        | yes   | yes       |

Viewers (Mentor) are learners who cannot answer; a user of another course
gets 404 for every room of this one.
"""

import pytest

from app.extensions import db
from app.models import Interaction, InteractionKind, InteractionResponse, InteractionStatus, Room, User
from app.models.base import utcnow


ROLES = ["learner", "viewer", "instructor", "co_editor", "owner", "lms_admin", "other_course"]


def make_room(app, people, *, visible: bool = True, name: str = "Shared room") -> dict:
    """Create a room as the owner, with the co-editor added and a published poll."""
    owner = people["owner"]
    created = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": name})
    room_id = int(created.location.rsplit("/", 1)[1])
    with app.app_context():
        co_editor_id = db.session.scalar(db.select(User.id).where(User.name == "Cora Coeditor"))
        poll = Interaction(room_id=room_id, kind=InteractionKind.POLL, title="Ready?", options=["Yes", "No"],
                           status=InteractionStatus.PUBLISHED, published_at=utcnow())
        db.session.add(poll)
        db.session.commit()
        poll_id = poll.id
    owner.post(f"/rooms/{room_id}/co-editors", {"candidate": f"user:{co_editor_id}"})
    if visible:
        owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})
    return {"room_id": room_id, "poll_id": poll_id}


def user_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.name == name))


ALLOWED = 0  # The action succeeded: 200 for pages, 303 for forms.


def outcome(response) -> int:
    return ALLOWED if response.status_code in (200, 303) else response.status_code


# action name -> (expected outcome per role, function performing it)
def open_list(app, actor, room):
    return actor.get(actor.course_url)


def open_visible_room(app, actor, room):
    return actor.get(f"/rooms/{room['room_id']}")


def answer_poll(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/interactions/{room['poll_id']}/responses", {"choice": "0"})


def create_room(app, actor, room):
    return actor.post(f"/courses/{actor.course_id}/rooms/new", {"name": "Another room"})


def edit_details(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/edit", {"name": "Renamed"})


def add_storyboard_note(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/storyboard", {"kind": "note", "note": "A note"})


def save_settings(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/settings",
                      {"screen_sharing": "everyone", "layout": "grid", "max_participants": "5"})


def change_visibility(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/visibility", {"visible": "y"})


def create_interaction(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/interactions",
                      {"kind": "announcement", "title": "Welcome", "body": "Hello"})


def clone_room(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/clone", {"idempotency_key": "permission-key"})


def add_co_editor(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/co-editors",
                      {"candidate": f"user:{user_id(app, 'Ivan Instructor')}"})


def remove_co_editor(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/co-editors/{user_id(app, 'Cora Coeditor')}/remove")


def delete_room(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/delete")


def transfer_room(app, actor, room):
    return actor.post(f"/rooms/{room['room_id']}/transfer", {"new_owner_id": str(user_id(app, "Ivan Instructor"))})


Y, N, NA, MISSING = ALLOWED, 403, 403, 404
EDIT = {"learner": N, "viewer": N, "instructor": N, "co_editor": Y, "owner": Y, "lms_admin": Y, "other_course": MISSING}
OWNER_ONLY = {"learner": N, "viewer": N, "instructor": N, "co_editor": N, "owner": Y, "lms_admin": Y, "other_course": MISSING}

TABLE = {
    "open_list": (open_list, {role: Y for role in ROLES}),
    "open_visible_room": (open_visible_room, {**{role: Y for role in ROLES}, "other_course": MISSING}),
    "answer_poll": (answer_poll, {"learner": Y, "viewer": NA, "instructor": NA, "co_editor": NA, "owner": NA,
                                  "lms_admin": NA, "other_course": MISSING}),
    "create_room": (create_room, {"learner": N, "viewer": N, "instructor": Y, "co_editor": Y, "owner": Y,
                                  "lms_admin": Y, "other_course": Y}),
    "edit_details": (edit_details, EDIT),
    "add_storyboard_note": (add_storyboard_note, EDIT),
    "save_settings": (save_settings, EDIT),
    "change_visibility": (change_visibility, EDIT),
    "create_interaction": (create_interaction, EDIT),
    "clone_room": (clone_room, EDIT),
    "add_co_editor": (add_co_editor, OWNER_ONLY),
    "remove_co_editor": (remove_co_editor, OWNER_ONLY),
    "delete_room": (delete_room, OWNER_ONLY),
    "transfer_room": (transfer_room, OWNER_ONLY),
}


@pytest.mark.parametrize("action", sorted(TABLE))
def test_permission_cell(app, people, action):
    perform, expected = TABLE[action]
    for role in ROLES:
        room = make_room(app, people, name=f"{action} as {role}")
        response = perform(app, people[role], room)
        assert outcome(response) == expected[role], f"{action} as {role}: HTTP {response.status_code}"


@pytest.mark.parametrize("role", ["learner", "viewer"])
def test_hidden_room_not_found_for(app, people, role):
    room = make_room(app, people, visible=False)
    assert people[role].get(f"/rooms/{room['room_id']}").status_code == 404
    listing = people[role].get(people[role].course_url).get_data(as_text=True)
    assert "Shared room" not in listing


@pytest.mark.parametrize("role", ["instructor", "co_editor", "owner", "lms_admin"])
def test_hidden_room_opens_for(app, people, role):
    room = make_room(app, people, visible=False)
    assert people[role].get(f"/rooms/{room['room_id']}").status_code == 200


def test_refused_actions_change_nothing(app, people):
    room = make_room(app, people)
    learner = people["learner"]
    for perform in (edit_details, delete_room, transfer_room, clone_room, add_storyboard_note):
        perform(app, learner, room)
    with app.app_context():
        stored = db.session.get(Room, room["room_id"])
        assert stored.name == "Shared room"
        assert stored.deleted_at is None
        assert stored.owner.name == "Olive Owner"
        assert db.session.scalar(db.select(db.func.count(Room.id))) == 1
        assert db.session.scalar(db.select(db.func.count(InteractionResponse.id))) == 0
