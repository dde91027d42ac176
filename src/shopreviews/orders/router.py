"""get_orders and the Shopify order-webhook intake (spec + docs/intake.md §2)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["orders"])
