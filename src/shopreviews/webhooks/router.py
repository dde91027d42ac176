"""Webhook subscription endpoints (docs/api.md, "Webhooks") and the owner-only delivery tools
[ext]."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import api_caller
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import (
    AlreadyExists,
    EmptyData,
    Envelope,
    InvalidArgument,
    NotFound,
    Rejected,
)
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, param, query_doc
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.params import agreeing, parse_id
from shopreviews.kit.routes import refuses
from shopreviews.webhooks import service as webhook_service
from shopreviews.webhooks.schemas import (
    TOPICS,
    DeliveryOut,
    RedeliverIn,
    SecretRotated,
    WebhookCreated,
    WebhookIdIn,
    WebhookIn,
    WebhookOut,
    WebhookUpdate,
)

router = APIRouter(tags=["webhooks"])

# Scopes of subscription endpoints depend on the topic; the service checks them.
AnyCaller = Annotated[Caller, Depends(api_caller(None))]


class DeliveryPage(BaseModel):
    page: Pagination
    list: list[DeliveryOut]


@router.post("/api/v1/openapi/create_shop_webhook", response_model=Envelope[WebhookCreated])
# Rejected: the owner has as many subscriptions as the limit allows (code 8, HTTP 403).
@refuses(AlreadyExists, Rejected)
async def create_shop_webhook(
    body: WebhookIn, caller: AnyCaller, session: WriteSession, ctx: Ctx
) -> Envelope[WebhookCreated]:
    """Subscribe a URL to a topic; the answer carries the signing secret, shown only once."""
    return Envelope(data=await webhook_service.create(ctx, session, caller, body))


@router.post("/api/v1/openapi/update_shop_webhook", response_model=Envelope[WebhookOut])
@refuses(NotFound, AlreadyExists)
async def update_shop_webhook(
    body: WebhookUpdate, caller: AnyCaller, session: WriteSession, ctx: Ctx
) -> Envelope[WebhookOut]:
    """Replace a subscription's topic and URL; also re-enables a disabled subscription."""
    return Envelope(data=await webhook_service.update(ctx, session, caller, body))


router.add_api_route(
    "/api/v1/openapi/update_shop_webhook",
    update_shop_webhook,
    methods=["PUT"],
    include_in_schema=False,
    response_model=Envelope[WebhookOut],
)


@router.post(
    "/api/v1/openapi/delete_shop_webhook",
    response_model=Envelope[EmptyData],
    openapi_extra=query_doc(param("id", "with DELETE: the subscription id, instead of a body")),
)
@refuses(NotFound)
async def delete_shop_webhook(
    caller: AnyCaller, session: WriteSession, query: Query, body: WebhookIdIn | None = None
) -> Envelope[EmptyData]:
    """Remove a subscription; its pending deliveries are never attempted."""
    raw = query.scalar("id")
    from_query = None if raw is None else parse_id(raw, "id")
    subscription_id = agreeing(
        ("the body's id", None if body is None else body.id), ("the query's id", from_query)
    )
    if subscription_id is None:
        raise InvalidArgument("id is required")
    await webhook_service.delete(session, caller, subscription_id)
    return Envelope(data=EmptyData())


router.add_api_route(
    "/api/v1/openapi/delete_shop_webhook",
    delete_shop_webhook,
    methods=["DELETE"],
    include_in_schema=False,
    response_model=Envelope[EmptyData],
)


@router.get(
    "/api/v1/openapi/get_shop_webhooks",
    response_model=Envelope[list[WebhookOut]],
    openapi_extra=query_doc(
        param("topic", "only subscriptions of this topic (alias event_type)", enum=list(TOPICS)),
        param("event_type", "alias of topic"),
    ),
)
async def get_shop_webhooks(
    caller: AnyCaller, session: ReadSession, query: Query
) -> Envelope[list[WebhookOut]]:
    """The caller's subscriptions, oldest first."""
    topic = query.aliased("topic", "event_type", parse=lambda value, _name: value)
    if topic is not None and topic not in TOPICS:
        raise InvalidArgument(f"topic must be one of {', '.join(TOPICS)}")
    return Envelope(data=await webhook_service.list_subscriptions(session, caller, topic))


@router.get(
    "/api/v1/openapi/get_webhook_deliveries",
    response_model=Envelope[DeliveryPage],
    openapi_extra=query_doc(
        param("webhook_id", "deliveries of this subscription"),
        param("event_id", "deliveries of this event"),
        PAGE,
        PAGE_SIZE,
    ),
)
@refuses(NotFound)
async def get_webhook_deliveries(
    caller: AnyCaller, session: ReadSession, query: Query
) -> Envelope[DeliveryPage]:
    """Deliveries of the caller's subscriptions with every attempt, newest first [ext]."""
    raw_webhook = query.scalar("webhook_id")
    webhook_id = parse_id(raw_webhook, "webhook_id") if raw_webhook is not None else None
    event_id = query.scalar("event_id")
    page = PageRequest.from_query(query)
    pagination, items = await webhook_service.deliveries(
        session, caller, webhook_id=webhook_id, event_id=event_id, page=page
    )
    return Envelope(data=DeliveryPage(page=pagination, list=items))


@router.post("/api/v1/openapi/redeliver_webhook_event", response_model=Envelope[list[DeliveryOut]])
@refuses(NotFound)
async def redeliver_webhook_event(
    body: RedeliverIn, caller: AnyCaller, session: WriteSession, ctx: Ctx
) -> Envelope[list[DeliveryOut]]:
    """Queue an event again, same body and event_id, to the caller's subscriptions [ext]."""
    return Envelope(
        data=await webhook_service.redeliver(
            ctx, session, caller, event_id=body.event_id, webhook_id=body.webhook_id
        )
    )


@router.post("/api/v1/openapi/send_test_webhook", response_model=Envelope[DeliveryOut])
@refuses(NotFound)
async def send_test_webhook(
    body: WebhookIdIn, caller: AnyCaller, session: WriteSession, ctx: Ctx
) -> Envelope[DeliveryOut]:
    """Deliver a sample event of the subscription's topic to it [ext]."""
    return Envelope(data=await webhook_service.send_test(ctx, session, caller, body.id))


@router.post("/api/v1/openapi/rotate_webhook_secret", response_model=Envelope[SecretRotated])
@refuses(NotFound)
async def rotate_webhook_secret(
    body: WebhookIdIn, caller: AnyCaller, session: WriteSession, ctx: Ctx
) -> Envelope[SecretRotated]:
    """New signing secret; the old one keeps signing beside it for 24 hours [ext]."""
    return Envelope(data=await webhook_service.rotate_secret(ctx, session, caller, body.id))
