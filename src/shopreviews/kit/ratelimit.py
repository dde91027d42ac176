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
        # OAuth client endpoints: authenticated calls per client_id; failed authentications
        # per client_id and address, and per address, so wrong secrets sent by someone else
        # never use up the real client's allowance.
        self.per_client: RateLimitItem = RateLimitItemPerMinute(
            settings.client_rate_limit_per_minute
        )
        self.client_failures: RateLimitItem = RateLimitItemPerMinute(
            settings.client_auth_failures_per_minute
        )
        self.client_failures_per_address: RateLimitItem = RateLimitItemPerMinute(
            settings.client_auth_failures_per_address_per_minute
        )
        # Merchant sign-in attempts: per account and address, per address, per account.
        self.signin_failures: RateLimitItem = _per_15min(settings.signin_failures_per_15min)
        self.signin_per_address: RateLimitItem = _per_15min(
            settings.signin_attempts_per_address_per_15min
        )
        self.signin_per_account: RateLimitItem = _per_15min(
            settings.signin_attempts_per_account_per_15min
        )
        # The public storefront endpoint, counted per shop and client IP (docs/intake.md §4).
        self.storefront_events: RateLimitItem = RateLimitItemPerMinute(
            settings.storefront_events_per_minute
        )
        # Web reviews and their photo upload policies, together, per shop and client IP.
        self.storefront_reviews: RateLimitItem = parse(
            f"{settings.storefront_reviews_per_hour}/hour"
        )
        # The storefront's public reads, per shop and client IP (docs/storefront.md).
        self.storefront_reads: RateLimitItem = RateLimitItemPerMinute(
            settings.storefront_reads_per_minute
        )

    async def hit(self, item: RateLimitItem, key: str) -> None:
        """Count one request for `key`; code 8 / HTTP 429 with Retry-After when over.

        Counting and testing are one step (atomic in memory and in Redis), so concurrent
        requests can never get past the limit together; a refused request is not counted."""
        if self.enabled and not await self._limiter.hit(item, key):
            await self._refuse(item, key)

    async def check(self, item: RateLimitItem, key: str) -> None:
        """Refuse when `key` is already over the limit, without counting this request."""
        if self.enabled and not await self._limiter.test(item, key):
            await self._refuse(item, key)

    async def clear(self, item: RateLimitItem, key: str) -> None:
        """Forget what was counted for `key`."""
        if self.enabled:
            await self._limiter.clear(item, key)

    async def _refuse(self, item: RateLimitItem, key: str) -> None:
        stats = await self._limiter.get_window_stats(item, key)
        raise RateLimited(retry_after=max(1, int(stats.reset_time - time.time()) + 1))


def _per_15min(amount: int) -> RateLimitItem:
    return parse(f"{amount}/15 minutes")
