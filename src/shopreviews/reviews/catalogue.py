"""The rules of a product's catalogue fields as the operator sets them (docs/storefront.md,
"Product catalogue"): each value checked on its own, so a refusal names the field."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_GTIN = re.compile(r"[0-9]{8}|[0-9]{12,14}")
LIMITS = {"handle": 255, "title": 255, "sku": 64, "gtin": 14, "mpn": 64, "brand": 255}


class BadField(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def check(field: str, value: str) -> str:
    """The value to store ("" clears it); BadField naming the field otherwise."""
    text = value.strip()
    if "\x00" in text or any(not c.isprintable() for c in text):
        raise BadField(field, "must not contain control characters")
    if field in ("url", "image_url"):
        if not text:
            return ""
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 2048:
            raise BadField(field, "must be an absolute http(s) URL of at most 2048 characters")
        return text
    if field not in LIMITS:
        raise BadField(field, "is not a catalogue field")
    if len(text) > LIMITS[field]:
        raise BadField(field, f"must be at most {LIMITS[field]} characters")
    if field == "gtin" and text and not _GTIN.fullmatch(text):
        raise BadField(field, "must be 8, 12, 13 or 14 digits (GTIN-8, UPC, EAN, GTIN-14)")
    if field == "handle" and any(c.isspace() for c in text):
        raise BadField(field, "must not contain whitespace")
    return text
