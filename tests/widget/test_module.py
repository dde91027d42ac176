"""The widget module as the service serves it (docs/storefront.md, "The widget"): its two names
and their caching, CORS for module scripts from shop pages, the size budget, the SRI hash the
CLI prints, and the demo product page."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from shopreviews.main import create_demo_app
from shopreviews.settings import Settings
from tests.support.api import error
from tests.support.cli import Cli

MODULE = Path(__file__).parents[2] / "src" / "shopreviews" / "widget" / "static" / "shopreviews.js"
BUDGET = 20 * 1024  # JS and CSS together, gzipped
MODULE_TYPE = "text/javascript; charset=utf-8"


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def test_the_plain_name_serves_the_module_for_five_minutes(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/widget/v1/shopreviews.js")
    assert response.status_code == 200
    assert response.content == MODULE.read_bytes()
    assert response.headers["content-type"] == MODULE_TYPE
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert b'customElements.define("shopreviews-reviews"' in response.content
    assert b'customElements.define("shopreviews-stars"' in response.content


async def test_the_hashed_name_serves_the_same_bytes_for_a_year(
    client: httpx.AsyncClient, cli: Cli
) -> None:
    printed = cli.json("widget", "sri", "--base-url", "https://reviews.example.com")
    body = MODULE.read_bytes()
    content_hash = hashlib.sha256(body).hexdigest()[:16]
    assert printed["name"] == f"shopreviews.{content_hash}.js"
    assert printed["integrity"] == sri(body)
    assert printed["url"] == f"https://reviews.example.com/widget/v1/{printed['name']}"
    assert printed["script_tag"] == (
        f'<script type="module" src="{printed["url"]}" integrity="{sri(body)}" '
        'crossorigin="anonymous"></script>'
    )

    response = await client.get(f"/widget/v1/{printed['name']}")
    assert response.status_code == 200
    assert response.content == body
    assert sri(response.content) == printed["integrity"]
    assert response.headers["content-type"] == MODULE_TYPE
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["etag"] == f'"{content_hash}"'


def test_the_text_output_names_the_file_and_its_hash(cli: Cli) -> None:
    out = cli.run("widget", "sri", "--base-url", "http://127.0.0.1:8000").stdout
    name, integrity = out.splitlines()[0].split(" ")
    assert re.fullmatch(r"shopreviews\.[0-9a-f]{16}\.js", name)
    assert integrity == sri(MODULE.read_bytes())
    assert f'src="http://127.0.0.1:8000/widget/v1/{name}"' in out.splitlines()[1]


async def test_an_old_hash_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/widget/v1/shopreviews.0000000000000000.js")
    body = error(response, 5, 404)
    current = hashlib.sha256(MODULE.read_bytes()).hexdigest()[:16]
    assert f"the current one is shopreviews.{current}.js" in body["message"]


async def test_a_revalidation_with_the_current_tag_is_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/widget/v1/shopreviews.js")
    again = await client.get(
        "/widget/v1/shopreviews.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "public, max-age=300"
    stale = await client.get("/widget/v1/shopreviews.js", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_js_and_css_fit_in_20_kb_gzipped() -> None:
    body = MODULE.read_bytes()
    size = len(gzip.compress(body, compresslevel=6))
    print(f"widget module: {len(body)} bytes, {size} bytes gzipped")
    assert size <= BUDGET, f"{size} bytes gzipped, over the {BUDGET} byte budget"
    # One file: no import of anything, no third-party URL, the CSS inside.
    text = body.decode()
    assert not re.search(r"^\s*import\s", text, re.M) and "import(" not in text
    assert re.findall(r"https?://[^\s\"'`)]+", text) == ["http://www.w3.org/2000/svg"]
    assert "/*css*/`" in text and "localStorage" not in text and "document.cookie" not in text


async def test_the_widget_paths_answer_only_get(client: httpx.AsyncClient) -> None:
    body = error(await client.post("/widget/v1/shopreviews.js"), 3, 405)
    assert "POST" in body["message"]


async def test_the_demo_page_is_only_in_the_demo_app(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    error(await client.get("/demo/storefront"), 5, 404)
    demo = create_demo_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=demo), base_url="http://testserver"
    ) as http:
        page = await http.get("/demo/storefront")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    html = page.text
    assert f'integrity="{sri(MODULE.read_bytes())}"' in html
    assert '<shopreviews-reviews shop="example-shop.myshopify.com" product-id="9200305176832">' in (
        html
    )
    assert html.count("<shopreviews-stars ") == 5


@pytest.mark.parametrize("marker", ["/*i18n*/", "/*/i18n*/", "/*css*/`", "`/*/css*/"])
def test_the_module_keeps_the_markers_the_server_reads(marker: str) -> None:
    assert MODULE.read_text().count(marker) == 1
