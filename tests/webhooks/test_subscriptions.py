"""Webhook subscriptions (spec webhooks.md): create/update/delete/get field by field, topic and
URL rules, duplicates, the per-owner limit, re-enabling, tenancy, and the netguard rules."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.netguard import UrlRejected, check_static, check_url, is_public
from tests.support.api import Clock, error, ok
from tests.support.reviews import create as create_review
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    deliveries,
    run_once,
    run_until_idle,
    standard_signature,
    subscribe,
    subscription_state,
)
from tests.webhooks.helpers import TOPICS, WEBHOOK_FIELDS, delivery_log

SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")
# A public address (no DNS in test sandboxes); never called: these subscriptions get no events.
HOOK = "https://93.184.216.34/reviews"


def rfc3339(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def create_hook(shop: ClockedShop, topic: str = "review/created", url: str = HOOK) -> Any:
    return ok(await shop.post("create_shop_webhook", {"topic": topic, "url": url}))


async def listed(shop: ClockedShop, **params: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(await shop.get("get_shop_webhooks", params))
    return data


# --- create / get ----------------------------------------------------------------------------


async def test_create_returns_the_webhook_and_its_secret_once(
    shop: ClockedShop, clock: Clock
) -> None:
    now = int(time.time())
    clock.set(now)
    data = await create_hook(shop)
    assert set(data) == WEBHOOK_FIELDS | {"secret"}
    assert data["id"].isdigit() and int(data["id"]) > 0
    assert data["topic"] == "review/created"
    assert data["url"] == HOOK
    assert data["created_at"] == data["updated_at"] == rfc3339(now)
    assert data["status"] == "enabled"
    assert data["disabled_reason"] == ""
    secret = data["secret"]
    assert SECRET.match(secret), secret
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32

    other = await create_hook(shop, url=HOOK + "/2")
    assert other["secret"] != secret and int(other["id"]) > int(data["id"])
    # Never shown again: not in the list, not in an update.
    (first, second) = await listed(shop)
    assert set(first) == WEBHOOK_FIELDS
    assert first == {k: v for k, v in data.items() if k != "secret"}
    assert second["id"] == other["id"]
    same = {"id": data["id"], "topic": data["topic"], "url": HOOK}
    updated = ok(await shop.post("update_shop_webhook", same))
    assert set(updated) == WEBHOOK_FIELDS


async def test_get_shop_webhooks_is_ordered_by_id_and_filters_by_topic(
    shop: ClockedShop,
) -> None:
    assert await listed(shop) == []
    created = [await create_hook(shop, topic) for topic in reversed(TOPICS)]
    created.append(await create_hook(shop, "review/created", HOOK + "?second=1"))
    everything = await listed(shop)
    assert [w["id"] for w in everything] == [w["id"] for w in created]
    assert [w["id"] for w in everything] == sorted((w["id"] for w in everything), key=int)
    for topic in TOPICS:
        want = [w["id"] for w in created if w["topic"] == topic]
        assert [w["id"] for w in await listed(shop, topic=topic)] == want
        assert [w["id"] for w in await listed(shop, event_type=topic)] == want
    assert len(await listed(shop, topic="review/created")) == 2
    error(await shop.get("get_shop_webhooks", {"topic": "order/created"}), 3, 400)
    error(await shop.get("get_shop_webhooks", {"event_type": "reviews"}), 3, 400)


@pytest.mark.parametrize(
    "topic",
    ["order/created", "review/created ", "REVIEW/CREATED", "", "review", "customer_event/updated"],
)
async def test_unknown_topics_give_3(shop: ClockedShop, topic: str) -> None:
    response = await shop.post("create_shop_webhook", {"topic": topic, "url": HOOK})
    if topic.strip() == "review/created":
        ok(response)  # surrounding white space is trimmed
        return
    assert "topic" in error(response, 3, 400)["message"]
    mine = await create_hook(shop, url=HOOK + "/t")
    body = {"id": mine["id"], "topic": topic, "url": HOOK}
    error(await shop.post("update_shop_webhook", body), 3, 400)
    assert (await listed(shop))[0]["topic"] == "review/created"


@pytest.mark.parametrize(
    "body",
    [
        {"url": HOOK},
        {"topic": "review/created"},
        {"topic": "review/created", "url": ""},
        {"topic": "review/created", "url": 5},
        {"topic": 1, "url": HOOK},
        {"topic": ["review/created"], "url": HOOK},
    ],
)
async def test_missing_or_mistyped_fields_give_3(shop: ClockedShop, body: dict[str, Any]) -> None:
    error(await shop.post("create_shop_webhook", body), 3, 400)
    assert await listed(shop) == []


async def test_every_topic_is_open_to_hmac_callers(shop: ClockedShop) -> None:
    for topic in TOPICS:
        assert (await create_hook(shop, topic))["topic"] == topic


# --- duplicates and the limit -------------------------------------------------------------


async def test_same_topic_and_url_gives_6_on_create_and_update(
    shop: ClockedShop, other_shop: ClockedShop
) -> None:
    first = await create_hook(shop)
    again = await shop.post("create_shop_webhook", {"topic": "review/created", "url": HOOK})
    assert "already exists" in error(again, 6, 409)["message"]
    # Another topic, another (exact) URL string, or another owner: all fine.
    await create_hook(shop, "review/updated")
    second = await create_hook(shop, url=HOOK + "/")
    await create_hook(other_shop)
    # Updating the second onto the first's topic + url: 6, and nothing changes.
    body = {"id": second["id"], "topic": "review/created", "url": HOOK}
    error(await shop.post("update_shop_webhook", body), 6, 409)
    assert {w["url"] for w in await listed(shop, topic="review/created")} == {HOOK, HOOK + "/"}
    # Updating a subscription with its own topic + url is not a duplicate.
    same = {"id": first["id"], "topic": "review/created", "url": HOOK}
    ok(await shop.post("update_shop_webhook", same))


async def test_concurrent_duplicates_give_6_not_an_internal_error(shop: ClockedShop) -> None:
    """Requests racing past the duplicate check meet the unique constraint (PostgreSQL)."""
    body = {"topic": "review/created", "url": HOOK + "/race"}
    creates = await asyncio.gather(*(shop.post("create_shop_webhook", body) for _ in range(6)))
    assert sorted(r.json()["code"] for r in creates) == [0, 6, 6, 6, 6, 6]
    for response in creates:
        if response.json()["code"]:
            error(response, 6, 409)
    assert [w["url"] for w in await listed(shop)] == [HOOK + "/race"]

    others = [await create_hook(shop, "review/updated", f"{HOOK}/{n}") for n in range(4)]
    target = {"topic": "review/updated", "url": HOOK + "/same"}
    updates = await asyncio.gather(
        *(shop.post("update_shop_webhook", {**target, "id": o["id"]}) for o in others)
    )
    assert sorted(r.json()["code"] for r in updates) == [0, 6, 6, 6]
    assert [w["url"] for w in await listed(shop, topic="review/updated")].count(HOOK + "/same") == 1


async def test_at_most_50_subscriptions_per_owner(
    shop: ClockedShop, other_shop: ClockedShop
) -> None:
    ids = [(await create_hook(shop, url=f"{HOOK}/{n}"))["id"] for n in range(50)]
    body = error(
        await shop.post("create_shop_webhook", {"topic": "review/created", "url": HOOK}), 8, 403
    )
    assert "50" in body["message"]
    assert len(await listed(shop)) == 50
    # Per owner: another shop is not affected; deleting one frees a place.
    await create_hook(other_shop)
    ok(await shop.post("delete_shop_webhook", {"id": ids[0]}))
    await create_hook(shop)
    error(await shop.post("create_shop_webhook", {"topic": "review/updated", "url": HOOK}), 8, 403)


# --- update ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_update_replaces_topic_and_url(shop: ClockedShop, clock: Clock, method: str) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await create_hook(shop)
    clock.set(start + 125)
    body = {"id": int(hook["id"]), "topic": "review/deleted", "url": HOOK + "/deleted"}
    data = ok(await shop.send(method, "update_shop_webhook", body))
    assert data == {
        "id": hook["id"],
        "topic": "review/deleted",
        "url": HOOK + "/deleted",
        "created_at": rfc3339(start),
        "updated_at": rfc3339(start + 125),
        "status": "enabled",
        "disabled_reason": "",
    }
    assert await listed(shop) == [data]


async def test_update_re_enables_and_keeps_the_secret(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[410, {}]])
    await create_review(shop)
    await run_once(ctx)
    (disabled,) = await listed(shop)
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "gone")
    await create_review(shop)  # not queued while disabled
    assert [d.status for d in await deliveries(ctx, shop.shop_id)] == ["dead"]

    body = {"id": hook["id"], "topic": hook["topic"], "url": hook["url"]}
    again = ok(await shop.post("update_shop_webhook", body))
    assert (again["status"], again["disabled_reason"]) == ("enabled", "")
    assert await subscription_state(ctx, int(hook["id"])) == ("enabled", "")
    await create_review(shop)
    await run_until_idle(ctx)
    last = (await receiver.log(hook["path"]))[-1]
    headers = last.headers
    # Still signed with the secret shown at creation.
    assert headers["webhook-signature"] == standard_signature(
        hook["secret"], headers["webhook-id"], headers["webhook-timestamp"], last.body
    )
    assert [d.status for d in await deliveries(ctx, shop.shop_id)] == ["dead", "succeeded"]


async def test_topic_change_cancels_pending_deliveries_of_the_old_topic(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver, "review/created")
    await create_review(shop)
    (pending,) = await deliveries(ctx, shop.shop_id)
    assert pending.status == "pending"
    body = {"id": hook["id"], "topic": "review/updated", "url": hook["url"]}
    ok(await shop.post("update_shop_webhook", body))
    (cancelled,) = await deliveries(ctx, shop.shop_id)
    assert cancelled.status == "cancelled"
    await run_until_idle(ctx)
    assert await receiver.log(hook["path"]) == []
    (listed_delivery,) = (await delivery_log(shop))["list"]
    assert listed_delivery["status"] == "cancelled" and listed_delivery["attempt_log"] == []

    # The new topic is delivered from now on, the old one no more.
    review = await create_review(shop)
    ok(await shop.post("update_review", {"id": review["id"], "title": "changed"}))
    await run_until_idle(ctx)
    assert [r.payload["topic"] for r in await receiver.log(hook["path"])] == ["review/updated"]


async def test_url_change_moves_pending_deliveries_to_the_new_url(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[500, {}]])
    await create_review(shop)
    await run_once(ctx)  # attempt 1 fails at the old URL
    new_path = receiver.new_path()
    body = {"id": hook["id"], "topic": hook["topic"], "url": receiver.url(new_path)}
    ok(await shop.post("update_shop_webhook", body))
    clock.set(start + 180)
    await run_once(ctx)
    assert len(await receiver.log(hook["path"])) == 1
    (moved,) = await receiver.log(new_path)
    assert moved.payload["topic"] == "review/created"
    (row,) = await deliveries(ctx, shop.shop_id)
    assert (row.status, row.attempts) == ("succeeded", 2)


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["POST body", "DELETE body", "DELETE query"])
async def test_delete_removes_the_subscription_and_its_pending_deliveries(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, form: str
) -> None:
    hook = await subscribe(shop, receiver)
    keep = await create_hook(shop, "review/deleted")
    await create_review(shop)
    assert [d.status for d in await deliveries(ctx, shop.shop_id)] == ["pending"]
    if form == "POST body":
        response = await shop.post("delete_shop_webhook", {"id": hook["id"]})
    elif form == "DELETE body":
        response = await shop.send("DELETE", "delete_shop_webhook", {"id": int(hook["id"])})
    else:
        response = await shop.send("DELETE", "delete_shop_webhook", params=[("id", hook["id"])])
    assert ok(response) == {}
    assert [w["id"] for w in await listed(shop)] == [keep["id"]]
    await run_until_idle(ctx)
    assert await receiver.log(hook["path"]) == []
    assert [d.status for d in await deliveries(ctx, shop.shop_id) if d.status == "pending"] == []
    # Gone: every endpoint now answers 5 for it.
    error(await shop.post("delete_shop_webhook", {"id": hook["id"]}), 5, 404)


async def test_delete_needs_an_id(shop: ClockedShop) -> None:
    error(await shop.post("delete_shop_webhook", {}), 3, 400)
    error(await shop.send("DELETE", "delete_shop_webhook"), 3, 400)
    error(await shop.send("DELETE", "delete_shop_webhook", params=[("id", "abc")]), 3, 400)


# --- unknown ids and tenancy ---------------------------------------------------------------


async def _every_id_endpoint(shop: ClockedShop, webhook_id: str, event_id: str) -> None:
    """Every endpoint that takes a subscription or event id answers 5 for this pair."""
    hook_body = {"id": webhook_id, "topic": "review/created", "url": HOOK + "/x"}
    error(await shop.post("update_shop_webhook", hook_body), 5, 404)
    error(await shop.send("PUT", "update_shop_webhook", hook_body), 5, 404)
    error(await shop.post("delete_shop_webhook", {"id": webhook_id}), 5, 404)
    error(await shop.send("DELETE", "delete_shop_webhook", {"id": webhook_id}), 5, 404)
    error(await shop.send("DELETE", "delete_shop_webhook", params=[("id", webhook_id)]), 5, 404)
    error(await shop.post("send_test_webhook", {"id": webhook_id}), 5, 404)
    error(await shop.post("rotate_webhook_secret", {"id": webhook_id}), 5, 404)
    error(await shop.get("get_webhook_deliveries", {"webhook_id": webhook_id}), 5, 404)
    error(await shop.post("redeliver_webhook_event", {"event_id": event_id}), 5, 404)
    redeliver = {"event_id": event_id, "webhook_id": webhook_id}
    error(await shop.post("redeliver_webhook_event", redeliver), 5, 404)


async def test_unknown_ids_give_5(shop: ClockedShop) -> None:
    await _every_id_endpoint(shop, "987654321", "0" * 32)
    await _every_id_endpoint(shop, str(2**63 - 1), "f" * 32)


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", str(2**63)])
async def test_malformed_ids_give_3(shop: ClockedShop, bad: str) -> None:
    error(await shop.post("delete_shop_webhook", {"id": bad}), 3, 400)
    error(await shop.post("send_test_webhook", {"id": bad}), 3, 400)
    error(await shop.get("get_webhook_deliveries", {"webhook_id": bad}), 3, 400)


async def test_another_shop_never_sees_or_touches_a_subscription(
    ctx: AppContext, shop: ClockedShop, other_shop: ClockedShop, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    await create_review(shop)
    await run_until_idle(ctx)
    (delivery,) = (await delivery_log(shop))["list"]
    event_id = delivery["event_id"]

    await _every_id_endpoint(other_shop, hook["id"], event_id)
    assert await listed(other_shop) == []
    for topic in TOPICS:
        assert await listed(other_shop, topic=topic) == []
    assert (await delivery_log(other_shop))["list"] == []
    assert (await delivery_log(other_shop, event_id=event_id))["list"] == []
    # B's own subscription at the same URL sees none of A's events.
    theirs = await subscribe(other_shop, receiver, path=hook["path"])
    assert (await delivery_log(other_shop, webhook_id=theirs["id"]))["list"] == []

    # A's subscription and deliveries are untouched by all of that.
    (mine,) = await listed(shop)
    assert mine == {k: v for k, v in hook.items() if k not in ("secret", "path")}
    assert (await delivery_log(shop))["list"] == [delivery]
    assert len(await receiver.log(hook["path"])) == 1


# --- URL rules -----------------------------------------------------------------------------


REFUSED_WITHOUT_PRIVATE_TARGETS = [
    ("http://hooks.example.net/reviews", "https"),
    ("http://127.0.0.1:8080/hook", "https"),
    ("http://localhost:8080/hook", "https"),
    ("ftp://hooks.example.net/reviews", "https"),
    ("hooks.example.net/reviews", "absolute"),
    ("/reviews", "absolute"),
    ("https://", "absolute"),
    ("https://user:pass@hooks.example.net/reviews", "user information"),
    ("https://user@hooks.example.net/reviews", "user information"),
    ("https://hooks.example.net/reviews#top", "fragment"),
    ("https://hooks.example.net/reviews#", "fragment"),
    ("https://hooks.example.net/" + "a" * 2030, "2048"),
    ("https://127.0.0.1/hook", "public"),
    ("https://127.1.2.3:8443/hook", "public"),
    ("https://10.0.0.1/hook", "public"),
    ("https://172.16.5.4/hook", "public"),
    ("https://172.31.255.255/hook", "public"),
    ("https://192.168.1.1/hook", "public"),
    ("https://169.254.169.254/latest/meta-data", "public"),
    ("https://100.64.0.1/hook", "public"),
    ("https://100.127.255.254/hook", "public"),
    ("https://0.0.0.0/hook", "public"),
    ("https://224.0.0.1/hook", "public"),
    ("https://255.255.255.255/hook", "public"),
    ("https://192.0.2.10/hook", "public"),
    ("https://198.18.0.1/hook", "public"),
    ("https://240.0.0.1/hook", "public"),
    ("https://[::1]/hook", "public"),
    ("https://[::]/hook", "public"),
    ("https://[fe80::1]/hook", "public"),
    ("https://[fc00::1]/hook", "public"),
    ("https://[fd12:3456::1]/hook", "public"),
    ("https://[ff02::1]/hook", "public"),
    ("https://[2001:db8::1]/hook", "public"),
    ("https://[::ffff:127.0.0.1]/hook", "public"),
    ("https://[::ffff:10.0.0.1]/hook", "public"),
    ("https://[::ffff:169.254.169.254]/hook", "public"),
    ("https://[64:ff9b::a00:1]/hook", "public"),  # NAT64 form of 10.0.0.1
    ("https://[64:ff9b::7f00:1]/hook", "public"),  # NAT64 form of 127.0.0.1
    ("https://[2002:a00:1::1]/hook", "public"),  # 6to4 form of 10.0.0.1
    ("https://[64:ff9b:1::a00:1]/hook", "public"),  # local-use NAT64 prefix
    ("https://localhost/hook", "public"),  # a host name resolving to 127.0.0.1
    ("https://LOCALHOST:8443/hook", "public"),
    ("https://2130706433/hook", "public"),  # 127.0.0.1 written as one number
    ("https://0x7f.1/hook", "public"),
    ("https://127.1/hook", "public"),
    ("https://does-not-exist.invalid/hook", "resolve"),
]


@pytest.mark.parametrize(("url", "rule"), REFUSED_WITHOUT_PRIVATE_TARGETS)
async def test_url_rules_without_private_targets(
    strict: tuple[AppContext, httpx.AsyncClient], shop: ClockedShop, url: str, rule: str
) -> None:
    strict_ctx, strict_client = strict
    strict_shop = shop.on(strict_client, strict_ctx)
    body = error(
        await strict_shop.post("create_shop_webhook", {"topic": "review/created", "url": url}),
        3,
        400,
    )
    assert "url" in body["message"], body
    assert rule in body["message"], body
    # The same rule on update, which then changes nothing.
    public = {"topic": "review/created", "url": "https://93.184.216.34/hook"}
    hook = ok(await strict_shop.post("create_shop_webhook", public))
    update = {"id": hook["id"], "topic": "review/created", "url": url}
    assert rule in error(await strict_shop.post("update_shop_webhook", update), 3, 400)["message"]
    assert [w["url"] for w in await listed(strict_shop)] == ["https://93.184.216.34/hook"]


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.216.34/hook",
        "https://93.184.216.34:8443/hook?x=1&y=2",
        "https://[2606:4700:4700::1111]/hook",
        "https://[::ffff:93.184.216.34]/hook",
        "HTTPS://93.184.216.34/hook",
        "https://93.184.216.34/" + "a" * (2048 - len("https://93.184.216.34/")),
    ],
)
async def test_public_urls_are_accepted_without_private_targets(
    strict: tuple[AppContext, httpx.AsyncClient], shop: ClockedShop, url: str
) -> None:
    strict_ctx, strict_client = strict
    strict_shop = shop.on(strict_client, strict_ctx)
    data = ok(
        await strict_shop.post("create_shop_webhook", {"topic": "review/created", "url": url})
    )
    assert data["url"] == url


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://localhost:8080/hook", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://127.9.9.9/hook", True),
        ("http://[::1]:8080/hook", True),
        ("https://10.0.0.1/hook", True),
        ("https://192.168.1.1/hook", True),
        ("https://localhost/hook", True),
        ("http://10.0.0.1/hook", False),
        ("http://192.168.1.1/hook", False),
        ("http://[::ffff:127.0.0.1]:8080/hook", False),
        ("ftp://127.0.0.1/hook", False),
        ("http://user:pw@127.0.0.1/hook", False),
        ("http://127.0.0.1/hook#x", False),
    ],
)
async def test_private_targets_setting_opens_loopback_http_only(
    shop: ClockedShop, url: str, accepted: bool
) -> None:
    response = await shop.post("create_shop_webhook", {"topic": "review/created", "url": url})
    if accepted:
        assert ok(response)["url"] == url
    else:
        error(response, 3, 400)


# --- netguard units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.216.34", True),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("169.254.1.1", False),
        ("100.64.0.1", False),
        ("100.127.255.255", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("198.51.100.1", False),
        ("203.0.113.1", False),
        ("198.18.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fdff::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),
        ("2001:db8::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:100.64.0.1", False),
        ("::ffff:0.0.0.0", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::6440:1", False),
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 (RFC 8215), whatever it embeds
        ("64:ff9b:1::5db8:d822", False),
        ("2002:7f00:1::1", False),
        ("2002:c0a8:101::1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("url", "allow_private", "expected"),
    [
        ("https://hooks.example.net/a", False, ("https", "hooks.example.net", 443)),
        ("https://Hooks.Example.NET:8443/a?b=c", False, ("https", "hooks.example.net", 8443)),
        ("http://localhost:9000/a", True, ("http", "localhost", 9000)),
        ("http://127.0.0.1/a", True, ("http", "127.0.0.1", 80)),
        ("http://[::1]:81/a", True, ("http", "::1", 81)),
        ("https://[2606:4700:4700::1111]/a", False, ("https", "2606:4700:4700::1111", 443)),
    ],
)
def test_check_static_accepts(
    url: str, allow_private: bool, expected: tuple[str, str, int]
) -> None:
    assert check_static(url, allow_private=allow_private) == expected


@pytest.mark.parametrize(
    ("url", "allow_private", "rule"),
    [
        ("http://localhost:9000/a", False, "https"),
        ("http://10.0.0.1/a", True, "https"),
        ("http://hooks.example.net/a", True, "https"),
        ("ws://hooks.example.net/a", False, "https"),
        ("mailto:ops@example.net", False, "absolute"),
        ("https:///a", False, "absolute"),
        ("//hooks.example.net/a", False, "absolute"),
        ("https://a:b@hooks.example.net/a", False, "user information"),
        ("https://a@hooks.example.net/a", True, "user information"),
        ("https://@hooks.example.net/a", False, "user information"),
        ("https://hooks.example.net/a#b", False, "fragment"),
        ("https://hooks.example.net/a#", False, "fragment"),
        ("https://hooks.example.net/a b", False, "white"),
        ("https://hooks.example.net:99999/a", False, "valid"),
        ("https://hooks.example.net/" + "a" * 2023, False, "2048"),
    ],
)
def test_check_static_refuses(url: str, allow_private: bool, rule: str) -> None:
    with pytest.raises(UrlRejected, match=rule):
        check_static(url, allow_private=allow_private)


def test_check_static_length_limit_is_2048_characters() -> None:
    base = "https://hooks.example.net/"
    check_static(base + "a" * (2048 - len(base)), allow_private=False)
    with pytest.raises(UrlRejected, match="2048"):
        check_static(base + "a" * (2049 - len(base)), allow_private=False)


async def test_check_url_returns_checked_addresses() -> None:
    target = await check_url("http://localhost:8080/a", allow_private=True)
    assert target.addresses and all(ipaddress.ip_address(a).is_loopback for a in target.addresses)
    assert (target.host, target.port, target.scheme) == ("localhost", 8080, "http")
    with pytest.raises(UrlRejected, match="public"):
        await check_url("https://localhost/a", allow_private=False)
    with pytest.raises(UrlRejected, match="resolve"):
        await check_url("https://does-not-exist.invalid/a", allow_private=True)
    literal = await check_url("https://93.184.216.34/a", allow_private=False)
    assert literal.addresses == ("93.184.216.34",)
