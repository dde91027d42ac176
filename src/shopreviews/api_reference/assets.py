"""The files the reference page loads: Swagger UI's, from the installed fastapi-offline package
(which ships them for offline use), and ours from static/.

All of them are served under one version segment, a digest of every name and byte, so each URL
names fixed content and can be cached as immutable; our page script imports signing.js by a
relative URL, which works because the two share that segment.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath

from shopreviews.kit.envelope import NotFound

PATH_PREFIX = "/docs/assets/"
SWAGGER_UI_PACKAGE = "fastapi_offline"
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")
OWN_FILES = ("api-reference.js", "signing.js", "api-reference.css")
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes  # compressed once: Swagger UI's script is 1.5 MB, about a third in gzip
    media_type: str


@dataclass(frozen=True)
class AssetSet:
    version: str  # the first 16 hex digits of SHA-256 over every file's name and bytes
    files: Mapping[str, Asset]

    def url(self, name: str) -> str:
        return f"{PATH_PREFIX}{self.version}/{name}"


def _read(package: str, folder: str, name: str) -> bytes:
    return resources.files(package).joinpath(folder, name).read_bytes()


@functools.cache
def assets() -> AssetSet:
    sources = [(SWAGGER_UI_PACKAGE, "static", name) for name in SWAGGER_UI_FILES]
    sources += [("shopreviews.api_reference", "static", name) for name in OWN_FILES]
    digest = hashlib.sha256()
    files: dict[str, Asset] = {}
    for package, folder, name in sources:
        body = _read(package, folder, name)
        digest.update(f"{name}\0{len(body)}\0".encode())
        digest.update(body)
        files[name] = Asset(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            media_type=MEDIA_TYPES[PurePath(name).suffix],
        )
    return AssetSet(version=digest.hexdigest()[:16], files=files)


def asset(version: str, name: str) -> Asset:
    """The file `name` of the current version; another version (a page of an earlier release)
    or an unknown name is code 5."""
    current = assets()
    found = current.files.get(name)
    if found is None:
        raise NotFound(f"the API reference has no file {name}")
    if version != current.version:
        raise NotFound(f"no API reference files of version {version}; reload /docs")
    return found


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header admits gzip: by name, else by `*`, at a weight above 0
    (RFC 9110 §12.5.3)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        weights[coding.strip().lower()] = _weight(params)
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def _weight(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
