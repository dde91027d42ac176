"""File type detection by leading bytes and by extension (spec media.md, "Storage backends and
limits")."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shopreviews.media.sniff import (
    IMAGE_TYPES,
    SNIFF_BYTES,
    VIDEO_TYPES,
    sniff,
    type_for_extension,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ftyp(brand: bytes) -> bytes:
    """The start of an ISO base media file: a 24-byte ftyp box with the given major brand."""
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41"


def test_types_and_extensions_are_the_spec_lists() -> None:
    assert IMAGE_TYPES == {
        "image/jpeg": (".jpg", ".jpeg"),
        "image/png": (".png",),
        "image/gif": (".gif",),
        "image/webp": (".webp",),
    }
    assert VIDEO_TYPES == {
        "video/mp4": (".mp4",),
        "video/quicktime": (".mov",),
        "video/webm": (".webm",),
    }
    assert SNIFF_BYTES == 16


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x12\x34Exif\x00\x00", "image/jpeg"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR", "image/png"),
        (PNG_SIGNATURE, "image/png"),
        (b"GIF87a\x01\x00\x01\x00", "image/gif"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WEBP", "image/webp"),
        (ftyp(b"isom"), "video/mp4"),
        (ftyp(b"mp42"), "video/mp4"),
        (ftyp(b"M4V "), "video/mp4"),
        (ftyp(b"qt  "), "video/quicktime"),
        (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "video/webm"),
        (b"\x1a\x45\xdf\xa3", "video/webm"),
    ],
)
def test_signatures(head: bytes, expected: str) -> None:
    assert sniff(head) == expected
    assert sniff(head[:SNIFF_BYTES]) == expected
    assert sniff(head + bytes(100)) == expected  # longer input: only the start counts


@pytest.mark.parametrize(
    ("fmt", "expected", "options"),
    [
        ("JPEG", "image/jpeg", {}),
        ("PNG", "image/png", {}),
        ("GIF", "image/gif", {}),
        ("WEBP", "image/webp", {}),
        ("WEBP", "image/webp", {"lossless": True}),
    ],
)
def test_files_written_by_pillow(fmt: str, expected: str, options: dict[str, object]) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, fmt, **options)
    assert sniff(out.getvalue()[:SNIFF_BYTES]) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xff",
        b"\xff\xd8",  # JPEG needs three bytes
        PNG_SIGNATURE[:7],
        b"GIF8",
        b"GIF89",
        b"RIFF\x00\x00\x00\x00WEB",
        b"RIFF",
        b"\x00\x00\x00\x18ftyp",  # no brand yet: MP4 or QuickTime cannot be told
        b"\x00\x00\x00\x18ftypqt ",
        b"\x1a\x45\xdf",
    ],
)
def test_short_input_is_no_type(head: bytes) -> None:
    assert sniff(head) is None


@pytest.mark.parametrize(
    "head",
    [
        b"\xff\xd8\x00\xe0\x00\x10JFIF\x00",  # third byte not FF
        b"\xfe\xd8\xff\xe0",
        b"\x89PNG\r\n\x1a\x0b",  # last signature byte wrong
        b"\x89PNG\n\r\x1a\n",
        b"GIF88a\x01\x00",
        b"gif89a\x01\x00",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a WAV file
        b"RIFF\x24\x00\x00\x00AVI LIST",
        b"RIFX\x24\x00\x00\x00WEBPVP8 ",
        b"ftypisom\x00\x00\x02\x00isom",  # ftyp at offset 0
        b"\x00\x00\x00\x00\x00ftypisom\x00\x00\x02",  # ftyp at offset 5
        b"\x00\x00\x00\x18FTYPisom\x00\x00\x02\x00",
        b"\x00\x00\x00\x18moovisom\x00\x00\x02\x00",
        b"\x1a\x45\xdf\xa4\x9f\x42",
        b"\x00\x1a\x45\xdf\xa3",
        b"%PDF-1.7\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"II*\x00\x08\x00\x00\x00",  # TIFF
        b"BM\x00\x00",  # BMP
        bytes(16),
    ],
)
def test_near_misses_are_no_type(head: bytes) -> None:
    assert sniff(head) is None


def test_quicktime_needs_the_exact_brand() -> None:
    assert sniff(ftyp(b"qt  ")) == "video/quicktime"
    assert sniff(ftyp(b"QT  ")) == "video/mp4"
    assert sniff(ftyp(b"qt\x00\x00")) == "video/mp4"
    # Only the major brand counts, not a compatible brand further on.
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00qt  ") == "video/mp4"


def test_every_sniffed_type_is_listed() -> None:
    heads = [
        b"\xff\xd8\xff",
        PNG_SIGNATURE,
        b"GIF89a",
        b"RIFF\x00\x00\x00\x00WEBP",
        ftyp(b"isom"),
        ftyp(b"qt  "),
        b"\x1a\x45\xdf\xa3",
    ]
    found = {sniff(head) for head in heads}
    assert found == set(IMAGE_TYPES) | set(VIDEO_TYPES)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("shirt.jpg", "image/jpeg"),
        ("SHIRT.JPG", "image/jpeg"),
        ("shirt.jpeg", "image/jpeg"),
        ("shirt.JpEg", "image/jpeg"),
        ("a.png", "image/png"),
        ("a.PNG", "image/png"),
        ("a.gif", "image/gif"),
        ("a.webp", "image/webp"),
        ("a.WebP", "image/webp"),
        ("clip.mp4", "video/mp4"),
        ("clip.MOV", "video/quicktime"),
        ("clip.mov", "video/quicktime"),
        ("clip.webm", "video/webm"),
        ("archive.zip.jpg", "image/jpeg"),
        ("61234567890/2026/6/5/9b1c2f0e7a4d4e1b/shirt.jpg", "image/jpeg"),
        (".jpg", "image/jpeg"),
        ("shirt.jpg.zip", None),
        ("shirt", None),
        ("jpg", None),
        ("", None),
        (".", None),
        ("shirt.", None),
        ("shirt.jpe", None),
        ("shirt.jpgx", None),
        ("shirt.tiff", None),
        ("shirt.svg", None),
        ("shirt.heic", None),
        ("clip.mkv", None),
        ("shirt. jpg", None),
        ("shirt.jpg ", None),
        ("dir.jpg/file", None),
    ],
)
def test_type_for_extension(name: str, expected: str | None) -> None:
    assert type_for_extension(name) == expected


def test_every_listed_extension_maps_back_to_its_type() -> None:
    for types in (IMAGE_TYPES, VIDEO_TYPES):
        for content_type, extensions in types.items():
            for extension in extensions:
                assert extension.startswith(".") and extension == extension.lower()
                assert type_for_extension("file" + extension) == content_type
                assert type_for_extension("FILE" + extension.upper()) == content_type
