"""A room's media: upload, list, delete and signed download URLs, through the pages."""

import hashlib
import io
import re
from html import unescape

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.extensions import db
from app.models import Asset, AssetKind, RoomCoEditor, StoryboardItem, User
from app.rooms import assets
from app.rooms.media_urls import MEDIA_URL_SALT, MediaLink, MediaPart
from app.storage import blob_store
from tests.support import media_samples
from tests.support.actors import INSTRUCTOR, LEARNER, LMS_ADMIN, launch_actor

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODP_TYPE = "application/vnd.oasis.opendocument.presentation"
MEDIA_URL_PATTERN = re.compile(r'(?:src|href)="(/media/[^"]+)"')


@pytest.fixture
def owner(app, test_platform):
    return launch_actor(app, test_platform, sub="owner", name="Olive Owner", roles=INSTRUCTOR)


@pytest.fixture
def learner(app, test_platform):
    return launch_actor(app, test_platform, sub="learner", name="Lena Learner", roles=LEARNER)


@pytest.fixture
def instructor(app, test_platform):
    """An instructor of the course who is neither owner nor co-editor of the rooms."""
    return launch_actor(app, test_platform, sub="other", name="Otto Other", roles=INSTRUCTOR)


@pytest.fixture
def outsider(app, test_platform):
    """The owner's instructor colleague in another course of the same platform."""
    return launch_actor(app, test_platform, sub="outsider", name="Uma Outsider", roles=INSTRUCTOR, context_id="course-2")


def create_room(actor, name="Week 1") -> int:
    response = actor.post(f"/courses/{actor.course_id}/rooms/new", {"name": name})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


def upload(actor, room_id, content, file_name, content_type="", *, captions=None, **fields):
    data = {"file": (io.BytesIO(content), file_name, content_type), **fields}
    if captions is not None:
        data["captions"] = (io.BytesIO(captions), "captions.vtt", "text/vtt")
    return actor.post(f"/rooms/{room_id}/assets", data)


def upload_ok(actor, room_id, content, file_name, **fields) -> Asset:
    response = upload(actor, room_id, content, file_name, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    return latest_asset(actor.client.application)


def latest_asset(app) -> Asset:
    with app.app_context():
        asset = db.session.scalars(db.select(Asset).order_by(Asset.id.desc())).first()
        db.session.expunge_all()
        return asset


def asset_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Asset.id)))


def stored_blobs(app) -> list:
    with app.app_context():
        root = blob_store().root
    return sorted(path.name for path in root.rglob("*") if path.is_file() and path.parent.name != "tmp")


def bytes_written(app) -> int:
    with app.app_context():
        return blob_store().bytes_written


def media_urls_on_page(actor, room_id) -> list[str]:
    page = actor.get(f"/rooms/{room_id}").get_data(as_text=True)
    return list(dict.fromkeys(unescape(url) for url in MEDIA_URL_PATTERN.findall(page)))


def signed_token(app, payload: dict, *, age_seconds: int = 0) -> str:
    """Sign a media token as the app does, issued ``age_seconds`` ago."""

    class BackdatedSigner(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - age_seconds

    return URLSafeTimedSerializer(app.secret_key, salt=MEDIA_URL_SALT, signer=BackdatedSigner).dumps(payload)


def error_text(response) -> str:
    return unescape(response.get_data(as_text=True))


SAMPLES = [
    pytest.param(media_samples.mp4(), "lecture.mp4", "video/mp4", {}, AssetKind.VIDEO, "video/mp4", id="mp4"),
    pytest.param(media_samples.webm(), "lecture.webm", "video/webm", {}, AssetKind.VIDEO, "video/webm", id="webm"),
    pytest.param(media_samples.ogg_theora(), "lecture.ogv", "video/ogg", {}, AssetKind.VIDEO, "video/ogg", id="ogv"),
    pytest.param(media_samples.mp3(), "talk.mp3", "audio/mpeg", {}, AssetKind.AUDIO, "audio/mpeg", id="mp3"),
    pytest.param(media_samples.m4a(), "talk.m4a", "audio/x-m4a", {}, AssetKind.AUDIO, "audio/mp4", id="m4a"),
    pytest.param(media_samples.ogg_vorbis(), "talk.ogg", "audio/ogg", {}, AssetKind.AUDIO, "audio/ogg", id="ogg"),
    pytest.param(media_samples.wav(), "talk.wav", "audio/wav", {}, AssetKind.AUDIO, "audio/wav", id="wav"),
    pytest.param(media_samples.pdf(), "reading.pdf", "application/pdf", {}, AssetKind.DOCUMENT, "application/pdf", id="pdf"),
    pytest.param(
        media_samples.pdf(), "deck.pdf", "application/pdf", {"kind": "slides"}, AssetKind.SLIDES, "application/pdf", id="pdf-slides"
    ),
    pytest.param(media_samples.pptx(), "deck.pptx", PPTX_TYPE, {}, AssetKind.SLIDES, PPTX_TYPE, id="pptx"),
    pytest.param(media_samples.odp(), "deck.odp", ODP_TYPE, {}, AssetKind.SLIDES, ODP_TYPE, id="odp"),
    pytest.param(media_samples.png(), "chart.png", "image/png", {"alt_text": "A chart"}, AssetKind.IMAGE, "image/png", id="png"),
    pytest.param(media_samples.jpeg(), "photo.jpg", "image/jpeg", {"alt_text": "A photo"}, AssetKind.IMAGE, "image/jpeg", id="jpeg"),
    pytest.param(media_samples.gif(), "loop.gif", "image/gif", {"alt_text": "A loop"}, AssetKind.IMAGE, "image/gif", id="gif"),
    pytest.param(media_samples.webp(), "photo.webp", "image/webp", {"alt_text": "A photo"}, AssetKind.IMAGE, "image/webp", id="webp"),
]


@pytest.mark.parametrize(("content", "file_name", "content_type", "fields", "kind", "media_type"), SAMPLES)
def test_upload_each_kind(app, owner, content, file_name, content_type, fields, kind, media_type):
    room_id = create_room(owner)

    asset = upload_ok(owner, room_id, content, file_name, content_type=content_type, title="Week 1 material", **fields)

    assert asset.room_id == room_id
    assert asset.kind == kind
    assert asset.media_type == media_type
    assert asset.file_name == file_name
    assert asset.size_bytes == len(content)
    assert asset.content_hash == hashlib.sha256(content).hexdigest()
    assert stored_blobs(app) == [asset.content_hash]
    page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert "Week 1 material" in page


def test_upload_without_title_uses_file_name(owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "Syllabus 2026.pdf")
    assert asset.title == "Syllabus 2026"


def test_page_shows_kind_size_and_alt_text(owner):
    room_id = create_room(owner)
    upload_ok(owner, room_id, media_samples.png(), "chart.png", alt_text="Bar chart of enrolment by year")

    page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)

    assert 'data-testid="asset-kind">Image<' in page
    assert f'data-testid="asset-size">{len(media_samples.png())} Bytes<' in page
    assert 'alt="Bar chart of enrolment by year"' in page
    assert 'data-testid="asset-alt">Bar chart of enrolment by year<' in page


def test_video_with_captions_has_track(app, owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.mp4(), "lecture.mp4", captions=media_samples.webvtt())
    assert asset.captions_hash == hashlib.sha256(media_samples.webvtt()).hexdigest()
    assert asset.captions_file_name == "captions.vtt"

    page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)
    assert re.search(r'<video [^>]*src="/media/[^"]+"', page)
    assert re.search(r'<track kind="captions" [^>]*src="/media/[^"]+"', page)

    video_url, captions_url = media_urls_on_page(owner, room_id)[:2]
    captions = app.test_client(use_cookies=False).get(captions_url)
    assert captions.status_code == 200
    assert captions.mimetype == "text/vtt"
    assert captions.data == media_samples.webvtt()


def test_upload_locks_content_in_sorted_order(app, owner, monkeypatch):
    # A release locks its hashes in sorted order. An upload that locked the media's hash
    # before a smaller captions hash could deadlock with it on PostgreSQL, because each
    # would wait for the lock the other holds.
    video = media_samples.mp4()
    video_hash = hashlib.sha256(video).hexdigest()
    # Captions whose hash sorts before the video's, so that upload order is not sorted order.
    captions = next(
        text
        for text in (media_samples.webvtt() + f"\nNOTE {number}\n".encode() for number in range(1000))
        if hashlib.sha256(text).hexdigest() < video_hash
    )
    locked = []
    real_lock = assets.lock_content

    def recording_lock(session, content_hash):
        locked.append(content_hash)
        real_lock(session, content_hash)

    monkeypatch.setattr(assets, "lock_content", recording_lock)

    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, video, "lecture.mp4", captions=captions)
    assert locked == [asset.captions_hash, asset.content_hash]


def test_same_file_in_two_rooms_stored_once(app, owner):
    first_room = create_room(owner, "Week 1")
    second_room = create_room(owner, "Week 2")
    content = media_samples.png()

    first = upload_ok(owner, first_room, content, "chart.png", alt_text="A chart")
    written_after_first = bytes_written(app)
    second = upload_ok(owner, second_room, content, "chart-copy.png", alt_text="A chart")

    assert first.id != second.id
    assert first.content_hash == second.content_hash
    assert stored_blobs(app) == [first.content_hash]
    assert written_after_first == len(content)
    assert bytes_written(app) == len(content)


def test_delete_keeps_bytes_another_asset_uses(app, owner):
    first_room = create_room(owner, "Week 1")
    second_room = create_room(owner, "Week 2")
    content = media_samples.pdf()
    first = upload_ok(owner, first_room, content, "reading.pdf")
    second = upload_ok(owner, second_room, content, "reading.pdf")

    response = owner.post(f"/rooms/{first_room}/assets/{first.id}/delete")

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Asset, first.id) is None
        assert db.session.get(Asset, second.id) is not None
    assert stored_blobs(app) == [second.content_hash]
    [second_url] = media_urls_on_page(owner, second_room)
    assert app.test_client(use_cookies=False).get(second_url).data == content


def test_delete_of_last_reference_removes_bytes(app, owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.mp4(), "lecture.mp4", captions=media_samples.webvtt())

    assert owner.post(f"/rooms/{room_id}/assets/{asset.id}/delete").status_code == 303

    assert asset_count(app) == 0
    assert stored_blobs(app) == []


def test_delete_keeps_captions_another_asset_uses(app, owner):
    room_id = create_room(owner)
    first = upload_ok(owner, room_id, media_samples.mp4(), "lecture.mp4", captions=media_samples.webvtt())
    second = upload_ok(owner, room_id, media_samples.webm(), "lecture.webm", captions=media_samples.webvtt())

    assert owner.post(f"/rooms/{room_id}/assets/{first.id}/delete").status_code == 303

    assert stored_blobs(app) == sorted([second.content_hash, second.captions_hash])


def test_delete_removes_storyboard_items_of_asset(app, owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    owner.post(f"/rooms/{room_id}/storyboard", {"kind": "note", "note": "Before"})
    assert owner.post(f"/rooms/{room_id}/storyboard", {"kind": "asset", "asset_id": str(asset.id)}).status_code == 303
    owner.post(f"/rooms/{room_id}/storyboard", {"kind": "note", "note": "After"})

    assert owner.post(f"/rooms/{room_id}/assets/{asset.id}/delete").status_code == 303

    with app.app_context():
        items = db.session.scalars(db.select(StoryboardItem).order_by(StoryboardItem.position)).all()
        assert [item.note for item in items] == ["Before", "After"]
        assert [item.position for item in items] == [0, 1]


def test_oversized_upload_rejected(app, owner):
    room_id = create_room(owner)
    app.config["ROOMS_MAX_ASSET_BYTES"] = 100

    response = upload(owner, room_id, media_samples.pdf(), "reading.pdf")

    assert response.status_code == 413
    assert "larger than the maximum of 100 Bytes" in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []
    assert bytes_written(app) == 0


def test_request_over_upload_limit_rejected(app, owner):
    room_id = create_room(owner)
    app.config["MAX_CONTENT_LENGTH"] = 2000

    response = upload(owner, room_id, media_samples.pdf() + b"\n" * 4000, "reading.pdf")

    assert response.status_code == 413
    assert "larger than this tool accepts: at most 2.0 KiB in one request" in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "T" * 201}, "Title: Field cannot be longer than 200 characters."),
        ({"alt_text": "A" * 501}, "Alt text: Field cannot be longer than 500 characters."),
        ({"kind": "hologram"}, "Show as: Not a valid choice."),
    ],
)
def test_form_errors_name_their_field(app, owner, fields, message):
    room_id = create_room(owner)

    response = upload(owner, room_id, media_samples.png(), "chart.png", **{"alt_text": "A chart", **fields})

    assert response.status_code == 422
    assert message in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


def test_empty_upload_rejected(app, owner):
    room_id = create_room(owner)

    response = upload(owner, room_id, b"", "empty.pdf", "application/pdf")

    assert response.status_code == 422
    assert "The file empty.pdf is empty." in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


@pytest.mark.parametrize(
    ("content", "file_name", "content_type", "message"),
    [
        pytest.param(
            media_samples.png(), "notes.pdf", "application/pdf",
            "The file notes.pdf is mislabelled: its name ends in .pdf, but its content is a PNG image.", id="extension",
        ),
        pytest.param(
            media_samples.pdf(), "notes.pdf", "image/png",
            "The file notes.pdf is mislabelled: it was sent as image/png, but its content is a PDF document.", id="claimed-type",
        ),
        pytest.param(
            media_samples.png(), "page.html", "text/html",
            "The file page.html is mislabelled: its name ends in .html, but its content is a PNG image.", id="html-name",
        ),
        pytest.param(
            b"<html><script>alert(1)</script></html>", "photo.png", "image/png",
            "The file photo.png is not a type this tool accepts.", id="html-content",
        ),
        pytest.param(
            media_samples.docx(), "deck.pptx", PPTX_TYPE, "The file deck.pptx is not a type this tool accepts.", id="docx-as-pptx",
        ),
        pytest.param(
            media_samples.matroska(), "lecture.webm", "video/webm", "The file lecture.webm is not a type this tool accepts.", id="mkv-as-webm",
        ),
        pytest.param(
            media_samples.m4a(), "talk.mp3", "audio/mpeg",
            "The file talk.mp3 is mislabelled: its name ends in .mp3, but its content is an M4A audio file.", id="m4a-as-mp3",
        ),
    ],
)
def test_mislabelled_upload_rejected(app, owner, content, file_name, content_type, message):
    room_id = create_room(owner)

    response = upload(owner, room_id, content, file_name, content_type, alt_text="Alt")

    assert response.status_code == 422
    assert message in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


def test_kind_that_does_not_fit_content_rejected(app, owner):
    room_id = create_room(owner)

    response = upload(owner, room_id, media_samples.png(), "chart.png", "image/png", alt_text="A chart", kind="video")

    assert response.status_code == 422
    assert "The file chart.png is a PNG image, which cannot be added as video." in error_text(response)
    assert asset_count(app) == 0


def test_unknown_extension_gets_usual_one(owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "notes.final")
    assert asset.file_name == "notes.final.pdf"


def test_ogg_extension_fits_video_and_audio(owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.ogg_theora(), "lecture.ogg", content_type="audio/ogg")
    assert asset.kind == AssetKind.VIDEO
    assert asset.media_type == "video/ogg"


def test_audio_only_mp4_is_audio(owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.mp4_audio_only(), "recording.mp4", content_type="video/mp4")
    assert asset.kind == AssetKind.AUDIO
    assert asset.media_type == "audio/mp4"


def test_file_name_keeps_letters_and_loses_paths(owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "../../home/ada/Einführung:\x07 Woche\u202e 1.pdf")
    assert asset.file_name == "Einführung_ Woche 1.pdf"


def test_image_requires_alt_text(app, owner):
    room_id = create_room(owner)

    response = upload(owner, room_id, media_samples.png(), "chart.png", "image/png", alt_text="  ")

    assert response.status_code == 422
    assert "Alt text is required for images" in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


def test_captions_must_be_webvtt(app, owner):
    room_id = create_room(owner)

    response = upload(owner, room_id, media_samples.mp4(), "lecture.mp4", captions=b"1\n00:00:00,000 --> 00:00:02,000\nHi\n")

    assert response.status_code == 422
    assert "is not WebVTT: its first line must start with WEBVTT" in error_text(response)
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


def test_captions_only_for_video_or_audio(app, owner):
    room_id = create_room(owner)

    response = upload(owner, room_id, media_samples.pdf(), "reading.pdf", captions=media_samples.webvtt())

    assert response.status_code == 422
    assert "Captions can only be added to video or audio." in error_text(response)
    assert asset_count(app) == 0


def test_upload_without_file_rejected(app, owner):
    room_id = create_room(owner)
    response = owner.post(f"/rooms/{room_id}/assets", {"title": "Nothing"})
    assert response.status_code == 422
    assert "Choose a file to upload." in error_text(response)
    assert asset_count(app) == 0


def test_upload_without_csrf_rejected(app, owner):
    room_id = create_room(owner)
    response = owner.client.post(
        f"/rooms/{room_id}/assets",
        data={"launch_token": owner.token, "file": (io.BytesIO(media_samples.pdf()), "reading.pdf", "application/pdf")},
    )
    assert response.status_code == 400
    assert asset_count(app) == 0


@pytest.mark.parametrize("actor_name", ["learner", "instructor"])
def test_non_editor_cannot_upload(app, request, owner, actor_name):
    room_id = create_room(owner)
    assert owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"}).status_code == 303
    actor = request.getfixturevalue(actor_name)

    response = upload(actor, room_id, media_samples.pdf(), "reading.pdf")

    assert response.status_code == 403
    assert asset_count(app) == 0
    assert stored_blobs(app) == []


@pytest.mark.parametrize("actor_name", ["learner", "instructor"])
def test_non_editor_cannot_delete(app, request, owner, actor_name):
    room_id = create_room(owner)
    assert owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"}).status_code == 303
    asset = upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    actor = request.getfixturevalue(actor_name)

    response = actor.post(f"/rooms/{room_id}/assets/{asset.id}/delete")

    assert response.status_code == 403
    assert asset_count(app) == 1
    assert stored_blobs(app) == [asset.content_hash]


def test_learner_sees_media_without_edit_forms(owner, learner):
    room_id = create_room(owner)
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})
    upload_ok(owner, room_id, media_samples.png(), "chart.png", alt_text="A chart")

    page = learner.get(f"/rooms/{room_id}").get_data(as_text=True)

    assert 'alt="A chart"' in page
    assert "/assets/" not in page
    assert 'enctype="multipart/form-data"' not in page


def test_hiding_room_ends_learner_media_urls(app, owner, learner, instructor):
    room_id = create_room(owner)
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})
    upload_ok(owner, room_id, media_samples.mp4(), "lecture.mp4", captions=media_samples.webvtt())
    learner_urls = media_urls_on_page(learner, room_id)
    editor_urls = media_urls_on_page(owner, room_id)
    staff_urls = media_urls_on_page(instructor, room_id)
    assert len(learner_urls) == len(editor_urls) == len(staff_urls) == 2
    downloader = app.test_client(use_cookies=False)
    for url in learner_urls:
        assert downloader.get(url).status_code == 200

    assert owner.post(f"/rooms/{room_id}/visibility", {}).status_code == 303

    for url in learner_urls:
        response = downloader.get(url)
        assert response.status_code == 404
        assert "not open to learners" in error_text(response)
    # The owner and the course's instructors see hidden rooms, so their URLs still work.
    for url in editor_urls + staff_urls:
        assert downloader.get(url).status_code == 200

    # Shown again, the learner's URLs work again until they expire.
    owner.post(f"/rooms/{room_id}/visibility", {"visible": "y"})
    for url in learner_urls:
        assert downloader.get(url).status_code == 200


def test_co_editor_and_admin_may_edit(app, test_platform, owner, instructor):
    room_id = create_room(owner)
    with app.app_context():
        instructor_id = db.session.scalar(db.select(User.id).where(User.name == "Otto Other"))
        db.session.add(RoomCoEditor(room_id=room_id, user_id=instructor_id))
        db.session.commit()
    admin = launch_actor(app, test_platform, sub="admin", name="Ada Admin", roles=LMS_ADMIN)

    for actor in (instructor, admin):
        asset = upload_ok(actor, room_id, media_samples.pdf(), "reading.pdf")
        assert actor.post(f"/rooms/{room_id}/assets/{asset.id}/delete").status_code == 303
    assert asset_count(app) == 0


def test_other_course_gets_404_on_every_asset_route(app, owner, outsider):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")

    assert upload(outsider, room_id, media_samples.pdf(), "reading.pdf").status_code == 404
    assert outsider.post(f"/rooms/{room_id}/assets/{asset.id}/delete").status_code == 404
    other_room = create_room(outsider, "Their room")
    assert outsider.post(f"/rooms/{other_room}/assets/{asset.id}/delete").status_code == 404
    token = signed_token(app, MediaLink(asset_id=asset.id, course_id=outsider.course_id, part=MediaPart.CONTENT).to_payload())
    response = app.test_client(use_cookies=False).get(f"/media/{token}")
    assert response.status_code == 404
    assert "belongs to another course" in error_text(response)
    assert asset_count(app) == 1


def test_media_url_of_deleted_room_fails(app, owner):
    room_id = create_room(owner)
    upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    [url] = media_urls_on_page(owner, room_id)

    assert owner.post(f"/rooms/{room_id}/delete").status_code == 303

    assert app.test_client(use_cookies=False).get(url).status_code == 404


def test_range_requests_return_requested_bytes(app, owner):
    room_id = create_room(owner)
    content = media_samples.mp4()
    upload_ok(owner, room_id, content, "lecture.mp4")
    [url] = media_urls_on_page(owner, room_id)
    browser = app.test_client(use_cookies=False)
    size = len(content)

    whole = browser.get(url)
    assert whole.status_code == 200
    assert whole.data == content
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Type"] == "video/mp4"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"

    first = browser.get(url, headers={"Range": "bytes=0-7"})
    assert first.status_code == 206
    assert first.data == content[:8]
    assert first.headers["Content-Range"] == f"bytes 0-7/{size}"
    assert first.headers["Content-Length"] == "8"

    middle = browser.get(url, headers={"Range": "bytes=8-15"})
    assert middle.data == content[8:16]

    open_ended = browser.get(url, headers={"Range": f"bytes={size - 10}-"})
    assert open_ended.status_code == 206
    assert open_ended.data == content[-10:]

    suffix = browser.get(url, headers={"Range": "bytes=-4"})
    assert suffix.data == content[-4:]
    assert suffix.headers["Content-Range"] == f"bytes {size - 4}-{size - 1}/{size}"


@pytest.mark.parametrize("bad_range", ["bytes={size}-", "bytes=5-2", "pages=1-2"])
def test_unsatisfiable_range_is_416(app, owner, bad_range):
    room_id = create_room(owner)
    content = media_samples.wav()
    upload_ok(owner, room_id, content, "talk.wav")
    [url] = media_urls_on_page(owner, room_id)

    response = app.test_client(use_cookies=False).get(url, headers={"Range": bad_range.format(size=len(content))})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(content)}"


def test_conditional_request_gets_304(app, owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    [url] = media_urls_on_page(owner, room_id)

    response = app.test_client(use_cookies=False).get(url, headers={"If-None-Match": f'"{asset.content_hash}"'})

    assert response.status_code == 304


def test_download_names_are_safe(app, owner):
    room_id = create_room(owner)
    upload_ok(owner, room_id, media_samples.pptx(), "Präsentation; Woche 1.pptx")
    [url] = media_urls_on_page(owner, room_id)

    response = app.test_client(use_cookies=False).get(url)

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="Prasentation; Woche 1.pptx"' in disposition
    assert "filename*=UTF-8''Pr%C3%A4sentation%3B%20Woche%201.pptx" in disposition


def test_pdf_is_shown_inline(app, owner):
    room_id = create_room(owner)
    upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    [url] = media_urls_on_page(owner, room_id)

    response = app.test_client(use_cookies=False).get(url)

    assert response.headers["Content-Disposition"] == "inline; filename=reading.pdf"


def test_expired_media_url_fails(app, owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    link = MediaLink(asset_id=asset.id, course_id=owner.course_id, part=MediaPart.CONTENT)
    max_age = app.config["ROOMS_MEDIA_URL_MAX_AGE"]
    browser = app.test_client(use_cookies=False)

    fresh = browser.get(f"/media/{signed_token(app, link.to_payload(), age_seconds=max_age - 60)}")
    expired = browser.get(f"/media/{signed_token(app, link.to_payload(), age_seconds=max_age + 60)}")

    assert fresh.status_code == 200
    assert expired.status_code == 403
    assert "This media link has expired. Reload the room page to get a new one." in error_text(expired)


def test_tampered_media_url_fails(app, owner):
    room_id = create_room(owner)
    first = upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    upload_ok(owner, room_id, media_samples.wav(), "talk.wav")
    [url, _other] = media_urls_on_page(owner, room_id)
    token = url.removeprefix("/media/")
    payload, _timestamp, _signature = token.split(".")
    other_payload = signed_token(app, {"a": first.id + 1, "c": owner.course_id, "p": "content"}).split(".")[0]
    browser = app.test_client(use_cookies=False)

    swapped = browser.get(f"/media/{token.replace(payload, other_payload)}")
    flipped = browser.get(f"/media/{token[:-2]}{'AA' if token[-2:] != 'AA' else 'BB'}")
    wrong_key = browser.get(
        f"/media/{URLSafeTimedSerializer('another secret', salt=MEDIA_URL_SALT).dumps({'a': first.id, 'c': owner.course_id, 'p': 'content'})}"
    )

    for response in (swapped, flipped, wrong_key):
        assert response.status_code == 404
        assert "This media link is invalid." in error_text(response)


def test_captions_url_without_captions_is_404(app, owner):
    room_id = create_room(owner)
    asset = upload_ok(owner, room_id, media_samples.mp4(), "lecture.mp4")
    token = signed_token(app, MediaLink(asset_id=asset.id, course_id=owner.course_id, part=MediaPart.CAPTIONS).to_payload())

    assert app.test_client(use_cookies=False).get(f"/media/{token}").status_code == 404


def test_media_url_carries_no_launch_token(owner):
    room_id = create_room(owner)
    upload_ok(owner, room_id, media_samples.pdf(), "reading.pdf")
    [url] = media_urls_on_page(owner, room_id)
    assert owner.token not in url
    assert "launch" not in url


def test_markup_in_title_and_alt_text_is_escaped(owner):
    room_id = create_room(owner)
    upload_ok(
        owner,
        room_id,
        media_samples.png(),
        "chart.png",
        title="<script>alert('title')</script>",
        alt_text='"><img src=x onerror=alert(1)>',
    )

    page = owner.get(f"/rooms/{room_id}").get_data(as_text=True)

    assert "<script>alert('title')</script>" not in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert "<img src=x onerror=alert(1)>" not in page
    assert 'alt="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page
