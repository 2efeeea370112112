"""Clone room: the request, the job's copy, its preconditions and its races."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import inspect

from app.cloning.columns import COPY_SPECS, NEVER_COPIED
from app.cloning.runner import BARRIER_DIR_VARIABLE, run_clone_job
from app.extensions import db
from app.models import (
    Asset,
    AssetKind,
    CloneJob,
    Deployment,
    Interaction,
    InteractionKind,
    InteractionResponse,
    InteractionStatus,
    Notification,
    Room,
    RoomCoEditor,
    StoryboardItem,
    StoryboardItemKind,
    User,
)
from app.models.base import utcnow
from tests.support.actors import INSTRUCTOR, LEARNER, launch_actor


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


def create_room(actor, name="Algebra week 1", tags="maths, week1") -> int:
    response = actor.post(f"/courses/{actor.course_id}/rooms/new", {"name": name, "description": "Prepared", "tags": tags})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


def fill_room(app, room_id: int) -> None:
    """Give the room two assets, a storyboard, four interactions with responses, and a co-editor."""
    with app.app_context():
        room = db.session.get(Room, room_id)
        learner = User(name="Someone")
        colleague = User(name="Colleague")
        db.session.add_all([learner, colleague])
        db.session.flush()
        video = Asset(room_id=room_id, kind=AssetKind.VIDEO, title="Intro", file_name="intro.mp4",
                      media_type="video/mp4", size_bytes=10, content_hash="a" * 64, alt_text="")
        slides = Asset(room_id=room_id, kind=AssetKind.SLIDES, title="Slides", file_name="s.pdf",
                       media_type="application/pdf", size_bytes=20, content_hash="b" * 64, alt_text="Slides",
                       captions_hash="c" * 64, captions_file_name="s.vtt")
        db.session.add_all([video, slides])
        db.session.flush()
        db.session.add_all([
            StoryboardItem(room_id=room_id, position=0, kind=StoryboardItemKind.ASSET, asset_id=slides.id),
            StoryboardItem(room_id=room_id, position=1, kind=StoryboardItemKind.NOTE, note="Discuss"),
            StoryboardItem(room_id=room_id, position=2, kind=StoryboardItemKind.ASSET, asset_id=video.id),
            StoryboardItem(room_id=room_id, position=3, kind=StoryboardItemKind.LINK, url="https://example.org", link_title="Read"),
        ])
        published = Interaction(room_id=room_id, kind=InteractionKind.POLL, title="Ready?", options=["Yes", "No"],
                                status=InteractionStatus.PUBLISHED, published_at=utcnow())
        scheduled = Interaction(room_id=room_id, kind=InteractionKind.QUIZ, title="2+2", options=["3", "4"],
                                correct_options=[1], status=InteractionStatus.SCHEDULED, scheduled_at=utcnow())
        closed = Interaction(room_id=room_id, kind=InteractionKind.ANNOUNCEMENT, title="Welcome", body="Hello",
                             status=InteractionStatus.CLOSED, closed_at=utcnow())
        deleted = Interaction(room_id=room_id, kind=InteractionKind.POLL, title="Old", options=["a", "b"],
                              status=InteractionStatus.DELETED, deleted_at=utcnow())
        db.session.add_all([published, scheduled, closed, deleted])
        db.session.flush()
        db.session.add(InteractionResponse(interaction_id=published.id, user_id=learner.id, choices=[0]))
        db.session.add(RoomCoEditor(room_id=room_id, user_id=colleague.id))
        room.settings = {**room.settings, "chat_enabled": False, "welcome_message": "Hi"}
        db.session.commit()


def request_clone(actor, room_id: int, key="key-00000001"):
    return actor.post(f"/rooms/{room_id}/clone", {"idempotency_key": key})


def job_of(app, job_id: int) -> CloneJob:
    with app.app_context():
        job = db.session.get(CloneJob, job_id)
        db.session.expunge(job)
        return job


def run_job(app, job_id: int) -> None:
    with app.app_context():
        run_clone_job(job_id)


def test_clone_copies_every_listed_column(app, owner):
    source_id = create_room(owner)
    fill_room(app, source_id)

    response = request_clone(owner, source_id)
    assert response.status_code == 303
    job_id = int(response.location.rsplit("/", 1)[1])
    run_job(app, job_id)

    with app.app_context():
        job = db.session.get(CloneJob, job_id)
        source = db.session.get(Room, source_id)
        target = job.target_room
        assert job.status.value == "succeeded"
        assert target.id != source.id
        assert target.status.value == "ready"
        assert target.parent_id == source.id
        assert target.visible_to_learners is False
        assert target.name == "Copy of Algebra week 1"
        assert target.description == source.description
        assert target.tag_names == source.tag_names

        source_assets = db.session.scalars(db.select(Asset).where(Asset.room_id == source.id).order_by(Asset.id)).all()
        target_assets = db.session.scalars(db.select(Asset).where(Asset.room_id == target.id).order_by(Asset.id)).all()
        assert len(target_assets) == len(source_assets) == 2
        spec = next(spec for spec in COPY_SPECS if spec.model is Asset)
        for old, new in zip(source_assets, target_assets):
            assert new.id != old.id
            assert new.source_asset_id == old.id
            for column in spec.copied:
                assert getattr(new, column) == getattr(old, column), column

        old_items = db.session.scalars(db.select(StoryboardItem).where(StoryboardItem.room_id == source.id).order_by(StoryboardItem.position)).all()
        new_items = db.session.scalars(db.select(StoryboardItem).where(StoryboardItem.room_id == target.id).order_by(StoryboardItem.position)).all()
        new_asset_ids = {asset.id for asset in target_assets}
        by_source = {asset.source_asset_id: asset.id for asset in target_assets}
        assert len(new_items) == 4
        for old, new in zip(old_items, new_items):
            assert new.id != old.id
            for column in ("position", "kind", "note", "url", "link_title"):
                assert getattr(new, column) == getattr(old, column), column
            if old.asset_id is not None:
                assert new.asset_id in new_asset_ids
                assert new.asset_id == by_source[old.asset_id]

        new_interactions = db.session.scalars(db.select(Interaction).where(Interaction.room_id == target.id)).all()
        assert sorted(interaction.title for interaction in new_interactions) == ["2+2", "Ready?", "Welcome"]
        for interaction in new_interactions:
            assert interaction.status == InteractionStatus.DRAFT
            assert interaction.scheduled_at is None
            assert interaction.published_at is None
            assert interaction.closed_at is None
            original = db.session.get(Interaction, interaction.source_interaction_id)
            assert interaction.options == original.options
            assert interaction.correct_options == original.correct_options
        new_ids = [interaction.id for interaction in new_interactions]
        responses = db.session.scalar(db.select(db.func.count(InteractionResponse.id)).where(InteractionResponse.interaction_id.in_(new_ids)))
        assert responses == 0

        assert db.session.scalars(db.select(RoomCoEditor).where(RoomCoEditor.room_id == target.id)).all() == []
        assert target.settings["chat_enabled"] is False
        assert target.settings["welcome_message"] == "Hi"
        assert target.settings["guest_link_token"] != source.settings["guest_link_token"]
        assert target.settings["presenter_access_code"] != source.settings["presenter_access_code"]

        notification = db.session.scalars(db.select(Notification)).one()
        assert notification.kind == "clone_succeeded"
        assert notification.room_id == target.id


def test_every_column_has_a_copy_decision(app):
    with app.app_context():
        inspector = inspect(db.engine)
        for spec in COPY_SPECS:
            table = spec.model.__tablename__
            columns = {column["name"] for column in inspector.get_columns(table)}
            decided = set(spec.copied) | set(spec.not_copied)
            assert columns - decided == set(), f"{table}: columns without a copy decision"
            assert decided - columns == set(), f"{table}: decisions for columns that do not exist"
            assert set(spec.copied) & set(spec.not_copied) == set(), f"{table}: column both copied and not copied"
        for table in NEVER_COPIED:
            assert inspector.has_table(table), table


def test_column_check_fails_on_new_column(app):
    """The decision check above must fail when a table gains a column nobody listed."""
    with app.app_context():
        db.session.execute(db.text("ALTER TABLE asset ADD COLUMN surprise INTEGER"))
        db.session.commit()
        columns = {column["name"] for column in inspect(db.engine).get_columns("asset")}
        spec = next(spec for spec in COPY_SPECS if spec.model is Asset)
        assert "surprise" in columns - (set(spec.copied) | set(spec.not_copied))


def test_same_key_twice_creates_one_room(app, owner):
    source_id = create_room(owner)
    first = request_clone(owner, source_id, key="repeat-key-1")
    second = request_clone(owner, source_id, key="repeat-key-1")
    assert first.location == second.location
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Room.id))) == 2
        assert db.session.scalar(db.select(db.func.count(CloneJob.id))) == 1


def test_same_key_concurrently_creates_one_room(app, owner):
    source_id = create_room(owner)
    clients = [app.test_client(use_cookies=False) for _ in range(4)]

    def send(client):
        return client.post(
            f"/rooms/{source_id}/clone",
            data={"launch_token": owner.token, "csrf_token": owner.csrf, "idempotency_key": "racing-key-1"},
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(send, clients))
    assert {response.status_code for response in responses} == {303}
    assert len({response.location for response in responses}) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Room.id))) == 2
        assert db.session.scalar(db.select(db.func.count(CloneJob.id))) == 1


def test_different_keys_make_two_clones(app, owner):
    source_id = create_room(owner)
    request_clone(owner, source_id, key="first-key-1")
    request_clone(owner, source_id, key="second-key-2")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CloneJob.id))) == 2


def test_clone_name_cut_to_limit(app, owner):
    source_id = create_room(owner, name="x" * 200)
    response = request_clone(owner, source_id)
    job = job_of(app, int(response.location.rsplit("/", 1)[1]))
    with app.app_context():
        name = db.session.get(Room, job.target_room_id).name
    assert len(name) == 200
    assert name.startswith("Copy of x")


def count_rows(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count(Room.id))),
            db.session.scalar(db.select(db.func.count(CloneJob.id))),
        )


def test_clone_refused_when_cc_disabled(app, owner):
    source_id = create_room(owner)
    with app.app_context():
        db.session.execute(db.update(Deployment).values(cc_enabled=False))
        db.session.commit()
    before = count_rows(app)
    response = request_clone(owner, source_id)
    assert response.status_code == 403
    assert "C&amp;C is disabled" in response.get_data(as_text=True)
    assert count_rows(app) == before


def test_clone_refused_for_other_instructor(app, test_platform, owner):
    source_id = create_room(owner)
    other = launch_actor(app, test_platform, sub="other", name="Otto Other", roles=INSTRUCTOR)
    before = count_rows(app)
    response = request_clone(other, source_id)
    assert response.status_code == 403
    assert "Only the owner, a co-editor or an LMS administrator" in response.get_data(as_text=True)
    assert count_rows(app) == before


def test_clone_refused_for_deleted_source(app, owner):
    source_id = create_room(owner)
    owner.post(f"/rooms/{source_id}/delete")
    before = count_rows(app)
    response = request_clone(owner, source_id)
    assert response.status_code == 404
    assert count_rows(app) == before


def test_clone_refused_for_learner(app, test_platform, owner):
    source_id = create_room(owner)
    owner.post(f"/rooms/{source_id}/visibility", {"visible": "y"})
    learner = launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER)
    before = count_rows(app)
    assert request_clone(learner, source_id).status_code == 403
    assert count_rows(app) == before


def test_rename_while_job_held_survives(app, owner, tmp_path, monkeypatch):
    source_id = create_room(owner)
    fill_room(app, source_id)
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    monkeypatch.setenv(BARRIER_DIR_VARIABLE, str(tmp_path))

    worker = threading.Thread(target=run_job, args=(app, job_id))
    worker.start()
    held = tmp_path / f"job-{job_id}.held"
    deadline = time.monotonic() + 10
    while not held.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert held.exists()

    response = owner.post(f"/clones/{job_id}/details", {"name": "Algebra, autumn term", "description": "Mine", "tags": "autumn"})
    assert response.status_code == 303
    (tmp_path / f"job-{job_id}.release").touch()
    worker.join(timeout=30)

    with app.app_context():
        job = db.session.get(CloneJob, job_id)
        assert job.status.value == "succeeded"
        assert job.target_room.name == "Algebra, autumn term"
        assert job.target_room.description == "Mine"
        assert job.target_room.tag_names == ["autumn"]
        assert db.session.scalar(db.select(db.func.count(Asset.id)).where(Asset.room_id == job.target_room_id)) == 2


def test_status_endpoint_and_panel(app, owner):
    source_id = create_room(owner)
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])

    queued = owner.get(f"/clones/{job_id}/status").get_json()
    assert queued["status"] == "queued"
    assert queued["percent"] == 0
    assert "Clone room in progress" in owner.get(f"/clones/{job_id}").get_data(as_text=True)

    run_job(app, job_id)
    done = owner.get(f"/clones/{job_id}/status").get_json()
    assert done["status"] == "succeeded"
    assert done["percent"] == 100
    panel = owner.get(f"/clones/{job_id}").get_data(as_text=True)
    assert "Go to the new room" in panel
    assert owner.get(done["room_url"]).status_code == 200


def test_panel_is_404_for_others(app, test_platform, owner):
    source_id = create_room(owner)
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    other = launch_actor(app, test_platform, sub="other", name="Otto Other", roles=INSTRUCTOR)
    assert other.get(f"/clones/{job_id}").status_code == 404
    assert other.get(f"/clones/{job_id}/status").status_code == 404
    assert other.post(f"/clones/{job_id}/details", {"name": "Taken"}).status_code == 404


def test_failed_job_retry(app, owner):
    source_id = create_room(owner)
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    with app.app_context():
        db.session.get(Room, source_id).deleted_at = utcnow()
        db.session.commit()
    run_job(app, job_id)

    failed = job_of(app, job_id)
    assert failed.status.value == "failed"
    assert "deleted" in failed.error
    page = owner.get(f"/rooms/{failed.target_room_id}").get_data(as_text=True)
    assert "The clone failed" in page
    assert "Retry" in page

    with app.app_context():
        db.session.get(Room, source_id).deleted_at = None
        db.session.commit()
    assert owner.post(f"/clones/{job_id}/retry").status_code == 303
    run_job(app, job_id)
    assert job_of(app, job_id).status.value == "succeeded"


def test_finished_job_is_not_run_again(app, owner):
    source_id = create_room(owner)
    fill_room(app, source_id)
    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    run_job(app, job_id)
    run_job(app, job_id)
    job = job_of(app, job_id)
    assert job.attempt == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Asset.id)).where(Asset.room_id == job.target_room_id)) == 2


def test_clone_writes_no_media_bytes(app, owner):
    from pathlib import Path

    from app.storage import blob_store
    from tests.rooms.test_assets import upload_ok
    from tests.support.media_samples import png

    source_id = create_room(owner)
    upload_ok(owner, source_id, png(), "diagram.png", title="Diagram", alt_text="A diagram")
    media_dir = Path(app.config["ROOMS_MEDIA_DIR"])
    files_before = sorted(path for path in media_dir.rglob("*") if path.is_file())
    with app.app_context():
        written_before = blob_store().bytes_written

    job_id = int(request_clone(owner, source_id).location.rsplit("/", 1)[1])
    run_job(app, job_id)

    with app.app_context():
        assert blob_store().bytes_written == written_before
        job = db.session.get(CloneJob, job_id)
        copied = db.session.scalars(db.select(Asset).where(Asset.room_id == job.target_room_id)).one()
        original = db.session.scalars(db.select(Asset).where(Asset.room_id == source_id)).one()
        assert copied.content_hash == original.content_hash
    assert sorted(path for path in media_dir.rglob("*") if path.is_file()) == files_before
    assert len(files_before) == 1
    response = owner.get(f"/rooms/{job.target_room_id}")
    assert "Diagram" in response.get_data(as_text=True)
