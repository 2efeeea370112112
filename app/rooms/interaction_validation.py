"""Checks for the fields of interactions: titles, texts, options, correct options, times.

Titles, texts and options are plain text that may contain ``<`` or ``&``. They are
stored as typed and escaped when shown, unlike room names, which reject markup,
because a question such as "Is 3 < 5?" is ordinary in a quiz.
"""

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from app.models import InteractionKind
from app.rooms.exceptions import InvalidRoomInput

# The length of the ``interaction.title`` column.
TITLE_MAX = 200
BODY_MAX = 5000
OPTION_MAX = 200
OPTIONS_MIN = 2
OPTIONS_MAX = 10
# Longer input cannot be a date and time; it is rejected before parsing.
SCHEDULE_INPUT_MAX = 40
# The longest part of invalid input that an error message repeats.
ECHOED_INPUT_MAX = 40


@dataclass(frozen=True)
class InteractionContent:
    """The checked fields of an interaction, ready to store."""

    title: str
    body: str
    options: list[str]
    correct_options: list[int]


def parse_kind(value: str | None) -> InteractionKind:
    try:
        return InteractionKind(value or "")
    except ValueError:
        raise InvalidRoomInput(
            _("The kind %(kind)s is invalid. Choose announcement, poll or quiz.", kind=(value or "")[:ECHOED_INPUT_MAX])
        ) from None


def _strip_control_characters(value: str, *, keep_newlines: bool) -> str:
    allowed = {"\n", "\t"} if keep_newlines else set()
    return "".join(
        character for character in value if character in allowed or unicodedata.category(character) != "Cc"
    )


def _parse_index(text: str) -> int | None:
    """Parse a 0-based option index written with ASCII digits only."""
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _single_line(value: str | None) -> str:
    return " ".join(_strip_control_characters(value or "", keep_newlines=False).split())


def clean_title(kind: InteractionKind, value: str | None) -> str:
    title = _single_line(value)
    if not title:
        if kind == InteractionKind.ANNOUNCEMENT:
            raise InvalidRoomInput(_("The title is required."))
        raise InvalidRoomInput(_("The question is required."))
    if len(title) > TITLE_MAX:
        raise InvalidRoomInput(
            _("The title has %(length)d characters, but the maximum is %(max)d.", length=len(title), max=TITLE_MAX)
        )
    return title


def clean_body(kind: InteractionKind, value: str | None) -> str:
    body = _strip_control_characters(value or "", keep_newlines=True).strip()
    if not body and kind == InteractionKind.ANNOUNCEMENT:
        raise InvalidRoomInput(_("The text of the announcement is required."))
    if len(body) > BODY_MAX:
        raise InvalidRoomInput(
            _("The text has %(length)d characters, but the maximum is %(max)d.", length=len(body), max=BODY_MAX)
        )
    return body


def clean_options(values: list[str | None]) -> list[str]:
    """Check poll or quiz options, given in order, where empty fields at the end are unused slots."""
    options = [_single_line(value) for value in values]
    while options and not options[-1]:
        options.pop()

    for index, option in enumerate(options):
        if not option:
            raise InvalidRoomInput(
                _("Option %(number)d is empty. Fill it in, or move the options below it up.", number=index + 1)
            )
    if len(options) < OPTIONS_MIN:
        raise InvalidRoomInput(
            ngettext(
                "A poll or quiz needs at least %(min)d options, but %(num)d is filled in.",
                "A poll or quiz needs at least %(min)d options, but %(num)d are filled in.",
                len(options),
                min=OPTIONS_MIN,
            )
        )
    if len(options) > OPTIONS_MAX:
        raise InvalidRoomInput(
            _(
                "A poll or quiz can have at most %(max)d options, but %(count)d were sent.",
                max=OPTIONS_MAX,
                count=len(options),
            )
        )

    first_index_by_key: dict[str, int] = {}
    for index, option in enumerate(options):
        if len(option) > OPTION_MAX:
            raise InvalidRoomInput(
                _(
                    "Option %(number)d has %(length)d characters, but the maximum is %(max)d.",
                    number=index + 1,
                    length=len(option),
                    max=OPTION_MAX,
                )
            )
        key = option.casefold()
        if key in first_index_by_key:
            raise InvalidRoomInput(
                _(
                    "Options %(first)d and %(second)d are the same: “%(option)s”. Each option must be different.",
                    first=first_index_by_key[key] + 1,
                    second=index + 1,
                    option=option,
                )
            )
        first_index_by_key[key] = index
    return options


def clean_correct_options(values: list[str | int | None], option_count: int) -> list[int]:
    """Parse the 0-based indexes of a quiz's correct options into a sorted list without repeats."""
    indexes: set[int] = set()
    for value in values:
        text = str(value if value is not None else "").strip()
        index = _parse_index(text)
        if index is None:
            raise InvalidRoomInput(
                _("The correct option “%(value)s” is not an option number.", value=text[:ECHOED_INPUT_MAX])
            )
        if index >= option_count:
            raise InvalidRoomInput(
                _(
                    "Option %(number)d is marked correct, but the quiz has only %(count)d options.",
                    number=index + 1,
                    count=option_count,
                )
            )
        indexes.add(index)
    if not indexes:
        raise InvalidRoomInput(_("Mark at least one option as correct."))
    return sorted(indexes)


def clean_choices(kind: InteractionKind, option_count: int, values: list[str | None]) -> list[int]:
    """Parse a learner's choices, 0-based option indexes, into a sorted list without repeats.

    A poll takes one choice. A quiz takes one or more, so that the form does
    not tell learners how many options are correct.
    """
    indexes: set[int] = set()
    for value in values:
        text = (value or "").strip()
        index = _parse_index(text)
        if index is None or index >= option_count:
            raise InvalidRoomInput(
                _("The choice “%(value)s” is not one of the options.", value=text[:ECHOED_INPUT_MAX])
            )
        indexes.add(index)

    if not indexes:
        raise InvalidRoomInput(_("Choose an option before you send your answer."))
    if kind == InteractionKind.POLL and len(indexes) > 1:
        raise InvalidRoomInput(_("Choose one option only, because this poll takes a single answer."))
    return sorted(indexes)


def clean_content(
    kind: InteractionKind,
    *,
    title: str | None,
    body: str | None,
    options: list[str | None],
    correct_options: list[str | int | None],
) -> InteractionContent:
    """Check every field an interaction of ``kind`` has. Fields that the kind does not use are dropped."""
    checked_title = clean_title(kind, title)
    checked_body = clean_body(kind, body)
    if kind == InteractionKind.ANNOUNCEMENT:
        return InteractionContent(title=checked_title, body=checked_body, options=[], correct_options=[])

    checked_options = clean_options(options)
    correct = []
    if kind == InteractionKind.QUIZ:
        correct = clean_correct_options(correct_options, len(checked_options))
    return InteractionContent(title=checked_title, body=checked_body, options=checked_options, correct_options=correct)


def parse_schedule_time(value: str | None, now: datetime) -> datetime:
    """Parse an ISO 8601 date and time that must lie after ``now``. A time without an offset is UTC."""
    text = (value or "").strip()
    if not text:
        raise InvalidRoomInput(_("Enter the date and time at which to publish."))

    try:
        if len(text) > SCHEDULE_INPUT_MAX:
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRoomInput(
            _(
                "The time “%(value)s” is invalid. Use the form YYYY-MM-DD HH:MM, in UTC.",
                value=text[:ECHOED_INPUT_MAX],
            )
        ) from None

    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment <= now:
        raise InvalidRoomInput(
            _(
                "The time %(time)s UTC is in the past. Choose a later time.",
                time=moment.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return moment
