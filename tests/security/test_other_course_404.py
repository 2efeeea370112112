"""Every route that takes an id of a course's object answers 404 to a user of another course."""

from app.extensions import db
from app.models import CloneBatch, Course, Placement, StoryboardItem, User
from tests.rooms.test_assets import upload_ok
from tests.security.test_permissions import make_room
from tests.support.media_samples import png

ID_ARGUMENTS = {
    "course_id",
    "room_id",
    "asset_id",
    "item_id",
    "interaction_id",
    "placement_id",
    "job_id",
    "batch_id",
    "user_id",
    "notification_id",
}


def course_one_ids(app, people) -> dict:
    owner = people["owner"]
    room = make_room(app, people)
    room_id = room["room_id"]
    asset = upload_ok(owner, room_id, png(), "chart.png", title="Chart", alt_text="A chart")
    owner.post(f"/rooms/{room_id}/storyboard", {"kind": "note", "note": "Step one"})
    clone = owner.post(f"/rooms/{room_id}/clone", {"idempotency_key": "walk-key-1"})
    with app.app_context():
        course = db.session.get(Course, owner.course_id)
        owner_id = db.session.scalar(db.select(User.id).where(User.name == "Olive Owner"))
        placement = db.session.scalars(db.select(Placement).where(Placement.course_id == course.id)).first()
        batch = CloneBatch(course_id=course.id, source_course_id=course.id, requested_by_id=owner_id, idempotency_key="walk-batch")
        db.session.add(batch)
        db.session.commit()
        item_id = db.session.scalars(db.select(StoryboardItem.id).where(StoryboardItem.room_id == room_id)).first()
        co_editor_id = db.session.scalar(db.select(User.id).where(User.name == "Cora Coeditor"))
        return {
            "course_id": course.id,
            "room_id": room_id,
            "asset_id": asset.id,
            "item_id": item_id,
            "interaction_id": room["poll_id"],
            "placement_id": placement.id,
            "job_id": int(clone.location.rsplit("/", 1)[1]),
            "batch_id": batch.id,
            "user_id": co_editor_id,
        }


def test_every_id_route_is_404_for_other_course(app, people):
    ids = course_one_ids(app, people)
    outsider = people["other_course"]
    checked = []

    for rule in app.url_map.iter_rules():
        arguments = set(rule.arguments)
        if not arguments & ID_ARGUMENTS:
            continue
        assert arguments <= ID_ARGUMENTS | {"kind"}, f"{rule.rule}: unknown argument to fill in"
        values = {name: ids[name] for name in arguments if name in ids}
        if "kind" in arguments:
            values["kind"] = "poll"
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = outsider.get(url)
            else:
                response = outsider.post(url, {"name": "x", "choice": "0", "candidate": "user:1", "room_id": ids["room_id"]})
            assert response.status_code == 404, f"{method} {rule.rule} answered {response.status_code}"
            checked.append(f"{method} {rule.rule}")

    # The walk must have reached the routes of every part of a room.
    for expected in ("/rooms/<int:room_id>", "/assets/", "/storyboard/", "/interactions/", "/placements/", "/clones/", "/clone-batches/"):
        assert any(expected in route for route in checked), expected
    assert len(checked) >= 30
