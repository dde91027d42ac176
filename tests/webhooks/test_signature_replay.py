"""A delivery's Open-Trustoo-Webhook-Sign is the request-signing HMAC of `timestamp=<ts>|<body>`
keyed with the shop's private token (spec webhooks.md "Signatures"), so a webhook receiver holds
a signature that, sent with the webhook body, would verify as an API request. Replaying every
delivered webhook against every API route must authenticate nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shopreviews.auth import hmac_auth
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import Unauthenticated
from tests.support.api import ok
from tests.support.customer_events import post_events
from tests.support.reviews import create as create_review
from tests.support.reviews import delete as delete_review
from tests.support.reviews import update as update_review
from tests.support.webhooks import (
    ClockedShop,
    Received,
    Receiver,
    deliveries,
    run_until_idle,
    subscribe,
)
from tests.webhooks.helpers import TOPICS

API = "/api/v1/openapi/"
REFUSED = (
    "unauthenticated: this signature was issued for a webhook delivery and cannot authenticate "
    "a request"
)
# Reads the review found answering a replayed delivery (they need no query parameter).
READS_WITHOUT_PARAMETERS = {
    "get_reviews",
    "get_customer_excludes",
    "get_orders",
    "get_image_upload_policy_token",
}


def _hmac_signed(dependant: Dependant) -> bool:
    return any(
        getattr(sub.call, "hmac_signed", False) or _hmac_signed(sub)
        for sub in dependant.dependencies
    )


def api_routes(app: Any) -> list[tuple[str, str, bool]]:
    """(method, path, authenticated by a shop signature) of every route under /api/v1/openapi/."""
    routes = []
    for route in iter_route_contexts(app.routes):
        original, path = route.original_route, route.path_format or ""
        if not path.startswith(API) or not isinstance(original, APIRoute):
            continue
        signed = _hmac_signed(original.dependant)
        routes += [(method, path, signed) for method in sorted(route.methods or ())]
    return routes


async def deliver_every_topic(ctx: AppContext, shop: ClockedShop, receiver: Receiver) -> str:
    """One delivery of each topic to one receiver path (real time: within the signing window)."""
    path = receiver.new_path()
    for topic in TOPICS:
        await subscribe(shop, receiver, topic, path)
    review = await create_review(shop, title="Great fit")
    await update_review(shop, review["id"], title="Great fit, really")
    await delete_review(shop, review["id"])
    event = {"event_type": "CLICK_MEDIA", "product_id": "9200305176832", "review_id": "1"}
    assert ok(await post_events(shop.client, shop.myshopify_domain, {"events": [event]})) == {
        "accepted": 1
    }
    await run_until_idle(ctx)
    return path


def replay_headers(got: Received) -> dict[str, str]:
    return {
        "Public-Token": got.headers["open-trustoo-webhook-public-token"],
        "Timestamp": got.headers["open-trustoo-webhook-timestamp"],
        "Sign": got.headers["open-trustoo-webhook-sign"],
        "Content-Type": "application/json",
    }


async def test_delivered_signatures_authenticate_no_api_request(
    ctx: AppContext, app: Any, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver
) -> None:
    received = await receiver.log(await deliver_every_topic(ctx, shop, receiver))
    assert sorted(got.payload["topic"] for got in received) == sorted(TOPICS)
    queued = len(await deliveries(ctx, shop.shop_id))
    routes = api_routes(app)
    names = {path.removeprefix(API) for _, path, _ in routes}
    assert {"get_reviews", "get_orders", "redeliver_webhook_event"} <= names
    assert any(method == "GET" for method, _, _ in routes)

    for got in received:
        headers = replay_headers(got)
        stamp = headers["Timestamp"]
        for method, path, signed in routes:
            # As delivered, and with the timestamp also in the query (the same signed message).
            for query in ("", f"?timestamp={stamp}"):
                response = await client.request(
                    method, path + query, content=got.body, headers=headers
                )
                answer = response.json()
                where = (method, path + query, got.payload["topic"], answer)
                assert answer["code"] != 0, where
                if signed and method == "GET":
                    # A GET takes no body (a route may first refuse its missing parameters).
                    assert (response.status_code, answer["code"]) == (400, 3), where
                    if path.removeprefix(API) in READS_WITHOUT_PARAMETERS:
                        assert "GET requests take no body" in answer["message"], where
                elif signed:
                    assert response.status_code == 401, where
                    assert (answer["code"], answer["message"]) == (16, REFUSED), where

    # Nothing was queued again by the replays of redeliver_webhook_event.
    assert len(await deliveries(ctx, shop.shop_id)) == queued


@pytest.mark.parametrize("query", ["", "timestamp"])
async def test_signature_check_refuses_a_webhook_message_whatever_the_method(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, query: str
) -> None:
    """The signature check alone, below any HTTP method or body rule."""
    received = await receiver.log(await deliver_every_topic(ctx, shop, receiver))
    assert len(received) == len(TOPICS)
    for got in received:
        headers = replay_headers(got)
        with pytest.raises(Unauthenticated) as refused:
            await hmac_auth.authenticate(
                ctx,
                public_token=headers["Public-Token"],
                timestamp=headers["Timestamp"],
                sign=headers["Sign"],
                raw_query=f"timestamp={headers['Timestamp']}" if query else "",
                body=got.body,
            )
        assert refused.value.message == REFUSED


async def test_signed_requests_naming_an_event_still_work(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    received = await receiver.log(await deliver_every_topic(ctx, shop, receiver))
    got = next(r for r in received if r.payload["topic"] == "review/created")
    event_id, topic = got.payload["event_id"], got.payload["topic"]
    before = len(await deliveries(ctx, shop.shop_id))

    # A request signed by the shop, with a body of its own: redelivery as documented, and one
    # whose body carries both envelope keys of a real event (it is not the delivered body).
    (queued,) = ok(await shop.post("redeliver_webhook_event", {"event_id": event_id}))
    assert (queued["event_id"], queued["topic"], queued["status"]) == (event_id, topic, "pending")
    body = {"topic": topic, "event_id": event_id}
    (again,) = ok(await shop.post("redeliver_webhook_event", body))
    assert again["event_id"] == event_id
    assert len(await deliveries(ctx, shop.shop_id)) == before + 2
