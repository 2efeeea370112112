"""The interface of a content-addressed blob store, and what every implementation shares.

A blob is an immutable byte string named by the SHA-256 of its content (64 lower-case
hex digits), so equal content is stored once, however many assets refer to it.
"""

import hashlib
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024
CONTENT_HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(LookupError):
    """No blob is stored under the content hash."""


class BlobTooLarge(ValueError):
    """A stream is longer than the maximum a ``put`` accepts; nothing was stored."""

    def __init__(self, max_bytes: int):
        super().__init__(f"The content is larger than {max_bytes} bytes.")
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class StoredBlob:
    """The result of a ``put``: the blob's name and size, and whether this call created it."""

    content_hash: str
    size_bytes: int
    created: bool


def check_content_hash(content_hash: str) -> str:
    """Return ``content_hash`` if it is a SHA-256 hex digest; raise ValueError otherwise.

    Implementations build paths or object keys from the hash, so anything else is
    rejected before it gets near one.
    """
    if not isinstance(content_hash, str) or not CONTENT_HASH_PATTERN.match(content_hash):
        raise ValueError(f"Invalid content hash {content_hash!r}: expected 64 lower-case hex digits.")
    return content_hash


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    """Return the SHA-256 hex digest and length of a seekable stream, read from its start.

    The stream is left at its start again, ready for the next reader.
    """
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


class BlobStore(ABC):
    """Stores byte streams under their SHA-256 and hands them back as file objects.

    ``bytes_written`` counts every byte this store instance wrote to its backend,
    temporary copies included, so a caller can check that an operation stored nothing.
    """

    def __init__(self):
        self._bytes_written = 0
        self._counter_lock = threading.Lock()

    @property
    def bytes_written(self) -> int:
        return self._bytes_written

    def _count_written(self, size: int) -> None:
        with self._counter_lock:
            self._bytes_written += size

    @abstractmethod
    def put(self, stream: BinaryIO, *, content_hash: str | None = None, max_bytes: int | None = None) -> StoredBlob:
        """Store the stream's content from its start, unless a blob with that content exists.

        ``content_hash``, when the caller computed it already, lets the store skip writing
        at once for content it holds. When given, it must match the content (ValueError
        otherwise). A stream longer than ``max_bytes`` raises BlobTooLarge. Either error
        leaves nothing stored.
        """

    @abstractmethod
    def open(self, content_hash: str) -> BinaryIO:
        """Open the blob for reading; raise BlobNotFound when there is none."""

    @abstractmethod
    def size(self, content_hash: str) -> int:
        """Return the blob's length in bytes; raise BlobNotFound when there is none."""

    @abstractmethod
    def exists(self, content_hash: str) -> bool:
        """Return whether a blob is stored under the hash."""

    @abstractmethod
    def delete(self, content_hash: str) -> bool:
        """Delete the blob; return False when there was none."""

    @abstractmethod
    def list_hashes(self, *, modified_before: datetime) -> Iterator[str]:
        """Yield the hash of every blob last written before ``modified_before``, in no set order."""

    @abstractmethod
    def delete_temporary_files(self, *, modified_before: datetime) -> int:
        """Delete partial writes left by a process that stopped while storing; return how many."""
