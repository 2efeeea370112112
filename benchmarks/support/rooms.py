"""Rooms of a given size, built with bulk inserts (SQLAlchemy Core executemany), not through HTTP."""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select

from app.models import (
    Asset,
    AssetKind,
    Course,
    CourseMembership,
    CourseRole,
    Interaction,
    InteractionKind,
    InteractionResponse,
    InteractionStatus,
    Room,
    StoryboardItem,
    StoryboardItemKind,
    User,
)
from app.rooms.settings import with_defaults
from app.storage import BlobStore

SETTINGS_KEYS = 50
LEARNERS = 10
SAMPLE_BLOBS = 10
ASSET_KINDS = (
    (AssetKind.VIDEO, "video/mp4", "mp4"),
    (AssetKind.AUDIO, "audio/mpeg", "mp3"),
    (AssetKind.DOCUMENT, "application/pdf", "pdf"),
    (AssetKind.SLIDES, "application/vnd.oasis.opendocument.presentation", "odp"),
    (AssetKind.IMAGE, "image/png", "png"),
)
STORYBOARD_KINDS = (StoryboardItemKind.ASSET, StoryboardItemKind.NOTE, StoryboardItemKind.LINK)
INTERACTION_KINDS = (InteractionKind.ANNOUNCEMENT, InteractionKind.POLL, InteractionKind.QUIZ)
# Out of every ten interactions: five published, two drafts, one scheduled
# (due an hour ago, so live), one closed and one deleted.
INTERACTION_STATUSES = (
    InteractionStatus.PUBLISHED,
    InteractionStatus.PUBLISHED,
    InteractionStatus.PUBLISHED,
    InteractionStatus.PUBLISHED,
    InteractionStatus.PUBLISHED,
    InteractionStatus.DRAFT,
    InteractionStatus.DRAFT,
    InteractionStatus.SCHEDULED,
    InteractionStatus.CLOSED,
    InteractionStatus.DELETED,
)


@dataclass(frozen=True)
class RoomSize:
    name: str
    assets: int
    storyboard_items: int
    interactions: int


SMALL = RoomSize("small", assets=10, storyboard_items=20, interactions=50)
MEDIUM = RoomSize("medium", assets=100, storyboard_items=200, interactions=1_000)
LARGE = RoomSize("large", assets=1_000, storyboard_items=1_000, interactions=10_000)
SIZES = {size.name: size for size in (SMALL, MEDIUM, LARGE)}


@dataclass(frozen=True)
class BuiltRoom:
    """A room's id and the rows it holds: what a clone must copy, and what it leaves behind."""

    room_id: int
    assets: int
    storyboard_items: int
    interactions: int
    deleted_interactions: int
    responses: int
    settings_keys: int

    @property
    def copied_interactions(self) -> int:
        return self.interactions - self.deleted_interactions


def store_sample_blobs(store: BlobStore, count: int = SAMPLE_BLOBS) -> list[str]:
    """Store ``count`` distinct small media files; return their content hashes."""
    hashes = []
    for index in range(count):
        content = f"benchmark media file {index}\n".encode() * 64
        hashes.append(store.put(io.BytesIO(content)).content_hash)
    return hashes


def add_course(connection: Connection, platform_id: int, *, context_id: str, learners: int = LEARNERS) -> tuple[int, int, list[int]]:
    """Insert a course with an instructor and learners; return the course id, the instructor's id and the learners' ids."""
    course_id = connection.execute(
        insert(Course).values(platform_id=platform_id, context_id=context_id, title="Benchmark course").returning(Course.id)
    ).scalar_one()
    instructor_id = connection.execute(insert(User).values(name="Benchmark instructor").returning(User.id)).scalar_one()
    learner_ids = add_learners(connection, course_id, learners)
    connection.execute(
        insert(CourseMembership).values(user_id=instructor_id, course_id=course_id, role=CourseRole.INSTRUCTOR)
    )
    return course_id, instructor_id, learner_ids


def add_learners(connection: Connection, course_id: int, count: int) -> list[int]:
    """Insert ``count`` users with a learner membership of the course; return their ids."""
    first = connection.execute(select(User.id).order_by(User.id.desc()).limit(1)).scalar() or 0
    connection.execute(insert(User), [{"name": f"Learner {number}"} for number in range(count)])
    learner_ids = list(connection.scalars(select(User.id).where(User.id > first).order_by(User.id)))
    connection.execute(
        insert(CourseMembership),
        [{"user_id": user_id, "course_id": course_id, "role": CourseRole.LEARNER} for user_id in learner_ids],
    )
    return learner_ids


def _settings() -> dict:
    settings = with_defaults({})
    for number in range(SETTINGS_KEYS - len(settings)):
        settings[f"benchmark_setting_{number:02d}"] = f"value {number}"
    return settings


def _asset_rows(room_id: int, owner_id: int, count: int, content_hashes: list[str]) -> list[dict]:
    rows = []
    for index in range(count):
        kind, media_type, extension = ASSET_KINDS[index % len(ASSET_KINDS)]
        with_captions = kind in (AssetKind.VIDEO, AssetKind.AUDIO)
        rows.append(
            {
                "room_id": room_id,
                "kind": kind,
                "title": f"Asset {index}",
                "file_name": f"asset-{index}.{extension}",
                "media_type": media_type,
                "size_bytes": 1_000 + index,
                "content_hash": content_hashes[index % len(content_hashes)],
                "alt_text": f"Description of asset {index}" if kind == AssetKind.IMAGE else "",
                "captions_hash": content_hashes[(index + 1) % len(content_hashes)] if with_captions else None,
                "captions_file_name": f"asset-{index}.vtt" if with_captions else None,
                "created_by_id": owner_id,
            }
        )
    return rows


def _storyboard_rows(room_id: int, count: int, asset_ids: list[int]) -> list[dict]:
    rows = []
    for position in range(count):
        kind = STORYBOARD_KINDS[position % len(STORYBOARD_KINDS)]
        row = {"room_id": room_id, "position": position, "kind": kind, "asset_id": None, "note": "", "url": "", "link_title": ""}
        if kind == StoryboardItemKind.ASSET:
            row["asset_id"] = asset_ids[position % len(asset_ids)]
        elif kind == StoryboardItemKind.NOTE:
            row["note"] = f"Discuss step {position} with the group."
        else:
            row["url"] = f"https://example.org/reading/{position}"
            row["link_title"] = f"Reading {position}"
        rows.append(row)
    return rows


def _interaction_rows(room_id: int, count: int, now: datetime) -> list[dict]:
    rows = []
    for index in range(count):
        kind = INTERACTION_KINDS[index % len(INTERACTION_KINDS)]
        status = INTERACTION_STATUSES[index % len(INTERACTION_STATUSES)]
        is_question = kind != InteractionKind.ANNOUNCEMENT
        rows.append(
            {
                "room_id": room_id,
                "kind": kind,
                "title": f"Interaction {index}",
                "body": f"Body of interaction {index}.",
                "options": ["Yes", "No", "Not sure"] if is_question else [],
                "correct_options": [0] if kind == InteractionKind.QUIZ else [],
                "status": status,
                "scheduled_at": now - timedelta(hours=1) if status == InteractionStatus.SCHEDULED else None,
                "published_at": now if status == InteractionStatus.PUBLISHED else None,
                "closed_at": now if status == InteractionStatus.CLOSED else None,
                "deleted_at": now if status == InteractionStatus.DELETED else None,
                "created_at": now + timedelta(microseconds=index),
                "updated_at": now,
            }
        )
    return rows


def build_room(
    connection: Connection,
    *,
    course_id: int,
    owner_id: int,
    learner_ids: list[int],
    size: RoomSize,
    content_hashes: list[str],
    now: datetime,
) -> BuiltRoom:
    """Insert a room of ``size`` with 50 settings keys, and a response of every learner to each published poll and quiz."""
    settings = _settings()
    room_id = connection.execute(
        insert(Room)
        .values(course_id=course_id, owner_id=owner_id, name=f"{size.name.capitalize()} room", settings=settings)
        .returning(Room.id)
    ).scalar_one()

    connection.execute(insert(Asset), _asset_rows(room_id, owner_id, size.assets, content_hashes))
    asset_ids = list(connection.scalars(select(Asset.id).where(Asset.room_id == room_id).order_by(Asset.id)))
    connection.execute(insert(StoryboardItem), _storyboard_rows(room_id, size.storyboard_items, asset_ids))
    interaction_rows = _interaction_rows(room_id, size.interactions, now)
    connection.execute(insert(Interaction), interaction_rows)

    published_questions = connection.scalars(
        select(Interaction.id).where(
            Interaction.room_id == room_id,
            Interaction.status == InteractionStatus.PUBLISHED,
            Interaction.kind != InteractionKind.ANNOUNCEMENT,
        )
    ).all()
    responses = [
        {"interaction_id": interaction_id, "user_id": user_id, "choices": [(interaction_id + user_id) % 3]}
        for interaction_id in published_questions
        for user_id in learner_ids
    ]
    if responses:
        connection.execute(insert(InteractionResponse), responses)

    deleted = sum(1 for row in interaction_rows if row["status"] == InteractionStatus.DELETED)
    return BuiltRoom(
        room_id=room_id,
        assets=size.assets,
        storyboard_items=size.storyboard_items,
        interactions=size.interactions,
        deleted_interactions=deleted,
        responses=len(responses),
        settings_keys=len(settings),
    )
