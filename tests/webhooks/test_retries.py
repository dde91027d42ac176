"""Failed deliveries (spec webhooks.md "Success rule", "Retry schedule", "Disabling"): the
exact schedule under a controlled clock, jitter and horizon, Retry-After, 410 and 5 days of
failures, dead deliveries, redelivery, test events, redirects, the response cap, timeouts."""

from __future__ import annotations

import asyncio
import math
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from shopreviews.kit.context import AppContext
from shopreviews.webhooks import delivery, schedule
from shopreviews.webhooks.schedule import (
    HORIZON,
    delay_before,
    next_attempt_at,
    parse_retry_after,
)
from tests.support.api import Clock, error, ok
from tests.support.reviews import create as create_review
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    attempt_rows,
    check_headers,
    deliveries,
    run_once,
    run_until_idle,
    stored_events,
    subscribe,
)
from tests.webhooks.helpers import delivery_log

MINUTE, HOUR, DAY = 60, 3600, 86400
LONG_DELAYS = {11: 1, 12: 2, 13: 4, 14: 8, 15: 16, 16: 16, 17: 16}  # hours, spec table
T0 = datetime(2026, 6, 5, 7, 21, 56, tzinfo=UTC)


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def received_count(receiver: Receiver, path: str) -> int:
    return len(await receiver.log(path))


async def only_delivery(ctx: AppContext, shop: ClockedShop) -> Any:
    (row,) = await deliveries(ctx, shop.shop_id)
    return row


async def listed_hook(shop: ClockedShop) -> dict[str, Any]:
    (hook,) = ok(await shop.get("get_shop_webhooks"))
    assert isinstance(hook, dict)
    return hook


# --- through the worker ----------------------------------------------------------------------


async def test_a_recovering_receiver_gets_the_event_and_every_attempt_is_logged(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[500, {}], [404, {}, "no such hook"], [201, {}]])
    await create_review(shop)
    for at in (start, start + 3 * MINUTE, start + 9 * MINUTE):
        clock.set(at)
        await run_once(ctx)
    got = await receiver.log(hook["path"])
    assert len(got) == 3
    assert len({r.body for r in got}) == 1 and len({r.headers["webhook-id"] for r in got}) == 1
    for request, at in zip(got, (start, start + 180, start + 540), strict=True):
        check_headers(request, shop, hook["secret"], timestamp=at)

    (listed,) = (await delivery_log(shop))["list"]
    assert listed["status"] == "succeeded" and listed["attempts"] == 3
    assert listed["next_attempt_at"] == ""
    assert listed["event_id"] == got[0].headers["webhook-id"]
    assert listed["webhook_id"] == hook["id"] and listed["topic"] == "review/created"
    log = listed["attempt_log"]
    assert [(a["attempt"], a["status_code"], a["succeeded"]) for a in log] == [
        (1, 500, 0),
        (2, 404, 0),
        (3, 201, 1),
    ]
    assert [a["started_at"] for a in log] == [rfc3339(t) for t in (start, start + 180, start + 540)]
    assert log[1]["response"] == "no such hook"
    assert log[2]["response"] == '{"code":0,"message":"success"}'
    assert all(a["duration_ms"] >= 0 and a["error"] == "" for a in log)


async def test_schedule_to_the_last_attempt(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    """Attempts 2-10 exactly on schedule, 11-17 within ±10 %, 18 at the 72 h horizon, then
    dead. Before each run_at the worker sends nothing; at run_at it sends."""
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[500, {}]] * 18)
    await create_review(shop)
    await run_once(ctx)
    row = await only_delivery(ctx, shop)
    assert row.first_attempt_at == datetime.fromtimestamp(start, UTC)
    previous_end = start  # the clock stands still during an attempt
    for attempt in range(2, 19):
        row = await only_delivery(ctx, shop)
        assert (row.status, row.attempts) == ("pending", attempt - 1)
        run_at = row.run_at.timestamp()
        delay = run_at - previous_end
        if attempt <= 10:
            assert delay == 3 * MINUTE * (attempt - 1), attempt
        elif attempt < 18:
            nominal = LONG_DELAYS[attempt] * HOUR
            assert 0.9 * nominal <= delay <= 1.1 * nominal, (attempt, delay / nominal)
        else:
            assert run_at == start + 72 * HOUR
        (listed,) = (await delivery_log(shop))["list"]
        assert listed["next_attempt_at"] == rfc3339(math.floor(run_at))

        clock.set(math.ceil(run_at) - 1)
        await run_once(ctx)
        assert await received_count(receiver, hook["path"]) == attempt - 1, attempt
        clock.set(math.ceil(run_at))
        await run_once(ctx)
        assert await received_count(receiver, hook["path"]) == attempt, attempt
        previous_end = math.ceil(run_at)

    row = await only_delivery(ctx, shop)
    assert (row.status, row.attempts) == ("dead", 18)
    (listed,) = (await delivery_log(shop))["list"]
    assert listed["status"] == "dead" and listed["next_attempt_at"] == ""
    assert [a["attempt"] for a in listed["attempt_log"]] == list(range(1, 19))
    assert {(a["status_code"], a["succeeded"]) for a in listed["attempt_log"]} == {(500, 0)}
    clock.set(start + 30 * DAY)
    await run_once(ctx)
    assert await received_count(receiver, hook["path"]) == 18
    # 72 h is less than 5 days: the subscription itself stays enabled.
    assert (await listed_hook(shop))["status"] == "enabled"


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("header", "delay"),
    [
        ("600", 600),  # later than the schedule's 3 min: honoured
        ("120", 180),  # earlier: the schedule still applies
        ("0", 180),
        (" 3600 ", 3600),
        ("+7200", 7200),  # an HTTP date 2 h ahead
        ("-3600", 180),  # an HTTP date in the past
        ("259200", DAY),  # 3 days counts as 24 h
        ("+259200", DAY),
        ("86400", DAY),
        ("soon", 180),  # unreadable: ignored
    ],
)
async def test_retry_after_is_honoured(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock, header: str, delay: int
) -> None:
    start = int(time.time())
    clock.set(start)
    if header[0] in "+-":
        header = http_date(start + int(header))
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[503, {"Retry-After": header}]])
    await create_review(shop)
    await run_once(ctx)
    row = await only_delivery(ctx, shop)
    assert row.run_at.timestamp() == start + delay
    clock.set(start + delay - 1)
    await run_once(ctx)
    assert await received_count(receiver, hook["path"]) == 1
    clock.set(start + delay)
    await run_once(ctx)
    assert await received_count(receiver, hook["path"]) == 2
    assert (await only_delivery(ctx, shop)).status == "succeeded"


async def test_410_disables_the_subscription_and_cancels_its_pending_deliveries(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    other = await subscribe(shop, receiver, "review/created")
    await receiver.script(hook["path"], [[500, {}], [410, {}]])
    await create_review(shop)  # attempt 1 fails: waits for its retry
    await run_until_idle(ctx)
    await create_review(shop)  # answered 410
    await run_until_idle(ctx)

    listed = {h["id"]: h for h in ok(await shop.get("get_shop_webhooks"))}
    assert (listed[hook["id"]]["status"], listed[hook["id"]]["disabled_reason"]) == (
        "disabled",
        "gone",
    )
    assert (listed[other["id"]]["status"], listed[other["id"]]["disabled_reason"]) == (
        "enabled",
        "",
    )
    mine = [d for d in await deliveries(ctx, shop.shop_id) if d.subscription_id == int(hook["id"])]
    assert [(d.status, d.attempts) for d in mine] == [("cancelled", 1), ("dead", 1)]
    assert await attempt_rows(ctx, mine[1].id) == [(1, 410, False)]

    # Nothing more is sent or queued while disabled; the other subscription carries on.
    clock.set(start + DAY)
    await create_review(shop)
    await run_until_idle(ctx)
    assert await received_count(receiver, hook["path"]) == 2
    assert await received_count(receiver, other["path"]) == 3
    rows = await deliveries(ctx, shop.shop_id)
    assert len([d for d in rows if d.subscription_id == int(hook["id"])]) == 2
    error(await shop.post("send_test_webhook", {"id": hook["id"]}), 3, 400)
    event_id = (await stored_events(ctx, shop.shop_id))[0].event_id
    redeliver = {"event_id": event_id, "webhook_id": hook["id"]}
    error(await shop.post("redeliver_webhook_event", redeliver), 5, 404)


async def test_five_days_of_failures_disable_with_failing(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[500, {}]] * 4)
    await create_review(shop)  # A: fails at start, the streak begins
    await run_once(ctx)

    clock.set(start + 5 * DAY - 60)
    await create_review(shop)  # B fails; A's retry is past its horizon: A is dead
    await run_once(ctx)
    assert (await listed_hook(shop))["status"] == "enabled"

    clock.set(start + 5 * DAY)
    await create_review(shop)  # C fails 5 days into the streak: disabled
    await run_once(ctx)
    disabled = await listed_hook(shop)
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "failing")
    assert disabled["updated_at"] == rfc3339(start + 5 * DAY)
    assert [(d.status, d.attempts) for d in await deliveries(ctx, shop.shop_id)] == [
        ("dead", 2),
        ("cancelled", 1),
        ("dead", 1),
    ]
    await create_review(shop)
    assert len(await deliveries(ctx, shop.shop_id)) == 3  # nothing queued while disabled

    # Re-enabling starts a new streak; a success ends it, so failures after it start afresh.
    body = {"id": hook["id"], "topic": hook["topic"], "url": hook["url"]}
    assert ok(await shop.post("update_shop_webhook", body))["status"] == "enabled"
    t1 = start + 6 * DAY
    clock.set(t1)
    await receiver.script(hook["path"], [[500, {}]])
    await create_review(shop)  # D fails at t1
    await run_once(ctx)
    clock.set(t1 + 4 * DAY)
    await create_review(shop)  # E succeeds, and so does D's overdue retry
    await run_once(ctx)
    clock.set(t1 + 5 * DAY + 60)
    await receiver.script(hook["path"], [[500, {}]])
    await create_review(shop)  # F fails more than 5 days after D, but after E's success
    await run_once(ctx)
    assert (await listed_hook(shop))["status"] == "enabled"
    assert [d.status for d in await deliveries(ctx, shop.shop_id)][3:] == [
        "succeeded",
        "succeeded",
        "pending",
    ]


async def test_redeliver_queues_the_same_event_again(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    first = await subscribe(shop, receiver)
    second = await subscribe(shop, receiver)
    elsewhere = await subscribe(shop, receiver, "review/updated")
    await create_review(shop)
    await run_until_idle(ctx)
    (event,) = await stored_events(ctx, shop.shop_id)

    queued = ok(await shop.post("redeliver_webhook_event", {"event_id": event.event_id}))
    assert sorted(d["webhook_id"] for d in queued) == sorted([first["id"], second["id"]])
    for d in queued:
        assert (d["event_id"], d["topic"], d["status"], d["attempts"]) == (
            event.event_id,
            "review/created",
            "pending",
            0,
        )
        assert d["attempt_log"] == []
    only = {"event_id": event.event_id, "webhook_id": int(first["id"])}
    (just_one,) = ok(await shop.post("redeliver_webhook_event", only))
    assert just_one["webhook_id"] == first["id"]
    await run_until_idle(ctx)

    for hook, times in ((first, 3), (second, 2)):
        got = await receiver.log(hook["path"])
        assert len(got) == times
        for request in got:
            assert request.body == event.body.encode()
            check_headers(request, shop, hook["secret"])
    assert await receiver.log(elsewhere["path"]) == []
    listing = await delivery_log(shop, event_id=event.event_id)
    assert listing["page"]["count"] == 5
    assert {d["status"] for d in listing["list"]} == {"succeeded"}
    assert (await delivery_log(shop, webhook_id=first["id"]))["page"]["count"] == 3

    wrong_topic = {"event_id": event.event_id, "webhook_id": elsewhere["id"]}
    error(await shop.post("redeliver_webhook_event", wrong_topic), 3, 400)
    error(await shop.post("redeliver_webhook_event", {"event_id": "abc"}), 3, 400)


@pytest.mark.parametrize("topic", ["review/updated", "customer_event/created"])
async def test_send_test_webhook_reaches_that_subscription_only(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, topic: str
) -> None:
    target = await subscribe(shop, receiver, topic)
    sibling = await subscribe(shop, receiver, topic)
    queued = ok(await shop.post("send_test_webhook", {"id": target["id"]}))
    assert (queued["webhook_id"], queued["topic"], queued["status"]) == (
        target["id"],
        topic,
        "pending",
    )
    await run_until_idle(ctx)
    (got,) = await receiver.log(target["path"])
    check_headers(got, shop, target["secret"])
    payload = got.payload
    assert payload["test"] is True and payload["topic"] == topic
    assert payload["event_id"] == queued["event_id"]
    (item,) = payload["list"]
    assert (item["shopify_shop_id"], item["my_shopify_domain"]) == (
        shop.shop_id,
        shop.myshopify_domain,
    )
    assert await receiver.log(sibling["path"]) == []
    assert [(d.subscription_id, d.status) for d in await deliveries(ctx, shop.shop_id)] == [
        (int(target["id"]), "succeeded")
    ]


@pytest.mark.parametrize("status", [200, 201, 202, 226, 299])
async def test_any_2xx_is_a_success(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, status: int
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[status, {}, "whatever"]])
    await create_review(shop)
    await run_until_idle(ctx)
    row = await only_delivery(ctx, shop)
    assert (row.status, row.attempts) == ("succeeded", 1)


@pytest.mark.parametrize("status", [400, 401, 404, 409, 429, 500, 502, 503, 504])
async def test_other_statuses_are_failures(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock, status: int
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[status, {}]])
    await create_review(shop)
    await run_once(ctx)
    row = await only_delivery(ctx, shop)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.run_at.timestamp() == start + 3 * MINUTE
    assert await attempt_rows(ctx, row.id) == [(1, status, False)]
    assert (await listed_hook(shop))["status"] == "enabled"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_failures_and_not_followed(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, clock: Clock, status: int
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    elsewhere = receiver.new_path()
    await receiver.script(hook["path"], [[status, {"Location": receiver.url(elsewhere)}]])
    await create_review(shop)
    await run_once(ctx)
    row = await only_delivery(ctx, shop)
    assert (row.status, row.attempts) == ("pending", 1)
    assert await attempt_rows(ctx, row.id) == [(1, status, False)]
    assert await receiver.log(elsewhere) == []
    clock.set(start + 3 * MINUTE)
    await run_once(ctx)
    assert (await only_delivery(ctx, shop)).status == "succeeded"
    assert await receiver.log(elsewhere) == []
    assert await received_count(receiver, hook["path"]) == 2


async def test_response_body_is_read_up_to_64_kib(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    size = 32 * 1024 * 1024
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[200, {}, {"bytes": size}]])
    await create_review(shop)
    await run_until_idle(ctx)
    (listed,) = (await delivery_log(shop))["list"]
    assert listed["status"] == "succeeded"
    (attempt,) = listed["attempt_log"]
    assert attempt["response"] == "x" * 1000
    # The worker hung up after 64 KiB: the receiver could not write the rest.
    for _ in range(200):
        (got,) = await receiver.log(hook["path"])
        if got.response_bytes_written is not None:
            break
        await asyncio.sleep(0.05)
    assert got.response_bytes_written is not None and got.response_bytes_written < size


async def test_a_timeout_is_a_failure(
    ctx: AppContext,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The 15 s budget shortened, so the test does not wait 15 s for it.
    monkeypatch.setattr(delivery, "TOTAL_TIMEOUT", 0.5)
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], 2)
    await create_review(shop)
    await run_once(ctx)
    (listed,) = (await delivery_log(shop))["list"]
    (attempt,) = listed["attempt_log"]
    assert attempt["status_code"] is None and attempt["succeeded"] == 0
    assert "timed out" in attempt["error"]
    assert listed["status"] == "pending" and listed["next_attempt_at"] == rfc3339(start + 180)


async def test_a_refused_connection_is_a_failure(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ok(
        await shop.post(
            "create_shop_webhook",
            {"topic": "review/created", "url": f"http://127.0.0.1:{port}/nobody"},
        )
    )
    await create_review(shop)
    await run_once(ctx)
    (listed,) = (await delivery_log(shop))["list"]
    (attempt,) = listed["attempt_log"]
    assert attempt["status_code"] is None and "ConnectError" in attempt["error"]
    assert listed["status"] == "pending"


async def test_an_attempt_in_flight_when_its_delivery_is_cancelled_is_still_logged(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], 2)
    await create_review(shop)
    sending = asyncio.create_task(run_once(ctx))
    for _ in range(400):
        if await receiver.log(hook["path"]):
            break
        await asyncio.sleep(0.01)
    # While the request is in flight, the topic change cancels the delivery.
    body = {"id": hook["id"], "topic": "review/updated", "url": hook["url"]}
    ok(await shop.post("update_shop_webhook", body))
    await sending
    (row,) = await deliveries(ctx, shop.shop_id)
    assert row.status == "cancelled"
    # The request did go out, so the log says so.
    assert await attempt_rows(ctx, row.id) == [(1, 200, True)]


# --- schedule units --------------------------------------------------------------------------


class Extreme(random.Random):
    """An rng whose uniform() always returns one end of the range."""

    def __init__(self, end: int) -> None:
        super().__init__()
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return (a, b)[self.end]


def test_delays_of_attempts_2_to_10_are_exact() -> None:
    for attempt in range(2, 11):
        assert delay_before(attempt) == timedelta(minutes=3 * (attempt - 1))
        assert delay_before(attempt, Extreme(0)) == delay_before(attempt, Extreme(1))
    cumulative = sum((delay_before(a) for a in range(2, 11)), timedelta())
    assert cumulative == timedelta(minutes=135)


@pytest.mark.parametrize("attempt", sorted(LONG_DELAYS))
def test_delays_of_attempts_11_to_17_have_10_percent_jitter(attempt: int) -> None:
    nominal = timedelta(hours=LONG_DELAYS[attempt])
    assert delay_before(attempt, Extreme(0)) == nominal * 0.9
    assert delay_before(attempt, Extreme(1)) == nominal * 1.1
    rng = random.Random(attempt)
    samples = [delay_before(attempt, rng) for _ in range(500)]
    assert all(nominal * 0.9 <= s <= nominal * 1.1 for s in samples)
    assert len(set(samples)) > 400  # really random
    assert min(samples) < nominal < max(samples)


def test_next_attempt_follows_the_table_and_the_horizon() -> None:
    rng = random.Random(7)
    at = T0
    for failed in range(1, 18):
        nxt = next_attempt_at(failed_attempt=failed, first_attempt_at=T0, finished_at=at, rng=rng)
        assert nxt is not None and T0 < nxt <= T0 + HORIZON
        if failed + 1 <= 10:
            assert nxt - at == timedelta(minutes=3 * failed)
        elif failed + 1 == 18:
            assert nxt == T0 + HORIZON  # the last one, at the horizon
        at = nxt
    assert next_attempt_at(failed_attempt=18, first_attempt_at=T0, finished_at=at) is None


@pytest.mark.parametrize("failed", range(1, 18))
def test_nothing_is_scheduled_beyond_the_horizon(failed: int) -> None:
    for finished in (HORIZON - timedelta(minutes=1), HORIZON - timedelta(hours=20)):
        nxt = next_attempt_at(
            failed_attempt=failed, first_attempt_at=T0, finished_at=T0 + finished, rng=Extreme(1)
        )
        assert nxt is not None and nxt <= T0 + HORIZON
    # An attempt that ended at or after the horizon was the last one.
    for late in (HORIZON, HORIZON + timedelta(seconds=1), HORIZON * 2):
        after = next_attempt_at(failed_attempt=failed, first_attempt_at=T0, finished_at=T0 + late)
        assert after is None


def test_retry_after_in_the_schedule() -> None:
    end = T0 + timedelta(hours=1)

    def nxt(failed: int, retry_after: datetime | None, finished: datetime = end) -> datetime | None:
        return next_attempt_at(
            failed_attempt=failed,
            first_attempt_at=T0,
            finished_at=finished,
            retry_after=retry_after,
            rng=Extreme(0),
        )

    assert nxt(1, end + timedelta(minutes=10)) == end + timedelta(minutes=10)
    assert nxt(1, end + timedelta(minutes=1)) == end + timedelta(minutes=3)
    assert nxt(1, end - timedelta(hours=5)) == end + timedelta(minutes=3)
    assert nxt(1, end + timedelta(days=3)) == end + timedelta(hours=24)  # capped at 24 h
    late = T0 + HORIZON - timedelta(hours=2)
    assert nxt(14, late + timedelta(hours=20), late) == T0 + HORIZON  # bounded by the horizon


def test_parse_retry_after() -> None:
    now = T0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after("120", now) == now + timedelta(seconds=120)
    assert parse_retry_after(" 5 ", now) == now + timedelta(seconds=5)
    assert parse_retry_after("0", now) == now
    assert parse_retry_after("999999999", now) == now + schedule.MAX_RETRY_AFTER
    assert parse_retry_after("Fri, 05 Jun 2026 09:21:56 GMT", now) == now + timedelta(hours=2)
    assert parse_retry_after("Fri, 05 Jun 2026 09:21:56 +0100", now) == now + timedelta(hours=1)
    for garbage in ("-5", "1.5", "soon", "Fri, 05 Jun 2026", "٣"):
        assert parse_retry_after(garbage, now) is None, garbage
