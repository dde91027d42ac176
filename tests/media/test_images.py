"""Image processing (spec media.md, "Image processing"): lossless metadata removal, the pixel
limit checked before decoding, refusal of undecodable data, and thumbnails.

Every test image is made here with Pillow (no binary fixtures). The checks read the results with
small container parsers of their own, so they do not share code with what they test.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageCms, ImageFile, ImageOps, ImageStat
from PIL.PngImagePlugin import PngInfo

from shopreviews.media.images import ImageRejected, ProcessedImage, process_image
from tests.media.helpers import phone_exif, png_chunk, png_with_header, quadrants

TOO_LARGE = "the image is larger than 40 megapixels"
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

SOI, EOI, SOS, SOF0, APP0, APP1, APP2, APP13, APP14, APP15, COM = (
    0xD8,
    0xD9,
    0xDA,
    0xC0,
    0xE0,
    0xE1,
    0xE2,
    0xED,
    0xEE,
    0xEF,
    0xFE,
)
SCAN = -1  # entropy-coded data in jpeg_parts()
TRAILER = -2  # bytes after EOI in jpeg_parts()

XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmp:CreatorTool="secret-xmp-tool"/></rdf:RDF></x:xmpmeta>'
)
SECRETS = [
    b"SecretPhone",
    b"SECRET-DATUM",
    b"secret-xmp-tool",
    b"secret comment",
    b"secret-iptc",
    b"secret-app15",
    b"secret-fpxr",
    b"secret-text",
    b"secret-ztxt",
    b"secret-itxt",
]


# ---------------------------------------------------------------------------------------------
# Builders


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def gradient(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """Non-uniform content, so compressed data is not trivial."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (red, green, blue)).convert(mode)


def gps_value_bytes(exif_block: bytes) -> list[bytes]:
    """The latitude and longitude as the EXIF block stores them (three RATIONALs each)."""
    exif = Image.Exif()
    exif.load(exif_block)
    gps = exif.get_ifd(0x8825)
    order = ">" if exif_block[6:8] == b"MM" else "<"
    return [
        b"".join(struct.pack(order + "II", v.numerator, v.denominator) for v in gps[tag])
        for tag in (2, 4)
    ]


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def orientation_segment(orientation: int) -> bytes:
    """The minimal EXIF the spec keeps, as a reference built independently of the module."""
    tiff = (
        b"MM\x00\x2a\x00\x00\x00\x08\x00\x01"
        + b"\x01\x12\x00\x03\x00\x00\x00\x01"
        + bytes([0, orientation, 0, 0])
        + b"\x00\x00\x00\x00"
    )
    return segment(APP1, b"Exif\x00\x00" + tiff)


XMP_SEGMENT = segment(APP1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_PACKET)
IPTC_SEGMENT = segment(APP13, b"Photoshop 3.0\x008BIM\x04\x04" + bytes(5) + b"\x0bsecret-iptc\x00")
APP15_SEGMENT = segment(APP15, b"secret-app15")
FPXR_SEGMENT = segment(APP2, b"FPXR\x00\x00secret-fpxr")
COM_SEGMENT = segment(COM, b"secret comment")
ADOBE_SEGMENT = segment(APP14, b"Adobe\x00\x64\x00\x00\x00\x00\x01")  # transform 1: YCbCr


def clean_jpeg(image: Image.Image | None = None, **options: Any) -> bytes:
    """A JPEG as Pillow writes it: SOI, APP0 (JFIF), [APP2 ICC], tables, scan(s), EOI."""
    return encode(gradient() if image is None else image, "JPEG", quality=90, **options)


JFIF_END = 20  # SOI (2 bytes) + Pillow's APP0 JFIF segment (18 bytes)


def after_jfif(jpeg: bytes, *segments: bytes) -> bytes:
    assert jpeg[2:4] == b"\xff\xe0" and jpeg[6:11] == b"JFIF\x00"
    return jpeg[:JFIF_END] + b"".join(segments) + jpeg[JFIF_END:]


def gif_with_frame(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    """A GIF with a two-colour table and one frame whose descriptor claims `frame` (its data is
    one pixel's worth)."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", *screen, 0x80, 0, 0)
        + b"\x00\x00\x00\xff\xff\xff"
        + b","
        + struct.pack("<HHHHB", 0, 0, *frame, 0)
        + b"\x02\x02\x44\x01\x00;"
    )


# ---------------------------------------------------------------------------------------------
# Independent readers


def jpeg_parts(data: bytes) -> list[tuple[int, bytes]]:
    """Every piece of a JPEG in order: (marker, segment bytes incl. fill), (SCAN, entropy data),
    (TRAILER, bytes after EOI)."""
    assert data[:2] == b"\xff\xd8"
    parts = [(SOI, data[:2])]
    pos = 2
    while pos < len(data):
        start = pos
        assert data[pos] == 0xFF, f"no marker at {pos}"
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == EOI:
            parts.append((EOI, data[start:pos]))
            if pos < len(data):
                parts.append((TRAILER, data[pos:]))
            break
        if 0xD0 <= marker <= 0xD7:
            parts.append((marker, data[start:pos]))
            continue
        pos += int.from_bytes(data[pos : pos + 2], "big")
        parts.append((marker, data[start:pos]))
        if marker == SOS:
            scan_start = pos
            while not (data[pos] == 0xFF and data[pos + 1] not in {0x00, 0xFF, *range(0xD0, 0xD8)}):
                pos += 1
            parts.append((SCAN, data[scan_start:pos]))
    return parts


def markers(data: bytes) -> list[int]:
    return [marker for marker, _ in jpeg_parts(data)]


def app_segments(data: bytes, marker: int) -> list[bytes]:
    return [raw for m, raw in jpeg_parts(data) if m == marker]


def scan_to_eoi(data: bytes) -> bytes:
    """From the first SOS marker through EOI."""
    start = sum(len(raw) for m, raw in takewhile_not(jpeg_parts(data), SOS))
    eoi = data.rindex(b"\xff\xd9") + 2
    return data[start:eoi]


def takewhile_not(parts: list[tuple[int, bytes]], marker: int) -> Iterator[tuple[int, bytes]]:
    for part in parts:
        if part[0] == marker:
            return
        yield part


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, whole chunk) for every chunk, checking each CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = []
    pos = 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        raw = data[pos : pos + 12 + length]
        assert zlib.crc32(raw[4:-4]) == int.from_bytes(raw[-4:], "big")
        chunks.append((kind, raw))
        pos += 12 + length
    return chunks


def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(fourcc, whole chunk incl. padding) for every chunk; checks the RIFF size."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    chunks = []
    pos = 12
    while pos < len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + size + (size & 1)
        chunks.append((data[pos : pos + 4], data[pos:end]))
        pos = end
    assert pos == len(data)
    return chunks


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rgba_pixels(data: bytes) -> bytes:
    return open_image(data).convert("RGBA").tobytes()


def all_frames(data: bytes) -> list[bytes]:
    image = Image.open(io.BytesIO(data))
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(image.convert("RGBA").tobytes())
    return frames


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return max(ImageStat.Stat(diff).mean)


def assert_no_secrets(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data, secret


# ---------------------------------------------------------------------------------------------
# JPEG


def phone_jpeg(orientation: int | None = 6) -> tuple[bytes, bytes]:
    """(upload, expected stored bytes): a clean JPEG with an ICC profile, and the same with the
    metadata a phone or editor adds: EXIF with GPS, XMP, IPTC, APP15, a FlashPix APP2, a
    comment, plus an Adobe APP14 (kept)."""
    clean = clean_jpeg(icc_profile=SRGB_ICC)
    exif = segment(APP1, phone_exif(orientation).tobytes())
    upload = after_jfif(
        clean,
        exif,
        XMP_SEGMENT,
        IPTC_SEGMENT,
        APP15_SEGMENT,
        FPXR_SEGMENT,
        COM_SEGMENT,
        ADOBE_SEGMENT,
    )
    kept = [orientation_segment(orientation)] if orientation not in (None, 1) else []
    return upload, after_jfif(clean, *kept, ADOBE_SEGMENT)


def test_jpeg_metadata_removed_orientation_kept() -> None:
    upload, expected = phone_jpeg(orientation=6)
    for secret in (b"SecretPhone", b"SECRET-DATUM", b"secret-xmp-tool", b"secret comment"):
        assert secret in upload
    gps_values = gps_value_bytes(phone_exif(6).tobytes())
    assert all(value in upload for value in gps_values)

    result = process_image(upload)

    assert result.data == expected
    assert result.content_type == "image/jpeg"
    assert_no_secrets(result.data)
    assert not any(value in result.data for value in gps_values)
    assert b"http://ns.adobe.com/xap/1.0/" not in result.data
    assert b"Photoshop 3.0" not in result.data
    assert COM not in markers(result.data)
    assert APP13 not in markers(result.data) and APP15 not in markers(result.data)

    stored = Image.open(io.BytesIO(result.data))
    exif = stored.getexif()
    assert dict(exif) == {274: 6}
    assert exif.get_ifd(0x8825) == {}
    assert stored.info["icc_profile"] == SRGB_ICC
    assert app_segments(result.data, APP1) == [orientation_segment(6)]
    assert app_segments(result.data, APP14) == [ADOBE_SEGMENT]
    assert len(app_segments(result.data, APP2)) == 1  # the ICC profile, not FlashPix
    assert app_segments(result.data, APP2)[0][4:16] == b"ICC_PROFILE\x00"
    # The minimal EXIF sits right after the JFIF APP0.
    assert markers(result.data)[:4] == [SOI, APP0, APP1, APP14]

    assert scan_to_eoi(result.data) == scan_to_eoi(upload)
    assert rgba_pixels(result.data) == rgba_pixels(upload)


def test_jpeg_kept_segments_are_byte_identical() -> None:
    upload, _ = phone_jpeg(orientation=6)
    result = process_image(upload)
    dropped = {APP1, APP13, APP15, COM}
    before = [
        (m, raw)
        for m, raw in jpeg_parts(upload)
        if m not in dropped and not (m == APP2 and b"FPXR" in raw)
    ]
    after = [(m, raw) for m, raw in jpeg_parts(result.data) if m != APP1]
    assert after == before
    assert [m for m in markers(upload) if m in {0xDB, SOF0, 0xC4, SOS}] == [
        m for m in markers(result.data) if m in {0xDB, SOF0, 0xC4, SOS}
    ]


def test_jpeg_without_metadata_is_the_same_object() -> None:
    for upload in (
        clean_jpeg(),
        clean_jpeg(icc_profile=SRGB_ICC),
        clean_jpeg(progressive=True),
        after_jfif(clean_jpeg(), ADOBE_SEGMENT),
        encode(gradient(mode="L"), "JPEG"),
        encode(gradient(mode="CMYK"), "JPEG"),  # Pillow writes an Adobe APP14, no APP0
    ):
        assert process_image(upload).data is upload


@pytest.mark.parametrize("orientation", [None, 1])
def test_jpeg_upright_keeps_no_exif_at_all(orientation: int | None) -> None:
    upload, expected = phone_jpeg(orientation=orientation)
    result = process_image(upload)
    assert result.data == expected
    assert APP1 not in markers(result.data)
    assert dict(Image.open(io.BytesIO(result.data)).getexif()) == {}
    assert_no_secrets(result.data)


@pytest.mark.parametrize("orientation", range(2, 9))
def test_jpeg_every_rotation_or_mirroring_is_kept(orientation: int) -> None:
    upload, expected = phone_jpeg(orientation=orientation)
    result = process_image(upload)
    assert result.data == expected
    assert dict(Image.open(io.BytesIO(result.data)).getexif()) == {274: orientation}


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_jpeg_invalid_orientation_is_dropped(orientation: int) -> None:
    clean = clean_jpeg()
    exif = Image.Exif()
    exif[0x0112] = orientation
    result = process_image(after_jfif(clean, segment(APP1, exif.tobytes())))
    assert result.data == clean


def test_jpeg_exif_first_in_file_without_jfif_goes_after_soi() -> None:
    """A phone JPEG usually starts SOI, APP1 EXIF (no JFIF): the minimal EXIF takes its place."""
    clean = clean_jpeg()
    no_jfif = clean[:2] + clean[JFIF_END:]
    upload = no_jfif[:2] + segment(APP1, phone_exif(8).tobytes()) + XMP_SEGMENT + no_jfif[2:]
    result = process_image(upload)
    assert result.data == no_jfif[:2] + orientation_segment(8) + no_jfif[2:]


def test_jpeg_minimal_exif_goes_after_all_leading_app0_segments() -> None:
    clean = clean_jpeg()
    jfxx = segment(APP0, b"JFXX\x00\x13")  # an (empty) JFIF extension, which follows JFIF
    upload = after_jfif(clean, jfxx, segment(APP1, phone_exif(3).tobytes()))
    assert process_image(upload).data == after_jfif(clean, jfxx, orientation_segment(3))


def test_jpeg_first_exif_segment_counts() -> None:
    """Readers use the first EXIF segment; so does the orientation kept."""
    clean = clean_jpeg()
    first, second = segment(APP1, phone_exif(8).tobytes()), segment(APP1, phone_exif(3).tobytes())
    result = process_image(after_jfif(clean, XMP_SEGMENT, first, second))
    assert result.data == after_jfif(clean, orientation_segment(8))


def test_jpeg_unreadable_exif_is_dropped() -> None:
    clean = clean_jpeg()
    for payload in (b"Exif\x00\x00garbage", b"Exif\x00\x00MM\x00*\xff\xff\xff\xff", b"Exif"):
        assert process_image(after_jfif(clean, segment(APP1, payload))).data == clean


def test_jpeg_metadata_between_progressive_scans_is_removed() -> None:
    clean = clean_jpeg(progressive=True)
    parts = jpeg_parts(clean)
    sos_positions = [i for i, (m, _) in enumerate(parts) if m == SOS]
    assert len(sos_positions) > 2
    third_sos = sos_positions[2]
    upload = b"".join(
        [raw for _, raw in parts[:third_sos]]
        + [COM_SEGMENT, XMP_SEGMENT, IPTC_SEGMENT]
        + [raw for _, raw in parts[third_sos:]]
    )
    assert rgba_pixels(upload) == rgba_pixels(clean)
    assert process_image(upload).data == clean


def test_jpeg_data_after_eoi_is_removed() -> None:
    """Phones append further images (MPF) with their own EXIF after the first image's EOI."""
    clean = clean_jpeg()
    appended = after_jfif(clean_jpeg(gradient((16, 16))), segment(APP1, phone_exif(6).tobytes()))
    for trailer in (b"\x00" * 7, appended, b"SEFT secret-app15 trailer"):
        result = process_image(clean + trailer)
        assert result.data == clean
        assert_no_secrets(result.data)


def test_jpeg_fill_bytes_are_kept_and_dropped_with_their_segment() -> None:
    clean = clean_jpeg()
    padded = clean[:JFIF_END] + b"\xff\xff\xff" + clean[JFIF_END:]
    assert process_image(padded).data is padded
    upload = clean[:JFIF_END] + b"\xff\xff" + COM_SEGMENT + clean[JFIF_END:]
    assert process_image(upload).data == clean


def test_jpeg_restart_markers_in_the_scan_are_kept() -> None:
    """RST markers inside entropy-coded data must not end the scan."""
    clean = encode(gradient((256, 256)), "JPEG", quality=90, restart_marker_blocks=1)
    assert any(0xD0 <= m <= 0xD7 for m in markers(clean)) or any(
        b"\xff\xd0" in raw for m, raw in jpeg_parts(clean) if m == SCAN
    )
    upload = after_jfif(clean, COM_SEGMENT)
    assert process_image(upload).data == clean


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(clean_jpeg() + b"\x00", id="trailing-byte"),
        pytest.param(after_jfif(clean_jpeg(), segment(COM, b"x")), id="comment"),
    ],
)
def test_jpeg_processing_is_idempotent(upload: bytes) -> None:
    once = process_image(upload).data
    assert process_image(once).data == once


def test_jpeg_long_runs_are_parsed() -> None:
    """Millions of stuffed 0xFF bytes in a scan, or of fill bytes, are walked through. The
    sizes are the guard against a quadratic walk: one would not finish in CI's time at all
    (there is no timing assertion: machines differ by several times)."""
    clean = clean_jpeg()
    eoi = len(clean) - 2
    for filler in (b"\xff\x00" * 2_000_000, b"\xff" * 4_000_000):
        upload = clean[:eoi] + filler + clean[eoi:]
        assert process_image(upload).data is upload
    fill_before_marker = clean[:JFIF_END] + b"\xff" * 4_000_000 + clean[JFIF_END:]
    assert process_image(fill_before_marker).data is fill_before_marker


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(clean_jpeg()[:JFIF_END] + b"\xff\xfe\xff\xff" + b"x" * 10, id="past-end"),
        pytest.param(clean_jpeg()[:JFIF_END] + b"\xff\xfe\x00\x01" + clean_jpeg()[20:], id="len<2"),
        pytest.param(clean_jpeg()[:JFIF_END] + b"\x00" + clean_jpeg()[JFIF_END:], id="no-marker"),
        pytest.param(clean_jpeg()[:JFIF_END] + b"\xff\xd8" + clean_jpeg()[2:], id="second-soi"),
        pytest.param(clean_jpeg()[: len(clean_jpeg()) // 2], id="truncated-scan"),
        pytest.param(clean_jpeg()[:JFIF_END], id="header-only"),
        pytest.param(b"\xff\xd8\xff", id="signature-only"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 100, id="zeros"),
    ],
)
def test_jpeg_malformed_or_truncated_is_refused(upload: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        process_image(upload)
    assert str(caught.value) == "the file could not be decoded as a JPEG image"


# ---------------------------------------------------------------------------------------------
# PNG


def phone_png(mode: str = "P") -> bytes:
    info = PngInfo()
    info.add_text("Comment", "secret-text")
    info.add_text("Author", "secret-ztxt", zip=True)
    info.add_itxt("Description", "secret-itxt", lang="en", tkey="Beschreibung")
    image = gradient(mode="RGB").convert(mode) if mode != "P" else gradient().quantize(16)
    options: dict[str, Any] = {}
    if mode == "P":
        options["transparency"] = 3
    return encode(
        image,
        "PNG",
        pnginfo=info,
        exif=phone_exif(6).tobytes(),
        icc_profile=SRGB_ICC,
        dpi=(300, 300),
        **options,
    )


PNG_DROPPED = {b"eXIf", b"tEXt", b"iTXt", b"zTXt"}


@pytest.mark.parametrize("mode", ["P", "RGB", "RGBA", "L"])
def test_png_metadata_chunks_removed_everything_else_identical(mode: str) -> None:
    upload = phone_png(mode)
    kinds = {kind for kind, _ in png_chunks(upload)}
    assert kinds >= PNG_DROPPED
    assert {b"IHDR", b"IDAT", b"IEND", b"iCCP", b"pHYs"} <= kinds
    if mode == "P":
        assert {b"PLTE", b"tRNS"} <= kinds

    result = process_image(upload)

    assert result.content_type == "image/png"
    assert png_chunks(result.data) == [
        (kind, raw) for kind, raw in png_chunks(upload) if kind not in PNG_DROPPED
    ]
    assert_no_secrets(result.data)
    assert not any(value in result.data for value in gps_value_bytes(phone_exif(6).tobytes()))
    assert rgba_pixels(result.data) == rgba_pixels(upload)
    stored = open_image(result.data)
    assert dict(stored.getexif()) == {}
    assert stored.info["icc_profile"] == SRGB_ICC
    assert stored.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_png_text_after_the_image_data_is_removed() -> None:
    clean = encode(gradient(), "PNG")
    iend = png_chunk(b"IEND", b"")
    assert clean.endswith(iend)
    exif_chunk = png_chunk(b"eXIf", phone_exif(6).tobytes()[6:])
    late = png_chunk(b"tEXt", b"Comment\x00secret-text") + exif_chunk
    assert process_image(clean[: -len(iend)] + late + iend).data == clean


def test_png_without_metadata_is_the_same_object() -> None:
    for upload in (
        encode(gradient(), "PNG"),
        encode(gradient(), "PNG", icc_profile=SRGB_ICC, dpi=(72, 72)),
        encode(gradient().quantize(8), "PNG", transparency=0),
    ):
        assert process_image(upload).data is upload


def test_png_data_after_iend_is_removed() -> None:
    clean = encode(gradient(), "PNG")
    assert process_image(clean + b"PK\x03\x04 secret-text zip").data == clean


def test_apng_keeps_its_animation() -> None:
    frames = [Image.new("RGB", (32, 32), color) for color in ("red", "green", "blue")]
    info = PngInfo()
    info.add_text("Comment", "secret-text")
    upload = encode(frames[0], "PNG", save_all=True, append_images=frames[1:], pnginfo=info)
    result = process_image(upload)
    assert {b"acTL", b"fcTL", b"fdAT"} <= {kind for kind, _ in png_chunks(result.data)}
    assert b"tEXt" not in {kind for kind, _ in png_chunks(result.data)}
    assert all_frames(result.data) == all_frames(upload)


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(encode(gradient(), "PNG")[:-30], id="truncated"),
        pytest.param(encode(gradient(), "PNG")[:8], id="signature-only"),
        pytest.param(png_with_header(60, 60, zlib.compress(b"\x00" * 10)), id="short-idat"),
        pytest.param(png_with_header(60, 60, b"not zlib data at all"), id="bad-zlib"),
        pytest.param(png_with_header(0, 60, zlib.compress(b"")), id="zero-width"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + png_chunk(b"IDAT", b"") + png_chunk(b"IEND", b""),
            id="no-ihdr",
        ),
    ],
)
def test_png_undecodable_is_refused(upload: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        process_image(upload)
    assert str(caught.value) == "the file could not be decoded as a PNG image"


# ---------------------------------------------------------------------------------------------
# WebP

VP8X_ICC, VP8X_ALPHA, VP8X_EXIF, VP8X_XMP, VP8X_ANIMATION = 0x20, 0x10, 0x08, 0x04, 0x02
WEBP_DROPPED = {b"EXIF", b"XMP "}


def vp8x_flags(data: bytes) -> int:
    kind, raw = webp_chunks(data)[0]
    assert kind == b"VP8X"
    return raw[8]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"lossless": True}, id="lossless"),
        pytest.param({"quality": 80}, id="lossy"),
        pytest.param({"quality": 80, "mode": "RGBA"}, id="lossy-alpha"),
    ],
)
def test_webp_exif_and_xmp_removed_flags_cleared(options: dict[str, Any]) -> None:
    options = dict(options)
    image = gradient(mode=options.pop("mode", "RGB"))
    upload = encode(
        image, "WEBP", exif=phone_exif(6).tobytes(), xmp=XMP_PACKET, icc_profile=SRGB_ICC, **options
    )
    assert {kind for kind, _ in webp_chunks(upload)} >= WEBP_DROPPED
    assert vp8x_flags(upload) & (VP8X_EXIF | VP8X_XMP) == VP8X_EXIF | VP8X_XMP

    result = process_image(upload)

    assert result.content_type == "image/webp"
    before = [(k, raw) for k, raw in webp_chunks(upload) if k not in WEBP_DROPPED]
    after = webp_chunks(result.data)  # also checks the RIFF size
    assert [k for k, _ in after] == [k for k, _ in before]
    assert after[1:] == before[1:]
    # VP8X: only the EXIF and XMP flags change.
    assert after[0][1][:8] == before[0][1][:8] and after[0][1][9:] == before[0][1][9:]
    assert vp8x_flags(result.data) == vp8x_flags(upload) & ~(VP8X_EXIF | VP8X_XMP)
    assert vp8x_flags(result.data) & VP8X_ICC
    assert int.from_bytes(result.data[4:8], "little") == len(result.data) - 8
    assert_no_secrets(result.data)
    assert rgba_pixels(result.data) == rgba_pixels(upload)
    stored = open_image(result.data)
    assert "exif" not in stored.info and "xmp" not in stored.info
    assert stored.info["icc_profile"] == SRGB_ICC


def test_webp_odd_sized_chunks_keep_their_padding() -> None:
    exif = phone_exif(6).tobytes() + b"\x00"  # Pillow strips "Exif\0\0"; make the chunk odd-sized
    upload = encode(gradient(), "WEBP", lossless=True, exif=exif, xmp=XMP_PACKET + b" ")
    sizes = [len(raw) for _, raw in webp_chunks(upload)]
    assert all(size % 2 == 0 for size in sizes)
    result = process_image(upload)
    assert {kind for kind, _ in webp_chunks(result.data)} == {b"VP8X", b"VP8L"}
    assert rgba_pixels(result.data) == rgba_pixels(upload)


def test_animated_webp_keeps_its_frames() -> None:
    frames = [gradient((40, 30)), Image.new("RGB", (40, 30), "blue")]
    upload = encode(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        lossless=True,
        exif=phone_exif(6).tobytes(),
        xmp=XMP_PACKET,
    )
    result = process_image(upload)
    kinds = [kind for kind, _ in webp_chunks(result.data)]
    assert kinds[:2] == [b"VP8X", b"ANIM"] and kinds.count(b"ANMF") == 2
    assert vp8x_flags(result.data) & VP8X_ANIMATION
    assert not vp8x_flags(result.data) & (VP8X_EXIF | VP8X_XMP)
    assert all_frames(result.data) == all_frames(upload)


def test_webp_without_metadata_is_the_same_object() -> None:
    for upload in (
        encode(gradient(), "WEBP", quality=80),
        encode(gradient(), "WEBP", lossless=True),
        encode(gradient(), "WEBP", lossless=True, icc_profile=SRGB_ICC),
    ):
        assert process_image(upload).data is upload


def test_webp_data_after_the_riff_is_removed() -> None:
    clean = encode(gradient(), "WEBP", quality=80)
    result = process_image(clean + b"secret-app15 trailer")
    assert result.data == clean


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(encode(gradient(), "WEBP", quality=80)[:-40], id="truncated"),
        pytest.param(b"RIFF\x04\x00\x00\x00WEBP", id="empty-riff"),
        pytest.param(
            b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14, id="garbage-vp8"
        ),
        pytest.param(b"RIFF\x0c\x00\x00\x00WEBPEXIF\x00\x00\x00\x00", id="exif-only"),
    ],
)
def test_webp_undecodable_is_refused(upload: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        process_image(upload)
    assert str(caught.value) == "the file could not be decoded as a WebP image"


# ---------------------------------------------------------------------------------------------
# GIF


def test_gif_is_stored_as_uploaded() -> None:
    frames = [Image.new("P", (20, 10), index) for index in range(3)]
    for upload in (
        encode(gradient().quantize(32), "GIF"),
        encode(frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"hello"),
    ):
        result = process_image(upload)
        assert result.data is upload
        assert result.content_type == "image/gif"


def test_gif_truncated_is_refused() -> None:
    upload = encode(gradient((200, 200)).convert("L"), "GIF")
    with pytest.raises(ImageRejected) as caught:
        process_image(upload[: len(upload) // 2])
    assert str(caught.value) == "the file could not be decoded as a GIF image"
    with pytest.raises(ImageRejected):
        process_image(b"GIF89a")


# ---------------------------------------------------------------------------------------------
# Not an image


@pytest.mark.parametrize(
    "upload",
    [
        b"",
        b"hello world",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",  # an MP4 video
        b"\x1a\x45\xdf\xa3" + bytes(40),  # WebM
        b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40),
        b"II*\x00\x08\x00\x00\x00" + bytes(40),  # TIFF
        b"BM" + bytes(60),  # BMP
    ],
)
def test_non_images_are_refused(upload: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        process_image(upload)
    assert str(caught.value) == "the file is not a JPEG, PNG, GIF or WebP image"


def test_bmp_content_is_refused_even_though_pillow_reads_it() -> None:
    upload = encode(gradient(), "BMP")
    with pytest.raises(ImageRejected):
        process_image(upload)


def test_image_rejected_is_a_value_error() -> None:
    assert issubclass(ImageRejected, ValueError)


# ---------------------------------------------------------------------------------------------
# Pixel limit, checked before decoding


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any pixel decoding fails the test."""

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.fixture
def no_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow never even opens the file: the container's own header decided."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow opened the file")

    monkeypatch.setattr(Image, "open", refuse)


def patch_sof(jpeg: bytes, width: int, height: int) -> bytes:
    pos = 0
    for marker, raw in jpeg_parts(jpeg):
        if marker == SOF0:
            sof = bytearray(raw)
            sof[5:9] = struct.pack(">HH", height, width)
            return jpeg[:pos] + bytes(sof) + jpeg[pos + len(raw) :]
        pos += len(raw)
    raise AssertionError("no SOF0")


def vp8x_webp(width: int, height: int) -> bytes:
    upload = bytearray(encode(gradient(), "WEBP", lossless=True, exif=phone_exif(None).tobytes()))
    assert upload[12:16] == b"VP8X"
    upload[24:30] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return bytes(upload)


def vp8l_webp(width: int, height: int) -> bytes:
    upload = bytearray(encode(gradient(), "WEBP", lossless=True))
    assert upload[12:16] == b"VP8L" and upload[20] == 0x2F
    bits = int.from_bytes(upload[21:25], "little")
    bits = (bits & ~0x0FFFFFFF) | (width - 1) | ((height - 1) << 14)
    upload[21:25] = bits.to_bytes(4, "little")
    return bytes(upload)


def vp8_webp(width: int, height: int) -> bytes:
    upload = bytearray(encode(gradient(), "WEBP", quality=80))
    assert upload[12:16] == b"VP8 " and upload[23:26] == b"\x9d\x01\x2a"
    upload[26:30] = struct.pack("<HH", width, height)
    return bytes(upload)


def screen_gif(width: int, height: int) -> bytes:
    upload = bytearray(encode(gradient().quantize(4), "GIF"))
    upload[6:10] = struct.pack("<HH", width, height)
    return bytes(upload)


@pytest.mark.usefixtures("no_pillow")
@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(png_with_header(10_000, 5_000, zlib.compress(b"\x00" * 10)), id="png"),
        pytest.param(png_with_header(65_535, 65_535, b""), id="png-huge"),
        pytest.param(patch_sof(clean_jpeg(), 8_000, 6_000), id="jpeg"),
        pytest.param(patch_sof(clean_jpeg(), 65_535, 65_535), id="jpeg-huge"),
        pytest.param(vp8x_webp(16_384, 16_384), id="webp-vp8x"),
        pytest.param(vp8x_webp(8_000, 6_000), id="webp-vp8x-48mp"),
        pytest.param(vp8l_webp(16_384, 16_384), id="webp-vp8l"),
        pytest.param(vp8_webp(16_383, 16_383), id="webp-vp8"),
        pytest.param(screen_gif(10_000, 5_000), id="gif"),
    ],
)
def test_over_40_megapixels_refused_from_the_header(upload: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:  # no_pillow: the header alone decided
        process_image(upload)
    assert str(caught.value) == TOO_LARGE


@pytest.mark.usefixtures("no_decoding")
def test_gif_frame_larger_than_its_screen_refused_before_decoding() -> None:
    """A GIF frame may extend its logical screen; Pillow's lazy open reports the size it makes."""
    upload = gif_with_frame((10, 10), (8_000, 6_000))
    with pytest.raises(ImageRejected) as caught:
        process_image(upload)
    assert str(caught.value) == TOO_LARGE


@pytest.mark.usefixtures("no_decoding")
def test_pillow_decompression_bomb_error_is_the_megapixel_refusal() -> None:
    upload = gif_with_frame((10, 10), (20_000, 10_000))  # 200 MP: Pillow's open raises
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(upload))
    with pytest.raises(ImageRejected) as caught:
        process_image(upload)
    assert str(caught.value) == TOO_LARGE


def test_gif_frame_within_its_screen_is_fine() -> None:
    result = process_image(gif_with_frame((10, 10), (1, 1)))
    assert (result.width, result.height) == (10, 10)


def test_pixel_limit_is_inclusive_and_configurable() -> None:
    assert process_image(encode(gradient((10, 10)), "PNG"), max_pixels=100).width == 10
    with pytest.raises(ImageRejected) as caught:
        process_image(encode(gradient((10, 11)), "PNG"), max_pixels=100)
    assert str(caught.value) == "the image is larger than 0.0001 megapixels"
    with pytest.raises(ImageRejected) as caught:
        process_image(patch_sof(clean_jpeg(), 4_000, 3_001), max_pixels=12_000_000)
    assert str(caught.value) == "the image is larger than 12 megapixels"
    with pytest.raises(ImageRejected) as caught:
        process_image(encode(gradient((50, 50)).quantize(8), "GIF"), max_pixels=2_499)
    assert str(caught.value) == "the image is larger than 0.002499 megapixels"


def test_exactly_40_megapixels_passes_the_header_check() -> None:
    """Right at the limit the header check passes and decoding starts (and fails here, as the
    IDAT holds almost nothing); one pixel more is refused without decoding."""
    with pytest.raises(ImageRejected) as caught:
        process_image(png_with_header(8_000, 5_000, zlib.compress(b"\x00" * 10)))
    assert str(caught.value) == "the file could not be decoded as a PNG image"
    with pytest.raises(ImageRejected) as caught:
        process_image(png_with_header(8_000, 5_001, zlib.compress(b"\x00" * 10)))
    assert str(caught.value) == TOO_LARGE


# ---------------------------------------------------------------------------------------------
# Thumbnails


def thumbnail_of(result: ProcessedImage) -> Image.Image:
    thumbnail = open_image(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.mode == "RGB"
    return thumbnail


def assert_no_metadata(jpeg: bytes) -> None:
    assert set(markers(jpeg)) <= {SOI, APP0, 0xDB, SOF0, 0xC4, SOS, SCAN, EOI}
    thumbnail = open_image(jpeg)
    assert dict(thumbnail.getexif()) == {}
    assert "icc_profile" not in thumbnail.info


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1200, 600), (400, 200)),
        ((600, 1200), (200, 400)),
        ((800, 800), (400, 400)),
        ((400, 400), (400, 400)),
        ((401, 100), (400, 100)),
        ((4000, 10), (400, 1)),
        ((100, 50), (100, 50)),  # never enlarged
        ((1, 1), (1, 1)),
    ],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_thumbnail_fits_400_keeping_the_aspect_ratio(
    fmt: str, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    image = gradient(size)
    result = process_image(encode(image.quantize(64) if fmt == "GIF" else image, fmt))
    assert (result.width, result.height) == size
    thumbnail = thumbnail_of(result)
    assert thumbnail.size == expected
    assert_no_metadata(result.thumbnail)


def test_thumbnail_shows_the_image() -> None:
    original = quadrants((1200, 600))
    result = process_image(encode(original, "PNG"))
    expected = original.resize((400, 200), Image.Resampling.LANCZOS)
    assert mean_difference(thumbnail_of(result), expected) < 4


def test_thumbnail_size_is_configurable() -> None:
    result = process_image(encode(gradient((1200, 600)), "PNG"), thumbnail_size=100)
    assert thumbnail_of(result).size == (100, 50)


def test_rotated_phone_photo_gives_an_upright_thumbnail() -> None:
    stored = quadrants((600, 300))
    upload = encode(stored, "JPEG", quality=95, exif=phone_exif(6).tobytes())
    result = process_image(upload)
    assert (result.width, result.height) == (300, 600)  # as displayed
    thumbnail = thumbnail_of(result)
    assert thumbnail.size == (200, 400)
    # Orientation 6: the stored image is turned 90 degrees clockwise to display it, so its
    # top-left (red) quadrant ends up top right and its bottom-left (blue) one top left.
    assert thumbnail.getpixel((150, 50)) == pytest.approx((255, 0, 0), abs=24)
    assert thumbnail.getpixel((50, 50)) == pytest.approx((0, 0, 255), abs=24)
    assert thumbnail.getpixel((150, 350)) == pytest.approx((0, 255, 0), abs=24)
    assert thumbnail.getpixel((50, 350)) == pytest.approx((0, 0, 0), abs=24)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_thumbnail_orientation_matches_exif_transpose(orientation: int) -> None:
    exif = phone_exif(orientation).tobytes()
    upload = encode(quadrants((640, 360)), "JPEG", quality=95, exif=exif)
    result = process_image(upload)
    expected = ImageOps.exif_transpose(open_image(upload))
    expected.thumbnail((400, 400), Image.Resampling.LANCZOS)
    thumbnail = thumbnail_of(result)
    assert thumbnail.size == expected.size
    assert (result.width, result.height) == ((360, 640) if orientation >= 5 else (640, 360))
    assert mean_difference(thumbnail, expected) < 4
    # The upright view of the stored file (what a browser shows) matches the thumbnail too.
    shown = ImageOps.exif_transpose(open_image(result.data))
    shown.thumbnail((400, 400), Image.Resampling.LANCZOS)
    assert mean_difference(thumbnail, shown) < 4


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_orientation_is_not_applied(fmt: str) -> None:
    """Only JPEG keeps its orientation; the thumbnail shows what the stored file shows."""
    stored = quadrants((600, 300))
    options: dict[str, Any] = {"lossless": True} if fmt == "WEBP" else {}
    result = process_image(encode(stored, fmt, exif=phone_exif(6).tobytes(), **options))
    assert (result.width, result.height) == (600, 300)
    thumbnail = thumbnail_of(result)
    assert thumbnail.size == (400, 200)
    assert thumbnail.getpixel((50, 50)) == pytest.approx((255, 0, 0), abs=24)


def test_thumbnail_of_the_phone_jpeg_has_no_metadata() -> None:
    upload, _ = phone_jpeg(orientation=6)
    result = process_image(upload)
    assert_no_metadata(result.thumbnail)
    assert_no_secrets(result.thumbnail)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_transparency_is_flattened_on_white(fmt: str) -> None:
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 100, 100))
    options: dict[str, Any] = {"lossless": True} if fmt == "WEBP" else {}
    thumbnail = thumbnail_of(process_image(encode(image, fmt, **options)))
    assert thumbnail.size == (200, 100)
    assert thumbnail.getpixel((50, 50)) == pytest.approx((255, 0, 0), abs=8)
    assert thumbnail.getpixel((150, 50)) == pytest.approx((255, 255, 255), abs=8)


def test_half_transparent_pixels_are_blended_with_white() -> None:
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 128))
    thumbnail = thumbnail_of(process_image(encode(image, "PNG")))
    assert thumbnail.getpixel((25, 25)) == pytest.approx((127, 127, 127), abs=4)


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(Image.new("LA", (40, 40), (0, 0)), id="LA"),
        pytest.param(Image.new("P", (40, 40), 0), id="P-tRNS"),
        pytest.param(Image.new("L", (40, 40), 0), id="L-tRNS"),
        pytest.param(Image.new("RGB", (40, 40), (0, 0, 0)), id="RGB-tRNS"),
    ],
)
def test_other_transparent_modes_are_flattened_on_white(image: Image.Image) -> None:
    options: dict[str, Any] = {}
    if image.mode == "P":
        image.putpalette([0, 0, 0] * 256)
        options["transparency"] = 0
    elif image.mode == "L":
        options["transparency"] = 0
    elif image.mode == "RGB":
        options["transparency"] = (0, 0, 0)
    thumbnail = thumbnail_of(process_image(encode(image, "PNG", **options)))
    assert thumbnail.getpixel((20, 20)) == pytest.approx((255, 255, 255), abs=4)


def test_transparent_gif_is_flattened_on_white() -> None:
    image = Image.new("P", (40, 40), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    image.paste(0, (20, 0, 40, 40))
    thumbnail = thumbnail_of(process_image(encode(image, "GIF", transparency=0)))
    assert thumbnail.getpixel((10, 20)) == pytest.approx((255, 0, 0), abs=8)
    assert thumbnail.getpixel((30, 20)) == pytest.approx((255, 255, 255), abs=8)


def test_animated_gif_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (300, 150), color).quantize(4) for color in ("red", "blue")]
    upload = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert getattr(Image.open(io.BytesIO(upload)), "n_frames", 1) == 2
    thumbnail = thumbnail_of(process_image(upload))
    assert thumbnail.size == (300, 150)
    assert thumbnail.getpixel((150, 75)) == pytest.approx((255, 0, 0), abs=8)


def test_animated_webp_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (600, 300), color) for color in ("green", "blue")]
    upload = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    thumbnail = thumbnail_of(process_image(upload))
    assert thumbnail.size == (400, 200)
    assert thumbnail.getpixel((200, 100)) == pytest.approx((0, 128, 0), abs=8)


def test_grey_and_cmyk_images_give_rgb_thumbnails() -> None:
    grey = thumbnail_of(process_image(encode(Image.new("L", (30, 30), 200), "JPEG")))
    assert grey.getpixel((15, 15)) == pytest.approx((200, 200, 200), abs=4)
    red_in_cmyk = Image.new("CMYK", (30, 30), (0, 255, 255, 0))
    cmyk = thumbnail_of(process_image(encode(red_in_cmyk, "JPEG")))
    assert cmyk.getpixel((15, 15)) == pytest.approx((255, 0, 0), abs=8)


def test_16_bit_grey_png_is_scaled_not_clipped() -> None:
    image = Image.new("I;16", (30, 30), 40_000)
    thumbnail = thumbnail_of(process_image(encode(image, "PNG")))
    assert thumbnail.getpixel((15, 15)) == pytest.approx((156, 156, 156), abs=3)


def test_thumbnail_colours_go_through_the_embedded_icc_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Wide-gamut photos (Display P3) need converting to sRGB; Pillow can only make sRGB, LAB
    and XYZ profiles, so a stand-in transform shows the conversion is used, with the embedded
    profile as its source."""
    seen: list[bytes] = []

    def fake_transform(
        image: Image.Image, source: ImageCms.ImageCmsProfile, *args: object, **kwargs: object
    ) -> Image.Image:
        seen.append(source.tobytes())
        return Image.new("RGB", image.size, (0, 0, 255))

    monkeypatch.setattr(ImageCms, "profileToProfile", fake_transform)
    red = Image.new("RGB", (30, 30), (255, 0, 0))
    thumbnail = thumbnail_of(process_image(encode(red, "JPEG", icc_profile=SRGB_ICC)))
    assert seen == [SRGB_ICC]
    assert thumbnail.getpixel((15, 15)) == pytest.approx((0, 0, 255), abs=8)
    seen.clear()
    thumbnail_of(process_image(encode(red, "JPEG")))  # no profile: no conversion
    assert seen == []


def test_icc_profile_is_applied_or_ignored_when_unusable() -> None:
    red = Image.new("RGB", (30, 30), (255, 0, 0))
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    for icc in (SRGB_ICC, lab, b"not an ICC profile"):
        result = process_image(encode(red, "PNG", icc_profile=icc))
        thumbnail = thumbnail_of(result)
        assert thumbnail.getpixel((15, 15)) == pytest.approx((255, 0, 0), abs=8)
        assert_no_metadata(result.thumbnail)


# ---------------------------------------------------------------------------------------------
# The result


def test_processed_image_is_frozen() -> None:
    result = process_image(encode(gradient(), "PNG"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.width = 1  # type: ignore[misc]


SAMPLES: dict[str, Callable[[], bytes]] = {
    "jpeg": lambda: phone_jpeg(6)[0],
    "jpeg-upright": lambda: phone_jpeg(1)[0],
    "png": lambda: phone_png("RGBA"),
    "webp": lambda: encode(gradient(), "WEBP", exif=phone_exif(6).tobytes(), xmp=XMP_PACKET),
    "gif": lambda: encode(gradient().quantize(8), "GIF"),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_processing_the_stored_file_again_changes_nothing(name: str) -> None:
    once = process_image(SAMPLES[name]())
    twice = process_image(once.data)
    assert twice.data == once.data
    assert (twice.width, twice.height, twice.content_type) == (
        once.width,
        once.height,
        once.content_type,
    )
    assert mean_difference(open_image(twice.thumbnail), open_image(once.thumbnail)) < 2
