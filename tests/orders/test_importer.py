"""The JSON-lines import, in process: reading and validating lines, then upserting orders
(docs/intake.md §2.2). tests/orders/test_import_cli.py runs the command itself."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shopreviews.customers.models import Customer
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument, NotFound
from shopreviews.kit.jobs import JobStatus
from shopreviews.orders import importer
from shopreviews.orders.importer import import_orders, lines_of, parse_line, read_file
from shopreviews.orders.models import Order, ReviewRequest
from shopreviews.orders.service import OrderFacts
from tests.orders.helpers import DELAY, NOW, at, counts, customer_rows, order_row, request_rows
from tests.support.api import Clock, ShopApi, create_shop

EXAMPLE = {
    "order_id": "1001",
    "order_name": "#1001",
    "created_at": "2026-06-01T14:22:10Z",
    "customer_id": "77",
    "customer_email": "jane@example.com",
    "customer_name": "Jane Doe",
    "fulfilled_at": "2026-06-02T10:00:00Z",
    "products": [{"product_id": "9200305176832", "title": "Linen shirt"}],
}
MINIMAL = {"order_id": 1002, "created_at": 1780644116}


def line(**fields: Any) -> str:
    row = {**MINIMAL, **fields}
    return json.dumps({k: v for k, v in row.items() if v is not ...}, ensure_ascii=False)


# --- parse_line ------------------------------------------------------------------------------


def test_the_contract_example_line() -> None:
    facts = parse_line(json.dumps(EXAMPLE))
    assert facts == OrderFacts(
        order_id="1001",
        created_at=at("2026-06-01T14:22:10Z"),
        order_name="#1001",
        customer_id="77",
        customer_email="jane@example.com",
        customer_name="Jane Doe",
        products=[{"product_id": "9200305176832", "title": "Linen shirt", "handle": ""}],
        fulfilled_at=at("2026-06-02T10:00:00Z"),
    )


def test_a_minimal_line_and_lenient_forms() -> None:
    assert parse_line(json.dumps(MINIMAL)) == OrderFacts(
        order_id="1002", created_at=at("2026-06-05T07:21:56Z")
    )
    facts = parse_line(
        line(
            order_id=" A-17 ",
            customer_id=4242,
            customer_email="  Jane@Example.COM ",
            customer_name="  Jane  ",
            created_at="2026-06-01",
            cancelled_at="2026-06-03 10:00:00",
            fulfilled_at="",
            products=[{"product_id": 9, "title": None, "handle": "linen-shirt", "price": 5}],
            unknown_field={"ignored": True},
        )
        + "\r"
    )
    assert facts == OrderFacts(
        order_id="A-17",
        created_at=at("2026-06-01T00:00:00Z"),
        customer_id="4242",
        customer_email="jane@example.com",
        customer_name="Jane",
        products=[{"product_id": "9", "title": "", "handle": "linen-shirt"}],
        cancelled_at=at("2026-06-03T10:00:00Z"),
    )
    guest = parse_line(line(customer_id="", customer_email=None, order_name=None))
    assert (guest.customer_id, guest.customer_email, guest.order_name) == ("", "", "")


# (line, the message after "line N: "); every message starts with the field it is about.
BAD_LINES: list[tuple[str, str]] = [
    ("not json", "not valid JSON"),
    ('{"order_id": 1', "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ("[1, 2]", "each line must be a JSON object"),
    ('"order"', "each line must be a JSON object"),
    (line(order_id=...), "order_id is required"),
    (line(order_id=None), "order_id is required"),
    (line(order_id=""), "order_id must be 1 to 64 visible ASCII characters"),
    (line(order_id="a b"), "order_id must be 1 to 64 visible ASCII characters"),
    (line(order_id="a,b"), "order_id must be 1 to 64 visible ASCII characters"),
    (line(order_id="x" * 65), "order_id must be 1 to 64 visible ASCII characters"),
    (line(order_id=True), "order_id must be a string or integer id"),
    (line(order_id=1.5), "order_id must be a string or integer id"),
    (line(order_name=5), "order_name must be a string"),
    (line(order_name="x" * 65), "order_name must be at most 64 characters"),
    (line(order_name="#1\u00001"), "order_name must not contain the U+0000 character"),
    (line(created_at=...), "created_at is required"),
    (line(created_at=""), "created_at is required"),
    (line(created_at="2026-06-01T14:22:10"), "created_at must be 'YYYY-MM-DD HH:MM:SS'"),
    (line(created_at="2026-02-30"), "created_at must be 'YYYY-MM-DD HH:MM:SS'"),
    (line(created_at=10**10), "created_at must be Unix seconds of 1 to 10 digits"),
    (line(created_at=1.5), "created_at must be a time string or Unix seconds"),
    (line(created_at=True), "created_at must be a time"),
    (line(customer_id="a b"), "customer_id must be 1 to 64 visible ASCII characters"),
    (line(customer_id=False), "customer_id must be a string or integer id"),
    (line(customer_email="jane"), "customer_email must be an email address"),
    (line(customer_email="a@b@c"), "customer_email must be an email address"),
    (line(customer_email=5), "customer_email must be a string"),
    (line(customer_email="j" * 250 + "@x.com"), "customer_email must be at most 254 characters"),
    (line(customer_email="jane\u0000@x.com"), "customer_email must not contain the U+0000"),
    (line(customer_name=["Jane"]), "customer_name must be a string"),
    (line(customer_name="x" * 256), "customer_name must be at most 255 characters"),
    ('{"order_id": 1, "created_at": 1, "customer_name": "\\ud800"}', "customer_name must not"),
    (line(fulfilled_at="soon"), "fulfilled_at must be 'YYYY-MM-DD HH:MM:SS'"),
    (line(cancelled_at={"at": 1}), "cancelled_at must be a time string or Unix seconds"),
    (line(products="9200305176832"), "products must be an array of at most 100 items"),
    (line(products=[{"product_id": i} for i in range(101)]), "products must be an array"),
    (line(products=[{"title": "Shirt"}]), "products[0] must be an object with a product_id"),
    (line(products=[{"product_id": 1}, "p"]), "products[1] must be an object with a product_id"),
    (line(products=[{"product_id": "a b"}]), "products[0].product_id must be 1 to 64"),
    (line(products=[{"product_id": 1, "title": 5}]), "products[0].title must be a string"),
    (
        line(products=[{"product_id": 1, "handle": "h" * 256}]),
        "products[0].handle must be at most 255 characters",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), BAD_LINES, ids=[f"{i}-{m[:40]}" for i, (_, m) in enumerate(BAD_LINES)]
)
def test_a_bad_line_names_its_line_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_line(text)
    orders, errors = read_file([json.dumps(EXAMPLE), text])
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"line 2: {message}"), errors
    assert [o.order_id for o in orders] == ["1001"]


def test_every_bad_line_is_reported_and_blank_lines_are_skipped() -> None:
    lines = [
        json.dumps(EXAMPLE),
        "",
        "   \t",
        line(order_id="a b"),
        line(order_id="ok-2"),
        "not json",
        "",
    ]
    orders, errors = read_file(lines)
    assert [o.order_id for o in orders] == ["1001", "ok-2"]
    assert errors == [
        "line 4: order_id must be 1 to 64 visible ASCII characters without whitespace or commas",
        "line 6: not valid JSON",
    ]


def test_lines_of_a_file() -> None:
    raw = (
        "\ufeff"
        + line(order_id="1", customer_name="Ann\u2028Lee\u0085Ng")
        + "\r\n"
        + line(order_id="2")
        + "\n"
    ).encode()
    assert "\u2028".encode() in raw  # raw, not escaped
    lines = lines_of(raw)
    assert len(lines) == 3 and lines[2] == ""  # the byte-order mark is gone
    orders, errors = read_file(lines)
    assert errors == []
    # U+2028 and U+0085 are legal inside a JSON string: they do not end a line.
    assert [(o.order_id, o.customer_name) for o in orders] == [
        ("1", "Ann\u2028Lee\u0085Ng"),
        ("2", ""),
    ]
    with pytest.raises(UnicodeDecodeError):
        lines_of(b'{"order_id": "\xff"}')


# --- import_orders ---------------------------------------------------------------------------

RECENT = (NOW - timedelta(days=2)).isoformat()
STALE = (NOW - DELAY - timedelta(days=31)).isoformat()
FILE = [
    line(order_id="plain", customer_id="c1", customer_email="ann@example.com", order_name="#1"),
    line(order_id="fulfilled", customer_email="bob@example.com", fulfilled_at=RECENT),
    line(order_id="cancelled", customer_email="cy@example.com", cancelled_at=RECENT),
    line(order_id="stale", customer_email="di@example.com", fulfilled_at=STALE),
    line(
        order_id="both",
        customer_email="ed@example.com",
        fulfilled_at=RECENT,
        cancelled_at=RECENT,
    ),
]


async def _import(ctx: AppContext, shop: ShopApi, lines: list[str]) -> int:
    orders, errors = read_file(lines)
    assert errors == []
    return await import_orders(ctx, shop.shop_id, orders)


async def _snapshot(ctx: AppContext, shop: ShopApi) -> list[dict[str, Any]]:
    """Every column of every row the import writes for `shop`."""
    rows: list[dict[str, Any]] = []
    async with ctx.db.session(write=False) as session:
        for model in (Order, ReviewRequest, Customer):
            found = await session.execute(
                select(model).where(model.shop_id == shop.shop_id).order_by(model.id)
            )
            for row in found.scalars():
                rows.append({c.key: getattr(row, c.key) for c in model.__table__.columns})
    return rows


async def test_import_applies_fulfilment_and_cancellation(
    ctx: AppContext, shop: ShopApi, clock: Clock
) -> None:
    clock.set(NOW.timestamp())
    assert await _import(ctx, shop, FILE) == 5

    expected = {
        "plain": (1, ""),
        "fulfilled": (2, ""),
        "cancelled": (6, "cancelled"),
        "stale": (6, "too_old"),
        "both": (6, "cancelled"),
    }
    for order_id, (status, reason) in expected.items():
        order = await order_row(ctx, shop, order_id)
        assert (order.status, order.cancel_reason) == (status, reason), order_id
    fulfilled = await order_row(ctx, shop, "fulfilled")
    assert fulfilled.fulfilled_at == at(RECENT)
    assert fulfilled.scheduled_at == at(RECENT) + DELAY
    assert (await order_row(ctx, shop, "cancelled")).cancelled_at == at(RECENT)
    [request] = await request_rows(ctx, shop)
    assert (request.order_pk, request.run_at, request.status) == (
        fulfilled.id,
        fulfilled.scheduled_at,
        JobStatus.PENDING,
    )
    [customer] = await customer_rows(ctx, shop)
    assert (customer.customer_id, customer.email) == ("c1", "ann@example.com")


async def test_reimport_changes_nothing_and_later_files_update(
    ctx: AppContext, shop: ShopApi, clock: Clock
) -> None:
    clock.set(NOW.timestamp())
    await _import(ctx, shop, FILE)
    first = await _snapshot(ctx, shop)

    clock.set((NOW + timedelta(days=1)).timestamp())
    assert await _import(ctx, shop, FILE) == 5
    assert await _snapshot(ctx, shop) == first

    # A later export of the same orders: upserted by order_id, never duplicated.
    update = [
        line(order_id="plain", order_name="#1-renamed", fulfilled_at=RECENT),
        line(order_id="fulfilled", cancelled_at=RECENT),
    ]
    await _import(ctx, shop, update)
    plain = await order_row(ctx, shop, "plain")
    assert (plain.order_name, plain.status, plain.customer_email) == (
        "#1-renamed",
        2,
        "ann@example.com",  # an absent field never erases a known value
    )
    assert (await order_row(ctx, shop, "fulfilled")).status == 6
    requests = await request_rows(ctx, shop)
    assert [r.status for r in requests] == [JobStatus.CANCELLED, JobStatus.PENDING]
    assert len([r for r in await _snapshot(ctx, shop) if "order_name" in r]) == 5


async def test_import_runs_in_batches_with_progress(
    ctx: AppContext, shop: ShopApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    orders, _ = read_file([line(order_id=f"b{i}") for i in range(5)])
    seen: list[tuple[int, int]] = []
    done = await import_orders(ctx, shop.shop_id, orders, progress=lambda d, t: seen.append((d, t)))
    assert done == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert len([r for r in await _snapshot(ctx, shop) if "order_name" in r]) == 5


async def test_import_into_an_unknown_shop_stores_nothing(ctx: AppContext) -> None:
    before = await counts(ctx)
    orders, _ = read_file(FILE)
    with pytest.raises(NotFound) as raised:
        await import_orders(ctx, "no-such-shop", orders)
    assert "no-such-shop" in raised.value.message
    assert await counts(ctx) == before


async def test_imports_of_two_shops_stay_apart(ctx: AppContext, client: httpx.AsyncClient) -> None:
    first, second = await create_shop(ctx, client), await create_shop(ctx, client)
    await _import(ctx, first, [line(order_id="same", customer_email="a@example.com")])
    await _import(ctx, second, [line(order_id="same", customer_email="b@example.com")])
    assert (await order_row(ctx, first, "same")).customer_email == "a@example.com"
    assert (await order_row(ctx, second, "same")).customer_email == "b@example.com"
