"""Image processing for uploads (spec media.md, "Image processing").

`process_image` checks an uploaded image and prepares what is stored:

1. the type comes from the leading bytes (sniff); anything but JPEG, PNG, GIF or WebP is refused;
2. metadata is removed losslessly by rewriting the container, never by re-encoding: every kept
   byte (the compressed image data above all) is copied as it was; the same parse reads the
   pixel size the header states;
3. more than `max_pixels` is refused, from that header and again from Pillow's lazy
   `Image.open` of the result, before any pixel is decoded;
4. the first frame of the bytes to be stored is decoded; data that does not decode as the
   claimed type is refused (so what is stored is known to decode);
5. a small upright JPEG thumbnail is made from the decoded frame.

Pure: bytes in, bytes out. Processing a 40 megapixel image takes a few hundred milliseconds and
a few hundred MB of memory, so callers in async code should run it in a worker thread.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from shopreviews.media.sniff import IMAGE_TYPES, SNIFF_BYTES, sniff

_FORMATS = {  # content type -> (Pillow format, name in messages)
    "image/jpeg": ("JPEG", "JPEG"),
    "image/png": ("PNG", "PNG"),
    "image/gif": ("GIF", "GIF"),
    "image/webp": ("WEBP", "WebP"),
}

_ORIENTATION_TAG = 0x0112
# EXIF orientation -> the transposition that makes the stored pixels display upright (the same
# table as Pillow's ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = {5, 6, 7, 8}
_THUMBNAIL_QUALITY = 85
_WHITE = (255, 255, 255)


class ImageRejected(ValueError):
    """The upload is refused; str(exc) is a message for the client (code 3)."""


@dataclass(frozen=True)
class ProcessedImage:
    """An accepted image: what to store, what it is, and its thumbnail."""

    data: bytes
    """The bytes to store: the upload with metadata removed losslessly; the very same bytes
    object as uploaded when there was nothing to remove."""
    content_type: str
    """The type the content shows (one of sniff.IMAGE_TYPES)."""
    width: int
    """Width as displayed: after the orientation kept in `data` (JPEG only) is applied, so a
    phone photo stored as 4032x3024 with orientation 6 is 3024 wide."""
    height: int
    """Height as displayed (see `width`)."""
    thumbnail: bytes
    """JPEG, RGB, at most thumbnail_size pixels each way (aspect ratio kept, never enlarged),
    upright, transparency flattened on white, colours converted to sRGB, no metadata."""


def process_image(
    data: bytes, *, max_pixels: int = 40_000_000, thumbnail_size: int = 400
) -> ProcessedImage:
    """Check an uploaded image, remove its metadata and make its thumbnail.

    Raises ImageRejected when the content is not an image type we take, when it has more than
    `max_pixels` pixels (refused from the header, before decoding), or when it cannot be decoded
    as the type its leading bytes claim. Pillow's own decompression-bomb limit (about 179
    megapixels unless PIL.Image.MAX_IMAGE_PIXELS is changed) applies above `max_pixels`.
    """
    content_type = sniff(data[:SNIFF_BYTES])
    if content_type not in IMAGE_TYPES:
        raise ImageRejected("the file is not a JPEG, PNG, GIF or WebP image")
    pillow_format, name = _FORMATS[content_type]
    undecodable = ImageRejected(f"the file could not be decoded as a {name} image")

    stripped = _STRIPPERS[content_type](data)
    if stripped is None:
        raise undecodable
    if stripped.size is not None:
        _check_pixels(stripped.size, max_pixels)

    # Pillow reads the stored bytes: what is stored is what is known to decode.
    try:
        image = Image.open(io.BytesIO(stripped.data), formats=[pillow_format])
    except Image.DecompressionBombError as exc:
        raise _too_large(max_pixels) from exc
    except Exception as exc:
        raise undecodable from exc
    with image:
        _check_pixels(image.size, max_pixels)  # e.g. a GIF frame reaching past its screen
        try:
            image.load()  # the first frame; the only full decode
            thumbnail = _thumbnail(image, stripped.orientation, thumbnail_size)
        except Image.DecompressionBombError as exc:
            raise _too_large(max_pixels) from exc
        except Exception as exc:
            raise undecodable from exc
        width, height = image.size

    if stripped.orientation in _SWAPS_AXES:
        width, height = height, width
    return ProcessedImage(
        data=stripped.data,
        content_type=content_type,
        width=width,
        height=height,
        thumbnail=thumbnail,
    )


def _too_large(max_pixels: int) -> ImageRejected:
    return ImageRejected(f"the image is larger than {max_pixels / 1_000_000:g} megapixels")


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    if size[0] * size[1] > max_pixels:
        raise _too_large(max_pixels)


# ---------------------------------------------------------------------------------------------
# Thumbnail


def _thumbnail(image: Image.Image, orientation: int | None, box: int) -> bytes:
    """The first frame as a small upright sRGB JPEG (the image is loaded at its first frame)."""
    frame = _working_copy(image)
    frame.thumbnail((box, box), Image.Resampling.LANCZOS)  # in place; never enlarges
    if frame.mode == "RGBA":
        flat = Image.new("RGB", frame.size, _WHITE)
        flat.paste(frame, mask=frame.getchannel("A"))
        frame = flat
    frame = _to_srgb(frame, image.info.get("icc_profile"))
    if orientation in _TRANSPOSE:
        frame = frame.transpose(_TRANSPOSE[orientation])
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=_THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()


def _working_copy(image: Image.Image) -> Image.Image:
    """A copy that resamples well: RGBA when there is transparency, else L, RGB or CMYK (the
    modes an ICC profile can apply to), all 8 bits per channel."""
    mode = image.mode
    if mode.startswith("I"):  # 16-bit grey PNG (I;16): scale to 8 bits instead of clipping
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        return image.convert("RGBA")
    if mode in ("L", "RGB", "CMYK"):
        return image.copy()
    return image.convert("RGB")


def _to_srgb(frame: Image.Image, icc_profile: object) -> Image.Image:
    """RGB pixels in sRGB: converted through the embedded ICC profile where there is one that
    fits (wide-gamut phone photos would look dull otherwise), plainly converted otherwise."""
    if isinstance(icc_profile, bytes) and icc_profile:
        converted = _icc_to_srgb(frame, icc_profile)
        if converted is not None:
            return converted
    return frame.convert("RGB")


def _icc_to_srgb(frame: Image.Image, icc_profile: bytes) -> Image.Image | None:
    try:
        from PIL import ImageCms

        return ImageCms.profileToProfile(
            frame,
            ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGB",
        )
    except Exception:  # Pillow built without lcms, or a profile that does not fit the pixels
        return None


# ---------------------------------------------------------------------------------------------
# Lossless metadata removal. Each stripper returns None when the container is malformed.


@dataclass(frozen=True)
class _Stripped:
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


def _strip_jpeg(data: bytes) -> _Stripped | None:
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
        return _Stripped(data, size)
    orientation = _exif_orientation(exif) if exif is not None else None
    if orientation is not None:
        kept.insert(exif_insert_at, _orientation_segment(orientation))
    return _Stripped(b"".join(kept), size, orientation)


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
                return value if is_short and value in _TRANSPOSE else None
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


def _strip_png(data: bytes) -> _Stripped | None:
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
    return _Stripped(b"".join(kept) if changed else data, size)


# WebP ----------------------------------------------------------------------------------------

_WEBP_DROPPED_CHUNKS = frozenset([b"EXIF", b"XMP "])
_VP8X_EXIF_FLAG = 0x08
_VP8X_XMP_FLAG = 0x04


def _strip_webp(data: bytes) -> _Stripped | None:
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
        return _Stripped(data, size)
    if kept[0].startswith(b"VP8X") and len(kept[0]) > 8:
        vp8x = bytearray(kept[0])
        vp8x[8] &= ~(_VP8X_EXIF_FLAG | _VP8X_XMP_FLAG) & 0xFF
        kept[0] = bytes(vp8x)
    body = b"WEBP" + b"".join(kept)
    return _Stripped(b"RIFF" + struct.pack("<I", len(body)) + body, size)


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


def _strip_gif(data: bytes) -> _Stripped | None:
    """Nothing is removed from a GIF; the logical screen size is its stated size."""
    if len(data) < 10:
        return None
    return _Stripped(data, (_le16(data, 6), _le16(data, 8)))


_STRIPPERS: dict[str, Callable[[bytes], _Stripped | None]] = {
    "image/jpeg": _strip_jpeg,
    "image/png": _strip_png,
    "image/gif": _strip_gif,
    "image/webp": _strip_webp,
}
