"""Checks for the text fields of rooms: names, descriptions and tags."""

import re
import unicodedata

from flask_babel import gettext as _

from app.models.rooms import ROOM_DESCRIPTION_MAX, ROOM_NAME_MAX, TAG_MAX, TAGS_PER_ROOM_MAX
from app.rooms.exceptions import InvalidRoomInput

# An HTML tag, comment or doctype: names are plain text, so such input is
# rejected rather than stored and escaped.
HTML_TAG_PATTERN = re.compile(r"<\s*[/!?a-zA-Z]")
TAG_PATTERN = re.compile(r"^[\w][\w .#+-]*$")


# Control characters, and format characters such as zero-width spaces and the
# right-to-left override, which can make a name invisible or spoof its ending.
STRIPPED_CATEGORIES = {"Cc", "Cf"}


def _strip_control_characters(value: str, *, keep_newlines: bool) -> str:
    allowed = {"\n", "\t"} if keep_newlines else set()
    return "".join(
        character
        for character in value
        if character in allowed or unicodedata.category(character) not in STRIPPED_CATEGORIES
    )


def clean_name(value: str | None, *, field_label: str | None = None) -> str:
    field_label = field_label or _("name")
    name = " ".join(_strip_control_characters(value or "", keep_newlines=False).split())
    if not name:
        raise InvalidRoomInput(_("The %(field_label)s is required.", field_label=field_label))
    if len(name) > ROOM_NAME_MAX:
        raise InvalidRoomInput(
            _("The %(field_label)s is %(length)d characters long; the maximum is %(max)d.", field_label=field_label, length=len(name), max=ROOM_NAME_MAX)
        )
    if HTML_TAG_PATTERN.search(name):
        raise InvalidRoomInput(_("The %(field_label)s cannot contain HTML tags.", field_label=field_label))
    return name


def clean_description(value: str | None) -> str:
    description = _strip_control_characters(value or "", keep_newlines=True).strip()
    if len(description) > ROOM_DESCRIPTION_MAX:
        raise InvalidRoomInput(
            _("The description is %(length)d characters long; the maximum is %(max)d.", length=len(description), max=ROOM_DESCRIPTION_MAX)
        )
    return description


def clean_tags(value: str | list[str] | None) -> list[str]:
    """Parse comma-separated tags into a sorted list of unique lower-case tags."""
    if isinstance(value, str):
        raw_tags = value.split(",")
    else:
        raw_tags = list(value or [])

    tags: set[str] = set()
    for raw in raw_tags:
        tag = " ".join(_strip_control_characters(raw, keep_newlines=False).split()).lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise InvalidRoomInput(_("The tag %(tag)s… is longer than %(max)d characters.", tag=tag[:20], max=TAG_MAX))
        if not TAG_PATTERN.match(tag):
            raise InvalidRoomInput(
                _("The tag %(tag)s is invalid: use letters, digits, spaces and . # + - _ only.", tag=tag[:TAG_MAX])
            )
        tags.add(tag)
    if len(tags) > TAGS_PER_ROOM_MAX:
        raise InvalidRoomInput(_("A room can have at most %(max)d tags.", max=TAGS_PER_ROOM_MAX))
    return sorted(tags)
