"""Deliveries to a real receiver (spec webhooks.md "Delivery request", "Delivery headers",
"Signatures", "Guarantees"): payloads, headers, both signatures, vectors, token reset, secret
rotation, the outbox (no event without a commit) and the URL check at attempt time."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from shopreviews.events import service as events
from shopreviews.kit import webhook_signatures as signatures
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import new_shop_token, sha256_hex
from shopreviews.kit.outbox import DomainEvent
from shopreviews.shops.models import Shop
from shopreviews.webhooks.models import WebhookSubscription
from shopreviews.webhooks.repository import DeliveryRepository
from tests.support import vectors
from tests.support.api import Clock, bearer, error, ok
from tests.support.merchants import PASSWORD, create_user, login, new_email
from tests.support.reviews import REVIEW_FIELDS, assert_review_shape
from tests.support.reviews import create as create_review
from tests.support.reviews import delete as delete_review
from tests.support.reviews import update as update_review
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    attempt_rows,
    check_headers,
    deliveries,
    run_once,
    run_until_idle,
    standard_signature,
    stored_events,
    subscribe,
    trustoo_signature,
)
from tests.webhooks.helpers import delivery_log

HEX32 = re.compile(r"^[0-9a-f]{32}$")
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SHOP_FIELDS = {"my_shopify_domain", "shopify_shop_id"}


def check_payload(payload: dict[str, Any], shop: ClockedShop) -> dict[str, Any]:
    """The envelope every delivery body shares; returns the item without the shop fields."""
    expected = {"topic", "event_id", "sequence", "occurred_at", "list"}
    if payload["topic"] == "review/deleted":
        expected.add("reason")
        assert payload["reason"] in ("deleted", "hidden")
    assert set(payload) == expected, sorted(payload)
    assert HEX32.match(payload["event_id"])
    assert type(payload["sequence"]) is int and payload["sequence"] > 0
    assert RFC3339_Z.match(payload["occurred_at"])
    (item,) = payload["list"]
    assert item["my_shopify_domain"] == shop.myshopify_domain
    assert item["shopify_shop_id"] == shop.shop_id
    review = {k: v for k, v in item.items() if k not in SHOP_FIELDS}
    assert set(item) == REVIEW_FIELDS | SHOP_FIELDS
    assert_review_shape(review)
    return review


async def test_review_events_reach_the_receiver(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    # Real time throughout: the standardwebhooks library checks the timestamp against it.
    path = receiver.new_path()
    hooks = {
        topic: await subscribe(shop, receiver, topic, path)
        for topic in ("review/created", "review/updated", "review/deleted")
    }
    first = await create_review(
        shop, product_id="9200305176832", title="Great fit", content="Soft fabric. ✓ 👍"
    )
    changed = await update_review(shop, first["id"], title="Great fit, really")
    hidden = await update_review(shop, first["id"], is_published=0)
    second = await create_review(shop, rating=2, author="Sam")
    await delete_review(shop, second["id"])
    await run_until_idle(ctx)

    stored = await stored_events(ctx, shop.shop_id)
    assert [(e.topic, e.sequence) for e in stored] == [
        ("review/created", stored[0].sequence),
        ("review/updated", stored[0].sequence + 1),
        ("review/updated", stored[0].sequence + 2),
        ("review/deleted", stored[0].sequence + 3),
        ("review/created", stored[0].sequence + 4),
        ("review/deleted", stored[0].sequence + 5),
    ]
    received = {r.headers["webhook-id"]: r for r in await receiver.log(path)}
    assert set(received) == {e.event_id for e in stored}  # each exactly once
    assert len(await receiver.log(path)) == len(stored)

    items = []
    for event in stored:
        got = received[event.event_id]
        assert got.body == event.body.encode()  # byte for byte what was rendered
        # Compact JSON, UTF-8 (non-ASCII text as is, not escaped).
        assert (
            got.body == json.dumps(got.payload, separators=(",", ":"), ensure_ascii=False).encode()
        )
        check_headers(got, shop, hooks[event.topic]["secret"])
        Webhook(hooks[event.topic]["secret"]).verify(got.body, got.headers)
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 300
        assert got.headers["host"] == receiver.base.removeprefix("http://")
        payload = got.payload
        assert (payload["topic"], payload["event_id"]) == (event.topic, event.event_id)
        assert payload["sequence"] == event.sequence
        items.append((payload, check_payload(payload, shop)))

    created, updated, hid, hide_deleted, created2, deleted = items
    assert "Soft fabric. ✓ 👍".encode() in received[stored[0].event_id].body
    assert created[1] == first
    assert updated[1] == changed
    assert hid[1] == hidden and hid[1]["is_published"] == 0
    # Hidden: review/updated first, then review/deleted with the same snapshot and time.
    assert hide_deleted[0]["reason"] == "hidden"
    assert hide_deleted[1] == hidden
    assert hide_deleted[0]["occurred_at"] == hid[0]["occurred_at"]
    assert hid[0]["sequence"] < hide_deleted[0]["sequence"]
    assert created2[1] == second
    assert deleted[0]["reason"] == "deleted" and deleted[1] == second
    assert "reason" not in created[0] and "reason" not in updated[0]

    for row in await deliveries(ctx, shop.shop_id):
        assert (row.status, row.attempts) == ("succeeded", 1)
        assert await attempt_rows(ctx, row.id) == [(1, 200, True)]


async def test_fan_out_reaches_matching_enabled_subscriptions_only(
    ctx: AppContext, shop: ClockedShop, other_shop: ClockedShop, receiver: Receiver
) -> None:
    created_a = await subscribe(shop, receiver, "review/created")
    created_b = await subscribe(shop, receiver, "review/created")
    updated = await subscribe(shop, receiver, "review/updated")
    foreign = await subscribe(other_shop, receiver, "review/created")
    review = await create_review(shop)
    later = await subscribe(shop, receiver, "review/created")  # after the event: not included
    await run_until_idle(ctx)
    for hook in (created_a, created_b):
        (got,) = await receiver.log(hook["path"])
        assert got.payload["list"][0]["id"] == review["id"]
        check_headers(got, shop, hook["secret"])
    for hook in (updated, foreign, later):
        assert await receiver.log(hook["path"]) == []
    assert len(await deliveries(ctx, shop.shop_id)) == 2
    assert await deliveries(ctx, other_shop.shop_id) == []


def _vector(name: str) -> dict[str, Any]:
    return vectors.case(name)


@pytest.mark.parametrize("name", ["webhook_delivery_shop_owned", "webhook_delivery_platform_owned"])
def test_trustoo_vectors(name: str) -> None:
    case = _vector(name)
    inputs = case["inputs"]
    key = inputs.get("private_token") or inputs["client_secret"]
    body = inputs["body"].encode()
    assert b"timestamp=" + inputs["timestamp"].encode() + b"|" + body == case["message"].encode()
    assert signatures.trustoo_sign(key, inputs["timestamp"], body) == case["sign"]
    assert trustoo_signature(key, inputs["timestamp"], body) == case["sign"]


@pytest.mark.parametrize("name", ["standard_webhooks_delivery", "standard_webhooks_reference"])
def test_standard_webhooks_vectors(name: str) -> None:
    case = _vector(name)
    inputs = case["inputs"]
    body = inputs["body"].encode()
    args = (inputs["webhook_id"], inputs["timestamp"], body)
    assert signatures.standard_signature(inputs["secret"], *args) == case["signature"]
    assert standard_signature(inputs["secret"], *args) == case["signature"]
    assert signatures.standard_signatures([inputs["secret"]], *args) == case["signature"]
    # The reference library agrees.
    stamp = datetime.fromtimestamp(int(inputs["timestamp"]), UTC)
    library = Webhook(inputs["secret"]).sign(inputs["webhook_id"], stamp, inputs["body"])
    assert library == case["signature"]


def test_new_secrets_have_the_standard_form() -> None:
    made = {signatures.new_secret() for _ in range(20)}
    assert len(made) == 20
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
        Webhook(secret)  # the library accepts it


async def test_vector_delivery_end_to_end(
    ctx: AppContext, receiver: Receiver, clock: Clock
) -> None:
    """The worker reproduces the vectors' headers for the vectors' shop, secret, body, time."""
    trustoo = _vector("webhook_delivery_shop_owned")
    standard = _vector("standard_webhooks_delivery")
    inputs = trustoo["inputs"]
    assert standard["inputs"]["body"] == inputs["body"]
    shop_id = "v" + uuid.uuid4().hex[:12]
    path = receiver.new_path()
    now = datetime.fromtimestamp(int(inputs["timestamp"]), UTC)
    async with ctx.db.session(write=True) as session:
        # Public tokens are unique: take the vector's token away from any earlier holder.
        await session.execute(
            update(Shop)
            .where(Shop.public_token == inputs["public_token"])
            .values(public_token="retired-" + new_shop_token())
        )
        session.add(
            Shop(
                shop_id=shop_id,
                myshopify_domain=f"{shop_id}.myshopify.com",
                name=shop_id,
                public_token=inputs["public_token"],
                private_token_encrypted=ctx.box.seal(inputs["private_token"]),
            )
        )
        await session.flush()
        event = DomainEvent(
            shop_id=shop_id,
            event_id=inputs["request_id"],
            sequence=1042,
            topic=inputs["topic"],
            body=inputs["body"],
            occurred_at=now,
        )
        sub = WebhookSubscription(
            shop_id=shop_id,
            owner_client_id="",
            topic=inputs["topic"],
            url=receiver.url(path),
            url_sha256=sha256_hex(receiver.url(path)),
            secret_encrypted=ctx.box.seal(standard["inputs"]["secret"]),
            status="enabled",
            disabled_reason="",
            created_at=now,
            updated_at=now,
        )
        session.add_all([event, sub])
        await session.flush()
        await DeliveryRepository(session, shop_id).add(event.id, sub.id, now)
    try:
        clock.set(int(inputs["timestamp"]))
        await run_once(ctx)
        (got,) = await receiver.log(path)
        assert got.body == inputs["body"].encode()
        for name, value in {**trustoo["headers"], **standard["headers"]}.items():
            assert got.headers[name.lower()] == value, name
    finally:
        async with ctx.db.session(write=True) as session:
            await session.execute(
                update(Shop)
                .where(Shop.shop_id == shop_id)
                .values(public_token="retired-" + new_shop_token(), status="disabled")
            )
            await session.execute(
                update(DomainEvent)
                .where(DomainEvent.shop_id == shop_id)
                .values(event_id=uuid.uuid4().hex)
            )


async def test_reset_private_token_signs_the_next_attempt_with_the_new_token(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[500, {}]])
    await create_review(shop)
    await run_once(ctx)
    old = shop.private_token

    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    session_token = ok(await login(client, email=email, password=PASSWORD))["token"]
    reset = ok(
        await client.post("/api/v1/openapi/reset_private_token", headers=bearer(session_token))
    )
    new = reset["private_token"]
    assert new != old

    clock.set(start + 180)
    await run_once(ctx)
    first, second = await receiver.log(hook["path"])
    assert first.body == second.body
    assert first.headers["open-trustoo-webhook-timestamp"] == str(start)
    assert second.headers["open-trustoo-webhook-timestamp"] == str(start + 180)
    assert first.headers["open-trustoo-webhook-sign"] == trustoo_signature(
        old, str(start), first.body
    )
    assert second.headers["open-trustoo-webhook-sign"] == trustoo_signature(
        new, str(start + 180), second.body
    )
    assert second.headers["open-trustoo-webhook-sign"] != trustoo_signature(
        old, str(start + 180), second.body
    )
    # The Standard Webhooks signature does not depend on the token.
    shop.private_token = new
    check_headers(second, shop, hook["secret"], timestamp=start + 180)


async def test_secret_rotation_signs_with_both_secrets_for_24_hours(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    hook = await subscribe(shop, receiver)
    old = hook["secret"]
    rotated = ok(await shop.post("rotate_webhook_secret", {"id": hook["id"]}))
    new = rotated["secret"]
    assert new != old and new.startswith("whsec_")
    assert rotated["id"] == hook["id"] and rotated["status"] == "enabled"
    rotated_at = datetime.strptime(rotated["updated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    expires = datetime.strptime(rotated["previous_secret_expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires.replace(tzinfo=UTC).timestamp() - rotated_at.timestamp() == 24 * 3600
    listed = ok(await shop.get("get_shop_webhooks"))
    assert "secret" not in listed[0]

    # Real time: both signatures, the new secret's first, each verifying with the library.
    await create_review(shop)
    await run_until_idle(ctx)
    (got,) = await receiver.log(hook["path"])
    stamp, event_id = got.headers["webhook-timestamp"], got.headers["webhook-id"]
    signed = got.headers["webhook-signature"].split(" ")
    assert signed == [
        standard_signature(new, event_id, stamp, got.body),
        standard_signature(old, event_id, stamp, got.body),
    ]
    Webhook(new).verify(got.body, got.headers)
    Webhook(old).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signatures.new_secret()).verify(got.body, got.headers)

    # Just before the overlap ends: still both; from 24 h on: the new one only.
    for offset, count in ((24 * 3600 - 1, 2), (24 * 3600, 1), (24 * 3600 + 3600, 1)):
        at = int(rotated_at.timestamp()) + offset
        clock.set(at)
        await create_review(shop)
        await run_until_idle(ctx)
        last = (await receiver.log(hook["path"]))[-1]
        assert last.headers["webhook-timestamp"] == str(at)
        expected = [new, old][:count]
        assert last.headers["webhook-signature"] == " ".join(
            standard_signature(s, last.headers["webhook-id"], str(at), last.body) for s in expected
        )


async def test_rolled_back_changes_emit_nothing(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    await subscribe(shop, receiver, "review/updated", hook["path"])
    error(await shop.post("create_review", {"rating": 9, "author": "Jane"}), 3, 400)
    error(await shop.post("create_review", {"rating": 5}), 3, 400)
    review = await create_review(shop)
    error(await shop.post("update_review", {"id": review["id"], "is_published": 7}), 3, 400)
    error(await shop.post("update_review", {"id": "987654321", "title": "x"}), 5, 404)

    # A change whose transaction fails after the event was recorded.
    with pytest.raises(RuntimeError):
        async with ctx.db.session(write=True) as session:
            await events.record(
                session,
                shop.shop_id,
                "review/updated",
                {**review, "title": "never committed"},
                now=datetime.now(UTC),
            )
            raise RuntimeError("the change fails after its event was written")

    stored = await stored_events(ctx, shop.shop_id)
    assert [e.topic for e in stored] == ["review/created"]
    # The rolled-back event did not even use up a sequence number.
    await update_review(shop, review["id"], title="committed")
    stored = await stored_events(ctx, shop.shop_id)
    assert [e.sequence for e in stored] == [stored[0].sequence, stored[0].sequence + 1]
    await run_until_idle(ctx)
    got = await receiver.log(hook["path"])
    assert sorted(r.payload["topic"] for r in got) == ["review/created", "review/updated"]
    assert all("never committed" not in r.body.decode() for r in got)
    assert len(await deliveries(ctx, shop.shop_id)) == 2


async def test_url_rules_are_checked_again_at_attempt_time(
    ctx: AppContext,
    strict: tuple[AppContext, httpx.AsyncClient],
    shop: ClockedShop,
    receiver: Receiver,
) -> None:
    """Registered while private targets were allowed; a worker that refuses them sends nothing."""
    strict_ctx, _ = strict
    hook = await subscribe(shop, receiver)
    await create_review(shop)
    await run_once(strict_ctx)
    assert await receiver.log(hook["path"]) == []
    (row,) = await deliveries(ctx, shop.shop_id)
    assert (row.status, row.attempts) == ("pending", 1)
    (listed,) = (await delivery_log(shop))["list"]
    (attempt,) = listed["attempt_log"]
    assert attempt["status_code"] is None and attempt["succeeded"] == 0
    assert attempt["error"] == (
        "url refused: url must use https; set SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true "
        "to allow http to loopback hosts"
    )


async def test_localhost_urls_connect_to_the_checked_address(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    port = receiver.base.rsplit(":", 1)[1]
    path = receiver.new_path()
    hook = ok(
        await shop.post(
            "create_shop_webhook",
            {"topic": "review/created", "url": f"http://localhost:{port}{path}"},
        )
    )
    await create_review(shop)
    await run_until_idle(ctx)
    (got,) = await receiver.log(path)
    assert got.headers["host"] == f"localhost:{port}"  # the name as written, not the address
    check_headers(got, shop, hook["secret"])


async def test_ipv6_literal_urls_get_a_valid_host_header(
    ctx: AppContext, shop: ClockedShop, receiver6: Receiver
) -> None:
    hook = await subscribe(shop, receiver6)
    await create_review(shop)
    await run_until_idle(ctx)
    (got,) = await receiver6.log(hook["path"])
    # RFC 9110 / 3986: an IPv6 literal in Host is bracketed.
    assert got.headers["host"] == receiver6.base.removeprefix("http://")
    check_headers(got, shop, hook["secret"])


async def test_a_subscription_disabled_after_fan_out_gets_nothing(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    """The attempt checks the subscription again and cancels instead of sending."""
    hook = await subscribe(shop, receiver)
    await create_review(shop)
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == int(hook["id"]))
            .values(status="disabled", disabled_reason="gone")
        )
    await run_until_idle(ctx)
    assert await receiver.log(hook["path"]) == []
    (row,) = await deliveries(ctx, shop.shop_id)
    assert (row.status, row.attempts, row.lease_owner) == ("cancelled", 0, None)


async def test_the_delivery_log_is_paginated_newest_first(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    other = await subscribe(shop, receiver, "review/updated")
    reviews = [await create_review(shop, content=f"n{n}") for n in range(5)]
    await update_review(shop, reviews[0]["id"], title="changed")
    await run_until_idle(ctx)
    stored = await stored_events(ctx, shop.shop_id)

    first = await delivery_log(shop, page=1, page_size=4)
    assert first["page"] == {"page": 1, "page_size": 4, "total_page": 2, "count": 6}
    second = await delivery_log(shop, page=2, page_size=4)
    assert second["page"] == {"page": 2, "page_size": 4, "total_page": 2, "count": 6}
    listed = first["list"] + second["list"]
    assert [d["event_id"] for d in listed] == [e.event_id for e in reversed(stored)]
    assert [int(d["id"]) for d in listed] == sorted((int(d["id"]) for d in listed), reverse=True)
    for d in listed:
        assert set(d) == {
            "id",
            "webhook_id",
            "event_id",
            "topic",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "attempt_log",
        }
        assert d["status"] == "succeeded" and d["attempts"] == 1
        (attempt,) = d["attempt_log"]
        assert set(attempt) == {
            "attempt",
            "started_at",
            "duration_ms",
            "status_code",
            "succeeded",
            "response",
            "error",
        }
    assert (await delivery_log(shop, webhook_id=hook["id"]))["page"]["count"] == 5
    by_other = (await delivery_log(shop, webhook_id=other["id"]))["list"]
    assert [d["topic"] for d in by_other] == ["review/updated"]
    assert (await delivery_log(shop, event_id=stored[0].event_id))["page"]["count"] == 1
    assert (await delivery_log(shop, page=3, page_size=4))["list"] == []
    error(await shop.get("get_webhook_deliveries", {"page": "0"}), 3, 400)
