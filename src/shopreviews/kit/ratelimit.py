"""Request counting per credential: in memory when embedded, Redis when scaled out.

Redis only holds counters, so losing it must cost the limits' precision, never the service:
while Redis is unreachable every process counts in its own memory (a limit then holds per
process), and requests never wait on Redis. The first failure switches to memory and logs one
warning; a background task pings Redis with a short timeout every few seconds, and the first
answer switches back to the shared counts and logs once more. Counts made in memory during the
outage are not carried over to Redis: for the length of one window after it returns, a client
may get up to one allowance more.
"""

from __future__ import annotations

import asyncio
import logging
import time

from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from shopreviews.kit.envelope import RateLimited
from shopreviews.kit.observability import metrics
from shopreviews.settings import Settings

log = logging.getLogger("shopreviews.ratelimit")

# How long one Redis command or connection attempt may take before Redis counts as unreachable.
REDIS_TIMEOUT_SECONDS = 0.5
# How often an unreachable Redis is tried again, in the background.
REDIS_RETRY_SECONDS = 2.0


class CounterStore:
    """Where the counts go: Redis when configured and reachable, else this process's memory."""

    def __init__(self, redis_url: str | None) -> None:
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self._redis: Storage | None = None
        self.shared: MovingWindowRateLimiter | None = None
        if redis_url:
            redis = storage_from_string(
                "async+" + redis_url,
                wrap_exceptions=True,  # every Redis failure is a StorageError
                connect_timeout=REDIS_TIMEOUT_SECONDS,
                stream_timeout=REDIS_TIMEOUT_SECONDS,
            )
            assert isinstance(redis, Storage)  # "async+" gives the asyncio storage
            self._redis = redis
            self.shared = MovingWindowRateLimiter(redis)
        self.redis_reachable = self._redis is not None
        # Decisions taken in memory because Redis was unreachable (for /metrics).
        self.fallback_decisions = 0
        self._retrying: asyncio.Task[None] | None = None

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    def current(self) -> MovingWindowRateLimiter:
        if self.shared is not None and self.redis_reachable:
            return self.shared
        if self.shared is not None:
            self._fell_back()
        return self.local

    async def probe(self) -> bool:
        """Whether Redis answers a ping now (for GET /readyz); a silence counts as a loss."""
        if self._redis is None or not self.redis_reachable:
            return self.redis_reachable
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                answered = await self._redis.check()
        except TimeoutError:
            answered = False
        if not answered:
            self.lost(ConnectionError("no answer to PING"))
        return answered

    def _fell_back(self) -> None:
        self.fallback_decisions += 1
        metrics.ratelimit_fallbacks.inc()

    def lost(self, error: Exception) -> None:
        """A Redis command failed: count in memory until a ping answers again."""
        if not self.redis_reachable:
            return
        self.redis_reachable = False
        self._fell_back()
        log.warning(
            "Redis is unreachable (%s): rate limits count in this process's memory until it "
            "answers again",
            error,
        )
        self._retrying = asyncio.get_running_loop().create_task(self._retry())

    async def _retry(self) -> None:
        assert self._redis is not None
        while True:
            await asyncio.sleep(REDIS_RETRY_SECONDS)
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                    answered = await self._redis.check()
            except TimeoutError:
                answered = False
            if answered:
                self.redis_reachable = True
                log.warning("Redis answers again: rate limits are shared by every process again")
                return


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        self.counters = CounterStore(settings.redis_url)
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
        if self.enabled and not await self._run("hit", item, key):
            await self._refuse(item, key)

    async def check(self, item: RateLimitItem, key: str) -> None:
        """Refuse when `key` is already over the limit, without counting this request."""
        if self.enabled and not await self._run("test", item, key):
            await self._refuse(item, key)

    async def clear(self, item: RateLimitItem, key: str) -> None:
        """Forget what was counted for `key`."""
        if self.enabled:
            await self._run("clear", item, key)

    async def _run(self, operation: str, item: RateLimitItem, key: str) -> bool | None:
        limiter = self.counters.current()
        try:
            return await getattr(limiter, operation)(item, key)  # type: ignore[no-any-return]
        except StorageError as exc:
            self.counters.lost(exc.storage_error)
            return await getattr(self.counters.local, operation)(item, key)  # type: ignore[no-any-return]

    async def _refuse(self, item: RateLimitItem, key: str) -> None:
        try:
            stats = await self.counters.current().get_window_stats(item, key)
        except StorageError as exc:
            self.counters.lost(exc.storage_error)
            stats = await self.counters.local.get_window_stats(item, key)
        raise RateLimited(retry_after=max(1, int(stats.reset_time - time.time()) + 1))


def _per_15min(amount: int) -> RateLimitItem:
    return parse(f"{amount}/15 minutes")
