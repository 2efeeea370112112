"""Markup typed into any text field is shown as text, never interpreted, on every page that shows it."""

from app.cloning.runner import run_clone_job
from app.extensions import db
from tests.rooms.test_assets import upload_ok
from tests.support.media_samples import png

NAME = 'Q&A <3 "quoted"'
DESCRIPTION = '<script>alert("description")</script>'
OPTION = "<img src=x onerror=alert(1)>"
ALT_TEXT = "<b>alt</b> text"
TITLE = "<i>title</i>"
NOTE = "<u>note</u>"
RAW = [DESCRIPTION, OPTION, "<b>alt</b>", "<i>title</i>", "<u>note</u>", '<3 "quoted"']


def assert_escaped(page: str, where: str) -> None:
    for raw in RAW:
        assert raw not in page, f"{where}: {raw!r} appears unescaped"


def test_markup_escaped_everywhere(app, people):
    owner, learner = people["owner"], people["learner"]
    created = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": NAME, "description": DESCRIPTION})
    room_id = int(created.location.rsplit("/", 1)[1])
    upload_ok(owner, room_id, png(), "picture.png", title=TITLE, alt_text=ALT_TEXT)
    owner.post(f"/rooms/{room_id}/storyboard", {"kind": "note", "note": NOTE})
    owner.post(f"/rooms/{room_id}/interactions", {"kind": "poll", "title": TITLE, "options-0": OPTION, "options-1": "Plain"})
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})

    room_page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "Q&amp;A &lt;3 &#34;quoted&#34;" in room_page
    assert "&lt;script&gt;alert(&#34;description&#34;)&lt;/script&gt;" in room_page
    assert "&lt;u&gt;note&lt;/u&gt;" in room_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in room_page
    assert "&lt;b&gt;alt&lt;/b&gt; text" in room_page
    assert_escaped(room_page, "room page (owner)")

    pages = {
        "room list": owner.get(owner.course_url).get_data(as_text=True),
        "room page (learner)": learner.get(f"/rooms/{room_id}").get_data(as_text=True),
        "edit form": owner.get(f"/rooms/{room_id}/edit").get_data(as_text=True),
        "co-editors": owner.get(f"/rooms/{room_id}/co-editors").get_data(as_text=True),
        "transfer": owner.get(f"/rooms/{room_id}/transfer").get_data(as_text=True),
    }
    clone = owner.post(f"/rooms/{room_id}/clone", {"idempotency_key": "escape-key-1"})
    job_id = int(clone.location.rsplit("/", 1)[1])
    pages["clone panel"] = owner.get(f"/clones/{job_id}").get_data(as_text=True)
    with app.app_context():
        db.session.commit()
        run_clone_job(job_id)
    pages["notifications"] = owner.get("/notifications").get_data(as_text=True)
    pages["cloned room"] = owner.get(owner.get(f"/clones/{job_id}/status").get_json()["room_url"]).get_data(as_text=True)
    for where, page in pages.items():
        assert_escaped(page, where)
    assert "Q&amp;A &lt;3" in pages["room list"]
    assert "Q&amp;A &lt;3" in pages["notifications"]


def test_markup_in_tags_rejected(people):
    owner = people["owner"]
    response = owner.post(f"/courses/{owner.course_id}/rooms/new", {"name": "Tagged", "tags": "<b>bold</b>"})
    assert response.status_code == 422
    assert "&lt;b&gt;bold" in response.get_data(as_text=True)
    assert "<b>bold</b>" not in response.get_data(as_text=True)
