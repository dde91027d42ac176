"""Database connections ended under the server (a restart, a failover, pg_terminate_backend).

A request whose connection dies before its transaction reached COMMIT is run again once on a
fresh connection, so the client sees no error and the outbox still holds one event; one whose
connection dies during COMMIT is not, since its outcome is unknown. The disconnects themselves
need PostgreSQL; the rules of the retry layer are tested on any database.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from shopreviews.kit.context import AppContext
from shopreviews.kit.db_retry import DisconnectRetry, Message, is_disconnect
from shopreviews.kit.jobs import JobStatus
from shopreviews.kit.outbox import DomainEvent
from shopreviews.reviews import service as review_service
from shopreviews.reviews.models import Review
from shopreviews.shops.repository import key_by_public_token
from shopreviews.webhooks.models import WebhookDelivery
from tests.support.api import ShopApi, error, ok

# Every other connection to the test database, each waited for (up to 5 s) until it is gone.
END_OTHERS = (
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture
def postgres(ctx: AppContext) -> str:
    """The asyncpg DSN of the test database; skips on SQLite, whose connections are files that
    nothing can end from outside."""
    if ctx.db.is_sqlite:
        pytest.skip("PostgreSQL only: a SQLite connection is a file handle nothing can end")
    return ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def end_connections(dsn: str) -> int:
    """End every other connection to the database, from a thread with a loop of its own.

    The test's event loop is blocked meanwhile, so the application's drivers notice nothing
    until they next use a connection: as when the server goes away between two requests.
    """
    ended: list[int] = []

    async def run() -> None:
        admin = await asyncpg.connect(dsn)
        try:
            ended.append(await admin.fetchval(END_OTHERS))
        finally:
            await admin.close()

    thread = threading.Thread(target=lambda: asyncio.run(run()))
    thread.start()
    thread.join()
    return ended[0]


class EndOnStatement:
    """Ends every connection when a statement starting with `prefix` is about to run; counts
    how often it ran (each run is one attempt of the request)."""

    def __init__(self, ctx: AppContext, dsn: str, prefix: str, *, times: int = 1) -> None:
        self.engine = ctx.db.engine.sync_engine
        self.dsn = dsn
        self.prefix = prefix
        self.left = times
        self.seen = 0

    def __call__(self, _conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(self.prefix):
            self.seen += 1
            if self.left > 0:
                self.left -= 1
                assert end_connections(self.dsn) >= 1

    def __enter__(self) -> EndOnStatement:
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


@pytest.fixture
async def subscribed(ctx: AppContext, shop: ShopApi) -> AsyncIterator[ShopApi]:
    """The shop with a review/created subscription; its deliveries are cancelled afterwards
    (nothing listens at the address, and other tests' workers share the queue)."""
    ok(
        await shop.post(
            "create_shop_webhook", {"topic": "review/created", "url": "http://127.0.0.1:9/hook"}
        )
    )
    yield shop
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop.shop_id)
            .values(status=JobStatus.CANCELLED, lease_owner=None, lease_until=None)
        )


async def stored(ctx: AppContext, shop_id: str) -> tuple[int, int, int]:
    """(reviews, review/created events, webhook deliveries) of the shop."""
    async with ctx.db.session(write=False) as session:
        reviews = await session.scalar(
            select(func.count()).select_from(Review).where(Review.shop_id == shop_id)
        )
        events = await session.scalar(
            select(func.count())
            .select_from(DomainEvent)
            .where(DomainEvent.shop_id == shop_id, DomainEvent.topic == "review/created")
        )
        deliveries = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop_id)
        )
    return reviews or 0, events or 0, deliveries or 0


REVIEW = {"rating": 4, "author": "Jane", "content": "Survived a failover."}


async def test_create_after_every_connection_ended(
    ctx: AppContext, postgres: str, subscribed: ShopApi
) -> None:
    """Between two requests the server ends every pooled connection (both pools)."""
    shop = subscribed
    ok(await shop.get("get_rating", {"is_all_rating": 1}))  # both pools hold connections
    assert end_connections(postgres) >= 2
    data = ok(await shop.post("create_review", REVIEW))
    assert data["content"] == REVIEW["content"]
    assert await stored(ctx, shop.shop_id) == (1, 1, 1)


async def test_create_whose_connection_dies_before_commit_runs_again(
    ctx: AppContext, postgres: str, subscribed: ShopApi
) -> None:
    """The connection dies in the middle of the transaction: nothing was committed, so the
    request runs again and the review, its event and its delivery exist once."""
    shop = subscribed
    with EndOnStatement(ctx, postgres, "INSERT INTO reviews") as hook:
        data = ok(await shop.post("create_review", REVIEW))
    assert hook.seen == 2  # the first attempt's insert died with its connection
    assert data["author"] == "Jane"
    assert await stored(ctx, shop.shop_id) == (1, 1, 1)
    listed = ok(await shop.get("get_reviews"))
    assert [review["id"] for review in listed["list"]] == [data["id"]]


async def test_connection_dying_during_commit_is_not_run_again(
    ctx: AppContext, postgres: str, subscribed: ShopApi
) -> None:
    """COMMIT was sent on a connection that died: whether it took effect is unknown, so the
    request is answered with code 13 and never repeated (a repeat could store it twice)."""
    shop = subscribed
    inserts = EndOnStatement(ctx, postgres, "INSERT INTO reviews", times=0)
    ended: list[int] = []

    def end_at_commit(_conn: Connection) -> None:
        ended.append(end_connections(postgres))

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "commit", end_at_commit)
    try:
        with inserts:
            body = error(await shop.post("create_review", REVIEW), 13, 500)
    finally:
        event.remove(engine, "commit", end_at_commit)
    assert body["message"] == "internal error" and body["data"] is None
    assert inserts.seen == 1 and len(ended) == 1 and ended[0] >= 1
    # The server ended the transaction before its COMMIT arrived: nothing was stored.
    assert await stored(ctx, shop.shop_id) == (0, 0, 0)


async def test_read_whose_connection_dies_mid_query_runs_again(
    ctx: AppContext, postgres: str, shop: ShopApi
) -> None:
    """get_reviews computes its answer (a cache miss) on a connection that dies mid-read."""
    created = ok(await shop.post("create_review", REVIEW))
    with EndOnStatement(ctx, postgres, "SELECT reviews.") as hook:
        listed = ok(await shop.get("get_reviews", {"page_size": 10}))
    assert hook.seen >= 2
    assert [review["id"] for review in listed["list"]] == [created["id"]]
    assert listed["page"]["count"] == 1


async def test_signed_read_after_every_connection_ended(
    ctx: AppContext, postgres: str, shop: ShopApi
) -> None:
    """The credentials lookup's own pool: its dead connections are replaced and the lookup
    runs again, on a cached answer (the lookup is the request's only query) and on a miss."""
    ok(await shop.post("create_review", REVIEW))
    first = ok(await shop.get("get_rating", {"is_all_rating": 1}))
    for _ in range(3):  # cached: only the lookup touches the database
        assert end_connections(postgres) >= 1
        assert ok(await shop.get("get_rating", {"is_all_rating": 1})) == first
    assert end_connections(postgres) >= 1
    listed = ok(await shop.get("get_reviews"))
    assert listed["page"]["count"] == 1


async def test_idle_connection_ended_by_the_server_is_replaced_at_checkout(
    ctx: AppContext, postgres: str, shop: ShopApi
) -> None:
    """Outside any request (the worker, the CLI): a pooled connection the server ended while
    it sat idle is replaced when the session takes it, with no liveness ping."""
    async with ctx.db.session(write=True) as session:
        await session.execute(select(1))  # the pool holds an idle connection
    assert end_connections(postgres) >= 1
    await asyncio.sleep(0.1)  # idle time: the event loop reads the closed sockets
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.shop_id == shop.shop_id)
            .values(attempts=0)
        )
        assert await session.scalar(select(func.pg_backend_pid())) is not None


async def test_credentials_lookup_replaces_its_dead_connections(
    ctx: AppContext, postgres: str, shop: ShopApi
) -> None:
    """The lookup's own pool, outside any request: each of its connections was ended, and the
    lookup still answers (it runs once more on a fresh connection)."""
    reader = ctx.db.point_reads
    await asyncio.gather(*(key_by_public_token(reader, shop.public_token) for _ in range(4)))
    for _ in range(2):
        assert end_connections(postgres) >= 1
        key = await key_by_public_token(reader, shop.public_token)
        assert key is not None and key.shop_id == shop.shop_id


async def test_errors_other_than_disconnects_are_not_run_again(
    ctx: AppContext, shop: ShopApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any database: a failure that is not a lost connection is answered once, code 13."""
    calls: list[str] = []

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        calls.append("create")
        raise RuntimeError("a bug, not a disconnect")

    monkeypatch.setattr(review_service, "create", broken)
    body = error(await shop.post("create_review", REVIEW), 13, 500)
    assert body["message"] == "internal error"
    assert calls == ["create"]
    assert await stored(ctx, shop.shop_id) == (0, 0, 0)


def lost_connection() -> DBAPIError:
    """What SQLAlchemy raises for a statement on a connection the server ended."""
    return DBAPIError(
        "INSERT INTO reviews ...",
        None,
        ConnectionResetError("reset by peer"),
        connection_invalidated=True,
    )


async def test_lost_connection_before_commit_runs_again_on_any_database(
    ctx: AppContext, shop: ShopApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run writes its rows and then loses its connection: they are rolled back, the
    request runs again with the same body, and the review exists once."""
    real_create = review_service.create
    runs: list[str] = []

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        review = await real_create(*args, **kwargs)
        runs.append(review.content)
        if len(runs) == 1:
            raise lost_connection()
        return review

    monkeypatch.setattr(review_service, "create", flaky)
    data = ok(await shop.post("create_review", REVIEW))
    assert runs == [REVIEW["content"]] * 2
    assert data["content"] == REVIEW["content"]
    assert await stored(ctx, shop.shop_id) == (1, 1, 0)


async def test_lost_connection_after_commit_is_not_run_again_on_any_database(
    ctx: AppContext, subscribed: ShopApi
) -> None:
    """Once COMMIT went out the request is answered with code 13, not run again: here the
    connection is reported lost right after the commit (as the wake-up of the worker runs)."""
    shop = subscribed
    wakes: list[str] = []

    def fail_after_commit() -> None:
        wakes.append("woken")
        raise lost_connection()

    ctx.db.on_jobs_committed.append(fail_after_commit)
    try:
        body = error(await shop.post("create_review", REVIEW), 13, 500)
    finally:
        ctx.db.on_jobs_committed.remove(fail_after_commit)
    assert body["message"] == "internal error"
    assert wakes == ["woken"]
    assert await stored(ctx, shop.shop_id) == (1, 1, 1)


def raised_from(cause: BaseException) -> DBAPIError:
    """SQLAlchemy's error around a driver's, as the dialect raises it (`raise ... from`)."""
    wrapped = DBAPIError("SELECT 1", None, cause)
    wrapped.__cause__ = cause
    return wrapped


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (
            asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
            True,
        ),
        (asyncpg.InterfaceError("connection is closed"), True),
        # asyncpg's protocol state after some mid-statement terminations: unusable, as if lost.
        (
            asyncpg.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            ),
            True,
        ),
        (raised_from(asyncpg.CannotConnectNowError("the database system is starting up")), True),
        (raised_from(BrokenPipeError(32, "Broken pipe")), True),
        (raised_from(asyncpg.UniqueViolationError("duplicate key value")), False),
        (
            raised_from(asyncpg.QueryCanceledError("canceling statement due to statement timeout")),
            False,
        ),
        (
            asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
            False,
        ),
        (RuntimeError("a bug"), False),
    ],
)
def test_what_counts_as_a_lost_connection(error: BaseException, lost: bool) -> None:
    assert is_disconnect(error) is lost


class Recorder:
    """A bare ASGI app behind DisconnectRetry: reads the body, then answers or fails."""

    def __init__(self, *, fail_runs: int, start_first: bool = False) -> None:
        self.fail_runs = fail_runs
        self.start_first = start_first
        self.bodies: list[bytes] = []
        self.sent: list[Message] = []

    async def app(self, _scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        if self.start_first:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        if len(self.bodies) <= self.fail_runs:
            raise lost_connection()
        if not self.start_first:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async def call(self, chunks: list[bytes], *, max_body_bytes: int = 100) -> None:
        incoming = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]

        async def receive() -> Message:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            self.sent.append(message)

        layer = DisconnectRetry(self.app, max_body_bytes=max_body_bytes)
        await layer({"type": "http", "method": "POST", "path": "/x"}, receive, send)


async def test_second_run_reads_the_same_body() -> None:
    recorder = Recorder(fail_runs=1)
    await recorder.call([b"first half, ", b"second half"])
    assert recorder.bodies == [b"first half, second half"] * 2
    assert [m["type"] for m in recorder.sent] == ["http.response.start", "http.response.body"]
    assert recorder.sent[1]["body"] == b"first half, second half"


async def test_runs_at_most_twice() -> None:
    recorder = Recorder(fail_runs=2)
    with pytest.raises(DBAPIError):
        await recorder.call([b"{}"])
    assert recorder.bodies == [b"{}", b"{}"] and recorder.sent == []


async def test_no_second_run_once_the_response_started() -> None:
    recorder = Recorder(fail_runs=1, start_first=True)
    with pytest.raises(DBAPIError):
        await recorder.call([b"{}"])
    assert len(recorder.bodies) == 1 and len(recorder.sent) == 1


async def test_no_second_run_for_a_body_beyond_the_limit() -> None:
    """A body larger than the API limit (a media upload) is not kept for a second run."""
    recorder = Recorder(fail_runs=1)
    with pytest.raises(DBAPIError):
        await recorder.call([b"x" * 60, b"y" * 60], max_body_bytes=100)
    assert len(recorder.bodies) == 1 and recorder.sent == []
