"""Partner API routes of unsubscribes and exclusions (spec orders-events-customers.md)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/openapi", tags=["customers"])
