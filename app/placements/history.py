"""Parsing the course-copy history custom parameters.

The tool's registration asks the platform to expand, on every launch:

- ``context_history=$Context.id.history`` (Moodle and Canvas),
- ``resource_link_history=$ResourceLink.id.history`` (D2L and Blackboard),
- ``canvas_previous_context_ids=$Canvas.course.previousContextIds.recursive`` (Canvas).

Each value is a comma-separated list of URL-encoded ids, newest copy first, so
an id may itself contain ``%2C``. A platform that does not support a variable
sends it back unexpanded, as the literal ``$...``: that means "unknown", not
"no history".
"""

from dataclasses import dataclass
from urllib.parse import unquote

HISTORY_PARAMETERS = ("context_history", "canvas_previous_context_ids", "resource_link_history")
# Entries that mark a list cut short by the platform; they name no id.
TRUNCATION_MARKERS = {"...", "…"}
MAX_HISTORY_IDS = 1000
MAX_ID_LENGTH = 255


@dataclass(frozen=True)
class History:
    """The ids a history parameter lists, newest first; ``known`` is False when the platform did not expand it."""

    known: bool
    ids: tuple[str, ...] = ()


UNKNOWN = History(known=False)


def parse_history(value) -> History:
    """Parse one history parameter value from the custom claim."""
    if value is None or not isinstance(value, str):
        return UNKNOWN
    text = value.strip()
    if text.startswith("$"):
        return UNKNOWN
    if not text:
        return History(known=True)

    entries = [entry.strip() for entry in text.split(",")]
    while entries and (entries[-1] in TRUNCATION_MARKERS or entries[-1] == ""):
        entries.pop()

    ids: list[str] = []
    for entry in entries[:MAX_HISTORY_IDS]:
        identifier = unquote(entry)
        if identifier and len(identifier) <= MAX_ID_LENGTH and identifier not in ids:
            ids.append(identifier)
    return History(known=True, ids=tuple(ids))


def histories_from_custom(custom: dict) -> dict[str, History]:
    """Parse every history parameter of a launch's custom claim."""
    return {name: parse_history(custom.get(name)) for name in HISTORY_PARAMETERS}
