"""Per-process resources, built once by create_app and reached through request.app.state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shopreviews.kit.crypto import SecretBox, derive_key
from shopreviews.kit.db import Database
from shopreviews.kit.ratelimit import RateLimiter
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

    def now(self) -> int:
        return int(self.clock())

    def now_datetime(self) -> datetime:
        """The application clock as an aware UTC datetime, in whole seconds."""
        return datetime.fromtimestamp(self.now(), UTC)

    @classmethod
    def build(cls, settings: Settings, *, public_url: str | None = None) -> AppContext:
        secret_key = settings.resolved_secret_key()
        return cls(
            settings=settings,
            db=Database(settings),
            box=SecretBox(secret_key),
            session_key=derive_key(secret_key, "merchant-session"),
            link_key=derive_key(secret_key, "email-links"),
            limiter=RateLimiter(settings),
            public_url=public_url or settings.base_url(),
        )
