"""Helpers of the webhook tests only (the shared ones are in tests/support/webhooks.py)."""

from __future__ import annotations

from typing import Any

from tests.support.api import ShopApi, ok

WEBHOOK_FIELDS = {"id", "topic", "url", "created_at", "updated_at", "status", "disabled_reason"}
TOPICS = ("review/created", "review/updated", "review/deleted", "customer_event/created")


async def delivery_log(shop: ShopApi, **params: Any) -> dict[str, Any]:
    """get_webhook_deliveries data ({"page", "list"})."""
    data: dict[str, Any] = ok(await shop.get("get_webhook_deliveries", params))
    return data
