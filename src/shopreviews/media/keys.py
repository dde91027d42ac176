"""Object keys of uploads: `<shop_id>/<yyyy>/<m>/<d>/<16 hex>/<file name>` (docs/api.md,
"Media uploads")."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

MAX_KEY = 512
MAX_FILE_NAME = 100
MAX_EXTENSION = 16  # longer "extensions" are part of the name when shortening it
THUMBNAIL_SUFFIX = ".thumb.jpg"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_KEY_CHARS = re.compile(r"^[A-Za-z0-9._/-]+$")


def new_dir(shop_id: str, now: datetime) -> str:
    """A fresh key prefix (the policy's `dir`): the UTC date without leading zeros and 16
    random lowercase hex characters, so keys never collide across uploads."""
    return f"{shop_id}/{now.year}/{now.month}/{now.day}/{secrets.token_hex(8)}/"


def sanitise_file_name(name: str) -> str:
    """Characters outside `A-Z a-z 0-9 . _ -` become `_`; at most 100 characters; `file` when
    nothing is left. A long name is shortened before its extension, so `<long name>.jpg`
    stays a `.jpg` (cutting the end would make the upload's key lose its type)."""
    cleaned = _UNSAFE.sub("_", name)
    if len(cleaned) > MAX_FILE_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        if stem and dot and len(extension) < MAX_EXTENSION:
            cleaned = stem[: MAX_FILE_NAME - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:MAX_FILE_NAME]
    return cleaned or "file"


def key_problem(key: str) -> str | None:
    """Why `key` is not an acceptable object key (apart from its prefix and type), or None."""
    if len(key) > MAX_KEY:
        return f"key must be at most {MAX_KEY} characters"
    if not _KEY_CHARS.match(key):
        return "key may only contain A-Z a-z 0-9 . _ - /"
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        return "key must not contain empty, . or .. segments"
    if key.lower().endswith(THUMBNAIL_SUFFIX):
        return f"key must not end in {THUMBNAIL_SUFFIX} (reserved for thumbnails)"
    return None


# <shop_id>/<yyyy>/<m>/<d>/<16 hex>/<file name>: the only shape this server hands out.
_ISSUED = re.compile(
    r"^[A-Za-z0-9_-]{1,64}/[0-9]{4}/[1-9][0-9]?/[1-9][0-9]?/[0-9a-f]{16}/[A-Za-z0-9._-]{1,100}$"
)


def is_issued_shape(key: str) -> bool:
    """Whether `key` lies in a directory of the kind upload credentials grant (a file put in
    the bucket some other way, e.g. at the shop's top level, does not)."""
    return bool(_ISSUED.match(key))


def thumbnail_key(key: str) -> str:
    return key + THUMBNAIL_SUFFIX


def shop_of(key: str) -> str:
    """A key's first segment: the shop that uploaded it."""
    return key.split("/", 1)[0]
