"""Helpers of the widget's browser tests: a local storefront (another origin than the app) that
serves a test page and review photos, seeded reviews, and axe-core in Chromium."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from axe_playwright_python.async_playwright import Axe
from PIL import Image
from playwright.async_api import Page

from tests.support.api import ShopApi, ok

# What the widget must meet: WCAG 2.1 A and AA.
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
STOREFRONT = "/api/v1/storefront/shops/"


def png(colour: str = "steelblue", size: tuple[int, int] = (240, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


class Storefront:
    """A shop's pages on a port of their own: `/` answers `page` (HTML), `/img/*.png` a photo;
    every request's path is recorded."""

    def __init__(self) -> None:
        self.page = ""
        self.paths: list[str] = []
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                shop.paths.append(self.path)
                if self.path.startswith("/img/"):
                    body, kind = png(), "image/png"
                else:
                    body, kind = shop.page.encode(), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.url = self.origin + "/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


def product_page(body: str, module_url: str, lang: str = "en") -> str:
    """A product page of a theme: some content, the widget's markup, a footer below it."""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Linen Shirt</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 sans-serif;margin:0 auto;max-width:900px;padding:1em}}</style>
</head><body><main><h1>Linen Shirt</h1><p>Breathable linen.</p>
{body}
</main><footer><p id="footer">Example Shop</p></footer>
<script type="module" src="{module_url}"></script>
</body></html>"""


@dataclass
class Seeded:
    product_id: str
    reviews: list[dict[str, Any]] = field(default_factory=list)


async def seed_reviews(
    shop: ShopApi, product_id: str, ratings: list[int], *, photos_from: str = ""
) -> Seeded:
    """Published reviews of one product, one a day back from now (the newest first), through
    the partner API; every third has two photos served by the storefront `photos_from`."""
    seeded = Seeded(product_id)
    now = datetime.now(UTC).replace(microsecond=0)
    for i, rating in enumerate(ratings):
        body: dict[str, Any] = {
            "product_id": product_id,
            "product_title": "Linen Shirt",
            "product_handle": "linen-shirt",
            "rating": rating,
            "author": f"Author {i:02d}",
            "author_email": f"author{i}@example.net",
            "title": f"Review {i:02d}",
            "content": f"Review number {i} of this shirt. " * (30 if i == 1 else 1),
            "commented_at": (now - timedelta(days=i + 1)).strftime("%Y-%m-%d %H:%M:%S"),
            "is_published": 1,
            "is_verified": i % 2,
        }
        if photos_from and i % 3 == 0:
            body["media"] = [{"url": f"{photos_from}/img/{i}-{n}.png", "type": 1} for n in range(2)]
        if i == 2:
            body["reply"] = {"content": "Thank you for the kind words!"}
        seeded.reviews.append(ok(await shop.post("create_review", body)))
    return seeded


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 AA violations on the page as it is now (shadow roots included)."""
    results = await Axe().run(page, options=WCAG_AA)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]], "help": v["help"]}
        for v in violations
    ]


def api_requests(paths: list[str], endpoint: str) -> list[str]:
    """The recorded request URLs to one storefront endpoint (`reviews`, `rating`, ...)."""
    return [p for p in paths if STOREFRONT in p and p.split("?")[0].endswith("/" + endpoint)]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
