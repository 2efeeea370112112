"""Small media files built in the tests, each with the structure the upload checks read.

PNG, GIF, WAV, PDF, PPTX, ODP and WebVTT samples are complete files. The video, MP3,
M4A, Ogg, JPEG and WebP samples carry real container headers (boxes, EBML elements,
Ogg pages, frame headers) around placeholder payloads, so no player would decode them.
"""

import io
import struct
import wave
import zipfile
import zlib


def png() -> bytes:
    """A 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def gif() -> bytes:
    """A 1x1 GIF89a with a two-colour palette."""
    screen = struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    image = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + image + b";"


def jpeg() -> bytes:
    """A JPEG start-of-image marker and JFIF segment, then the end-of-image marker."""
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(jfif) + 2) + jfif + b"\xff\xd9"


def webp() -> bytes:
    """A RIFF WebP container with a VP8L chunk header."""
    chunk = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav(frames: int = 800) -> bytes:
    """A tenth of a second of 8 kHz mono silence, written by the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(8000)
        writer.writeframes(b"\x80" * frames)
    return buffer.getvalue()


def mp3(with_id3: bool = True) -> bytes:
    """Two MPEG-1 layer III frame headers (128 kbit/s, 44.1 kHz), optionally after an ID3v2.4 tag."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    if not with_id3:
        return frame * 2
    tag_body = b"TIT2" + struct.pack(">I", 6) + b"\x00\x00" + b"\x03Talk\x00"
    size = len(tag_body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x04\x00\x00" + syncsafe + tag_body + frame * 2


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body) + 8) + kind + body


def _iso_media(major_brand: bytes, handler: bytes) -> bytes:
    ftyp = _box(b"ftyp", major_brand + b"\x00\x00\x02\x00" + b"isomiso2mp41")
    hdlr = _box(b"hdlr", b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + handler + b"\x00" * 12 + b"Handler\x00")
    moov = _box(b"moov", _box(b"mvhd", b"\x00" * 100) + _box(b"trak", _box(b"mdia", hdlr)))
    return ftyp + moov + _box(b"mdat", b"\x00" * 64)


def mp4() -> bytes:
    """An MP4 with a video track: ftyp, a moov box naming a "vide" handler, and an mdat."""
    return _iso_media(b"isom", b"vide")


def m4a() -> bytes:
    """An M4A with a sound track."""
    return _iso_media(b"M4A ", b"soun")


def mp4_audio_only() -> bytes:
    """An MP4-branded file whose only track is sound, as some recorders write."""
    return _iso_media(b"isom", b"soun")


def _ebml(element_id: int, body: bytes) -> bytes:
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return id_bytes + bytes([0x01]) + len(body).to_bytes(7, "big") + body


def webm(track_type: int = 1) -> bytes:
    """A WebM with one track (1: video, 2: audio): EBML header, Segment, Tracks and one empty Cluster."""
    header = _ebml(0x1A45DFA3, _ebml(0x4286, b"\x01") + _ebml(0x4282, b"webm") + _ebml(0x4287, b"\x04"))
    track = _ebml(0xAE, _ebml(0xD7, b"\x01") + _ebml(0x83, bytes([track_type])))
    segment = _ebml(0x18538067, _ebml(0x1549A966, b"") + _ebml(0x1654AE6B, track) + _ebml(0x1F43B675, b"\x00" * 32))
    return header + segment


def matroska() -> bytes:
    """A Matroska (not WebM) EBML header: a format the tool does not accept."""
    return _ebml(0x1A45DFA3, _ebml(0x4282, b"matroska")) + b"\x00" * 32


def _ogg_page(packet: bytes, *, serial: int = 1) -> bytes:
    # The page checksum is left at zero: the upload checks do not verify it.
    header = b"OggS" + bytes([0, 0x02]) + b"\x00" * 8 + struct.pack("<III", serial, 0, 0)
    return header + bytes([1, len(packet)]) + packet


def ogg_vorbis() -> bytes:
    return _ogg_page(b"\x01vorbis" + b"\x00" * 22)


def ogg_theora() -> bytes:
    return _ogg_page(b"\x80theora" + b"\x03\x02\x01" + b"\x00" * 35) + _ogg_page(b"\x01vorbis" + b"\x00" * 22, serial=2)


def pdf() -> bytes:
    """A one-page PDF with its cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = output.tell()
    output.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        output.write(b"%010d 00000 n \n" % offset)
    output.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return output.getvalue()


PPTX_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>
</Types>"""


def pptx() -> bytes:
    """The parts of a PowerPoint package that name it a presentation."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", PPTX_CONTENT_TYPES)
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="ppt/presentation.xml"/></Relationships>',
        )
        archive.writestr(
            "ppt/presentation.xml",
            '<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
        )
    return buffer.getvalue()


def docx() -> bytes:
    """A Word package: a ZIP archive that is not a presentation."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            PPTX_CONTENT_TYPES.replace("/ppt/presentation.xml", "/word/document.xml").replace(
                "presentationml.presentation.main", "wordprocessingml.document.main"
            ),
        )
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def odp() -> bytes:
    """An OpenDocument presentation: the "mimetype" member first and uncompressed, then the manifest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.presentation")
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def webvtt() -> bytes:
    return "WEBVTT\n\n00:00.000 --> 00:02.000\nWillkommen – welcome\n".encode()
