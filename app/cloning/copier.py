"""The copy of a room's content, as a fixed number of INSERT ... SELECT statements.

The statement count does not depend on the size of the room: each part is one
statement, and old ids map to new ones through the ``source_*_id`` columns.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from app.cloning.columns import ASSET, INTERACTION, STORYBOARD_ITEM
from app.models import Asset, Interaction, InteractionStatus, Room, StoryboardItem
from app.models.base import UTCDateTime
from app.rooms.settings import regenerate_secrets, with_defaults


class SourceUnavailable(Exception):
    """The source room was deleted or removed before the job copied it."""


@dataclass(frozen=True)
class CopyCounts:
    assets: int
    storyboard_items: int
    interactions: int


def _columns(model, names):
    return [getattr(model, name) for name in names]


def _lock_source_assets(connection: Connection, source_id: int) -> None:
    """Share-lock the source's asset rows until the copy's transaction ends.

    The copy adds rows that refer to the same stored bytes, and a deleted asset's bytes
    are deleted once no committed row refers to them. With the lock, a delete or change
    of a source asset waits until the copy has committed, so the release that follows
    it sees the copy's rows and keeps the bytes. On PostgreSQL, a row deleted or changed
    after the copy's snapshot makes this statement fail with a serialization error, and
    the runner copies again from a new snapshot. SQLite ignores ``FOR SHARE``: there the
    copy's first write fails instead when any write committed after its snapshot.
    """
    connection.execute(select(Asset.id).where(Asset.room_id == source_id).with_for_update(read=True))


def copy_room_content(
    connection: Connection,
    *,
    source_id: int,
    target_id: int,
    now: datetime,
    report_progress: Callable[[str, int], None],
    after_snapshot: Callable[[], None] | None = None,
) -> CopyCounts:
    """Copy assets, storyboard, interactions and settings from source to target.

    Runs inside the caller's transaction, which decides the isolation: every
    statement must see the same state of the source.
    """
    source = connection.execute(
        select(Room.settings, Room.deleted_at).where(Room.id == source_id)
    ).one_or_none()
    if source is None or source.deleted_at is not None:
        raise SourceUnavailable(f"Source room {source_id} was deleted before it was copied.")
    _lock_source_assets(connection, source_id)
    if after_snapshot is not None:
        after_snapshot()

    timestamp = literal(now, type_=UTCDateTime())
    target = literal(target_id)

    report_progress("assets", 20)
    connection.execute(
        insert(Asset).from_select(
            [*ASSET.copied, "room_id", "created_at", "source_asset_id"],
            select(*_columns(Asset, ASSET.copied), target, timestamp, Asset.id).where(Asset.room_id == source_id),
        )
    )

    report_progress("storyboard", 45)
    new_asset = aliased(Asset)
    connection.execute(
        insert(StoryboardItem).from_select(
            [*STORYBOARD_ITEM.copied, "room_id", "asset_id", "created_at"],
            select(*_columns(StoryboardItem, STORYBOARD_ITEM.copied), target, new_asset.id, timestamp)
            .select_from(StoryboardItem)
            .outerjoin(
                new_asset,
                and_(new_asset.room_id == target_id, new_asset.source_asset_id == StoryboardItem.asset_id),
            )
            .where(StoryboardItem.room_id == source_id),
        )
    )

    report_progress("interactions", 70)
    connection.execute(
        insert(Interaction).from_select(
            [*INTERACTION.copied, "room_id", "status", "created_at", "updated_at", "source_interaction_id"],
            select(
                *_columns(Interaction, INTERACTION.copied),
                target,
                literal(InteractionStatus.DRAFT.value),
                timestamp,
                timestamp,
                Interaction.id,
            ).where(Interaction.room_id == source_id, Interaction.status != InteractionStatus.DELETED.value),
        )
    )

    report_progress("settings", 90)
    connection.execute(
        update(Room)
        .where(Room.id == target_id)
        .values(settings=regenerate_secrets(with_defaults(source.settings)), updated_at=now)
    )

    counts = connection.execute(
        select(
            select(func.count()).select_from(Asset).where(Asset.room_id == target_id).scalar_subquery(),
            select(func.count()).select_from(StoryboardItem).where(StoryboardItem.room_id == target_id).scalar_subquery(),
            select(func.count()).select_from(Interaction).where(Interaction.room_id == target_id).scalar_subquery(),
        )
    ).one()
    return CopyCounts(assets=counts[0], storyboard_items=counts[1], interactions=counts[2])
