"""Media files in a local directory, written atomically and never overwritten by uploads."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import tempfile
from pathlib import Path

from shopreviews.kit.storage.base import KeyTaken, ObjectInfo

NAME_MAX = 255  # the longest file name of common file systems (ext4, XFS, APFS, NTFS), in bytes


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def fits(self, key: str) -> bool:
        """Whether a key (valid as such) can be a file here: each of its segments is a file or
        directory name, which file systems limit to NAME_MAX bytes (S3 has no such limit, so
        this is the local backend's own rule)."""
        return all(len(segment.encode()) <= NAME_MAX for segment in key.split("/"))

    def path(self, key: str) -> Path:
        # Keys are checked before they reach storage (no "..", no empty segments); resolving
        # and comparing keeps even a bad key inside the media directory.
        root = self.root.resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise ValueError("key outside the media directory")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data, overwrite=False)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await asyncio.to_thread(self._link, key, path)

    async def replace(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data, overwrite=True)

    async def head(self, key: str) -> ObjectInfo | None:
        try:
            size = (await asyncio.to_thread(self.path(key).stat)).st_size
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        return ObjectInfo(size=size, content_type=mimetypes.guess_type(key)[0] or "")

    async def read(self, key: str, limit: int) -> bytes:
        def read() -> bytes:
            with self.path(key).open("rb") as fh:
                data = fh.read(limit + 1)
            if len(data) > limit:
                raise ValueError(f"object larger than {limit} bytes")
            return data

        return await asyncio.to_thread(read)

    async def read_head(self, key: str, length: int) -> bytes:
        def read() -> bytes:
            with self.path(key).open("rb") as fh:
                return fh.read(length)

        return await asyncio.to_thread(read)

    def temporary_file(self) -> tempfile._TemporaryFileWrapper[bytes]:
        """A temporary file on the media volume, so finishing an upload is a rename."""
        self.root.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=self.root, prefix=".upload-", delete=False)

    def _write(self, key: str, data: bytes, *, overwrite: bool) -> None:
        with self.temporary_file() as fh:
            fh.write(data)
            temp = Path(fh.name)
        try:
            if overwrite:
                final = self.path(key)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)
            else:
                self._link(key, temp)
        finally:
            temp.unlink(missing_ok=True)

    def _link(self, key: str, temp: Path) -> None:
        """Publish `temp` under `key` atomically; a hard link fails if the key exists, so two
        uploads racing for one key cannot both win."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(temp, final)
        except FileExistsError:
            raise KeyTaken(key) from None
        finally:
            temp.unlink(missing_ok=True)
