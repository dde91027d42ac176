"""Media file types: detection by leading bytes and by file extension (docs/api.md,
"Media uploads").

Pure functions; no I/O. Content decides the type of an upload, the extension only has to agree.
"""

from __future__ import annotations

IMAGE_TYPES: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
}

VIDEO_TYPES: dict[str, tuple[str, ...]] = {
    "video/mp4": (".mp4",),
    "video/quicktime": (".mov",),
    "video/webm": (".webm",),
}

# How many leading bytes sniff() needs to tell every type apart (WebP and the ftyp brand end at
# byte 12; a little slack costs nothing).
SNIFF_BYTES = 16

_EXTENSION_TYPES: dict[str, str] = {
    extension: content_type
    for types in (IMAGE_TYPES, VIDEO_TYPES)
    for content_type, extensions in types.items()
    for extension in extensions
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_QUICKTIME_BRAND = b"qt  "


def sniff(head: bytes) -> str | None:
    """The content type the leading bytes of a file show, or None for anything else.

    `head` should hold at least SNIFF_BYTES bytes of the file (fewer only when the file is that
    short); only its start is looked at. An ISO base media file (`ftyp` box at offset 4) needs
    its major brand (bytes 8–11) to be told apart: `qt  ` is QuickTime, every other brand MP4.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(_PNG_SIGNATURE):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return "video/quicktime" if head[8:12] == _QUICKTIME_BRAND else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def type_for_extension(name: str) -> str | None:
    """The content type a file name's extension stands for (case-insensitive), or None.

    The extension is everything from the name's last dot on, so `photo.JPG` is `image/jpeg`,
    `archive.jpg.zip` and `jpg` (no dot) have none of ours.
    """
    dot = name.rfind(".")
    if dot < 0:
        return None
    return _EXTENSION_TYPES.get(name[dot:].lower())
