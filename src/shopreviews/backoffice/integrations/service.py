"""The integrations pages' questions to the webhooks and oauth domains: the shop's own webhook
subscriptions (those its HMAC integration manages), their delivery log and tools, the platforms'
subscriptions (read-only) and the connected platforms. Refusals come back as words for a page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.scopes import SCOPE_DESCRIPTIONS, split_scopes
from shopreviews.backoffice.access import Visitor
from shopreviews.backoffice.web import PageRefused
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import AlreadyExists, ApiError, InvalidArgument, NotFound
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.oauth import service as oauth_service
from shopreviews.oauth.service import AuthorizedPlatform
from shopreviews.webhooks import service as webhook_service
from shopreviews.webhooks.service import (
    TOPICS,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookUpdate,
)

DELIVERIES_PER_PAGE = 20
NO_WEBHOOK = "There is no such webhook in this shop."
NO_PLATFORM = "This platform is not connected to this shop."


class FormProblem(Exception):
    """What was wrong with a posted form, in words for the page that shows it again (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextmanager
def _unknown_as(message: str) -> Iterator[None]:
    """Another shop's id, a platform's subscription or one that is gone: all the same 404 page."""
    try:
        yield
    except NotFound:
        raise PageRefused(message, 404) from None


def _refused_url(exc: ApiError) -> str:
    return f"The URL was refused: {exc.description.removeprefix('url: ')}."


@dataclass(frozen=True)
class PlatformWebhook:
    platform: str  # the platform's name, or its client id once it is no longer connected
    webhook: WebhookOut


@dataclass(frozen=True)
class WebhooksOverview:
    own: list[WebhookOut]
    platforms: list[PlatformWebhook]


async def overview(session: AsyncSession, visitor: Visitor) -> WebhooksOverview:
    caller = visitor.caller
    own = await webhook_service.list_subscriptions(session, caller, None)
    names = {p.client_id: p.name for p in await oauth_service.authorized_platforms(session, caller)}
    platforms = [
        PlatformWebhook(names.get(sub.client_id, sub.client_id), sub.webhook)
        for sub in await webhook_service.platform_subscriptions(session, caller)
    ]
    return WebhooksOverview(own, platforms)


def topics() -> tuple[str, ...]:
    return TOPICS


async def create(
    ctx: AppContext, session: AsyncSession, visitor: Visitor, *, topic: str, url: str
) -> WebhookCreated:
    """A new subscription of the shop; FormProblem says what to correct."""
    if topic not in TOPICS:
        raise FormProblem("Choose a topic from the list.")
    if not url.strip():
        raise FormProblem("Enter the URL that should receive the events.")
    try:
        body = WebhookIn(topic=topic, url=url)
    except ValidationError:
        raise FormProblem("Enter a URL such as https://hooks.example.com/reviews.") from None
    try:
        return await webhook_service.create(ctx, session, visitor.caller, body)
    except InvalidArgument as exc:
        # The SSRF guard's words (kit/netguard.py): which rule the address broke, and how an
        # operator allows private targets when that is what is wanted.
        raise FormProblem(_refused_url(exc)) from None
    except AlreadyExists:
        raise FormProblem(f"This shop already has a webhook for {topic} at this URL.") from None
    except ApiError as exc:  # the limit of subscriptions per owner
        raise FormProblem(f"{exc.description[:1].upper()}{exc.description[1:]}.") from None


async def webhook(session: AsyncSession, visitor: Visitor, webhook_id: int) -> WebhookOut:
    """One of the shop's own subscriptions (a 404 page for any other id)."""
    for sub in await webhook_service.list_subscriptions(session, visitor.caller, None):
        if sub.id == str(webhook_id):
            return sub
    raise PageRefused(NO_WEBHOOK, 404)


async def deliveries(
    session: AsyncSession, visitor: Visitor, webhook_id: int, page: int
) -> tuple[Pagination, list[DeliveryOut]]:
    """The subscription's delivery log, newest first."""
    with _unknown_as(NO_WEBHOOK):
        return await webhook_service.deliveries(
            session,
            visitor.caller,
            webhook_id=webhook_id,
            event_id=None,
            page=PageRequest(page=page, page_size=DELIVERIES_PER_PAGE),
        )


async def send_test(
    ctx: AppContext, session: AsyncSession, visitor: Visitor, webhook_id: int
) -> DeliveryOut:
    with _unknown_as(NO_WEBHOOK):
        try:
            return await webhook_service.send_test(ctx, session, visitor.caller, webhook_id)
        except InvalidArgument:
            raise FormProblem("This webhook is disabled: enable it to send a test event.") from None


async def redeliver(
    ctx: AppContext, session: AsyncSession, visitor: Visitor, webhook_id: int, event_id: str
) -> None:
    """The event again to this subscription alone (same body and event id)."""
    await webhook(session, visitor, webhook_id)  # 404 page first: the id names the page
    if len(event_id) != 32 or not event_id.isalnum():
        raise FormProblem("That delivery's event is not known to this shop.")
    try:
        await webhook_service.redeliver(
            ctx, session, visitor.caller, event_id=event_id, webhook_id=webhook_id
        )
    except NotFound:
        raise FormProblem(
            "That event is not known to this shop, or this webhook is disabled."
        ) from None
    except InvalidArgument:
        raise FormProblem("That event is not of this webhook's topic.") from None


async def enable(ctx: AppContext, session: AsyncSession, visitor: Visitor, webhook_id: int) -> None:
    """Enable a disabled subscription again with its topic and URL (the service's update, which
    re-enables; the URL is checked again, as the rules may have changed since)."""
    sub = await webhook(session, visitor, webhook_id)
    change = WebhookUpdate(id=webhook_id, topic=sub.topic, url=sub.url)
    try:
        await webhook_service.update(ctx, session, visitor.caller, change)
    except InvalidArgument as exc:
        raise FormProblem(_refused_url(exc)) from None


async def delete(session: AsyncSession, visitor: Visitor, webhook_id: int) -> None:
    with _unknown_as(NO_WEBHOOK):
        await webhook_service.delete(session, visitor.caller, webhook_id)


# --- connected platforms -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    name: str
    description: str


@dataclass(frozen=True)
class ConnectedPlatform:
    client_id: str
    name: str
    scopes: list[Scope]
    installed_at: str
    authorized_at: str


def _connected(platform: AuthorizedPlatform) -> ConnectedPlatform:
    granted = split_scopes(platform.granted_scopes)
    return ConnectedPlatform(
        client_id=platform.client_id,
        name=platform.name,
        scopes=[Scope(s, d) for s, d in SCOPE_DESCRIPTIONS.items() if s in granted],
        installed_at=platform.installed_at,
        authorized_at=platform.authorized_at,
    )


async def platforms(session: AsyncSession, visitor: Visitor) -> list[ConnectedPlatform]:
    granted = await oauth_service.authorized_platforms(session, visitor.caller)
    return [_connected(p) for p in granted]


async def platform(session: AsyncSession, visitor: Visitor, client_id: str) -> ConnectedPlatform:
    for connected in await platforms(session, visitor):
        if connected.client_id == client_id:
            return connected
    raise PageRefused(NO_PLATFORM, 404)


async def disconnect(
    ctx: AppContext, session: AsyncSession, visitor: Visitor, client_id: str
) -> ConnectedPlatform:
    """End the platform's access: its tokens revoked, its webhook subscriptions for the shop
    removed and the platform told (oauth's merchant_disconnect)."""
    connected = await platform(session, visitor, client_id)
    with _unknown_as(NO_PLATFORM):
        await oauth_service.merchant_disconnect(ctx, session, visitor.caller, client_id)
    return connected
