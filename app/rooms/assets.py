"""Assets of a room: media files whose bytes live in the content-addressed store."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset, Room


def list_assets(session: Session, room: Room) -> list[Asset]:
    return list(session.scalars(select(Asset).where(Asset.room_id == room.id).order_by(Asset.created_at, Asset.id)))
