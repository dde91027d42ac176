"""The reference page and its files over HTTP: served from the installed packages under one
version segment (immutable caching, gzip when asked), the page's security headers and markup
(no inline script, nothing from another origin), and FastAPI's CDN pages gone."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from importlib import resources

import httpx
import pytest

from shopreviews.api_reference import assets
from tests.support.api import error

ASSET_NAMES = [*assets.SWAGGER_UI_FILES, *assets.OWN_FILES]


class PageMarkup(HTMLParser):
    """The page's scripts, stylesheets, inline styles and every URL it names."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.style_elements = 0
        self.style_attributes = 0
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes += 1
        for name in ("src", "href", "action", "data-openapi-url"):
            if attributes.get(name):
                self.urls.append(attributes[name] or "")
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        elif tag == "style":
            self.style_elements += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


async def markup(client: httpx.AsyncClient) -> PageMarkup:
    parsed = PageMarkup()
    parsed.feed((await client.get("/docs")).text)
    return parsed


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
async def test_the_page_is_ours_with_a_strict_policy(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no inline script, no other origin
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"
    assert 'id="swagger-ui" data-openapi-url="/openapi.json"' in response.text
    for label in ("Public token", "Private token", "Sign requests", "Forget tokens"):
        assert label in response.text


async def test_every_script_and_stylesheet_is_a_file_of_this_server(
    client: httpx.AsyncClient,
) -> None:
    page = await markup(client)
    current = assets.assets()
    assert page.inline_scripts == []
    assert page.style_elements == 0 and page.style_attributes == 0
    assert [script.get("src") for script in page.scripts] == [
        current.url("swagger-ui-bundle.js"),
        current.url("api-reference.js"),
    ]
    assert [script.get("type") for script in page.scripts] == [None, "module"]
    assert page.stylesheets == [current.url("swagger-ui.css"), current.url("api-reference.css")]
    # Every URL the page names is a path of this origin (or the empty data: icon).
    for url in page.urls:
        assert (url.startswith("/") and not url.startswith("//")) or url == "data:,", url


@pytest.mark.parametrize("name", ASSET_NAMES)
async def test_each_file_is_served_immutable_with_its_type(
    client: httpx.AsyncClient, name: str
) -> None:
    current = assets.assets()
    response = await client.get(current.url(name), headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    kind = "text/javascript" if name.endswith(".js") else "text/css"
    assert response.headers["content-type"] == f"{kind}; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in response.headers
    package = "fastapi_offline" if name in assets.SWAGGER_UI_FILES else "shopreviews.api_reference"
    assert response.content == resources.files(package).joinpath("static", name).read_bytes()


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js", "signing.js"])
async def test_gzip_when_the_browser_takes_it(client: httpx.AsyncClient, name: str) -> None:
    url = assets.assets().url(name)
    plain = (await client.get(url, headers={"Accept-Encoding": "identity"})).content
    # Raw bytes on the wire: httpx would otherwise decode them.
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip, br"}) as response:
        wire = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(wire) == plain
    if name == "swagger-ui-bundle.js":
        assert len(wire) < len(plain) / 2


async def test_the_swagger_ui_files_are_a_swagger_ui_5(client: httpx.AsyncClient) -> None:
    # Swagger UI 5 reads OpenAPI 3.1, the version /openapi.json is written in.
    body = (await client.get(assets.assets().url("swagger-ui-bundle.js"))).text
    assert 'PACKAGE_VERSION:"5.' in body
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")


async def test_another_version_or_name_is_not_found(client: httpx.AsyncClient) -> None:
    current = assets.assets()
    stale = current.url("signing.js").replace(current.version, "0123456789abcdef")
    body = error(await client.get(stale), 5, 404)
    assert body["message"] == (
        "not found: no API reference files of version 0123456789abcdef; reload /docs"
    )
    # Only the listed files: not the package's other files, nor anything beside them.
    for name in ("redoc.standalone.js", "favicon.png", "index.html"):
        body = error(await client.get(f"{assets.PATH_PREFIX}{current.version}/{name}"), 5, 404)
        assert body["message"] == f"not found: the API reference has no file {name}"
    error(await client.get(f"{assets.PATH_PREFIX}{current.version}/..%2Fpage.py"), 5, 404)


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
async def test_fastapi_cdn_pages_are_gone(client: httpx.AsyncClient, path: str) -> None:
    error(await client.get(path), 5, 404)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("GZIP", True),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),  # named gzip wins over the wildcard
        ("*;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert assets.accepts_gzip(header) is expected
