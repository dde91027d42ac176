"""The pages and pixel behind the links of review-request emails (docs/intake.md §3.2)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
