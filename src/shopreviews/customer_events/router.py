"""Partner API route of customer events (spec orders-events-customers.md)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/openapi", tags=["customer events"])
