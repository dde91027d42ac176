"""The back office's settings pages (docs/back-office.md); the paths
are under /backoffice, where backoffice/router.py includes them."""

from __future__ import annotations

from fastapi import APIRouter

from shopreviews.backoffice.web import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
