"""Per-process resources, built once by create_app (or a command, or a worker) and reached
through request.app.state.

Every piece is infrastructure of this package (database, secret box, keys, rate limiter, read
cache, storage, decode budget): the context holds no business rule, so the worker loop, the
command-line helpers and the request dependencies here can take it without importing a domain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shopreviews import server_key
from shopreviews.kit.crypto import SecretBox, derive_key
from shopreviews.kit.db import Database
from shopreviews.kit.decode_budget import DecodeBudget
from shopreviews.kit.ratelimit import RateLimiter
from shopreviews.kit.read_cache import ReadCache
from shopreviews.kit.storage import Storage, build_storage
from shopreviews.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    db: Database
    box: SecretBox
    session_key: bytes
    limiter: RateLimiter
    public_url: str
    # Unix seconds; replaceable so tests can pin time (signature vectors, expiry).
    clock: Callable[[], float] = field(default=time.time)
    # Signs the links of review-request emails (emails/links.py).
    link_key: bytes = b""
    # Signs local upload policies and video upload tokens (media/policy.py).
    upload_key: bytes = b""
    storage: Storage | None = None
    # Base URL of media files: SHOPREVIEWS_MEDIA_PUBLIC_URL, else <public URL>/media.
    media_url: str = ""
    read_cache: ReadCache = field(default_factory=lambda: ReadCache(0))
    # Memory for decoding uploaded images, shared by the process's uploads.
    image_budget: DecodeBudget = field(default_factory=lambda: DecodeBudget(384 * 1024 * 1024))

    def media_storage(self) -> Storage:
        if self.storage is None:
            self.storage = build_storage(self.settings)
        return self.storage

    def now(self) -> int:
        return int(self.clock())

    def now_datetime(self) -> datetime:
        """The application clock as an aware UTC datetime, in whole seconds."""
        return datetime.fromtimestamp(self.now(), UTC)

    @classmethod
    def build(cls, settings: Settings, *, public_url: str | None = None) -> AppContext:
        secret_key = server_key.load_or_create(settings)
        public_url = public_url or settings.base_url()
        upload_key = (
            settings.upload_signing_key.get_secret_value().encode()
            if settings.upload_signing_key
            else derive_key(secret_key, "upload-policy")
        )
        return cls(
            settings=settings,
            db=Database(settings),
            box=SecretBox(secret_key),
            session_key=derive_key(secret_key, "merchant-session"),
            link_key=derive_key(secret_key, "email-links"),
            upload_key=upload_key,
            limiter=RateLimiter(settings),
            read_cache=ReadCache(settings.read_cache_mb * 1024 * 1024),
            image_budget=DecodeBudget(settings.image_decode_memory_mb * 1024 * 1024),
            public_url=public_url,
            media_url=(settings.media_public_url or f"{public_url}/media").rstrip("/"),
        )
