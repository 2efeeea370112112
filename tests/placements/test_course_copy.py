"""Course copy: copied LMS links open the right room in the new course, never the old course's room."""

import threading

import pytest

from app.cloning.runner import run_clone_job
from app.extensions import db
from app.models import (
    CloneJob,
    Course,
    Interaction,
    InteractionKind,
    InteractionStatus,
    Notification,
    Placement,
    PlacementResolution,
    Room,
    User,
)
from app.models.base import utcnow
from tests.support.lms import MultiCourseLms
from tests.support.pages import hidden_field

UNEXPANDED_CONTEXT = "$Context.id.history"
UNEXPANDED_LINK = "$ResourceLink.id.history"


@pytest.fixture
def lms(app, client):
    multi = MultiCourseLms(app, client)
    multi.register()
    yield multi
    multi.stop()


def room_in_a(app, lms, *, name="Algebra week 1", link_id="R1", owner="ada") -> Room:
    """Create room X in course A as its owner, and the link R1 of A that opens it."""
    lms.add_link("A", "nav-a", title="Rooms")
    _response, actor = lms.launch("A", owner, "nav-a")
    created = actor.post(f"/courses/{actor.course_id}/rooms/new", {"name": name, "description": "Prepared in A"})
    assert created.status_code == 303
    room_id = int(created.location.rsplit("/", 1)[1])
    with app.app_context():
        room = db.session.get(Room, room_id)
        db.session.add(Interaction(room_id=room.id, kind=InteractionKind.POLL, title="Ready?", options=["Yes", "No"],
                                   status=InteractionStatus.SCHEDULED, scheduled_at=utcnow()))
        db.session.commit()
        public_id = room.public_id
    lms.add_link("A", link_id, title=name, custom={"room": public_id})
    response, _actor = lms.launch("A", owner, link_id)
    assert response.status_code == 200
    with app.app_context():
        return db.session.get(Room, room_id)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def run_jobs(app) -> None:
    """Run every queued clone job, as the consumer would, one after the other."""
    with app.app_context():
        job_ids = db.session.scalars(db.select(CloneJob.id).where(CloneJob.status == "queued")).all()
        # The job opens its own connections: this session must not hold SQLite's write lock meanwhile.
        db.session.commit()
        for job_id in job_ids:
            run_clone_job(job_id)


def choose(actor, page: str, choice: str):
    action = page.split('<form method="post" action="', 2)[1].split('"', 1)[0]
    return actor.post(action, {"choice": choice, "idempotency_key": hidden_field(page, "idempotency_key")})


def copy_course_b(lms, room: Room, history: dict, *, link_id="R2"):
    lms.course("B", history=history)
    lms.add_link("B", link_id, title=room.name, custom={"room": room.public_id})


def test_c01_first_instructor_clones(app, lms):
    room = room_in_a(app, lms)
    copy_course_b(lms, room, {"context_history": "A", "resource_link_history": UNEXPANDED_LINK})

    response, bob = lms.launch("B", "bob", "R2")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This course was copied from Course A" in page
    assert 'value="clone" checked' in page

    resolved = choose(bob, page, "clone")
    assert resolved.status_code == 303
    run_jobs(app)
    with app.app_context():
        clone = db.session.scalars(db.select(Room).where(Room.parent_id == room.id)).one()
        course_b = db.session.scalars(db.select(Course).where(Course.context_id == "B")).one()
        assert clone.course_id == course_b.id
        assert clone.status.value == "ready"
        assert clone.owner.name == "Bob Babbage"
        placement = db.session.scalars(db.select(Placement).where(Placement.resource_link_id == "R2")).one()
        assert placement.room_id == clone.id
        notified = db.session.scalars(db.select(Notification).where(Notification.kind == "cloned_into_copy")).one()
        assert notified.user_id == room.owner_id
        clone_id = clone.id

    again, _bob = lms.launch("B", "bob", "R2")
    assert f"/rooms/{clone_id}" in again.get_data(as_text=True)


def test_c01_learner_first_sees_not_set_up(app, lms):
    room = room_in_a(app, lms, name="Secret algebra")
    copy_course_b(lms, room, {"context_history": "A", "resource_link_history": UNEXPANDED_LINK})
    rooms_before = count(app, Room)

    response, _lena = lms.launch("B", "lena", "R2")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your instructor has not set up this room yet" in page
    assert "Secret algebra" not in page
    assert "Prepared in A" not in page
    assert count(app, Room) == rooms_before
    with app.app_context():
        assert db.session.scalars(db.select(Placement).where(Placement.resource_link_id == "R2")).one().room_id is None


def test_c02_resource_link_history_offers_clone(app, lms):
    room = room_in_a(app, lms)
    copy_course_b(lms, room, {"context_history": UNEXPANDED_CONTEXT, "resource_link_history": "R1"})

    response, bob = lms.launch("B", "bob", "R2")
    page = response.get_data(as_text=True)
    assert 'value="clone" checked' in page
    assert choose(bob, page, "clone").status_code == 303
    run_jobs(app)
    with app.app_context():
        assert db.session.scalars(db.select(Room).where(Room.parent_id == room.id)).one().status.value == "ready"


def test_c02_history_wins_over_room_value(app, lms):
    room = room_in_a(app, lms)
    other = room_in_a(app, lms, name="Unrelated room", link_id="R9")
    lms.course("B", history={"context_history": UNEXPANDED_CONTEXT, "resource_link_history": "R1"})
    lms.add_link("B", "R2", custom={"room": other.public_id})

    response, bob = lms.launch("B", "bob", "R2")
    page = response.get_data(as_text=True)
    assert "Clone Algebra week 1 into this course" in page
    assert "Unrelated room" not in page


def test_c03_owner_clones_without_history(app, lms):
    room = room_in_a(app, lms)
    copy_course_b(lms, room, {})

    response, ada = lms.launch("B", "ada", "R2")
    page = response.get_data(as_text=True)
    assert 'value="clone" checked' in page
    assert choose(ada, page, "clone").status_code == 303
    run_jobs(app)
    with app.app_context():
        clone = db.session.scalars(db.select(Room).where(Room.parent_id == room.id)).one()
        interactions = db.session.scalars(db.select(Interaction).where(Interaction.room_id == clone.id)).all()
        assert [interaction.status for interaction in interactions] == [InteractionStatus.DRAFT]
        assert interactions[0].scheduled_at is None
        assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.kind == "cloned_into_copy")) == 0


def test_c03_non_owner_gets_only_empty_room(app, lms):
    room = room_in_a(app, lms, name="Private algebra")
    copy_course_b(lms, room, {})

    response, bob = lms.launch("B", "bob", "R2")
    page = response.get_data(as_text=True)
    assert 'value="clone"' not in page
    assert "Ada Lovelace" in page
    assert "Private algebra" not in page

    refused = bob.post(page.split('<form method="post" action="', 2)[1].split('"', 1)[0],
                       {"choice": "clone", "idempotency_key": hidden_field(page, "idempotency_key")})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Room.id)).where(Room.parent_id == room.id)) == 0

    empty = choose(bob, page, "empty")
    assert empty.status_code == 303
    with app.app_context():
        placement = db.session.scalars(db.select(Placement).where(Placement.resource_link_id == "R2")).one()
        assert placement.room.parent_id is None
        assert placement.room.owner.name == "Bob Babbage"


def test_room_of_unrelated_course_not_cloned(app, lms):
    room = room_in_a(app, lms, name="Elsewhere room")
    lms.course("Z")
    lms.add_link("Z", "nav-z")
    lms.launch("Z", "bob", "nav-z")
    lms.course("B", history={"context_history": "Z", "resource_link_history": UNEXPANDED_LINK})
    lms.add_link("B", "R2", custom={"room": room.public_id})

    response, bob = lms.launch("B", "bob", "R2")
    page = response.get_data(as_text=True)
    assert 'value="clone"' not in page
    assert "Ada Lovelace" in page
    assert "Elsewhere room" not in page
    assert f"/rooms/{room.id}" not in page
    assert bob.get(f"/rooms/{room.id}").status_code == 404


def test_copy_of_copy_resolves_to_middle_clone(app, lms):
    room = room_in_a(app, lms)
    copy_course_b(lms, room, {"context_history": "A", "resource_link_history": UNEXPANDED_LINK})
    response, bob = lms.launch("B", "bob", "R2")
    choose(bob, response.get_data(as_text=True), "clone")
    run_jobs(app)
    with app.app_context():
        middle = db.session.scalars(db.select(Room).where(Room.parent_id == room.id)).one()
        middle_id = middle.id

    lms.course("C", history={"context_history": "B,A", "resource_link_history": UNEXPANDED_LINK})
    lms.add_link("C", "R3", custom={"room": room.public_id})
    response, carla = lms.launch("C", "carla", "R3")
    page = response.get_data(as_text=True)
    assert "This course was copied from Course B" in page
    assert choose(carla, page, "clone").status_code == 303
    run_jobs(app)
    with app.app_context():
        newest = db.session.scalars(db.select(Room).where(Room.parent_id == middle_id)).one()
        assert newest.course.context_id == "C"
        assert db.session.scalar(db.select(db.func.count(Room.id)).where(Room.parent_id == room.id)) == 1


def test_two_instructors_concurrently_one_room(app, lms):
    room = room_in_a(app, lms)
    copy_course_b(lms, room, {"context_history": "A", "resource_link_history": UNEXPANDED_LINK})
    first_page, bob = lms.launch("B", "bob", "R2")
    second_page, carla = lms.launch("B", "carla", "R2")

    results = []

    def resolve(actor, page):
        results.append(choose(actor, page.get_data(as_text=True), "clone").status_code)

    threads = [threading.Thread(target=resolve, args=pair) for pair in ((bob, first_page), (carla, second_page))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == [303, 303]
    with app.app_context():
        course_b = db.session.scalars(db.select(Course).where(Course.context_id == "B")).one()
        assert db.session.scalar(db.select(db.func.count(Room.id)).where(Room.course_id == course_b.id)) == 1
        assert db.session.scalar(db.select(db.func.count(CloneJob.id))) == 1


def test_clone_all_before_any_copied_link(app, lms):
    lms.add_link("A", "nav-a")
    _response, ada = lms.launch("A", "ada", "nav-a")
    with app.app_context():
        course_a = db.session.scalars(db.select(Course).where(Course.context_id == "A")).one()
        ada_user = db.session.scalars(db.select(User).where(User.name == "Ada Lovelace")).one()
        rooms = []
        for number in range(20):
            room = Room(course_id=course_a.id, owner_id=ada_user.id, name=f"Week {number + 1}", settings={})
            db.session.add(room)
            db.session.flush()
            db.session.add(Placement(platform_id=course_a.platform_id, course_id=course_a.id,
                                     resource_link_id=f"A-link-{number}", room_id=room.id))
            rooms.append((room.id, room.public_id))
        db.session.commit()

    lms.course("B", history={"context_history": "A", "resource_link_history": UNEXPANDED_LINK})
    lms.add_link("B", "B", title="Rooms (course navigation)")
    response, bob = lms.launch("B", "bob", "B")
    page = response.get_data(as_text=True)
    assert "This course was copied from Course A" in page
    batch = bob.post(f"/courses/{bob.course_id}/clone-all", {"idempotency_key": hidden_field(page.split('data-testid="clone-all"', 1)[1], "idempotency_key")})
    assert batch.status_code == 303
    progress = bob.get(batch.location, headers={"Accept": "application/json"}).get_json()
    assert len(progress["rooms"]) == 20
    assert {room["status"] for room in progress["rooms"]} == {"queued"}

    run_jobs(app)
    with app.app_context():
        clones = {room.parent_id: room for room in db.session.scalars(db.select(Room).where(Room.parent_id.is_not(None)))}
        assert sorted(clones) == sorted(room_id for room_id, _public in rooms)
        assert {clone.course.context_id for clone in clones.values()} == {"B"}
        assert {clone.status.value for clone in clones.values()} == {"ready"}

    for number, (room_id, public_id) in enumerate(rooms):
        lms.add_link("B", f"B-link-{number}", custom={"room": public_id})
        opened, _bob = lms.launch("B", "bob", f"B-link-{number}")
        assert f'content="/rooms/{clones[room_id].id}"' in opened.get_data(as_text=True)
    assert count(app, Room) == 40


def test_every_resolution_recorded(app, lms):
    room = room_in_a(app, lms)
    copy_course_b(lms, room, {"context_history": "A", "resource_link_history": UNEXPANDED_LINK})
    lms.launch("B", "lena", "R2")
    response, bob = lms.launch("B", "bob", "R2")
    choose(bob, response.get_data(as_text=True), "clone")
    with app.app_context():
        resolutions = db.session.scalars(db.select(PlacementResolution).order_by(PlacementResolution.id)).all()
        choices = [(resolution.rule.value, resolution.choice.value) for resolution in resolutions]
        assert ("copy_flow", "not_set_up") in choices
        assert ("copy_flow", "offered") in choices
        assert ("copy_flow", "clone") in choices
        assert all(resolution.created_at is not None for resolution in resolutions)
