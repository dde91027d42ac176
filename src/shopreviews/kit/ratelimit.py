"""Request counting per credential: in memory when embedded, Redis when scaled out."""

from __future__ import annotations

import time

from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from shopreviews.kit.envelope import RateLimited
from shopreviews.settings import Settings


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        uri = "async+memory://"
        if settings.redis_url:
            uri = "async+" + settings.redis_url
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        self.per_shop: RateLimitItem = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.per_client: RateLimitItem = RateLimitItemPerMinute(
            settings.client_rate_limit_per_minute
        )
        self.signin_failures: RateLimitItem = parse(
            f"{settings.signin_failures_per_15min}/15 minutes"
        )
        # The public storefront endpoint, counted per shop and client IP (docs/intake.md §4).
        self.storefront_events: RateLimitItem = RateLimitItemPerMinute(
            settings.storefront_events_per_minute
        )

    async def hit(self, item: RateLimitItem, key: str) -> None:
        """Count one request for `key`; code 8 / HTTP 429 with Retry-After when over."""
        if self.enabled and not await self._limiter.hit(item, key):
            await self._refuse(item, key)

    async def check(self, item: RateLimitItem, key: str) -> None:
        """Refuse when `key` is already over the limit, without counting this request."""
        if self.enabled and not await self._limiter.test(item, key):
            await self._refuse(item, key)

    async def _refuse(self, item: RateLimitItem, key: str) -> None:
        stats = await self._limiter.get_window_stats(item, key)
        raise RateLimited(retry_after=max(1, int(stats.reset_time - time.time()) + 1))
