"""A room's storyboard: ordered items that point at an asset, hold a note or link out.

Positions are kept contiguous from 0, so that moving an item swaps two numbers.
"""

import ipaddress
import logging
import re
from urllib.parse import SplitResult, urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Asset, Room, StoryboardItem, StoryboardItemKind
from app.rooms.exceptions import InvalidRoomInput
from app.rooms.validation import clean_name

logger = logging.getLogger(__name__)

NOTE_MAX = 2000
URL_MAX = 2000
ITEMS_PER_ROOM_MAX = 500


def list_items(session: Session, room: Room) -> list[StoryboardItem]:
    return list(
        session.scalars(
            select(StoryboardItem)
            .where(StoryboardItem.room_id == room.id)
            .options(selectinload(StoryboardItem.asset))
            .order_by(StoryboardItem.position, StoryboardItem.id)
        )
    )


def list_items_page(session: Session, room: Room, *, offset: int, limit: int) -> tuple[list[StoryboardItem], int]:
    """Return up to ``limit`` of the room's storyboard items from ``offset``, in order, and how many the room has.

    The count comes from a window function in the same statement, so an offset
    past the last item returns no items and a count of 0.
    """
    rows = session.execute(
        select(StoryboardItem, func.count().over())
        .where(StoryboardItem.room_id == room.id)
        .options(selectinload(StoryboardItem.asset))
        .order_by(StoryboardItem.position, StoryboardItem.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [item for item, _total in rows], rows[0][1] if rows else 0


# One label of a host name: letters (any script), digits and inner hyphens.
HOST_LABEL_PATTERN = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")


def _has_valid_host(parts: SplitResult) -> bool:
    try:
        # SplitResult.port raises ValueError for a port that is not a number from 0 to 65535.
        if parts.port == 0:
            return False
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.netloc.startswith("["):
        try:
            return ipaddress.ip_address(host).version == 6
        except ValueError:
            return False
    labels = host.rstrip(".").split(".")
    return 0 < len(host) <= 253 and all(HOST_LABEL_PATTERN.fullmatch(label) for label in labels)


def _clean_url(value: str) -> str:
    url = (value or "").strip()
    if not url:
        raise InvalidRoomInput(_("The link URL is required."))
    if len(url) > URL_MAX:
        raise InvalidRoomInput(_("The link URL is longer than %(max)d characters.", max=URL_MAX))
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidRoomInput(_("The link URL must start with http:// or https://."))
    try:
        parts = urlsplit(url)
    except ValueError:
        # urlsplit raises ValueError for an unclosed "[" in the host.
        parts = None
    if parts is not None and "@" in parts.netloc:
        raise InvalidRoomInput(_("The link URL must not contain a user name or password."))
    # Spaces and control characters would make a browser read the link another way.
    if (
        parts is None
        or not _has_valid_host(parts)
        or any(character.isspace() or not character.isprintable() for character in url)
    ):
        raise InvalidRoomInput(
            _("The link URL %(url)s is not a valid web address, such as https://example.org/page.", url=url[:200])
        )
    return url


def add_item(
    session: Session,
    room: Room,
    *,
    kind: str,
    asset_id: int | None = None,
    note: str = "",
    url: str = "",
    link_title: str = "",
) -> StoryboardItem:
    try:
        item_kind = StoryboardItemKind(kind)
    except ValueError:
        raise InvalidRoomInput(_("Choose an asset, a note or a link.")) from None

    count = session.scalar(select(func.count(StoryboardItem.id)).where(StoryboardItem.room_id == room.id))
    if count >= ITEMS_PER_ROOM_MAX:
        raise InvalidRoomInput(_("A storyboard can have at most %(max)d items.", max=ITEMS_PER_ROOM_MAX))

    item = StoryboardItem(room_id=room.id, position=count, kind=item_kind)
    if item_kind == StoryboardItemKind.ASSET:
        asset = session.get(Asset, asset_id) if asset_id else None
        if asset is None or asset.room_id != room.id:
            raise InvalidRoomInput(_("Choose one of this room's media files."))
        item.asset_id = asset.id
    elif item_kind == StoryboardItemKind.NOTE:
        text = (note or "").strip()
        if not text:
            raise InvalidRoomInput(_("The note is empty."))
        if len(text) > NOTE_MAX:
            raise InvalidRoomInput(_("The note is longer than %(max)d characters.", max=NOTE_MAX))
        item.note = text
    else:
        item.url = _clean_url(url)
        item.link_title = clean_name(link_title or item.url[:200], field_label=_("link title"))

    session.add(item)
    session.flush()
    return item


def _renumber(session: Session, room: Room) -> list[StoryboardItem]:
    items = list_items(session, room)
    for position, item in enumerate(items):
        item.position = position
    session.flush()
    return items


def remove_item(session: Session, room: Room, item: StoryboardItem) -> None:
    session.delete(item)
    session.flush()
    _renumber(session, room)


def move_item(session: Session, room: Room, item: StoryboardItem, direction: str) -> None:
    """Move an item one step ``up`` or ``down``; moving past either end changes nothing."""
    if direction not in {"up", "down"}:
        raise InvalidRoomInput(_("Move an item up or down."))
    items = _renumber(session, room)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index].position, items[other].position = items[other].position, items[index].position
        session.flush()
