"""Worker.run_forever keeps its slots busy: a slow job holds one slot, not the whole worker,
and a receiver that hangs holds at most its destination's bound of slots, whatever its backlog.

Real deliveries to real receiver processes (tests/support/receiver.py), on the test database.
No timing thresholds: the slow receiver is far slower than anything else in a test (the hanging
one answers only when the test releases it), and the assertions are about order (the fast
deliveries done while the slow ones are still unanswered) and about what the rows say.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus, Worker
from shopreviews.kit.jobs.worker import JobHandler
from shopreviews.webhooks import delivery
from shopreviews.webhooks.delivery import DeliveryHandler, destination_key, new_http_client
from shopreviews.webhooks.models import WebhookDelivery
from tests.support.api import Clock, ShopApi
from tests.support.webhooks import (
    Receiver,
    deliveries,
    loopback_receiver,
    record_events,
    run_until_idle,
    subscribe,
)

SLOW = 12.0  # seconds the slow receiver takes: below the 15 s delivery timeout, far above the rest


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    async with loopback_receiver() as running:
        yield running


async def _cancel_pending(ctx: AppContext) -> None:
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == JobStatus.PENDING)
            .values(
                status=JobStatus.CANCELLED,
                last_error="left over by a test",
                lease_owner=None,
                lease_until=None,
            )
        )


@pytest.fixture(scope="module")
async def healthy_receiver() -> AsyncIterator[Receiver]:
    """A second receiver: another port, so another destination than `receiver`."""
    async with loopback_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    """The queue is shared by the whole session: start and end every test with nothing due."""
    await _cancel_pending(ctx)
    yield
    await _cancel_pending(ctx)


@contextlib.asynccontextmanager
async def worker_running(
    ctx: AppContext, wrap: Callable[[DeliveryHandler], JobHandler] | None = None, **options: Any
) -> AsyncIterator[tuple[Worker, asyncio.Event, asyncio.Task[None]]]:
    """run_forever in a task, woken on committed jobs as in `shopreviews worker`; stopped (and
    awaited) on exit unless the test did it already."""
    async with new_http_client() as http:
        handler = DeliveryHandler(ctx, http)
        worker = Worker(ctx, [wrap(handler) if wrap else handler], **options)
        ctx.db.on_jobs_committed.append(worker.wake)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop))
        try:
            yield worker, stop, task
        finally:
            stop.set()
            async with asyncio.timeout(60):  # only so that a broken stop cannot hang the suite
                await task
            ctx.db.on_jobs_committed.remove(worker.wake)


async def wait_for(what: str, check: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    """Poll until `check` holds; the limit only stops a broken run from hanging."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def statuses(ctx: AppContext, shop_id: str) -> Counter[str]:
    return Counter(row.status for row in await deliveries(ctx, shop_id))


async def test_fast_deliveries_pass_a_slow_one_in_flight(
    ctx: AppContext, shop: ShopApi, other_shop: ShopApi, receiver: Receiver
) -> None:
    slow_hook = await subscribe(shop, receiver)
    fast_hook = await subscribe(other_shop, receiver)
    await receiver.slow(slow_hook["path"], SLOW)
    await record_events(ctx, shop.shop_id, 1)

    async with worker_running(ctx, stop_seconds=0) as (worker, _, _):

        async def slow_in_flight() -> bool:
            return len(await receiver.log(slow_hook["path"])) == 1

        await wait_for("the slow delivery in flight", slow_in_flight)
        await record_events(ctx, other_shop.shop_id, 30)  # queued behind it, worker woken

        async def fast_delivered() -> bool:
            return await statuses(ctx, other_shop.shop_id) == Counter({"succeeded": 30})

        await wait_for("the 30 fast deliveries", fast_delivered)

        # ...while the slow one is still waiting for its answer.
        (slow,) = await deliveries(ctx, shop.shop_id)
        assert (slow.status, slow.attempts, slow.lease_owner) == ("pending", 0, worker.owner)
        (request,) = await receiver.log(slow_hook["path"])
        assert request.response_bytes_written is None  # not answered yet
    assert len(await receiver.log(fast_hook["path"])) == 30


async def test_stop_lets_running_jobs_finish_and_claims_no_more(
    ctx: AppContext, shop: ShopApi, receiver: Receiver
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], 2)
    await record_events(ctx, shop.shop_id, 15)  # more than the 10 slots

    # All 10 slots for the one destination here: the bound has tests of its own below.
    async with worker_running(ctx, concurrency=10, per_destination=10) as (_, stop, task):

        async def slots_full() -> bool:
            return len(await receiver.log(hook["path"])) >= 10

        await wait_for("10 deliveries in flight", slots_full)
        stop.set()
        async with asyncio.timeout(60):
            await task

    # The deliveries in flight at stop were answered and recorded, not abandoned; the others
    # were never claimed (no lease), so they are due for the next worker at once.
    rows = await deliveries(ctx, shop.shop_id)
    done = [r for r in rows if r.status == "succeeded"]
    left = [r for r in rows if r.status != "succeeded"]
    assert len(done) >= 10
    assert {(r.attempts, r.lease_owner) for r in done} == {(1, None)}
    assert {(r.status, r.attempts, r.lease_owner) for r in left} <= {("pending", 0, None)}
    assert len(await receiver.log(hook["path"])) == len(done)

    await receiver.slow(hook["path"], 0)
    assert await run_until_idle(ctx) == len(left)
    assert await statuses(ctx, shop.shop_id) == Counter({"succeeded": 15})
    got = Counter(r.headers["webhook-id"] for r in await receiver.log(hook["path"]))
    assert len(got) == 15 and set(got.values()) == {1}  # each event once


async def test_a_job_still_running_at_stop_is_cancelled_and_comes_back(
    ctx: AppContext, shop: ShopApi, receiver: Receiver, clock: Clock
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], SLOW)
    await record_events(ctx, shop.shop_id, 1)

    async with worker_running(ctx, stop_seconds=0) as (worker, stop, task):

        async def in_flight() -> bool:
            return len(await receiver.log(hook["path"])) == 1

        await wait_for("the delivery in flight", in_flight)
        stop.set()
        async with asyncio.timeout(60):
            await task  # stop_seconds=0: cancelled at once instead of waiting for the answer

    # Nothing recorded: the delivery is still pending under the stopped worker's lease...
    (row,) = await deliveries(ctx, shop.shop_id)
    assert (row.status, row.attempts, row.lease_owner) == ("pending", 0, worker.owner)
    # ...and once the 60 s lease has run out, the next worker delivers it.
    await receiver.slow(hook["path"], 0)
    clock.set(time.time() + 61)
    assert await run_until_idle(ctx) == 1
    (row,) = await deliveries(ctx, shop.shop_id)
    assert (row.status, row.attempts, row.lease_owner) == ("succeeded", 1, None)


class Failing:
    """A handler that raises on its first job (a bug, not a failed delivery)."""

    name = "failing"

    def __init__(self, inner: DeliveryHandler) -> None:
        self.inner = inner
        self.queue = inner.queue
        self.failed: list[int] = []

    async def run(self, job_id: int, owner: str) -> None:
        if not self.failed:
            self.failed.append(job_id)
            raise RuntimeError("handler bug")
        await self.inner.run(job_id, owner)


async def test_a_handler_exception_does_not_stop_the_loop(
    ctx: AppContext, shop: ShopApi, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(shop, receiver)
    handlers: list[Failing] = []

    def failing(inner: DeliveryHandler) -> Failing:
        handlers.append(Failing(inner))
        return handlers[0]

    async with worker_running(ctx, wrap=failing) as (worker, _, _):
        await record_events(ctx, shop.shop_id, 1)

        async def failed() -> bool:
            return bool(handlers[0].failed)

        await wait_for("the failing job", failed)
        await record_events(ctx, shop.shop_id, 5)  # after the failure: the loop still runs

        async def delivered() -> bool:
            return (await statuses(ctx, shop.shop_id))["succeeded"] == 5

        await wait_for("the other deliveries", delivered)

    (failed_id,) = handlers[0].failed
    rows = {r.id: r for r in await deliveries(ctx, shop.shop_id)}
    # The failed job keeps its lease, so it comes back when the lease runs out.
    assert (rows[failed_id].status, rows[failed_id].lease_owner) == ("pending", worker.owner)
    assert "failed unexpectedly" in caplog.text


class Backlog:
    """A handler over an in-memory queue of `jobs` jobs (None: endless) that finish at once."""

    destinations = None  # jobs that go nowhere in particular: no bound per destination

    def __init__(self, name: str, jobs: int | None) -> None:
        self.name = name
        self.left = jobs
        self.ran = 0
        self.queue: Any = self  # its own queue: claim() below

    async def claim(self, session: Any, *, owner: str, now: datetime, limit: int) -> list[Any]:
        count = limit if self.left is None else min(limit, self.left)
        if self.left is not None:
            self.left -= count
        return [SimpleNamespace(id=n) for n in range(count)]

    async def run(self, job_id: int, owner: str) -> None:
        self.ran += 1


async def test_a_handlers_backlog_does_not_starve_another(ctx: AppContext) -> None:
    """Free slots go to the handlers in turn: an endless first handler leaves room for the
    second (taking the first handler first every time would never run the second)."""
    endless, small = Backlog("endless", None), Backlog("small", 5)
    worker = Worker(ctx, [endless, small], concurrency=4)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:

        async def small_done() -> bool:
            return small.ran == 5

        await wait_for("the second handler's jobs", small_done)
    finally:
        stop.set()
        await task
    assert endless.ran > 0


class Held(Backlog):
    """An endless backlog whose jobs wait until released: counts how many run at once."""

    def __init__(self) -> None:
        super().__init__("held", None)
        self.release = asyncio.Event()
        self.running = 0

    async def run(self, job_id: int, owner: str) -> None:
        self.running += 1
        try:
            await self.release.wait()
        finally:
            self.running -= 1
            self.ran += 1


async def test_the_worker_runs_as_many_jobs_at_once_as_its_setting_says(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx, "settings", ctx.settings.model_copy(update={"worker_concurrency": 3}))
    held = Held()
    worker = Worker(ctx, [held])
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:

        async def three_running() -> bool:
            return held.running == 3

        await wait_for("three held jobs", three_running)
        for _ in range(5):  # wake-ups and polls claim nothing while every slot is held
            worker.wake()
            await asyncio.sleep(0.02)
        assert (held.running, held.ran) == (3, 0)
        held.release.set()

        async def more_ran() -> bool:
            return held.ran > 3

        await wait_for("the next jobs", more_ran)
    finally:
        held.release.set()
        stop.set()
        await task
    assert held.running == 0


class PerShop:
    """Wraps the delivery handler: counts each shop's deliveries running at once, and the most
    there ever were."""

    name = "webhook"

    def __init__(self, inner: DeliveryHandler) -> None:
        self.inner = inner
        self.queue = inner.queue
        self.running: Counter[str] = Counter()
        self.most: Counter[str] = Counter()

    async def run(self, job_id: int, owner: str) -> None:
        async with self.inner.ctx.db.session(write=False) as session:
            row = await session.get(WebhookDelivery, job_id)
            assert row is not None
            shop_id = row.shop_id
        self.running[shop_id] += 1
        self.most[shop_id] = max(self.most[shop_id], self.running[shop_id])
        try:
            await self.inner.run(job_id, owner)
        finally:
            self.running[shop_id] -= 1


async def hold(receiver: Receiver, path: str, *, held: bool) -> None:
    """Requests to `path` get no answer until released (then the held ones are answered)."""
    response = await receiver.http.post("/_hold" if held else "/_release", json={"path": path})
    assert response.status_code == 200


async def test_a_hanging_receiver_holds_its_bound_of_slots_and_no_more(
    ctx: AppContext,
    shop: ShopApi,
    other_shop: ShopApi,
    receiver: Receiver,
    healthy_receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No attempt may end by timing out while the test looks: the test ends the hang itself.
    monkeypatch.setattr(delivery, "TOTAL_TIMEOUT", 600.0)
    # Shop A: two subscriptions at one host that never answers (one destination, two paths),
    # 40 events queued first, so that their 80 deliveries come first in the claim order.
    paths = [receiver.new_path(), receiver.new_path()]
    for path in paths:
        await hold(receiver, path, held=True)
        await subscribe(shop, receiver, path=path)
    healthy = await subscribe(other_shop, healthy_receiver)
    await record_events(ctx, shop.shop_id, 40)
    counted: list[PerShop] = []

    def per_shop(inner: DeliveryHandler) -> PerShop:
        counted.append(PerShop(inner))
        return counted[0]

    async def hanging_requests() -> list[Any]:
        return [r for path in paths for r in await receiver.log(path)]

    try:
        async with worker_running(ctx, wrap=per_shop, per_destination=2) as (worker, _, _):

            async def hanging_in_flight() -> bool:
                return len(await hanging_requests()) >= 2

            await wait_for("shop A's first deliveries in flight", hanging_in_flight)
            await record_events(ctx, other_shop.shop_id, 30)  # behind A's 78 waiting ones

            async def healthy_delivered() -> bool:
                return await statuses(ctx, other_shop.shop_id) == Counter({"succeeded": 30})

            await wait_for("shop B's 30 deliveries", healthy_delivered)

            # ...while A's two requests still have no answer, and no other of A's deliveries
            # was sent or leased: they wait, due, at their place in the queue.
            requests = await hanging_requests()
            assert [r.response_bytes_written for r in requests] == [None, None]
            rows = await deliveries(ctx, shop.shop_id)
            assert Counter((r.status, r.attempts, r.lease_owner) for r in rows) == Counter(
                {("pending", 0, worker.owner): 2, ("pending", 0, None): 78}
            )
            assert len(await healthy_receiver.log(healthy["path"])) == 30

            # The host answers again: A's deliveries all go, still at most two at a time.
            for path in paths:
                await hold(receiver, path, held=False)

            async def hanging_delivered() -> bool:
                return await statuses(ctx, shop.shop_id) == Counter({"succeeded": 80})

            await wait_for("shop A's 80 deliveries", hanging_delivered)
    finally:
        for path in paths:
            await hold(receiver, path, held=False)

    assert counted[0].most == Counter({shop.shop_id: 2, other_shop.shop_id: 2})
    rows = await deliveries(ctx, shop.shop_id)
    assert {(r.attempts, r.lease_owner) for r in rows} == {(1, None)}
    for path in paths:
        got = Counter(r.headers["webhook-id"] for r in await receiver.log(path))
        assert len(got) == 40 and set(got.values()) == {1}  # each event once per subscription


def test_destinations_are_scheme_host_and_port() -> None:
    """Subscriptions that reach one receiver share its slots, however their URLs are written."""
    assert {
        destination_key("https://Hooks.Example.com/a"),
        destination_key("HTTPS://hooks.example.com:443/b?x=1"),
        destination_key("https://hooks.example.com"),
    } == {"https://hooks.example.com:443"}
    assert destination_key("https://hooks.example.com:8443/a") == "https://hooks.example.com:8443"
    assert destination_key("http://127.0.0.1/a") == "http://127.0.0.1:80"
    assert destination_key("http://[::1]:9000/a") == "http://[::1]:9000"
