"""The retry schedule of webhook deliveries (docs/api.md, "Retries and disabling")."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

HORIZON = timedelta(hours=72)
MAX_RETRY_AFTER = timedelta(hours=24)
LAST_ATTEMPT = 18
# Delays before attempts 11-17; attempts 2-10 wait 3 min more each time.
_LONG_DELAYS = {11: 1, 12: 2, 13: 4, 14: 8, 15: 16, 16: 16, 17: 16}


def delay_before(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Nominal delay before `attempt` (2..17), with ±10 % jitter from attempt 11 on."""
    if 2 <= attempt <= 10:
        return timedelta(minutes=3 * (attempt - 1))
    hours = _LONG_DELAYS[attempt]
    jitter = (rng or random).uniform(-0.1, 0.1)  # spreads retries; not a secret
    return timedelta(hours=hours * (1 + jitter))


def next_attempt_at(
    *,
    failed_attempt: int,
    first_attempt_at: datetime,
    finished_at: datetime,
    retry_after: datetime | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after attempt `failed_attempt` failed; None when it was the last."""
    horizon = first_attempt_at + HORIZON
    if failed_attempt >= LAST_ATTEMPT or finished_at >= horizon:
        return None
    following = failed_attempt + 1
    at = horizon if following == LAST_ATTEMPT else finished_at + delay_before(following, rng)
    if retry_after is not None:
        at = max(at, min(retry_after, finished_at + MAX_RETRY_AFTER))
    return min(at, horizon)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # delay-seconds is ASCII digits only (RFC 9110)
        return now + timedelta(seconds=min(int(text), int(MAX_RETRY_AFTER.total_seconds())))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return when
