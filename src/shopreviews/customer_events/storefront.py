"""The public storefront event collection endpoint, with CORS (docs/intake.md §4)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["storefront"])
