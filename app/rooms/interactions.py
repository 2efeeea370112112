"""C&C interactions of a room: announcements, polls and quizzes, and their responses."""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.models import Interaction, InteractionStatus, Room


def is_live(interaction: Interaction, now: datetime) -> bool:
    """Return whether learners see the interaction: published, or scheduled and due."""
    if interaction.status == InteractionStatus.PUBLISHED:
        return True
    return (
        interaction.status == InteractionStatus.SCHEDULED
        and interaction.scheduled_at is not None
        and interaction.scheduled_at <= now
    )


def list_interactions(session: Session, room: Room, *, editor: bool, now: datetime) -> list[Interaction]:
    """Return the room's interactions: every one not deleted for editors, the live ones for others."""
    query = select(Interaction).where(Interaction.room_id == room.id, Interaction.status != InteractionStatus.DELETED)
    if not editor:
        query = query.where(
            or_(
                Interaction.status == InteractionStatus.PUBLISHED,
                and_(Interaction.status == InteractionStatus.SCHEDULED, Interaction.scheduled_at <= now),
            )
        )
    return list(session.scalars(query.order_by(Interaction.created_at, Interaction.id)))
