"""Storage of media bytes, content-addressed by SHA-256.

``BlobStore`` is the interface; ``FileSystemBlobStore`` keeps blobs in a folder (by
default ``<instance>/media``, set by ``ROOMS_MEDIA_DIR``). An object-storage backend
would implement the same interface.
"""

from flask import current_app

from app.storage.base import BlobNotFound, BlobStore, BlobTooLarge, StoredBlob, check_content_hash, hash_stream
from app.storage.filesystem import FileSystemBlobStore

EXTENSION_KEY = "rooms_blob_store"

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "FileSystemBlobStore",
    "StoredBlob",
    "blob_store",
    "check_content_hash",
    "hash_stream",
]


def blob_store() -> BlobStore:
    """Return the current app's blob store, created on first use from its configuration."""
    app = current_app._get_current_object()
    store = app.extensions.get(EXTENSION_KEY)
    if store is None:
        store = app.extensions.setdefault(EXTENSION_KEY, FileSystemBlobStore(app.config["ROOMS_MEDIA_DIR"]))
    return store
