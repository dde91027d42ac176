"""The API reference page and its files (docs: README "API reference")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shopreviews.api_reference import assets, page

router = APIRouter(tags=["api reference"], include_in_schema=False)


@router.get("/docs")
async def reference_page() -> HTMLResponse:
    """Swagger UI over /openapi.json, with the panel that signs shop requests."""
    return HTMLResponse(page.page(), headers=page.PAGE_HEADERS)


@router.get("/docs/assets/{version}/{name}")
async def reference_asset(request: Request, version: str, name: str) -> Response:
    """A script or stylesheet of the page, cached for a year: its URL changes with its bytes."""
    found = assets.asset(version, name)
    headers = {
        "Cache-Control": assets.CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if assets.accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
