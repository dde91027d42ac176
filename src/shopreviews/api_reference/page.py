"""The reference page's HTML and the headers it is served with."""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, select_autoescape

from shopreviews.api_reference.assets import assets

OPENAPI_URL = "/openapi.json"
# Every script and stylesheet is a file of ours from this origin (none inline), the page talks
# to this server only, and no other site may frame it (a framed "Try it out" could be steered).
# Images: Swagger UI's icons are data: URIs in its stylesheet.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    # The page names the current assets' version: a browser must ask again after an upgrade.
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_templates = Environment(
    loader=PackageLoader("shopreviews.api_reference", "templates"),
    autoescape=select_autoescape(default=True),
)


@functools.cache
def page() -> str:
    return _templates.get_template("docs.html").render(assets=assets(), openapi_url=OPENAPI_URL)
