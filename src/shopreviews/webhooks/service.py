"""Webhook subscriptions: rules, ownership and the owner-only delivery tools."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.events import service as events
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import sha256_hex
from shopreviews.kit.envelope import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Rejected,
)
from shopreviews.kit.netguard import UrlRejected, check_url
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.kit.webhook_signatures import new_secret
from shopreviews.webhooks import repository
from shopreviews.webhooks.fan_out import fan_out as fan_out
from shopreviews.webhooks.models import (
    SHOP_OWNER,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from shopreviews.webhooks.repository import DeliveryRepository, SubscriptionRepository
from shopreviews.webhooks.repository import delivery_backlog as delivery_backlog
from shopreviews.webhooks.schemas import TOPIC_SCOPES, AttemptOut, SecretRotated
from shopreviews.webhooks.schemas import TOPICS as TOPICS
from shopreviews.webhooks.schemas import DeliveryOut as DeliveryOut
from shopreviews.webhooks.schemas import WebhookCreated as WebhookCreated
from shopreviews.webhooks.schemas import WebhookIn as WebhookIn
from shopreviews.webhooks.schemas import WebhookOut as WebhookOut
from shopreviews.webhooks.schemas import WebhookUpdate as WebhookUpdate
from shopreviews.webhooks.system_webhooks import on_grant_approved as on_grant_approved
from shopreviews.webhooks.system_webhooks import on_grant_ended as on_grant_ended
from shopreviews.webhooks.system_webhooks import on_tokens_revoked as on_tokens_revoked

ROTATION_OVERLAP = timedelta(hours=24)
RESPONSE_EXCERPT = 1000


def owner_of(caller: Caller) -> str:
    return caller.client_id if caller.kind == "bearer" and caller.client_id else SHOP_OWNER


def _subscriptions(session: AsyncSession, caller: Caller) -> SubscriptionRepository:
    # Every subscription tool passes here: a staff merchant user (the back office) gets code 7;
    # HMAC and bearer callers are owners.
    caller.require_owner()
    return SubscriptionRepository(session, caller.shop_id, owner_of(caller))


def to_out(sub: WebhookSubscription) -> WebhookOut:
    return WebhookOut(
        id=str(sub.id),
        topic=sub.topic,
        url=sub.url,
        created_at=rfc3339(sub.created_at),
        updated_at=rfc3339(sub.updated_at),
        status=sub.status,
        disabled_reason=sub.disabled_reason,
    )


def _check_scope(caller: Caller, topic: str) -> None:
    needed = TOPIC_SCOPES[topic]
    if not any(scope in caller.scopes for scope in needed):
        raise PermissionDenied(
            f"topic {topic} needs the {' or '.join(needed)} scope",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed[0]}"'},
        )


async def _check_url(ctx: AppContext, url: str) -> None:
    try:
        await check_url(url, allow_private=ctx.settings.webhook_allow_private_targets)
    except UrlRejected as exc:
        raise InvalidArgument(f"url: {exc}") from exc


async def create(
    ctx: AppContext, session: AsyncSession, caller: Caller, body: WebhookIn
) -> WebhookCreated:
    _check_scope(caller, body.topic)
    await _check_url(ctx, body.url)
    repo = _subscriptions(session, caller)
    url_hash = sha256_hex(body.url)
    if await repo.find(body.topic, url_hash) is not None:
        raise AlreadyExists(f"a subscription to {body.topic} at this url")
    limit = ctx.settings.webhook_subscriptions_per_owner
    if await repo.count() >= limit:
        raise Rejected(f"at most {limit} webhook subscriptions per owner")
    secret = new_secret()
    now = ctx.now_datetime()
    new = WebhookSubscription(
        shop_id=caller.shop_id,
        owner_client_id=owner_of(caller),
        topic=body.topic,
        url=body.url,
        url_sha256=url_hash,
        secret_encrypted=ctx.box.seal(secret),
        status="enabled",
        disabled_reason="",
        created_at=now,
        updated_at=now,
    )
    with _duplicate_as_code_6(body.topic):
        sub = await repo.add(new)
    return WebhookCreated(**to_out(sub).model_dump(), secret=secret)


@contextmanager
def _duplicate_as_code_6(topic: str) -> Iterator[None]:
    """The unique constraint catches what the find() check cannot: a concurrent request of the
    same owner with the same topic + url (PostgreSQL; SQLite serialises writers). Code 6, not 13.
    """
    try:
        yield
    except IntegrityError as exc:
        raise AlreadyExists(f"a subscription to {topic} at this url") from exc


async def _own(session: AsyncSession, caller: Caller, subscription_id: int) -> WebhookSubscription:
    sub = await _subscriptions(session, caller).get(subscription_id)
    if sub is None:
        raise NotFound(f"webhook {subscription_id}")
    return sub


async def update(
    ctx: AppContext, session: AsyncSession, caller: Caller, body: WebhookUpdate
) -> WebhookOut:
    """Replace topic and url and re-enable; pending deliveries of a replaced topic are cancelled."""
    sub = await _own(session, caller, body.id)
    _check_scope(caller, body.topic)
    await _check_url(ctx, body.url)
    url_hash = sha256_hex(body.url)
    duplicate = await _subscriptions(session, caller).find(body.topic, url_hash)
    if duplicate is not None and duplicate.id != sub.id:
        raise AlreadyExists(f"a subscription to {body.topic} at this url")
    if body.topic != sub.topic:
        await DeliveryRepository(session, caller.shop_id).cancel_pending(
            sub.id, reason="subscription topic changed", topic=sub.topic
        )
    sub.topic, sub.url, sub.url_sha256 = body.topic, body.url, url_hash
    sub.status, sub.disabled_reason, sub.failing_since = "enabled", "", None
    sub.updated_at = ctx.now_datetime()
    with _duplicate_as_code_6(body.topic):
        await session.flush()
    return to_out(sub)


async def delete(session: AsyncSession, caller: Caller, subscription_id: int) -> None:
    sub = await _own(session, caller, subscription_id)
    # Deleting the row removes its deliveries with it (pending ones are never attempted).
    await _subscriptions(session, caller).delete(sub)


async def list_subscriptions(
    session: AsyncSession, caller: Caller, topic: str | None
) -> list[WebhookOut]:
    return [to_out(s) for s in await _subscriptions(session, caller).list(topic)]


@dataclass(frozen=True)
class PlatformSubscription:
    """A subscription a platform made for the shop, as the shop's owner may see it (never its
    secret): the platform's app manages it, and it ends with the platform's grant."""

    client_id: str
    webhook: WebhookOut


async def platform_subscriptions(
    session: AsyncSession, caller: Caller
) -> list[PlatformSubscription]:
    """The subscriptions the shop's platforms made; the shop owner's to read (code 7 for a
    staff user or a platform)."""
    caller.require_owner()
    if owner_of(caller) != SHOP_OWNER:
        raise PermissionDenied("only the shop itself sees every platform's subscriptions")
    return [
        PlatformSubscription(sub.owner_client_id, to_out(sub))
        for sub in await repository.platform_owned(session, caller.shop_id)
    ]


def _delivery_out(
    delivery: WebhookDelivery, event_id: str, topic: str, attempts: list[WebhookAttempt]
) -> DeliveryOut:
    return DeliveryOut(
        id=str(delivery.id),
        webhook_id=str(delivery.subscription_id),
        event_id=event_id,
        topic=topic,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=rfc3339(delivery.run_at) if delivery.status == "pending" else "",
        created_at=rfc3339(delivery.created_at),
        attempt_log=[
            AttemptOut(
                attempt=a.attempt,
                started_at=rfc3339(a.started_at),
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                succeeded=int(a.succeeded),
                response=a.response_excerpt[:RESPONSE_EXCERPT],
                error=a.error,
            )
            for a in attempts
        ],
    )


async def deliveries(
    session: AsyncSession,
    caller: Caller,
    *,
    webhook_id: int | None,
    event_id: str | None,
    page: PageRequest,
) -> tuple[Pagination, list[DeliveryOut]]:
    subs = _subscriptions(session, caller)
    if webhook_id is not None:
        ids = [(await _own(session, caller, webhook_id)).id]
    else:
        ids = [s.id for s in await subs.list()]
    repo = DeliveryRepository(session, caller.shop_id)
    total, rows = await repo.listing(
        subscription_ids=ids, event_id=event_id, offset=page.offset, limit=page.page_size
    )
    attempts = await repo.attempts([d.id for d, _ in rows])
    return Pagination.of(page, total), [
        _delivery_out(d, e.event_id, e.topic, attempts.get(d.id, [])) for d, e in rows
    ]


async def redeliver(
    ctx: AppContext, session: AsyncSession, caller: Caller, *, event_id: str, webhook_id: int | None
) -> list[DeliveryOut]:
    """Queue the event again (same body and event_id) for the caller's matching subscriptions."""
    repo = DeliveryRepository(session, caller.shop_id)
    event = await repo.event(event_id)
    if event is None:
        raise NotFound(f"event {event_id}")
    if webhook_id is not None:
        targets = [await _own(session, caller, webhook_id)]
        if targets[0].topic != event.topic:
            raise InvalidArgument(f"webhook {webhook_id} is not subscribed to {event.topic}")
    else:
        targets = [s for s in await _subscriptions(session, caller).list(event.topic)]
    targets = [s for s in targets if s.status == "enabled"]
    if not targets:
        raise NotFound(f"no enabled subscription of yours for {event.topic}")
    now = ctx.now_datetime()
    queued = [await repo.add(event.id, s.id, now) for s in targets]
    jobs_queued(session)
    return [_delivery_out(d, event.event_id, event.topic, []) for d in queued]


async def send_test(
    ctx: AppContext, session: AsyncSession, caller: Caller, webhook_id: int
) -> DeliveryOut:
    """Deliver a sample event of the subscription's topic to that subscription only."""
    sub = await _own(session, caller, webhook_id)
    if sub.status != "enabled":
        raise InvalidArgument(f"webhook {webhook_id} is disabled; update it to re-enable it")
    event = await events.record_test(session, caller.shop_id, sub.topic, now=ctx.now_datetime())
    delivery = await DeliveryRepository(session, caller.shop_id).add(
        event.id, sub.id, ctx.now_datetime()
    )
    jobs_queued(session)
    return _delivery_out(delivery, event.event_id, event.topic, [])


async def rotate_secret(
    ctx: AppContext, session: AsyncSession, caller: Caller, webhook_id: int
) -> SecretRotated:
    """A new secret; for 24 hours deliveries carry signatures with the new and the old one."""
    sub = await _own(session, caller, webhook_id)
    now = ctx.now_datetime()
    secret = new_secret()
    sub.previous_secret_encrypted = sub.secret_encrypted
    sub.previous_secret_until = now + ROTATION_OVERLAP
    sub.secret_encrypted = ctx.box.seal(secret)
    sub.updated_at = now
    await session.flush()
    return SecretRotated(
        **to_out(sub).model_dump(),
        secret=secret,
        previous_secret_expires_at=rfc3339(sub.previous_secret_until),
    )


@dataclass(frozen=True)
class Requeued:
    """What `requeue_dead` did: the deliveries made due again, and those named that were not
    dead (left alone), with their status."""

    requeued: list[int]
    not_dead: dict[int, str]


async def requeue_dead(
    session: AsyncSession, delivery_ids: Sequence[int] | None, now: datetime
) -> Requeued:
    """The operator's requeue: dead deliveries due again with a fresh retry horizon, the ones
    named or (None) every one. An unknown id is code 5 naming it, and nothing is requeued."""
    not_dead: dict[int, str] = {}
    if delivery_ids is not None:
        statuses = await repository.delivery_statuses(session, delivery_ids)
        unknown = sorted(set(delivery_ids) - set(statuses))
        if unknown:
            listed = ", ".join(str(delivery_id) for delivery_id in unknown)
            raise NotFound(f"no delivery {listed}: nothing was requeued", prefixed=False)
        not_dead = {i: status for i, status in sorted(statuses.items()) if status != "dead"}
    requeued = await repository.requeue_dead(session, delivery_ids, now)
    if requeued:
        jobs_queued(session)
    return Requeued(requeued, not_dead)
