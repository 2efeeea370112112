"""Room pages: edit, visibility, delete, ownership transfer, search and the storyboard."""

from html import unescape

import pytest

from app.extensions import db
from app.models import Room, RoomCoEditor, StoryboardItem, User
from tests.support.actors import INSTRUCTOR, LEARNER, launch_actor


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


@pytest.fixture
def learner(app, test_platform):
    return launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER)


def create_room(actor, name="Week 1", **fields) -> int:
    response = actor.post(f"/courses/{actor.course_id}/rooms/new", {"name": name, **fields})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


def user_id_named(name: str) -> int:
    return db.session.scalars(db.select(User.id).where(User.name == name)).one()


def room(app, room_id) -> Room:
    with app.app_context():
        found = db.session.get(Room, room_id)
        db.session.expunge_all()
        return found


def test_edit_details(app, owner):
    room_id = create_room(owner, tags="a")
    response = owner.post(f"/rooms/{room_id}/edit", {"name": "Week 1 (revised)", "description": "New", "tags": "b, c"})
    assert response.status_code == 303
    with app.app_context():
        edited = db.session.get(Room, room_id)
        assert edited.name == "Week 1 (revised)"
        assert edited.description == "New"
        assert edited.tag_names == ["b", "c"]


def test_edit_rejects_empty_name(app, owner):
    room_id = create_room(owner)
    response = owner.post(f"/rooms/{room_id}/edit", {"name": "   ", "description": "x"})
    assert response.status_code == 422
    assert room(app, room_id).name == "Week 1"


def test_hidden_room_is_404_for_learner(owner, learner):
    room_id = create_room(owner)
    assert learner.get(f"/rooms/{room_id}").status_code == 404
    assert "Week 1" not in learner.get(learner.course_url).get_data(as_text=True)


def test_visible_room_opens_for_learner(owner, learner):
    room_id = create_room(owner)
    assert owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"}).status_code == 303

    assert learner.get(f"/rooms/{room_id}").status_code == 200
    assert "Week 1" in learner.get(learner.course_url).get_data(as_text=True)


def test_availability_window_hides_room(owner, learner):
    room_id = create_room(owner)
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y", "available_from": "2999-01-01T09:00"})
    assert learner.get(f"/rooms/{room_id}").status_code == 404


def test_availability_end_before_start_rejected(app, owner):
    room_id = create_room(owner)
    response = owner.post(
        f"/rooms/{room_id}/visibility",
        {"visible": "y", "available_from": "2030-01-02T09:00", "available_until": "2030-01-01T09:00"},
    )
    assert response.status_code == 422
    assert room(app, room_id).visible_to_learners is False


def test_learner_cannot_change_visibility(app, owner, learner):
    room_id = create_room(owner)
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})
    assert learner.post(f"/rooms/{room_id}/visibility", {}).status_code == 403
    assert room(app, room_id).visible_to_learners is True


def test_delete_is_soft_and_hides_room(app, owner):
    room_id = create_room(owner)
    assert owner.post(f"/rooms/{room_id}/delete").status_code == 303
    assert room(app, room_id).deleted_at is not None
    assert owner.get(f"/rooms/{room_id}").status_code == 404


def test_instructor_not_owner_cannot_delete(app, test_platform, owner):
    room_id = create_room(owner)
    other = launch_actor(app, test_platform, sub="other", name="Otto Other", roles=INSTRUCTOR)
    assert other.post(f"/rooms/{room_id}/delete").status_code == 403
    assert room(app, room_id).deleted_at is None


def test_transfer_to_other_instructor(app, test_platform, owner):
    room_id = create_room(owner)
    other = launch_actor(app, test_platform, sub="other", name="Otto Other", roles=INSTRUCTOR)
    with app.app_context():
        other_id = user_id_named("Otto Other")
        owner_id = user_id_named("Olive Owner")

    response = owner.post(f"/rooms/{room_id}/transfer", {"new_owner_id": str(other_id)})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Room, room_id).owner_id == other_id
        co_editors = db.session.scalars(db.select(RoomCoEditor.user_id).where(RoomCoEditor.room_id == room_id)).all()
        assert co_editors == [owner_id]
    assert other.post(f"/rooms/{room_id}/delete").status_code == 303


def test_transfer_to_learner_rejected(app, owner, learner):
    room_id = create_room(owner)
    with app.app_context():
        learner_id = user_id_named("Lena Learner")
    response = owner.post(f"/rooms/{room_id}/transfer", {"new_owner_id": str(learner_id)})
    assert response.status_code == 422
    assert room(app, room_id).owner_id != learner_id


def room_table(page: str) -> str:
    """Return the room list's table of a course page, without the link chooser's room names."""
    start = page.find('<section aria-labelledby="room-list-title">')
    return page[start:]


def test_search_by_name_and_tag(owner):
    create_room(owner, name="Algebra basics", tags="maths")
    create_room(owner, name="Poetry", tags="literature")

    by_name = room_table(owner.get(owner.course_url, query_string={"q": "algebra"}).get_data(as_text=True))
    assert "Algebra basics" in by_name
    assert "Poetry" not in by_name

    by_tag = room_table(owner.get(owner.course_url, query_string={"q": "literat"}).get_data(as_text=True))
    assert "Poetry" in by_tag
    assert "Algebra basics" not in by_tag


def test_search_treats_wildcards_literally(owner):
    create_room(owner, name="Poetry")
    page = room_table(owner.get(owner.course_url, query_string={"q": "%"}).get_data(as_text=True))
    assert "Poetry" not in page
    assert "No room matches" in page


def test_room_list_paginates(owner):
    for number in range(23):
        create_room(owner, name=f"Room {number:02d}")
    first = owner.get(owner.course_url).get_data(as_text=True)
    second = owner.get(owner.course_url, query_string={"page": 2}).get_data(as_text=True)
    assert first.count('data-testid="room-row"') == 20
    assert second.count('data-testid="room-row"') == 3
    assert "Page 2 of 2" in second


def test_storyboard_add_move_remove(app, owner):
    room_id = create_room(owner)
    assert owner.post(f"/rooms/{room_id}/storyboard", {"kind": "note", "note": "Welcome"}).status_code == 303
    assert owner.post(
        f"/rooms/{room_id}/storyboard", {"kind": "link", "url": "https://example.org/a", "link_title": "Reading"}
    ).status_code == 303

    with app.app_context():
        items = db.session.scalars(db.select(StoryboardItem).order_by(StoryboardItem.position)).all()
        note_id, link_id = items[0].id, items[1].id

    assert owner.post(f"/rooms/{room_id}/storyboard/{link_id}/move", {"direction": "up"}).status_code == 303
    with app.app_context():
        order = db.session.scalars(db.select(StoryboardItem.id).order_by(StoryboardItem.position)).all()
        assert order == [link_id, note_id]

    assert owner.post(f"/rooms/{room_id}/storyboard/{link_id}/delete").status_code == 303
    with app.app_context():
        remaining = db.session.scalars(db.select(StoryboardItem)).all()
        assert [item.id for item in remaining] == [note_id]
        assert remaining[0].position == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://",
        "https://exa mple.com/page",
        "https://exa%20mple.com/page",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com/\tpage",
        "http:///path",
        "https://[::1",
        "https://[not-an-address]/",
        "https://-example.com/",
        f"https://{'a' * 64}.example.com/",
    ],
)
def test_storyboard_rejects_malformed_url(app, owner, url):
    room_id = create_room(owner)
    response = owner.post(f"/rooms/{room_id}/storyboard", {"kind": "link", "url": url})
    assert response.status_code == 422
    assert "is not a valid web address" in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StoryboardItem.id))) == 0


def test_storyboard_rejects_credentials_in_url(app, owner):
    room_id = create_room(owner)
    response = owner.post(f"/rooms/{room_id}/storyboard", {"kind": "link", "url": "https://user:secret@example.com/"})
    assert response.status_code == 422
    assert "must not contain a user name or password" in unescape(response.get_data(as_text=True))
    assert "secret@" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url", ["https://example.org:8443/a?b=c#d", "http://192.0.2.7/", "https://[2001:db8::1]/page", "https://bücher.example/"]
)
def test_storyboard_accepts_web_address(app, owner, url):
    room_id = create_room(owner)
    response = owner.post(f"/rooms/{room_id}/storyboard", {"kind": "link", "url": url})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StoryboardItem.id))) == 1


def test_storyboard_rejects_script_url(app, owner):
    room_id = create_room(owner)
    response = owner.post(f"/rooms/{room_id}/storyboard", {"kind": "link", "url": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "must start with http" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StoryboardItem.id))) == 0


def test_storyboard_note_markup_escaped(owner):
    room_id = create_room(owner)
    owner.post(f"/rooms/{room_id}/storyboard", {"kind": "note", "note": "<b>bold</b>"})
    page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<b>bold</b>" not in page


def test_settings_saved_and_validated(app, owner):
    room_id = create_room(owner)
    response = owner.post(
        f"/rooms/{room_id}/settings",
        {"chat_enabled": "y", "screen_sharing": "everyone", "layout": "grid", "max_participants": "40", "welcome_message": "Hi"},
    )
    assert response.status_code == 303
    saved = room(app, room_id).settings
    assert saved["chat_enabled"] is True
    assert saved["recording_allowed"] is False
    assert saved["max_participants"] == 40
    assert saved["welcome_message"] == "Hi"

    rejected = owner.post(
        f"/rooms/{room_id}/settings", {"screen_sharing": "everyone", "layout": "grid", "max_participants": "-3"}
    )
    assert rejected.status_code == 422
    assert room(app, room_id).settings["max_participants"] == 40


def test_settings_secrets_not_editable(app, owner):
    room_id = create_room(owner)
    token = room(app, room_id).settings["guest_link_token"]
    owner.post(
        f"/rooms/{room_id}/settings",
        {"guest_link_token": "chosen", "screen_sharing": "everyone", "layout": "grid", "max_participants": "0"},
    )
    assert room(app, room_id).settings["guest_link_token"] == token

    owner.post(f"/rooms/{room_id}/settings/secrets")
    assert room(app, room_id).settings["guest_link_token"] not in {token, "chosen"}


def test_learner_cannot_see_or_save_settings(app, owner, learner):
    room_id = create_room(owner)
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})
    token = room(app, room_id).settings["guest_link_token"]

    assert token not in learner.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert learner.post(f"/rooms/{room_id}/settings", {"layout": "grid"}).status_code == 403


def test_invisible_characters_stripped_from_names(app, owner):
    room_id = create_room(owner, name="Report\u202egpj.exe")
    assert room(app, room_id).name == "Reportgpj.exe"
    response = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": "\u200b\u200b"})
    assert response.status_code == 422
