"""Routes of the storefront widget (docs/storefront.md, "The widget"): the ES module under its
plain and content-hashed names, and the demo product page that only `shopreviews demo` serves
(main.create_demo_app)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shopreviews.widget import service

router = APIRouter(tags=["widget"], include_in_schema=False)

MEDIA_TYPE = "text/javascript; charset=utf-8"


def _module_response(request: Request, served: service.ServedModule) -> Response:
    headers = {
        "Cache-Control": served.cache_control,
        "ETag": served.etag,
        # A shop's pages load the module from this origin: module scripts need CORS.
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    if served.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(served.body, headers={**headers, "Content-Type": MEDIA_TYPE})


@router.get("/widget/v1/shopreviews.js")
async def widget_module(request: Request) -> Response:
    """The widget module under its plain name (cached 5 minutes)."""
    return _module_response(request, service.module_file(None))


@router.get("/widget/v1/shopreviews.{content_hash}.js")
async def widget_module_hashed(request: Request, content_hash: str) -> Response:
    """The same module under its content-hashed name (cached for a year, immutable)."""
    return _module_response(request, service.module_file(content_hash))


def demo_router(shop_domain: str, products: Sequence[tuple[str, str]]) -> APIRouter:
    """The demo product page of a shop's catalogue ((product id, title), the first is the page's
    product); main.create_demo_app gives it the demo shop's."""
    router = APIRouter(tags=["demo"], include_in_schema=False)

    @router.get("/demo/storefront")
    async def demo_storefront() -> HTMLResponse:
        """The demo shop's product page with the widget and star badges."""
        page = service.demo_page(shop_domain, products)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return router
