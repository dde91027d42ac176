"""Attempting one webhook delivery: check the target, sign, POST, record, schedule.

Each attempt reads everything fresh (subscription URL, current private token, secrets), so a
reset token or an updated URL applies from the next attempt on. The HTTP call happens outside
any database transaction; its outcome is written in a short one afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit import outbox
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import Cancelled, Dead, JobQueue, JobStatus, RetryAt, Succeeded
from shopreviews.kit.jobs import Outcome as JobOutcome
from shopreviews.kit.jobs.queue import Destination
from shopreviews.kit.netguard import Target as CheckedUrl
from shopreviews.kit.netguard import UrlRejected, check_url
from shopreviews.kit.observability.metrics import webhook_outcomes, webhook_subscriptions_disabled
from shopreviews.kit.outbox import DomainEvent
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.webhook_signatures import standard_signatures, trustoo_sign
from shopreviews.platforms import service as platforms
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop
from shopreviews.webhooks import system_webhooks
from shopreviews.webhooks.models import (
    SHOP_OWNER,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from shopreviews.webhooks.repository import (
    DeliveryRepository,
    delivery_by_id,
    delivery_targets,
    lock_for_attempt,
    subscription_by_id,
)
from shopreviews.webhooks.schedule import next_attempt_at, parse_retry_after

log = logging.getLogger("shopreviews.webhooks")

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
MAX_RESPONSE_BYTES = 64 * 1024
FAILING_LIMIT = timedelta(days=5)
LEASE = timedelta(seconds=60)  # comfortably above the 15 s total timeout


def new_http_client() -> httpx.AsyncClient:
    """The process-wide client for deliveries: fixed timeouts, never follows redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=False,
        # No proxy from the environment: deliveries connect to the address the SSRF guard checked.
        trust_env=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


@dataclass
class Outcome:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Target:
    url: str
    trustoo_key: str  # the Open-Trustoo-Webhook-Sign key
    secrets: list[str]  # Standard Webhooks secrets, newest first


@dataclass
class Prepared:
    delivery_id: int
    attempt: int
    url: str
    body: bytes
    headers: dict[str, str]
    # What the operator's log line names: the delivery's owner, shop and event.
    shop_id: str
    subscription_id: int | None
    platform: str | None  # a system webhook's platform (client_id)
    topic: str
    event_id: str


def destination_key(url: str) -> str:
    """The receiver a URL reaches, as scheme://host:port: many subscriptions pointing at one
    host share the worker slots that host may hold."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url  # refused at the attempt, at once
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port or (443 if scheme == 'https' else 80)}"


class DeliveryDestinations:
    """Where deliveries go (the URL read fresh, as each attempt does), grouped by subscription,
    or by platform for system webhooks: the worker leaves out the groups of a full host."""

    async def of(
        self, session: AsyncSession, jobs: Sequence[WebhookDelivery]
    ) -> dict[int, Destination]:
        targets = await delivery_targets(session, [job.id for job in jobs])
        platform_urls = await platforms.webhook_urls(
            session, {client_id for _, client_id in targets.values() if client_id}
        )
        # A subscription's URL, else the platform's webhook_url ("" when there is none).
        urls = {
            job_id: sub_url or (platform_urls.get(client_id) if client_id else None) or ""
            for job_id, (sub_url, client_id) in targets.items()
        }
        return {
            job.id: Destination(
                destination_key(urls.get(job.id, "")),
                ("subscription", job.subscription_id)
                if job.subscription_id is not None
                else ("platform", job.system_client_id),
            )
            for job in jobs
        }

    def excluding(self, groups: Collection[Hashable]) -> ColumnElement[bool]:
        subscriptions = [g[1] for g in groups if isinstance(g, tuple) and g[0] == "subscription"]
        platform_ids = [g[1] for g in groups if isinstance(g, tuple) and g[0] == "platform"]
        # NOT IN is unknown (so false) on NULL: a system webhook has no subscription id.
        return and_(
            or_(
                WebhookDelivery.subscription_id.is_(None),
                WebhookDelivery.subscription_id.not_in(subscriptions),
            )
            if subscriptions
            else true(),
            or_(
                WebhookDelivery.system_client_id.is_(None),
                WebhookDelivery.system_client_id.not_in(platform_ids),
            )
            if platform_ids
            else true(),
        )


class DeliveryHandler:
    name = "webhook"

    def __init__(self, ctx: AppContext, http: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.http = http
        self.queue: JobQueue[WebhookDelivery] = JobQueue(
            WebhookDelivery, lease=LEASE, destinations=DeliveryDestinations()
        )

    async def run(self, job_id: int, owner: str) -> None:
        prepared = await self._prepare(job_id, owner)
        if prepared is None:
            return
        started = self.ctx.now_datetime()
        clock = time.perf_counter()
        outcome = await self._send(prepared)
        duration_ms = int((time.perf_counter() - clock) * 1000)
        await self._record(prepared, owner, started, duration_ms, outcome)

    async def _prepare(self, job_id: int, owner: str) -> Prepared | None:
        async with self.ctx.db.session(write=False) as session:
            delivery = await delivery_by_id(session, job_id)
            if (
                delivery is None
                or delivery.lease_owner != owner
                or delivery.status != JobStatus.PENDING
            ):
                return None
            event = await outbox.by_pk(session, delivery.event_pk)
            shop = await shops.find(session, delivery.shop_id)
            target = await self._target(session, delivery)
            prepared = (
                self._sign(delivery, target, event, shop)
                if target is not None and event is not None and shop is not None
                else None
            )
        if prepared is None:
            async with self.ctx.db.session(write=True) as session:
                cancelled = await self.queue.finish(
                    session,
                    job_id,
                    owner=owner,
                    outcome=Cancelled("subscription disabled or removed, or platform disabled"),
                )
            if cancelled:
                webhook_outcomes.labels("cancelled").inc()
        return prepared

    async def _target(self, session: AsyncSession, delivery: WebhookDelivery) -> Target | None:
        """Where the delivery goes and what signs it, read fresh at every attempt; None when it
        must not go out (subscription disabled or removed, platform disabled)."""
        if delivery.subscription_id is None:
            assert delivery.system_client_id is not None  # a system webhook
            platform = await platforms.find(session, delivery.system_client_id)
            if platform is None or not platform.is_active or not platform.webhook_url:
                return None
            return Target(
                url=platform.webhook_url,
                trustoo_key=platforms.client_secret(self.ctx, platform),
                secrets=[platforms.system_webhook_secret(self.ctx, platform)],
            )
        sub = await subscription_by_id(session, delivery.subscription_id)
        if sub is None or sub.status != "enabled":
            return None
        secrets = [self.ctx.box.open(sub.secret_encrypted)]
        if (
            sub.previous_secret_encrypted
            and sub.previous_secret_until
            and sub.previous_secret_until > self.ctx.now_datetime()
        ):
            secrets.append(self.ctx.box.open(sub.previous_secret_encrypted))
        if sub.owner_client_id == SHOP_OWNER:
            # Shop-owned subscriptions sign with the shop's current private token.
            shop = await shops.find(session, sub.shop_id)
            assert shop is not None
            key = shops.private_token(self.ctx, shop)
        else:
            # Platform-owned ones with the platform's current client secret.
            platform = await platforms.find(session, sub.owner_client_id)
            if platform is None or not platform.is_active:
                return None
            key = platforms.client_secret(self.ctx, platform)
        return Target(url=sub.url, trustoo_key=key, secrets=secrets)

    def _sign(
        self, delivery: WebhookDelivery, target: Target, event: DomainEvent, shop: Shop
    ) -> Prepared:
        attempt = delivery.attempts + 1
        stamp = str(self.ctx.now())
        body = event.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.ctx.settings.webhook_user_agent,
            "Open-Trustoo-Webhook-Public-token": shop.public_token,
            "Open-Trustoo-Webhook-Timestamp": stamp,
            "Open-Trustoo-Webhook-Sign": trustoo_sign(target.trustoo_key, stamp, body),
            "Open-Trustoo-Webhook-RequestId": event.event_id,
            "Open-Trustoo-Webhook-Topic": event.topic,
            "webhook-id": event.event_id,
            "webhook-timestamp": stamp,
            "webhook-signature": standard_signatures(target.secrets, event.event_id, stamp, body),
        }
        return Prepared(
            delivery.id,
            attempt,
            target.url,
            body,
            headers,
            shop_id=delivery.shop_id,
            subscription_id=delivery.subscription_id,
            platform=delivery.system_client_id,
            topic=event.topic,
            event_id=event.event_id,
        )

    async def _send(self, prepared: Prepared) -> Outcome:
        try:
            target = await check_url(
                prepared.url, allow_private=self.ctx.settings.webhook_allow_private_targets
            )
        except UrlRejected as exc:
            return Outcome(error=f"url refused: {exc}")
        try:
            async with asyncio.timeout(TOTAL_TIMEOUT):
                return await self._post(target, prepared)
        except TimeoutError:
            return Outcome(error=f"timed out after {TOTAL_TIMEOUT:.0f} s")
        except httpx.HTTPError as exc:
            return Outcome(error=f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)

    async def _post(self, target: CheckedUrl, prepared: Prepared) -> Outcome:
        # Connect to the address that passed the check (no second DNS lookup), keeping the
        # original host name for Host and TLS SNI.
        url = httpx.URL(prepared.url).copy_with(host=target.addresses[0])
        default_port = 443 if target.scheme == "https" else 80
        # An IPv6 literal goes back into brackets (RFC 9110 Host = uri-host [":" port]).
        host = f"[{target.host}]" if ":" in target.host else target.host
        host_header = host if target.port == default_port else f"{host}:{target.port}"
        headers = {**prepared.headers, "Host": host_header}
        async with self.http.stream(
            "POST",
            url,
            content=prepared.body,
            headers=headers,
            extensions={"sni_hostname": target.host},
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
                size += len(chunk)
                if size >= MAX_RESPONSE_BYTES:
                    break
            excerpt = b"".join(chunks)[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")
            return Outcome(response.status_code, excerpt, "", response.headers.get("retry-after"))

    async def _record(
        self, prepared: Prepared, owner: str, started: datetime, duration_ms: int, outcome: Outcome
    ) -> None:
        recorded = await self._write_attempt(prepared, owner, started, duration_ms, outcome)
        if recorded is not None:  # committed: counted and, when it failed, logged
            result, disabled = recorded
            webhook_outcomes.labels(_OUTCOME_LABELS[type(result)]).inc()
            if disabled:
                webhook_subscriptions_disabled.labels(disabled).inc()
            if not outcome.succeeded:
                _log_failure(prepared, outcome, result, disabled)

    async def _write_attempt(
        self, prepared: Prepared, owner: str, started: datetime, duration_ms: int, outcome: Outcome
    ) -> tuple[JobOutcome, str] | None:
        """The attempt, and the delivery's outcome after it; the outcome and why the
        subscription was disabled ("" when it was not), or None when this worker no longer
        records the delivery's outcome."""
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            locked = await lock_for_attempt(session, prepared.delivery_id)
            if locked is None:
                return None  # removed with its subscription
            sub, delivery = locked
            # Cancelled while the request was in flight (subscription disabled, topic changed):
            # the request went out all the same, so it is logged; the delivery stays cancelled.
            cancelled_meanwhile = (
                delivery.status == JobStatus.CANCELLED and delivery.lease_owner is None
            )
            if delivery.lease_owner != owner and not cancelled_meanwhile:
                return None  # taken over after a lost lease
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    shop_id=delivery.shop_id,
                    attempt=prepared.attempt,
                    started_at=started,
                    duration_ms=duration_ms,
                    status_code=outcome.status_code,
                    succeeded=outcome.succeeded,
                    response_excerpt=outcome.excerpt[:4000],
                    error=outcome.error,
                )
            )
            first = delivery.first_attempt_at or started
            if cancelled_meanwhile:
                delivery.attempts, delivery.first_attempt_at = prepared.attempt, first
                delivery.last_status_code = outcome.status_code
                return None
            result, disable = _result(prepared.attempt, first, started, now, outcome, sub)
            await session.flush()
            finished = await self.queue.finish(
                session,
                delivery.id,
                owner=owner,
                outcome=result,
                also={
                    "attempts": prepared.attempt,
                    "first_attempt_at": first,
                    "last_status_code": outcome.status_code,
                    "updated_at": now,
                },
            )
            if not finished:
                return None
            if disable and sub is not None and sub.status == "enabled":
                # After finishing: disabling cancels the subscription's *other* pending deliveries.
                await self._disable(session, sub, disable)
            else:
                disable = ""
        return result, disable

    async def _disable(self, session: AsyncSession, sub: WebhookSubscription, reason: str) -> None:
        sub.status, sub.disabled_reason = "disabled", reason
        sub.updated_at = self.ctx.now_datetime()
        await DeliveryRepository(session, sub.shop_id).cancel_pending(
            sub.id, reason=f"subscription disabled ({reason})"
        )
        log.warning("webhook %s of shop %s disabled: %s", sub.id, sub.shop_id, reason)
        if sub.owner_client_id != SHOP_OWNER:
            await self._tell_platform(session, sub, reason)

    async def _tell_platform(
        self, session: AsyncSession, sub: WebhookSubscription, reason: str
    ) -> None:
        """The owner of a platform-owned subscription hears of it by a system webhook."""
        platform = await platforms.find(session, sub.owner_client_id)
        shop = await shops.find(session, sub.shop_id)
        if platform is None or shop is None:
            return
        await system_webhooks.record(
            session,
            platform=platform,
            shop=shop,
            topic="webhook/disabled",
            extra={
                "webhook": {"id": str(sub.id), "topic": sub.topic, "url": sub.url},
                "disabled_at": rfc3339(sub.updated_at),
                "reason": reason,
            },
            now=self.ctx.now_datetime(),
        )


_OUTCOME_LABELS: dict[type, str] = {
    Succeeded: "delivered",
    RetryAt: "retry",
    Dead: "dead",
    Cancelled: "cancelled",
}


def _log_failure(prepared: Prepared, outcome: Outcome, result: JobOutcome, disabled: str) -> None:
    """One warning per failed attempt: whose delivery, what happened, what comes next."""
    error = outcome.error or f"HTTP {outcome.status_code}"
    owner = (
        f"subscription {prepared.subscription_id}"
        if prepared.subscription_id is not None
        else f"system webhook to platform {prepared.platform}"
    )
    if isinstance(result, RetryAt):
        next_attempt: str | None = rfc3339(result.at)
        then = f"next attempt at {next_attempt}"
    else:
        next_attempt = None
        then = "it was the last attempt" + (
            f" (subscription disabled: {_DISABLED[disabled]})" if disabled else ""
        )
    log.warning(
        "webhook delivery %s (%s, shop %s, %s event %s) failed on attempt %d: %s; %s",
        prepared.delivery_id,
        owner,
        prepared.shop_id,
        prepared.topic,
        prepared.event_id,
        prepared.attempt,
        error,
        then,
        extra=_present(
            delivery_id=prepared.delivery_id,
            subscription_id=prepared.subscription_id,
            platform=prepared.platform,
            shop_id=prepared.shop_id,
            topic=prepared.topic,
            event_id=prepared.event_id,
            attempt=prepared.attempt,
            status_code=outcome.status_code,
            error=error,
            next_attempt_at=next_attempt,
            last_attempt=next_attempt is None,
        ),
    )


def _present(**fields: object) -> dict[str, object]:
    """The fields that have a value (a system webhook has no subscription, and so on)."""
    return {name: value for name, value in fields.items() if value is not None}


_DISABLED = {
    "gone": "the receiver answered 410 Gone",
    "failing": f"every attempt failed for {FAILING_LIMIT.days} days",
}


def _result(
    attempt: int,
    first: datetime,
    started: datetime,
    now: datetime,
    outcome: Outcome,
    sub: WebhookSubscription | None,
) -> tuple[JobOutcome, str]:
    """The delivery's outcome after this attempt, and why to disable its subscription ("" to
    keep it): the retry schedule decides when to try again."""
    error = outcome.error or (f"HTTP {outcome.status_code}" if not outcome.succeeded else "")
    if outcome.succeeded:
        if sub is not None:
            sub.failing_since = None
        return Succeeded(error), ""
    if outcome.status_code == 410 and sub is not None:
        return Dead(error), "gone"
    retry_at = next_attempt_at(
        failed_attempt=attempt,
        first_attempt_at=first,
        finished_at=now,
        retry_after=parse_retry_after(outcome.retry_after, now),
    )
    if sub is not None and _failing_too_long(sub, started, now):
        return Dead(error), "failing"
    return (Dead(error) if retry_at is None else RetryAt(retry_at, error)), ""


def _failing_too_long(sub: WebhookSubscription, started: datetime, now: datetime) -> bool:
    """Whether the subscription has failed for FAILING_LIMIT; a first failure starts the count."""
    if sub.failing_since is None:
        sub.failing_since = started
        return False
    return now - sub.failing_since >= FAILING_LIMIT
