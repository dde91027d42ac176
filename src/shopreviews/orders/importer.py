"""`shopreviews orders import`: orders from a JSON-lines file (docs/intake.md §2.2)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from shopreviews.kit.context import AppContext
from shopreviews.kit.email_address import parse_email
from shopreviews.kit.envelope import InvalidArgument, NotFound
from shopreviews.kit.params import parse_external_id
from shopreviews.kit.schemas import unstorable_text
from shopreviews.kit.timefmt import parse_time
from shopreviews.orders import service as order_service
from shopreviews.orders.service import OrderFacts
from shopreviews.shops import service as shops

BATCH = 500
MAX_PRODUCTS = 100


def _text(row: dict[str, Any], name: str, limit: int, *, label: str = "") -> str:
    value = row.get(name)
    label = label or name
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"{label} must be a string")
    _storable(value, label)
    if len(value.strip()) > limit:
        raise InvalidArgument(f"{label} must be at most {limit} characters")
    return value.strip()


def _storable(value: str, name: str) -> None:
    """U+0000 and lone surrogate escapes ("\\ud800") parse as JSON but cannot be stored."""
    problem = unstorable_text(value, subject=name)
    if problem is not None:
        raise InvalidArgument(problem)


def _time(row: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = row.get(name)
    if value is None or value == "":
        if required:
            raise InvalidArgument(f"{name} is required")
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InvalidArgument(f"{name} {exc}") from None


def _products(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_PRODUCTS:
        raise InvalidArgument(f"products must be an array of at most {MAX_PRODUCTS} items")
    products = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or item.get("product_id") is None:
            raise InvalidArgument(f"products[{i}] must be an object with a product_id")
        product = {
            "product_id": parse_external_id(item["product_id"], f"products[{i}].product_id"),
            "title": _text(item, "title", 255, label=f"products[{i}].title"),
            "handle": _text(item, "handle", 255, label=f"products[{i}].handle"),
        }
        sku = _text(item, "sku", 64, label=f"products[{i}].sku")
        if sku:
            product["sku"] = sku
        products.append(product)
    return products


def _email(value: Any) -> str:
    if isinstance(value, str):
        _storable(value, "customer_email")
    return parse_email(value, "customer_email")


def parse_line(text: str) -> OrderFacts:
    """One line of the file as order facts; code 3 naming the field otherwise."""
    try:
        row = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidArgument("not valid JSON") from None
    if not isinstance(row, dict):
        raise InvalidArgument("each line must be a JSON object")
    if row.get("order_id") is None:
        raise InvalidArgument("order_id is required")
    order_id = parse_external_id(row["order_id"], "order_id")
    email, customer_id = row.get("customer_email"), row.get("customer_id")
    created_at = _time(row, "created_at", required=True)
    assert created_at is not None
    return OrderFacts(
        order_id=order_id,
        created_at=created_at,
        order_name=_text(row, "order_name", 64),
        customer_id=""
        if customer_id in (None, "")
        else parse_external_id(customer_id, "customer_id"),
        customer_email="" if email in (None, "") else _email(email),
        customer_name=_text(row, "customer_name", 255),
        products=_products(row.get("products")),
        fulfilled_at=_time(row, "fulfilled_at"),
        cancelled_at=_time(row, "cancelled_at"),
    )


def lines_of(raw: bytes) -> list[str]:
    """The lines of a UTF-8 file (a leading byte-order mark is dropped); UnicodeDecodeError
    when it is not UTF-8. Lines end at \\n only (\\r\\n too: JSON ignores the \\r):
    str.splitlines() would also split inside a JSON string at U+2028, U+2029 or U+0085,
    which JSON allows unescaped."""
    return raw.decode("utf-8-sig").split("\n")


def read_file(lines: Iterable[str]) -> tuple[list[OrderFacts], list[str]]:
    """Every order of the file, and every problem as `line N: message`."""
    orders: list[OrderFacts] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            orders.append(parse_line(line))
        except InvalidArgument as exc:
            errors.append(f"line {number}: {exc.detail}")
    return orders, errors


def _batches(items: list[OrderFacts]) -> Iterator[list[OrderFacts]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


async def import_orders(
    ctx: AppContext,
    shop_id: str,
    orders: list[OrderFacts],
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Upsert the orders in batches of BATCH (each batch one transaction)."""
    async with ctx.db.session(write=False) as session:
        if await shops.find(session, shop_id) is None:
            raise NotFound(f"shop {shop_id} not found", prefixed=False)
    done = 0
    for batch in _batches(orders):
        async with ctx.db.session(write=True) as session:
            shop = await shops.find(session, shop_id)
            assert shop is not None
            now = ctx.now_datetime()
            for facts in batch:
                await order_service.receive(session, shop, facts, now=now)
        done += len(batch)
        progress(done, len(orders))
    return done
