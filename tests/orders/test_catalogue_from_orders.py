"""Order line items fill the product catalogue (docs/storefront.md, "Product catalogue"): a
Shopify line item's `sku`, and an imported order's `products[].sku`, name the product in the
Google feed; what the catalogue already knows is never overwritten."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.orders.importer import import_orders, read_file
from shopreviews.reviews.models import Product
from tests.orders.helpers import deliver, shopify_order
from tests.support.api import ShopApi, ok


async def catalogue(ctx: AppContext, shop: ShopApi) -> dict[str, dict[str, Any]]:
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(select(Product).where(Product.shop_id == shop.shop_id))
        return {
            p.product_id: {"title": p.title, "handle": p.handle, "sku": p.sku}
            for p in rows.scalars()
        }


async def test_shopify_line_items_fill_the_catalogue_sku(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    line_items = [
        {"id": 1, "product_id": 9200305176832, "title": "Linen shirt", "sku": " LS-001 "},
        {"id": 2, "product_id": 9200305176833, "title": "Wool socks"},
    ]
    ok(await deliver(client, shopify_shop, "orders/create", shopify_order(line_items=line_items)))
    assert await catalogue(ctx, shopify_shop) == {
        "9200305176832": {"title": "Linen shirt", "handle": "", "sku": "LS-001"},
        "9200305176833": {"title": "Wool socks", "handle": "", "sku": ""},
    }
    # A later order fills what is still unknown and changes nothing that is known.
    later = [
        {"id": 1, "product_id": 9200305176832, "title": "Renamed", "sku": "OTHER"},
        {"id": 2, "product_id": 9200305176833, "title": "Socks", "sku": "WS-9"},
    ]
    ok(
        await deliver(
            client, shopify_shop, "orders/create", shopify_order(5512345678902, line_items=later)
        )
    )
    assert await catalogue(ctx, shopify_shop) == {
        "9200305176832": {"title": "Linen shirt", "handle": "", "sku": "LS-001"},
        "9200305176833": {"title": "Wool socks", "handle": "", "sku": "WS-9"},
    }


async def test_imported_orders_fill_the_catalogue(ctx: AppContext, shop: ShopApi) -> None:
    line = (
        '{"order_id": "1", "created_at": "2026-06-01", "customer_email": "a@example.com", '
        '"products": [{"product_id": "55", "title": "Mug", "handle": "mug", "sku": "MUG-1"}]}'
    )
    orders, errors = read_file([line])
    assert errors == []
    assert await import_orders(ctx, shop.shop_id, orders) == 1
    assert await catalogue(ctx, shop) == {"55": {"title": "Mug", "handle": "mug", "sku": "MUG-1"}}
