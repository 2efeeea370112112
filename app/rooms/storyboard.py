"""A room's storyboard: ordered items that point at an asset, hold a note or link out."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Room, StoryboardItem


def list_items(session: Session, room: Room) -> list[StoryboardItem]:
    return list(
        session.scalars(
            select(StoryboardItem)
            .where(StoryboardItem.room_id == room.id)
            .options(selectinload(StoryboardItem.asset))
            .order_by(StoryboardItem.position, StoryboardItem.id)
        )
    )
