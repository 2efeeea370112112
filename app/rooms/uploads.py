"""Checks of an uploaded media file and its captions, made before any byte is stored.

File names are kept readable rather than passed through werkzeug's ``secure_filename``,
which keeps ASCII only: "Einführung.pdf" would become "Einfuhrung.pdf" and "講義.mp4"
just "mp4". Stored bytes are named by their hash, so a file name is never a path here:
it is shown on pages (escaped) and sent in Content-Disposition, where Werkzeug encodes it
as an RFC 6266 ``filename*`` with an ASCII fallback. It only needs to lose path parts,
control and invisible format characters (a right-to-left override can disguise
"gpj.exe" as "exe.jpg") and the characters that Windows forbids in file names.
"""

import mimetypes
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import gettext as _
from jinja2.filters import do_filesizeformat

from app.models import AssetKind
from app.rooms.exceptions import AssetTooLarge, InvalidRoomInput
from app.rooms.media_types import FORMATS, UNKNOWN_MEDIA_TYPES, FileFormat, detect_format, is_webvtt

FILE_NAME_MAX = 200
TITLE_MAX = 200
ALT_TEXT_MAX = 500
# WebVTT is text: an hour of dense captions is about 100 KB.
CAPTIONS_MAX_BYTES = 2 * 1024 * 1024
# Characters that Windows does not allow in file names; each becomes "_".
WINDOWS_RESERVED_CHARACTERS = frozenset('<>:"/\\|?*')
# Control, format (bidirectional overrides, zero-width characters), surrogate and line
# and paragraph separator characters are dropped from file names.
DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Python's built-in extension table only, so that the result does not depend on the
# machine's /etc/mime.types.
BUILTIN_MEDIA_TYPES = mimetypes.MimeTypes()


@dataclass(frozen=True)
class UploadedFile:
    """A file received in a form: a seekable stream, the name the browser sent, and its claimed media type."""

    stream: BinaryIO
    file_name: str
    content_type: str = ""


@dataclass(frozen=True)
class CheckedMediaFile:
    file_format: FileFormat
    kind: AssetKind
    file_name: str
    size_bytes: int


def format_size(size_bytes: int) -> str:
    """Format a size in binary units ("500.0 MiB"), as the room page does."""
    return do_filesizeformat(size_bytes, binary=True)


def kind_label(kind: AssetKind) -> str:
    labels = {
        AssetKind.VIDEO: _("video"),
        AssetKind.AUDIO: _("audio"),
        AssetKind.DOCUMENT: _("a document"),
        AssetKind.SLIDES: _("slides"),
        AssetKind.IMAGE: _("an image"),
    }
    return labels[kind]


def stream_size(stream: BinaryIO) -> int:
    """Return the length of a seekable stream and leave it at its start."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def clean_file_name(raw: str) -> str:
    """Return a readable, safe file name: the last path part, without control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        "_" if character in WINDOWS_RESERVED_CHARACTERS else character
        for character in name
        if unicodedata.category(character) not in DROPPED_CATEGORIES
    )
    # Leading dots would hide the file on Unix, and Windows drops trailing dots and spaces.
    name = " ".join(name.split()).strip(". ")

    stem, extension = split_extension(name)
    if extension:
        stem = stem[: FILE_NAME_MAX - len(extension) - 1].rstrip(". ")
        return f"{stem or 'file'}.{extension}"
    return name[:FILE_NAME_MAX].rstrip(". ") or "file"


def split_extension(name: str) -> tuple[str, str]:
    """Split off an extension of one to ten ASCII letters or digits; return (stem, extension or "")."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 1 <= len(extension) <= 10 and extension.isascii() and extension.isalnum():
        return stem, extension
    return name, ""


def _format_claimed_by_extension(extension: str) -> str | None:
    """Return the media type that a file name extension stands for, if it is a known one."""
    for file_format in FORMATS:
        if extension in file_format.extensions:
            return file_format.media_type
    media_type, _encoding = BUILTIN_MEDIA_TYPES.guess_type(f"file.{extension}", strict=False)
    return media_type


def _claims_other_format(claimed_media_type: str, detected: FileFormat) -> bool:
    """Check whether a claimed media type names a format other than the detected one.

    A claim in the detected format's own family that no accepted format owns, such as
    "image/x-ms-bmp" for a PNG, is let through: browsers disagree on such names.
    """
    if claimed_media_type in UNKNOWN_MEDIA_TYPES or detected.is_labelled_by(claimed_media_type):
        return False
    if any(other.is_labelled_by(claimed_media_type) for other in FORMATS if other is not detected):
        return True
    return claimed_media_type.split("/", 1)[0] != detected.media_type.split("/", 1)[0]


def check_media_file(upload: UploadedFile, *, requested_kind: AssetKind | None, max_bytes: int) -> CheckedMediaFile:
    """Check a media file's size, format, name and claimed type; raise InvalidRoomInput or AssetTooLarge."""
    file_name = clean_file_name(upload.file_name)

    size = stream_size(upload.stream)
    if size == 0:
        raise InvalidRoomInput(_("The file %(name)s is empty.", name=file_name))
    if size > max_bytes:
        raise AssetTooLarge(
            _(
                "The file %(name)s is %(size)s, larger than the maximum of %(max)s.",
                name=file_name,
                size=format_size(size),
                max=format_size(max_bytes),
            )
        )

    detected = detect_format(upload.stream)
    if detected is None:
        raise InvalidRoomInput(
            _(
                "The file %(name)s is not a type this tool accepts. Upload a video (MP4, WebM, Ogg), audio "
                "(MP3, M4A, Ogg, WAV), a PDF, slides (PPTX, ODP) or an image (PNG, JPEG, GIF, WebP).",
                name=file_name,
            )
        )

    _stem, extension = split_extension(file_name)
    claimed_by_extension = _format_claimed_by_extension(extension.lower()) if extension else None
    if claimed_by_extension is None:
        # No extension, or one that names no known format: add the usual one, so that a
        # downloaded copy opens in the right program.
        file_name = clean_file_name(f"{file_name}.{detected.extension}")
    elif extension.lower() not in detected.extensions and not detected.is_labelled_by(claimed_by_extension):
        raise InvalidRoomInput(
            _(
                "The file %(name)s is mislabelled: its name ends in .%(extension)s, but its content is %(content)s. "
                "Rename the file or choose the one you meant.",
                name=file_name,
                extension=extension,
                content=detected.label,
            )
        )

    claimed_media_type = (upload.content_type or "").split(";", 1)[0].strip().lower()
    if _claims_other_format(claimed_media_type, detected):
        raise InvalidRoomInput(
            _(
                "The file %(name)s is mislabelled: it was sent as %(claimed)s, but its content is %(content)s.",
                name=file_name,
                claimed=claimed_media_type,
                content=detected.label,
            )
        )

    kind = requested_kind or detected.default_kind
    if kind not in detected.kinds:
        raise InvalidRoomInput(
            _(
                "The file %(name)s is %(content)s, which cannot be added as %(kind)s.",
                name=file_name,
                content=detected.label,
                kind=kind_label(kind),
            )
        )

    return CheckedMediaFile(file_format=detected, kind=kind, file_name=file_name, size_bytes=size)


def check_captions_file(upload: UploadedFile, *, kind: AssetKind) -> str:
    """Check a WebVTT captions file for a video or audio asset; return its clean file name."""
    file_name = clean_file_name(upload.file_name)
    if kind not in {AssetKind.VIDEO, AssetKind.AUDIO}:
        raise InvalidRoomInput(_("Captions can only be added to video or audio."))

    size = stream_size(upload.stream)
    if size == 0:
        raise InvalidRoomInput(_("The captions file %(name)s is empty.", name=file_name))
    if size > CAPTIONS_MAX_BYTES:
        raise AssetTooLarge(
            _(
                "The captions file %(name)s is %(size)s, larger than the maximum of %(max)s.",
                name=file_name,
                size=format_size(size),
                max=format_size(CAPTIONS_MAX_BYTES),
            )
        )

    content = upload.stream.read()
    upload.stream.seek(0)
    if not is_webvtt(content):
        raise InvalidRoomInput(
            _("The captions file %(name)s is not WebVTT: its first line must start with WEBVTT.", name=file_name)
        )
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRoomInput(_("The captions file %(name)s is not valid UTF-8 text.", name=file_name)) from None

    _stem, extension = split_extension(file_name)
    if extension.lower() != "vtt":
        file_name = clean_file_name(f"{file_name}.vtt")
    return file_name


def clean_title(value: str | None, *, file_name: str) -> str:
    """Return the title, or the file name without its extension when none was given.

    Titles are plain text that pages escape, so text such as "The <video> element" is kept.
    """
    title = " ".join(_without_control_characters(value or "").split())
    if not title:
        title = split_extension(file_name)[0]
    if len(title) > TITLE_MAX:
        raise InvalidRoomInput(
            _("The title is %(length)d characters long; the maximum is %(max)d.", length=len(title), max=TITLE_MAX)
        )
    return title


def clean_alt_text(value: str | None, *, kind: AssetKind) -> str:
    """Return the alt text, which images require so that screen readers can describe them."""
    alt_text = " ".join(_without_control_characters(value or "").split())
    if kind == AssetKind.IMAGE and not alt_text:
        raise InvalidRoomInput(_("Alt text is required for images: describe what the image shows for people who cannot see it."))
    if len(alt_text) > ALT_TEXT_MAX:
        raise InvalidRoomInput(
            _("The alt text is %(length)d characters long; the maximum is %(max)d.", length=len(alt_text), max=ALT_TEXT_MAX)
        )
    return alt_text


def _without_control_characters(value: str) -> str:
    return "".join(character for character in value if unicodedata.category(character) != "Cc")
