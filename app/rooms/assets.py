"""Assets of a room: media files whose bytes live in the content-addressed store.

Asset rows refer to stored bytes by their SHA-256 (``content_hash``, ``captions_hash``),
and any number of rows, in any room, may refer to the same bytes. Deleting an asset
deletes its row at once and its bytes only once no row refers to them any more
(``release_unreferenced_blobs``, called after the row's deletion is committed).
Functions here flush; the caller commits.
"""

import logging
from datetime import timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from app.models import Asset, AssetKind, Room, StoryboardItem, User
from app.models.base import utcnow
from app.rooms import storyboard
from app.rooms.uploads import UploadedFile, check_captions_file, check_media_file, clean_alt_text, clean_title
from app.storage import BlobStore, StoredBlob, hash_stream

logger = logging.getLogger(__name__)

# The first key of PostgreSQL's two-key advisory locks taken on content hashes; no
# other advisory lock of the tool uses it.
CONTENT_LOCK_NAMESPACE = 0x524D


def list_assets_page(session: Session, room: Room, *, offset: int, limit: int) -> tuple[list[Asset], int]:
    """Return up to ``limit`` of the room's assets from ``offset``, in upload order, and how many the room has.

    The count comes from a window function in the same statement, so an offset
    past the last asset returns no assets and a count of 0.
    """
    rows = session.execute(
        select(Asset, func.count().over())
        .where(Asset.room_id == room.id)
        .order_by(Asset.created_at, Asset.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [asset for asset, _total in rows], rows[0][1] if rows else 0


def list_asset_titles(session: Session, room: Room) -> list[tuple[int, str]]:
    """Return the id and title of every asset of the room, in upload order, for a choice of asset."""
    return [
        (asset_id, title)
        for asset_id, title in session.execute(
            select(Asset.id, Asset.title).where(Asset.room_id == room.id).order_by(Asset.created_at, Asset.id)
        )
    ]


def lock_content(session: Session, content_hash: str) -> None:
    """Lock the bytes of ``content_hash`` until the transaction ends.

    Adding a reference to stored bytes and deleting unreferenced bytes take this lock
    first, so a release cannot delete bytes that a concurrent upload has just found
    stored and is about to refer to. On PostgreSQL it is a transaction-level advisory
    lock. SQLite needs none: it runs one write transaction at a time, and the tool's
    transactions take the write lock when they begin (``BEGIN IMMEDIATE``).
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(content_hash[:8]), "big", signed=True)
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"), {"namespace": CONTENT_LOCK_NAMESPACE, "key": key}
        )


def _store(
    session: Session, store: BlobStore, uploads: list[UploadedFile], max_bytes: int
) -> list[StoredBlob]:
    """Store the bytes of each upload, in order, holding the locks of all their hashes."""
    # Hashing first lets the locks be taken before the store looks for the bytes, and
    # lets the store skip writing bytes it contains already. The locks are taken in
    # sorted order, as release_unreferenced_blobs takes them, so that an upload and a
    # release of the same media and captions cannot each wait for a lock the other holds.
    content_hashes = [hash_stream(upload.stream)[0] for upload in uploads]
    for content_hash in sorted(set(content_hashes)):
        lock_content(session, content_hash)
    return [
        store.put(upload.stream, content_hash=content_hash, max_bytes=max_bytes)
        for upload, content_hash in zip(uploads, content_hashes, strict=True)
    ]


def add_asset(
    session: Session,
    store: BlobStore,
    room: Room,
    user: User,
    *,
    upload: UploadedFile,
    title: str | None,
    alt_text: str | None,
    kind: AssetKind | None,
    captions: UploadedFile | None,
    max_bytes: int,
) -> Asset:
    """Check an uploaded media file and its captions, store their bytes and add the asset to the room.

    Every check runs before any byte is stored, so a rejected upload (InvalidRoomInput,
    or AssetTooLarge for a file over ``max_bytes``) stores nothing.
    """
    # Bytes stored here stay in the store, unreferenced, when the caller's transaction
    # rolls back afterwards, until collect_unreferenced_blobs deletes them.
    checked = check_media_file(upload, requested_kind=kind, max_bytes=max_bytes)
    clean_title_text = clean_title(title, file_name=checked.file_name)
    clean_alt = clean_alt_text(alt_text, kind=checked.kind)
    captions_file_name = check_captions_file(captions, kind=checked.kind) if captions is not None else None

    content, *stored_captions = _store(session, store, [upload] if captions is None else [upload, captions], max_bytes)
    captions_blob = stored_captions[0] if stored_captions else None

    asset = Asset(
        room_id=room.id,
        kind=checked.kind,
        title=clean_title_text,
        file_name=checked.file_name,
        media_type=checked.file_format.media_type,
        size_bytes=content.size_bytes,
        content_hash=content.content_hash,
        alt_text=clean_alt,
        captions_hash=captions_blob.content_hash if captions_blob else None,
        captions_file_name=captions_file_name,
        created_by_id=user.id,
    )
    session.add(asset)
    session.flush()
    logger.info(
        "Asset %s added to room %s by user %s: %s, %d bytes, blob %s (%s)",
        asset.id,
        room.id,
        user.id,
        asset.media_type,
        asset.size_bytes,
        asset.content_hash,
        "new" if content.created else "stored already",
    )
    return asset


def delete_asset(session: Session, room: Room, asset: Asset, user: User) -> list[str]:
    """Delete the asset and the storyboard items that show it; return the content hashes it referred to.

    The bytes stay: pass the hashes to ``release_unreferenced_blobs`` once this is committed.
    """
    content_hashes = [asset.content_hash]
    if asset.captions_hash:
        content_hashes.append(asset.captions_hash)

    items = session.scalars(select(StoryboardItem).where(StoryboardItem.asset_id == asset.id)).all()
    for item in items:
        storyboard.remove_item(session, room, item)
    session.delete(asset)
    session.flush()
    logger.info(
        "Asset %s deleted from room %s by user %s, with %d storyboard items", asset.id, room.id, user.id, len(items)
    )
    return content_hashes


def is_referenced(session: Session, content_hash: str) -> bool:
    """Return whether any asset, in any room, refers to these bytes as its media or its captions."""
    reference = select(Asset.id).where(or_(Asset.content_hash == content_hash, Asset.captions_hash == content_hash))
    return session.scalar(reference.limit(1)) is not None


def release_unreferenced_blobs(session: Session, store: BlobStore, content_hashes: list[str]) -> list[str]:
    """Delete the stored bytes of each hash that no asset refers to any more; return the deleted hashes.

    Call it after the deletion of the referring rows is committed, so that a failed
    commit cannot leave a row whose bytes are gone, then commit to release the locks.
    """
    deleted = []
    # Sorted, so that two releases take their locks in the same order.
    for content_hash in sorted(set(content_hashes)):
        lock_content(session, content_hash)
        if is_referenced(session, content_hash):
            continue
        if store.delete(content_hash):
            deleted.append(content_hash)
    return deleted


def collect_unreferenced_blobs(
    session: Session, store: BlobStore, *, older_than: timedelta, batch_size: int = 200
) -> list[str]:
    """Delete stored bytes that no asset refers to and that were written over ``older_than`` ago.

    Such bytes remain when an upload's transaction fails or its process dies after the
    bytes were stored. Each candidate is deleted by ``release_unreferenced_blobs``,
    which takes the hash's lock and checks the references again. Commits after each
    batch and returns the deleted hashes.
    """
    cutoff = utcnow() - older_than
    deleted = []
    batch: list[str] = []

    def release_batch() -> None:
        referenced = set(
            session.scalars(select(Asset.content_hash).where(Asset.content_hash.in_(batch)))
        ) | set(session.scalars(select(Asset.captions_hash).where(Asset.captions_hash.in_(batch))))
        candidates = [content_hash for content_hash in batch if content_hash not in referenced]
        deleted.extend(release_unreferenced_blobs(session, store, candidates))
        session.commit()
        batch.clear()

    for content_hash in store.list_hashes(modified_before=cutoff):
        batch.append(content_hash)
        if len(batch) >= batch_size:
            release_batch()
    if batch:
        release_batch()

    temporary_files = store.delete_temporary_files(modified_before=cutoff)
    if deleted or temporary_files:
        logger.info("Deleted %d unreferenced blobs and %d abandoned temporary files", len(deleted), temporary_files)
    return deleted


def find_asset(session: Session, asset_id: int, *, course_id: int) -> Asset | None:
    """Return the asset if it belongs to a room of the course that is not deleted."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        return None
    room = session.get(Room, asset.room_id)
    if room is None or room.course_id != course_id or room.is_deleted:
        return None
    return asset
