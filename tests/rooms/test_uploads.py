"""Upload checks that need no request: file names, format detection and the WebVTT signature."""

import io

import pytest

from app.rooms import media_types
from app.rooms.media_types import detect_format, is_webvtt
from app.rooms.uploads import FILE_NAME_MAX, clean_file_name, split_extension
from tests.support import media_samples


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Einführung Woche 1.pdf", "Einführung Woche 1.pdf"),
        ("講義ノート.pdf", "講義ノート.pdf"),
        ("C:\\Users\\ada\\lecture.mp4", "lecture.mp4"),
        ("../../etc/passwd", "passwd"),
        ("slides\r\n\x00.pptx", "slides.pptx"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ('a<b>c:"d"|e?*.png', "a_b_c__d__e__.png"),
        ("  many   spaces  .pdf", "many spaces.pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("trailing.pdf. . ", "trailing.pdf"),
        ("", "file"),
        ("...", "file"),
        (".pdf", "pdf"),
        ("e\u0301tude.pdf", "étude.pdf"),
    ],
)
def test_clean_file_name(raw, expected):
    assert clean_file_name(raw) == expected


def test_clean_file_name_keeps_extension_when_cut():
    name = clean_file_name("x" * 300 + ".pptx")
    assert len(name) == FILE_NAME_MAX
    assert name.endswith("x.pptx")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("talk.mp3", ("talk", "mp3")),
        ("archive.tar.gz", ("archive.tar", "gz")),
        ("Week 1. Introduction", ("Week 1. Introduction", "")),
        ("no extension", ("no extension", "")),
        ("notes.fïnal", ("notes.fïnal", "")),
    ],
)
def test_split_extension(name, expected):
    assert split_extension(name) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n", True),
        (b"\xef\xbb\xbfWEBVTT - Lecture 1\n", True),
        (b"WEBVTT", True),
        (b"WEBVTTX\n", False),
        (b"1\n00:00:00,000 --> 00:00:01,000\nHi\n", False),
        (b"", False),
    ],
)
def test_is_webvtt(content, expected):
    assert is_webvtt(content) is expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (media_samples.mp3(with_id3=False), media_types.MP3_AUDIO),
        (media_samples.webm(track_type=2), media_types.WEBM_AUDIO),
        (b"%PDF-1.7\n", media_types.PDF),
        (b"%PDF", None),
        (b"PK\x03\x04 not really a zip archive", None),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", None),
        (b"GIF88a", None),
        (b"\xff\xfb", None),
        (b"OggS" + b"\x00" * 60, None),
    ],
)
def test_detect_format_edge_cases(content, expected):
    assert detect_format(io.BytesIO(content)) is expected


def test_detect_format_leaves_stream_at_start():
    stream = io.BytesIO(media_samples.mp4())
    detect_format(stream)
    assert stream.tell() == 0
