"""Lossless metadata removal from uploaded images (docs/api.md, "Media uploads"):
containers are rewritten, never re-encoded. Every kept byte (the compressed image data above
all) is copied as it was; the same parse reads the pixel size the header states. Each stripper
returns None when the container is malformed."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

_ORIENTATION_TAG = 0x0112
ROTATED_OR_MIRRORED = frozenset(range(2, 9))  # EXIF orientations other than upright (1)


@dataclass(frozen=True)
class Stripped:
    data: bytes  # the input object itself when nothing was removed
    size: tuple[int, int] | None  # (width, height) from the header, when it states it
    orientation: int | None = None  # the EXIF orientation kept in `data` (2-8), JPEG only


def _be16(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from(">H", data, offset)[0]
    return value


def _be32(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from(">I", data, offset)[0]
    return value


def _le16(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<H", data, offset)[0]
    return value


def _le24(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 3], "little")


def _le32(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<I", data, offset)[0]
    return value


# JPEG ----------------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _APP0, _APP1, _APP2, _APP14, _APP15, _COM = (
    0xD8,
    0xD9,
    0xDA,
    0xE0,
    0xE1,
    0xE2,
    0xEE,
    0xEF,
    0xFE,
)
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # DHT, JPG, DAC are not SOFs
_STANDALONE_MARKERS = frozenset([0x01, *range(0xD0, 0xD8)])  # TEM, RST0-7: no length field
_ICC_PROFILE = b"ICC_PROFILE\x00"
_EXIF = b"Exif\x00\x00"
_FILL = re.compile(rb"\xff+")
# In entropy-coded data an 0xFF byte is followed by 0x00 (a stuffed 0xFF), RST0-7, another 0xFF
# (fill) or the code of the next marker; this finds the last case.
_SCAN_END = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")


def _jpeg_drops(marker: int, payload: bytes) -> bool:
    """APP1-APP13 (except an ICC profile in APP2), APP15 and COM go; everything else stays."""
    if marker == _APP2:
        return not payload.startswith(_ICC_PROFILE)
    return _APP1 <= marker < _APP14 or marker in (_APP15, _COM)


def _strip_jpeg(data: bytes) -> Stripped | None:
    """Drop the metadata segments of a JPEG, wherever they are (also between progressive
    scans), and anything after EOI (phones append further images with their own EXIF there).
    Every other byte, from SOI through the entropy-coded data to EOI, is copied unchanged."""
    n = len(data)
    kept: list[bytes] = [data[:2]]  # SOI
    exif_insert_at = 1  # after SOI, or after the APP0 (JFIF/JFXX) segments that lead the file
    leading = True
    changed = False
    size: tuple[int, int] | None = None
    exif: bytes | None = None
    pos = 2
    end = n
    while pos < n:
        fill = _FILL.match(data, pos)
        if fill is None or fill.end() >= n:
            return None  # not a marker where one must be
        marker_at = fill.end()
        marker = data[marker_at]
        if marker == _EOI:
            kept.append(data[pos : marker_at + 1])
            end = marker_at + 1
            break
        if marker in _STANDALONE_MARKERS:
            kept.append(data[pos : marker_at + 1])
            pos = marker_at + 1
            continue
        if marker in (0x00, _SOI) or marker_at + 3 > n:
            return None
        segment_end = marker_at + 1 + _be16(data, marker_at + 1)
        if segment_end < marker_at + 3 or segment_end > n:
            return None
        payload = data[marker_at + 3 : segment_end]
        if _jpeg_drops(marker, payload):
            changed = True
            if marker == _APP1 and exif is None and payload.startswith(_EXIF):
                exif = payload  # the first EXIF segment is the one readers use
        else:
            kept.append(data[pos:segment_end])
            if leading and marker == _APP0:
                exif_insert_at = len(kept)
            elif marker != _APP0:
                leading = False
        if marker in _SOF_MARKERS and size is None and len(payload) >= 5:
            size = (_be16(payload, 3), _be16(payload, 1))
        pos = segment_end
        if marker == _SOS:  # entropy-coded data up to the next marker (or the end, if cut off)
            scan_end = _SCAN_END.search(data, pos)
            next_marker = n if scan_end is None else scan_end.start()
            kept.append(data[pos:next_marker])
            pos = next_marker
    if end < n:
        changed = True  # trailing data after EOI
    if not changed:
        return Stripped(data, size)
    orientation = _exif_orientation(exif) if exif is not None else None
    if orientation is not None:
        kept.insert(exif_insert_at, _orientation_segment(orientation))
    return Stripped(b"".join(kept), size, orientation)


def _exif_orientation(payload: bytes) -> int | None:
    """The Orientation tag in IFD0 of an APP1 EXIF payload when it says the image is rotated or
    mirrored (2-8); None for 1, absent, not a single SHORT, or unreadable."""
    tiff = payload[len(_EXIF) :]
    if tiff.startswith(b"MM\x00\x2a"):
        order = ">"
    elif tiff.startswith(b"II\x2a\x00"):
        order = "<"
    else:
        return None
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind, number, value = struct.unpack_from(order + "HHIH", tiff, entry)
            if tag == _ORIENTATION_TAG:
                is_short = kind == 3 and number == 1
                return value if is_short and value in ROTATED_OR_MIRRORED else None
    except struct.error:  # offsets past the end of the segment
        return None
    return None


def _orientation_segment(orientation: int) -> bytes:
    """A minimal APP1 EXIF segment: a big-endian TIFF header and an IFD0 holding only
    Orientation (SHORT, count 1), no next IFD."""
    tiff = (
        b"MM\x00\x2a\x00\x00\x00\x08"  # byte order, magic, IFD0 at offset 8
        + struct.pack(">H", 1)  # one entry
        + struct.pack(">HHIH2x", _ORIENTATION_TAG, 3, 1, orientation)  # value left-justified
        + struct.pack(">I", 0)  # no IFD1
    )
    payload = _EXIF + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


# PNG -----------------------------------------------------------------------------------------

_PNG_DROPPED_CHUNKS = frozenset([b"eXIf", b"tEXt", b"iTXt", b"zTXt"])


def _strip_png(data: bytes) -> Stripped | None:
    """Drop eXIf, tEXt, iTXt and zTXt chunks and anything after IEND; other chunks are copied
    with their CRCs unchanged."""
    n = len(data)
    if n < 33 or data[12:16] != b"IHDR" or _be32(data, 8) != 13:
        return None
    size = (_be32(data, 16), _be32(data, 20))
    kept: list[bytes] = [data[:8]]
    changed = False
    pos = 8
    while pos < n:
        if pos + 12 > n:
            return None
        chunk_end = pos + 12 + _be32(data, pos)
        if chunk_end > n:
            return None
        chunk_type = data[pos + 4 : pos + 8]
        if chunk_type in _PNG_DROPPED_CHUNKS:
            changed = True
        else:
            kept.append(data[pos:chunk_end])
        pos = chunk_end
        if chunk_type == b"IEND":
            break
    if pos < n:
        changed = True  # trailing data after IEND
    return Stripped(b"".join(kept) if changed else data, size)


# WebP ----------------------------------------------------------------------------------------

_WEBP_DROPPED_CHUNKS = frozenset([b"EXIF", b"XMP "])
_VP8X_EXIF_FLAG = 0x08
_VP8X_XMP_FLAG = 0x04


def _strip_webp(data: bytes) -> Stripped | None:
    """Drop EXIF and XMP chunks (clearing their VP8X flags) and anything after the RIFF data;
    the RIFF size is rewritten, every other chunk is copied unchanged."""
    n = len(data)
    if n < 20:
        return None
    riff_end = 8 + _le32(data, 4)
    if riff_end > n:
        return None
    kept: list[bytes] = []
    changed = riff_end < n  # trailing data after the RIFF data
    pos = 12
    while pos < riff_end:
        if pos + 8 > riff_end:
            return None
        chunk_size = _le32(data, pos + 4)
        payload_end = pos + 8 + chunk_size
        chunk_end = payload_end + (chunk_size & 1)  # chunks are padded to an even size
        if chunk_end > riff_end:
            if payload_end != riff_end:
                return None
            chunk_end = riff_end  # the last chunk's pad byte left out: tolerated
        chunk_type = data[pos : pos + 4]
        if chunk_type in _WEBP_DROPPED_CHUNKS:
            changed = True
        else:
            kept.append(data[pos:chunk_end])
        pos = chunk_end
    if not kept:
        return None
    size = _webp_size(kept[0])
    if not changed:
        return Stripped(data, size)
    if kept[0].startswith(b"VP8X") and len(kept[0]) > 8:
        vp8x = bytearray(kept[0])
        vp8x[8] &= ~(_VP8X_EXIF_FLAG | _VP8X_XMP_FLAG) & 0xFF
        kept[0] = bytes(vp8x)
    body = b"WEBP" + b"".join(kept)
    return Stripped(b"RIFF" + struct.pack("<I", len(body)) + body, size)


def _webp_size(chunk: bytes) -> tuple[int, int] | None:
    """The canvas size stated by the first chunk (VP8X, VP8 or VP8L), None if it states none."""
    kind, payload = chunk[:4], chunk[8:]
    if kind == b"VP8X" and len(payload) >= 10:
        return _le24(payload, 4) + 1, _le24(payload, 7) + 1
    if kind == b"VP8 " and len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a":
        return _le16(payload, 6) & 0x3FFF, _le16(payload, 8) & 0x3FFF
    if kind == b"VP8L" and len(payload) >= 5 and payload[0] == 0x2F:
        bits = _le32(payload, 1)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


# GIF -----------------------------------------------------------------------------------------


def _strip_gif(data: bytes) -> Stripped | None:
    """Nothing is removed from a GIF; the logical screen size is its stated size."""
    if len(data) < 10:
        return None
    return Stripped(data, (_le16(data, 6), _le16(data, 8)))


_STRIPPERS: dict[str, Callable[[bytes], Stripped | None]] = {
    "image/jpeg": _strip_jpeg,
    "image/png": _strip_png,
    "image/gif": _strip_gif,
    "image/webp": _strip_webp,
}


def strip_metadata(content_type: str, data: bytes) -> Stripped | None:
    """`data` of an image type (sniff.IMAGE_TYPES) without its metadata; None when malformed."""
    return _STRIPPERS[content_type](data)
