"""Recognise the format of an uploaded media file from its content.

The formats and their signatures are listed here rather than taken from a sniffing
library. Two pure-Python ones on PyPI, puremagic 1.30 and filetype 1.2.0, match byte
patterns at fixed offsets. Neither tells Ogg video from Ogg audio: filetype reports
every Ogg file as audio/ogg, and puremagic's Ogg entries all match the same leading
bytes, so its ranking picks one and prefers the entry whose extension matches the file
name. That name is the very claim an upload check must not trust. Telling a PPTX from any ZIP
archive, or M4A audio from MP4 video, also needs a look inside the container, which the
functions below do in a few lines each.
"""

import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.models import AssetKind

# Enough for every signature below, for an ID3 tag's header and for the EBML and Ogg
# headers that name a WebM or Ogg file's tracks.
HEADER_BYTES = 64 * 1024
# The largest MP4 movie box ("moov") read to find the track types. A movie box contains
# the sample tables: an estimated 1 to 2 MB per hour of 30 fps video with audio.
MOVIE_BOX_MAX_BYTES = 32 * 1024 * 1024
# The largest ZIP member read to identify slides: "[Content_Types].xml" or "mimetype".
ZIP_MEMBER_MAX_BYTES = 1024 * 1024
# Browsers send these when they do not know a file's type: they claim nothing.
UNKNOWN_MEDIA_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})


@dataclass(frozen=True)
class FileFormat:
    """A file format the tool accepts, and the names and media types that label it."""

    media_type: str
    # The asset kinds a file of this format can be added as; the first is the default.
    kinds: tuple[AssetKind, ...]
    # File name extensions, lower case, without the dot; the first is the usual one.
    extensions: tuple[str, ...]
    # The format's name in error messages, such as "an MP4 video".
    label: LazyString
    # Other media types that browsers and operating systems send for this format.
    aliases: frozenset[str] = field(default_factory=frozenset)

    @property
    def default_kind(self) -> AssetKind:
        return self.kinds[0]

    @property
    def extension(self) -> str:
        return self.extensions[0]

    def is_labelled_by(self, media_type: str) -> bool:
        return media_type == self.media_type or media_type in self.aliases


# A container whose audio-only variant is sniffed apart from its video variant takes
# the other variant's labels too, because browsers label a file by its extension
# alone and ".ogg", ".webm" and ".mp4" are used for both.
MP4_VIDEO = FileFormat(
    "video/mp4", (AssetKind.VIDEO,), ("mp4", "m4v"), _l("an MP4 video"), frozenset({"video/x-m4v", "application/mp4"})
)
WEBM_VIDEO = FileFormat("video/webm", (AssetKind.VIDEO,), ("webm",), _l("a WebM video"), frozenset({"audio/webm"}))
OGG_VIDEO = FileFormat(
    "video/ogg", (AssetKind.VIDEO,), ("ogv", "ogg"), _l("an Ogg video"), frozenset({"application/ogg", "audio/ogg"})
)
MP3_AUDIO = FileFormat(
    "audio/mpeg", (AssetKind.AUDIO,), ("mp3",), _l("an MP3 audio file"), frozenset({"audio/mp3", "audio/x-mp3", "audio/mpeg3", "audio/x-mpeg"})
)
M4A_AUDIO = FileFormat(
    "audio/mp4",
    (AssetKind.AUDIO,),
    ("m4a", "m4b", "mp4"),
    _l("an M4A audio file"),
    frozenset({"audio/x-m4a", "audio/m4a", "audio/x-m4b", "video/mp4", "application/mp4"}),
)
OGG_AUDIO = FileFormat(
    "audio/ogg",
    (AssetKind.AUDIO,),
    ("oga", "ogg", "opus"),
    _l("an Ogg audio file"),
    frozenset({"application/ogg", "audio/opus", "audio/vorbis", "audio/x-vorbis+ogg", "video/ogg"}),
)
WEBM_AUDIO = FileFormat("audio/webm", (AssetKind.AUDIO,), ("weba", "webm"), _l("a WebM audio file"), frozenset({"video/webm"}))
WAV_AUDIO = FileFormat(
    "audio/wav", (AssetKind.AUDIO,), ("wav", "wave"), _l("a WAV audio file"), frozenset({"audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/x-pn-wav"})
)
PDF = FileFormat("application/pdf", (AssetKind.DOCUMENT, AssetKind.SLIDES), ("pdf",), _l("a PDF document"), frozenset({"application/x-pdf"}))
PPTX = FileFormat(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (AssetKind.SLIDES,),
    ("pptx",),
    _l("a PowerPoint presentation"),
)
ODP = FileFormat("application/vnd.oasis.opendocument.presentation", (AssetKind.SLIDES,), ("odp",), _l("an OpenDocument presentation"))
PNG = FileFormat("image/png", (AssetKind.IMAGE,), ("png",), _l("a PNG image"), frozenset({"image/x-png"}))
JPEG = FileFormat("image/jpeg", (AssetKind.IMAGE,), ("jpg", "jpeg", "jpe", "jfif"), _l("a JPEG image"), frozenset({"image/jpg", "image/pjpeg"}))
GIF = FileFormat("image/gif", (AssetKind.IMAGE,), ("gif",), _l("a GIF image"))
WEBP = FileFormat("image/webp", (AssetKind.IMAGE,), ("webp",), _l("a WebP image"))

FORMATS = (MP4_VIDEO, WEBM_VIDEO, OGG_VIDEO, MP3_AUDIO, M4A_AUDIO, OGG_AUDIO, WEBM_AUDIO, WAV_AUDIO, PDF, PPTX, ODP, PNG, JPEG, GIF, WEBP)

# ISO base media file format brands (the "ftyp" box) of MP4 video and of M4A audio.
MP4_VIDEO_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"f4v "}
)
M4A_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"F4A "})

PPTX_MAIN_CONTENT_TYPE = b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def detect_format(stream: BinaryIO) -> FileFormat | None:
    """Return the format of a seekable stream's content, or None for a format the tool does not accept.

    The stream is read from its start and left at its start.
    """
    stream.seek(0)
    header = stream.read(HEADER_BYTES)
    try:
        return _detect(stream, header)
    finally:
        stream.seek(0)


def _detect(stream: BinaryIO, header: bytes) -> FileFormat | None:
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if header.startswith(b"\xff\xd8\xff"):
        return JPEG
    if header.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if header.startswith(b"RIFF") and header[8:12] == b"WEBP":
        return WEBP
    if header.startswith(b"RIFF") and header[8:12] == b"WAVE":
        return WAV_AUDIO
    if header.startswith(b"%PDF-"):
        return PDF
    if header.startswith(b"PK\x03\x04"):
        return _detect_presentation(stream)
    if header[4:8] == b"ftyp":
        return _detect_iso_media(stream, header)
    if header.startswith(b"\x1a\x45\xdf\xa3"):
        return _detect_webm(header)
    if header.startswith(b"OggS"):
        return _detect_ogg(header)
    if _is_mp3(stream, header):
        return MP3_AUDIO
    return None


def _detect_presentation(stream: BinaryIO) -> FileFormat | None:
    """Tell a PPTX or ODP presentation from any other ZIP archive by its members."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            # An OpenDocument file names its type in a "mimetype" member, stored first and uncompressed.
            if "mimetype" in names and _read_member(archive, "mimetype").strip() == ODP.media_type.encode():
                return ODP
            # An Office Open XML presentation declares its main part's content type.
            if "ppt/presentation.xml" in names and "[Content_Types].xml" in names:
                if PPTX_MAIN_CONTENT_TYPE in _read_member(archive, "[Content_Types].xml"):
                    return PPTX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError):
        return None
    return None


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > ZIP_MEMBER_MAX_BYTES:
        return b""
    return archive.read(info)


def _detect_iso_media(stream: BinaryIO, header: bytes) -> FileFormat | None:
    """Tell MP4 video from M4A audio: by the track types when the movie box is found, else by the brand."""
    ftyp_size = int.from_bytes(header[0:4], "big")
    major_brand = header[8:12]
    compatible_brands = {header[offset : offset + 4] for offset in range(16, min(ftyp_size, len(header)) - 3, 4)}
    brands = {major_brand, *compatible_brands}
    if not brands & (MP4_VIDEO_BRANDS | M4A_AUDIO_BRANDS):
        return None

    handlers = _track_handlers(stream)
    if b"vide" in handlers:
        return MP4_VIDEO
    if b"soun" in handlers:
        return M4A_AUDIO
    return M4A_AUDIO if major_brand in M4A_AUDIO_BRANDS else MP4_VIDEO


def _iso_boxes(data: bytes, start: int, end: int):
    """Yield (type, body start, body end) for each ISO media box between ``start`` and ``end`` of ``data``."""
    position = start
    while position + 8 <= end:
        size = int.from_bytes(data[position : position + 4], "big")
        box_type = data[position + 4 : position + 8]
        body = position + 8
        if size == 1 and position + 16 <= end:
            size = int.from_bytes(data[position + 8 : position + 16], "big")
            body = position + 16
        elif size == 0:
            size = end - position
        if size < body - position:
            return
        yield box_type, body, min(position + size, end)
        position += size


def _track_handlers(stream: BinaryIO) -> set[bytes]:
    """Return the handler types ("vide", "soun", ...) of the tracks in the movie box, if it can be read."""
    movie = _read_top_level_box(stream, b"moov")
    if movie is None:
        return set()
    handlers = set()
    for track_type, track_start, track_end in _iso_boxes(movie, 0, len(movie)):
        if track_type != b"trak":
            continue
        for media_type, media_start, media_end in _iso_boxes(movie, track_start, track_end):
            if media_type != b"mdia":
                continue
            for box_type, body_start, _body_end in _iso_boxes(movie, media_start, media_end):
                # "hdlr" body: version and flags (4 bytes), pre_defined (4), handler_type (4).
                if box_type == b"hdlr":
                    handlers.add(movie[body_start + 8 : body_start + 12])
    return handlers


def _read_top_level_box(stream: BinaryIO, wanted: bytes) -> bytes | None:
    """Return the body of the first top-level box of type ``wanted``, seeking past the others."""
    stream.seek(0)
    for _ in range(1000):
        start = stream.tell()
        box_header = stream.read(8)
        if len(box_header) < 8:
            return None
        size = int.from_bytes(box_header[0:4], "big")
        header_size = 8
        if size == 1:
            large_size = stream.read(8)
            if len(large_size) < 8:
                return None
            size = int.from_bytes(large_size, "big")
            header_size = 16
        if box_header[4:8] == wanted:
            body_size = size - header_size if size else MOVIE_BOX_MAX_BYTES
            if body_size < 0 or body_size > MOVIE_BOX_MAX_BYTES:
                return None
            return stream.read(body_size)
        if size < header_size:
            return None
        stream.seek(start + size)
    return None


def _read_ebml_id(data: bytes, position: int) -> tuple[int, int] | None:
    """Read an EBML element id, whose length marker bits are part of the id; return (id, next position)."""
    if position >= len(data):
        return None
    first = data[position]
    length = 1
    while length <= 4 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 4 or position + length > len(data):
        return None
    return int.from_bytes(data[position : position + length], "big"), position + length


def _read_ebml_size(data: bytes, position: int) -> tuple[int | None, int] | None:
    """Read an EBML data size; return (size or None when unknown, next position)."""
    if position >= len(data):
        return None
    first = data[position]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or position + length > len(data):
        return None
    value = first & (0xFF >> length)
    for byte in data[position + 1 : position + length]:
        value = (value << 8) | byte
    unknown = value == (1 << (7 * length)) - 1
    return (None if unknown else value), position + length


def _ebml_elements(data: bytes, start: int, end: int):
    """Yield (id, data start, data end) for the EBML elements between ``start`` and ``end``."""
    position = start
    while position < end:
        element_id = _read_ebml_id(data, position)
        if element_id is None:
            return
        element, position = element_id
        element_size = _read_ebml_size(data, position)
        if element_size is None:
            return
        size, position = element_size
        element_end = end if size is None else min(position + size, end)
        yield element, position, element_end
        position = element_end


EBML_HEADER = 0x1A45DFA3
EBML_DOC_TYPE = 0x4282
MATROSKA_SEGMENT = 0x18538067
MATROSKA_TRACKS = 0x1654AE6B
MATROSKA_TRACK_ENTRY = 0xAE
MATROSKA_TRACK_TYPE = 0x83
MATROSKA_CLUSTER = 0x1F43B675
MATROSKA_VIDEO_TRACK = 1
MATROSKA_AUDIO_TRACK = 2


def _detect_webm(header: bytes) -> FileFormat | None:
    """Accept a WebM file (not other Matroska files) and tell video from audio-only by its tracks."""
    doc_type = None
    track_types = set()
    for element, start, end in _ebml_elements(header, 0, len(header)):
        if element == EBML_HEADER:
            for child, child_start, child_end in _ebml_elements(header, start, end):
                if child == EBML_DOC_TYPE:
                    doc_type = header[child_start:child_end].rstrip(b"\x00")
        elif element == MATROSKA_SEGMENT:
            track_types = _webm_track_types(header, start, end)
            break
    if doc_type != b"webm":
        return None
    if MATROSKA_AUDIO_TRACK in track_types and MATROSKA_VIDEO_TRACK not in track_types:
        return WEBM_AUDIO
    return WEBM_VIDEO


def _webm_track_types(data: bytes, start: int, end: int) -> set[int]:
    track_types = set()
    for element, element_start, element_end in _ebml_elements(data, start, end):
        if element == MATROSKA_CLUSTER:
            break
        if element != MATROSKA_TRACKS:
            continue
        for entry, entry_start, entry_end in _ebml_elements(data, element_start, element_end):
            if entry != MATROSKA_TRACK_ENTRY:
                continue
            for child, child_start, child_end in _ebml_elements(data, entry_start, entry_end):
                if child == MATROSKA_TRACK_TYPE:
                    track_types.add(int.from_bytes(data[child_start:child_end], "big"))
    return track_types


# The first packet of each logical Ogg stream names its codec. The Ogg format puts the
# first page of every stream before any data page, so they all sit in the header.
OGG_VIDEO_CODECS = (b"\x80theora", b"OVP80")
OGG_AUDIO_CODECS = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")


def _detect_ogg(header: bytes) -> FileFormat | None:
    if any(codec in header for codec in OGG_VIDEO_CODECS):
        return OGG_VIDEO
    if any(codec in header for codec in OGG_AUDIO_CODECS):
        return OGG_AUDIO
    return None


def _is_mpeg_audio_layer3_frame(frame: bytes) -> bool:
    """Check an MPEG audio frame header: sync bits, a defined version, layer III, a valid bitrate and sample rate."""
    if len(frame) < 4 or frame[0] != 0xFF or frame[1] & 0xE0 != 0xE0:
        return False
    version = (frame[1] >> 3) & 0b11
    layer = (frame[1] >> 1) & 0b11
    bitrate_index = frame[2] >> 4
    sample_rate_index = (frame[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate_index != 0b1111 and sample_rate_index != 0b11


def _is_mp3(stream: BinaryIO, header: bytes) -> bool:
    """Recognise MP3 by an MPEG layer III frame at the start or after an ID3v2 tag."""
    if not header.startswith(b"ID3"):
        return _is_mpeg_audio_layer3_frame(header[:4])
    if len(header) < 10:
        return False
    # The ID3v2 tag size is a "syncsafe" integer: four bytes of seven bits each.
    tag_size = 0
    for byte in header[6:10]:
        tag_size = (tag_size << 7) | (byte & 0x7F)
    footer_size = 10 if header[5] & 0x10 else 0
    stream.seek(10 + tag_size + footer_size)
    # Some taggers pad after the declared tag size, so the first frame is searched for.
    after_tag = stream.read(4096)
    return any(_is_mpeg_audio_layer3_frame(after_tag[offset : offset + 4]) for offset in range(max(len(after_tag) - 3, 0)))


def is_webvtt(content: bytes) -> bool:
    """Check the WebVTT signature: "WEBVTT" after an optional byte order mark, then a space, tab, line break or the end."""
    text = content.removeprefix(b"\xef\xbb\xbf")
    if not text.startswith(b"WEBVTT"):
        return False
    return len(text) == 6 or text[6:7] in {b" ", b"\t", b"\n", b"\r"}
