"""A blob store in a local folder: ``<root>/ab/cd/abcd...`` for the blob whose SHA-256 is ``abcd...``."""

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from app.storage.base import (
    CHUNK_SIZE,
    CONTENT_HASH_PATTERN,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    StoredBlob,
    check_content_hash,
    hash_stream,
)

logger = logging.getLogger(__name__)


class FileSystemBlobStore(BlobStore):
    """Blobs as files named by their hash, written to a temporary file and renamed into place.

    The temporary files live in ``<root>/tmp``, on the same file system as the blobs, so
    the final ``os.replace`` is atomic: a reader sees a whole blob or none. Two processes
    storing the same content at once both rename identical bytes onto the same name.
    """

    def __init__(self, root: str | os.PathLike[str]):
        super().__init__()
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, content_hash: str) -> Path:
        check_content_hash(content_hash)
        return self.root / content_hash[:2] / content_hash[2:4] / content_hash

    def put(self, stream: BinaryIO, *, content_hash: str | None = None, max_bytes: int | None = None) -> StoredBlob:
        # A seekable stream is hashed before anything is written, so content that is
        # stored already costs one read and no write. Other streams are written while hashed.
        if content_hash is None and stream.seekable():
            content_hash, _ = hash_stream(stream)
        if content_hash is not None:
            stored = self._stored(content_hash)
            if stored is not None:
                return stored

        if stream.seekable():
            stream.seek(0)
        written_hash, size, temporary_path = self._write_temporary(stream, max_bytes)
        try:
            if content_hash is not None and written_hash != content_hash:
                raise ValueError(f"The content changed while it was stored: expected {content_hash}, got {written_hash}.")
            stored = self._stored(written_hash)
            if stored is not None:
                return stored
            final_path = self.path(written_hash)
            final_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary_path, final_path)
        finally:
            temporary_path.unlink(missing_ok=True)

        logger.info("Blob %s stored (%d bytes)", written_hash, size)
        return StoredBlob(content_hash=written_hash, size_bytes=size, created=True)

    def open(self, content_hash: str) -> BinaryIO:
        try:
            return open(self.path(content_hash), "rb")
        except FileNotFoundError:
            raise BlobNotFound(content_hash) from None

    def size(self, content_hash: str) -> int:
        try:
            return self.path(content_hash).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(content_hash) from None

    def exists(self, content_hash: str) -> bool:
        return self.path(content_hash).is_file()

    def delete(self, content_hash: str) -> bool:
        try:
            self.path(content_hash).unlink()
        except FileNotFoundError:
            return False
        logger.info("Blob %s deleted", content_hash)
        return True

    def list_hashes(self, *, modified_before: datetime) -> Iterator[str]:
        cutoff = modified_before.timestamp()
        for path in self.root.glob("??/??/*"):
            if not CONTENT_HASH_PATTERN.match(path.name) or path.parent.parent.name != path.name[:2]:
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    yield path.name
            except FileNotFoundError:
                continue

    def delete_temporary_files(self, *, modified_before: datetime) -> int:
        # A write in progress changes its file's modification time with every chunk,
        # so only files abandoned for the whole grace period are old enough to match.
        cutoff = modified_before.timestamp()
        deleted = 0
        for path in self._tmp.glob("upload-*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
        return deleted

    def _stored(self, content_hash: str) -> StoredBlob | None:
        try:
            return StoredBlob(content_hash=content_hash, size_bytes=self.size(content_hash), created=False)
        except BlobNotFound:
            return None

    def _write_temporary(self, stream: BinaryIO, max_bytes: int | None) -> tuple[str, int, Path]:
        """Copy the stream into a new temporary file; return its hash, length and path."""
        digest = hashlib.sha256()
        size = 0
        handle = tempfile.NamedTemporaryFile(dir=self._tmp, prefix="upload-", delete=False)
        temporary_path = Path(handle.name)
        try:
            with handle:
                while chunk := stream.read(CHUNK_SIZE):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLarge(max_bytes)
                    digest.update(chunk)
                    handle.write(chunk)
                    self._count_written(len(chunk))
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temporary_path.unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size, temporary_path
