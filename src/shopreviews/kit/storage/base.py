"""The storage interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class KeyTaken(Exception):
    """An object already exists under the key; uploads never overwrite."""


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str


class Storage(Protocol):
    name: str

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data`; KeyTaken if the key exists (local backend)."""

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a finished temporary file (large uploads are streamed to disk first)."""

    async def head(self, key: str) -> ObjectInfo | None:
        """Size and content type of an object, or None when there is none."""

    async def read(self, key: str, limit: int) -> bytes:
        """The object's bytes; at most `limit` bytes are read (ValueError beyond)."""

    async def read_head(self, key: str, length: int) -> bytes:
        """The first `length` bytes of an object (enough to tell its type)."""

    async def replace(self, key: str, data: bytes, content_type: str) -> None:
        """Overwrite an object the server itself checked (metadata removed, thumbnails)."""
