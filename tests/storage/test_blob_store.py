"""The file-system blob store: content-addressed names, atomic writes, no duplicate bytes."""

import hashlib
import io

import pytest

from app.storage import BlobNotFound, BlobTooLarge, FileSystemBlobStore


class UnseekableStream(io.RawIOBase):
    """A stream that can only be read forward, as a network body can."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, buffer):
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture
def store(tmp_path):
    return FileSystemBlobStore(tmp_path / "media")


def stored_files(store) -> list:
    return sorted(path for path in store.root.rglob("*") if path.is_file())


def test_put_names_blob_by_sha256(store):
    content = b"lecture recording"
    expected = hashlib.sha256(content).hexdigest()

    blob = store.put(io.BytesIO(content))

    assert blob.content_hash == expected
    assert blob.size_bytes == len(content)
    assert blob.created is True
    assert stored_files(store) == [store.root / expected[:2] / expected[2:4] / expected]


def test_put_counts_bytes_written(store):
    store.put(io.BytesIO(b"12345"))
    assert store.bytes_written == 5


def test_put_same_content_writes_nothing(store):
    first = store.put(io.BytesIO(b"same bytes"))
    written = store.bytes_written

    second = store.put(io.BytesIO(b"same bytes"))

    assert second.content_hash == first.content_hash
    assert second.created is False
    assert store.bytes_written == written
    assert len(stored_files(store)) == 1


def test_put_known_hash_writes_nothing(store):
    blob = store.put(io.BytesIO(b"known"))
    written = store.bytes_written

    again = store.put(io.BytesIO(b"known"), content_hash=blob.content_hash)

    assert again.created is False
    assert store.bytes_written == written


def test_put_unseekable_stream(store):
    blob = store.put(UnseekableStream(b"streamed"))
    assert blob.content_hash == hashlib.sha256(b"streamed").hexdigest()
    with store.open(blob.content_hash) as stored:
        assert stored.read() == b"streamed"


def test_put_unseekable_duplicate_leaves_one_file(store):
    store.put(io.BytesIO(b"twice"))
    again = store.put(UnseekableStream(b"twice"))
    assert again.created is False
    assert len(stored_files(store)) == 1


def test_put_over_max_bytes_stores_nothing(store):
    with pytest.raises(BlobTooLarge):
        store.put(io.BytesIO(b"x" * 11), max_bytes=10)
    assert stored_files(store) == []


def test_put_with_wrong_hash_stores_nothing(store):
    with pytest.raises(ValueError):
        store.put(io.BytesIO(b"actual"), content_hash=hashlib.sha256(b"claimed").hexdigest())
    assert stored_files(store) == []


def test_open_size_exists(store):
    blob = store.put(io.BytesIO(b"0123456789"))
    with store.open(blob.content_hash) as stored:
        assert stored.read() == b"0123456789"
    assert store.size(blob.content_hash) == 10
    assert store.exists(blob.content_hash) is True


def test_missing_blob(store):
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert store.exists(missing) is False
    with pytest.raises(BlobNotFound):
        store.open(missing)
    with pytest.raises(BlobNotFound):
        store.size(missing)


def test_delete(store):
    blob = store.put(io.BytesIO(b"to delete"))
    assert store.delete(blob.content_hash) is True
    assert store.exists(blob.content_hash) is False
    assert store.delete(blob.content_hash) is False


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABCDEF" + "0" * 58, "0" * 63, ""])
def test_rejects_names_that_are_not_sha256(store, name):
    with pytest.raises(ValueError):
        store.open(name)
    with pytest.raises(ValueError):
        store.delete(name)
