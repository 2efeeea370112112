"""What a clone copies, column by column, in one place per model.

Every column of a cloned table is either copied as it is or listed as not
copied with the reason. A test reads the tables' columns and fails when a
new column is in neither list, so that adding a column forces a decision.
"""

from dataclasses import dataclass

from app.models import Asset, Interaction, Room, StoryboardItem


@dataclass(frozen=True)
class CopySpec:
    model: type
    # Columns whose values the clone copies unchanged.
    copied: tuple[str, ...]
    # Columns the clone sets itself or leaves out, with the reason.
    not_copied: dict[str, str]


ROOM = CopySpec(
    model=Room,
    copied=("description",),
    not_copied={
        "id": "the new room has its own id",
        "public_id": "the new room gets its own public id for LMS links",
        "course_id": "set when the clone is requested (the source's course, or the course it is cloned into)",
        "owner_id": "the user who cloned",
        "parent_id": "the source room",
        "name": "'Copy of <name>' when requested, then the requester's choice; the job never writes it",
        "status": "cloning until the job ends",
        "visible_to_learners": "a clone starts hidden from learners",
        "available_from": "a clone starts hidden, without an availability window",
        "available_until": "a clone starts hidden, without an availability window",
        "settings": "copied by the job with every secret regenerated",
        "created_at": "the time of the clone",
        "updated_at": "the time of the clone",
        "deleted_at": "a clone starts not deleted",
    },
)

ASSET = CopySpec(
    model=Asset,
    copied=(
        "kind",
        "title",
        "file_name",
        "media_type",
        "size_bytes",
        "content_hash",
        "alt_text",
        "captions_hash",
        "captions_file_name",
        "created_by_id",
    ),
    not_copied={
        "id": "new rows",
        "room_id": "the target room",
        "created_at": "the time of the clone",
        "source_asset_id": "the id of the asset it was copied from, to re-point storyboard items",
    },
)

STORYBOARD_ITEM = CopySpec(
    model=StoryboardItem,
    copied=("position", "kind", "note", "url", "link_title"),
    not_copied={
        "id": "new rows",
        "room_id": "the target room",
        "asset_id": "re-pointed to the copy of the asset",
        "created_at": "the time of the clone",
    },
)

INTERACTION = CopySpec(
    model=Interaction,
    copied=("kind", "title", "body", "options", "correct_options"),
    not_copied={
        "id": "new rows",
        "room_id": "the target room",
        "status": "every copy starts as a draft",
        "scheduled_at": "schedules are not copied",
        "published_at": "a draft has not been published",
        "closed_at": "a draft has not been closed",
        "deleted_at": "deleted interactions are not copied",
        "created_at": "the time of the clone",
        "updated_at": "the time of the clone",
        "source_interaction_id": "the id of the interaction it was copied from",
    },
)

# Tables a clone never copies, with the reason.
NEVER_COPIED = {
    "room_co_editor": "permissions are never copied: the new room starts with its owner alone",
    "interaction_response": "responses belong to the session that collected them",
    "placement": "LMS links stay with the room they were made for",
}

COPY_SPECS = (ROOM, ASSET, STORYBOARD_ITEM, INTERACTION)
