"""docs/api.md's endpoint tables, written from the app itself: every operation of the OpenAPI
document (method, path, who may call it, the scope it needs, its older spellings, its parameters
and body fields, its summary),
then every route the document leaves out (pages, files, feeds, CORS preflights, legacy methods).

tests/test_docs.py fails when the tables in docs/api.md differ from what this renders; rewrite
them with

    python -m tests.support.endpoint_table

What the app cannot say about a route is written here, and rendering refuses a route it knows
nothing about, so a new route cannot reach the tables without a line about it.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shopreviews.kit.routes import legacy_paths

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BEGIN = "<!-- endpoint tables: written by `python -m tests.support.endpoint_table` -->"
END = "<!-- end of the endpoint tables -->"
HTTP_METHODS = ("get", "post", "put", "delete", "patch", "head", "options")

# Who may call the operations whose credential the OpenAPI document does not name (the section
# "Authentication" of docs/api.md says what each kind means). Operations with the HMAC schemes
# are "API", with the merchant session "merchant", under /api/v1/admin/ "operator".
AUTH = {
    ("get", "/api/v1/openapi/get_oauth_authorize_url"): "client id",
    ("get", "/api/v1/openapi/oauth/authorize"): "merchant",
    ("post", "/api/v1/openapi/oauth/token"): "client",
    ("post", "/api/v1/openapi/oauth_revoke_token"): "client",
    ("post", "/api/v1/openapi/oauth/introspect"): "client",
    ("post", "/api/v1/openapi/oauth/cancel"): "client",
    ("get", "/api/v1/openapi/get_shop_authorization_info"): "client",
    ("get", "/api/v1/openapi/get_shop_install_status"): "client",
    ("post", "/api/v1/openapi/oauth/disconnect"): "bearer",
    # The standard OAuth endpoints: client credentials in HTTP Basic or in the form.
    ("post", "/oauth/token"): "client",
    ("post", "/oauth/revoke"): "client",
    ("post", "/oauth/introspect"): "client",
    ("post", "/api/v1/merchant/login"): "public",
    ("get", "/.well-known/oauth-authorization-server"): "public",
    ("get", "/"): "public",
    ("post", "/api/v1/integrations/shopify/orders"): "Shopify signature",
    ("get", "/api/v1/reviews/get_products_rating"): "public",
    ("get", "/api/v1/storefront/shops/{myshopify_domain}/reviews"): "public",
    ("post", "/api/v1/storefront/shops/{myshopify_domain}/reviews"): "public",
    ("get", "/api/v1/storefront/shops/{myshopify_domain}/rating"): "public",
    ("get", "/api/v1/storefront/shops/{myshopify_domain}/ratings"): "public",
    ("post", "/api/v1/storefront/shops/{myshopify_domain}/events"): "public",
    ("get", "/api/v1/storefront/shops/{myshopify_domain}/image_upload_policy"): "public",
}
# Scopes an operation checks itself rather than through its credential.
SCOPE = {
    ("post", "/api/v1/openapi/create_shop_webhook"): "by topic",
    ("post", "/api/v1/openapi/update_shop_webhook"): "by topic",
    ("get", "/api/v1/openapi/get_shop_install_status"): "`read_shop_install_status`",
}
# The routes the OpenAPI document leaves out, in words.
BACK_OFFICE = "/backoffice/..."
BACK_OFFICE_ROW = "the merchant back office (HTML pages; docs/back-office.md)"


def is_back_office(path: str) -> bool:
    return path == "/backoffice" or path.startswith("/backoffice/")


OTHER_ROUTES = {
    ("get", "/openapi.json"): "this API's OpenAPI 3.1 document",
    ("get", "/docs"): "the API reference, for a browser, with a panel that signs shop requests",
    ("get", "/docs/assets/{version}/{name}"): (
        "the API reference page's scripts and stylesheets (immutable)"
    ),
    ("head", "/"): "the probe, without a body",
    ("get", "/healthz"): "liveness probe: the process answers (plain JSON; also HEAD)",
    ("get", "/readyz"): (
        "readiness probe: the database answers with the expected schema, else 503 (also HEAD)"
    ),
    ("get", "/metrics"): (
        "Prometheus metrics (bearer token when `SHOPREVIEWS_METRICS_TOKEN` is set)"
    ),
    ("put", "/api/v1/openapi/update_shop_webhook"): "older method of `update_shop_webhook`",
    ("delete", "/api/v1/openapi/delete_shop_webhook"): (
        "older method of `delete_shop_webhook` (the body, or `id` in the query)"
    ),
    ("get", "/oauth/authorize"): "the consent page (HTML): sign-in, then approve or deny",
    ("post", "/oauth/authorize"): "the consent page's decision; redirects to the platform",
    ("get", "/oauth/login"): "the consent page's sign-in form (HTML)",
    ("post", "/oauth/login"): "the consent page's sign-in",
    ("get", "/oauth/static/consent.css"): "the consent pages' stylesheet",
    ("options", "/api/v1/storefront/shops/{myshopify_domain}/events"): "CORS preflight",
    ("options", "/api/v1/storefront/shops/{myshopify_domain}/reviews"): "CORS preflight",
    ("options", "/api/v1/storefront/shops/{myshopify_domain}/image_upload_policy"): (
        "CORS preflight"
    ),
    ("get", "/storefront/shops/{myshopify_domain}/products/{product_id}/reviews.html"): (
        "a product's published reviews as HTML for a theme, with their JSON-LD"
    ),
    ("get", "/storefront/shops/{myshopify_domain}/products/{product_id}/reviews.jsonld"): (
        "a product's reviews as schema.org JSON-LD"
    ),
    ("get", "/feeds/shops/{myshopify_domain}/google-product-reviews.xml"): (
        "the shop's Google product reviews feed (XML)"
    ),
    ("get", "/email/open/{token}.gif"): "a review-request email's tracking pixel",
    ("get", "/email/review/{token}"): "a review-request email's review form (HTML)",
    ("post", "/email/review/{token}"): "the review form's answer: creates the review",
    ("get", "/email/unsubscribe/{token}"): "a review-request email's unsubscribe page (HTML)",
    ("post", "/email/unsubscribe/{token}"): "unsubscribe or resubscribe; one-click unsubscribe",
    ("get", "/email/confirm/{token}"): "a web review's confirmation link: marks it verified",
    ("post", "/media"): "image upload with an upload policy (local storage)",
    ("options", "/media"): "CORS preflight",
    ("put", "/media/upload/{token}"): "video upload with an upload token (local storage)",
    ("options", "/media/upload/{token}"): "CORS preflight",
    ("get", "/media/{key}"): "an uploaded file or its thumbnail (local storage); also HEAD",
    ("get", "/widget/v1/shopreviews.js"): "the storefront widget's module",
    ("get", "/widget/v1/shopreviews.{content_hash}.js"): (
        "the widget's module under its content-hashed name (immutable)"
    ),
}


def _scope_of(dependant: Dependant) -> tuple[bool, str | None]:
    """(whether a dependency declares a scope, the scope) of a route's dependencies."""
    for sub in dependant.dependencies:
        if hasattr(sub.call, "scope"):
            return True, sub.call.scope
        found, scope = _scope_of(sub)
        if found:
            return found, scope
    return False, None


def _scopes(app: FastAPI) -> dict[tuple[str, str], str]:
    scopes: dict[tuple[str, str], str] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        found, scope = _scope_of(route.dependant)
        if found:
            for method in route.methods or ():
                scopes[(method.lower(), context.path_format)] = f"`{scope}`" if scope else "—"
    return scopes


def _auth(key: tuple[str, str], operation: dict[str, Any]) -> str:
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    if "PublicToken" in schemes:
        return "API"
    if "MerchantSession" in schemes:
        return "merchant"
    if key[1].startswith("/api/v1/admin/"):
        return "operator"
    if key not in AUTH:
        raise KeyError(f"{key}: say who may call it in AUTH ({__name__})")
    return AUTH[key]


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def _inputs(doc: dict[str, Any], operation: dict[str, Any]) -> str:
    """The query parameters and body fields of an operation, required ones marked with *."""
    names = [
        f"`{p['name']}`" + ("*" if p.get("required") else "")
        for p in operation.get("parameters", [])
        if p.get("in") == "query"
    ]
    body = operation.get("requestBody", {}).get("content", {})
    # A JSON body, or the form of an endpoint that takes nothing else (the standard OAuth ones).
    content = body.get("application/json") or body.get("application/x-www-form-urlencoded")
    if content is not None:
        schema = content["schema"]
        named = next(b for b in schema.get("anyOf", [schema]) if b.get("type") != "null")
        model = doc["components"]["schemas"][named["$ref"].rsplit("/", 1)[1]]
        required = set(model.get("required", []))
        names += [f"`{n}`" + ("*" if n in required else "") for n in model.get("properties", {})]
    return ", ".join(names)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(app: FastAPI) -> str:
    """The tables, between their markers."""
    doc = app.openapi()
    scopes = _scopes(app)
    older: dict[str, list[str]] = {}
    for legacy, path in legacy_paths(app.routes).items():
        older.setdefault(path, []).append(legacy.rsplit("/", 1)[1])
    lines = [
        BEGIN,
        "",
        "| Method | Path | Auth | Scope | Also at | Parameters (* required) | What it does |",
        "|---|---|---|---|---|---|---|",
    ]
    documented = set()
    for method, path, operation in _operations(doc):
        key = (method, path)
        documented.add(key)
        scope = SCOPE.get(key) or scopes.get(key, "—")
        also = ", ".join(f"`{name}`" for name in sorted(older.get(path, [])))
        lines.append(
            f"| {method.upper()} | `{path}` | {_auth(key, operation)} | {scope} | {also} | "
            f"{_inputs(doc, operation)} | {_cell(operation.get('summary', ''))} |"
        )
    lines += [
        "",
        "Not in the OpenAPI document (pages, files, feeds, preflights, older methods):",
        "",
        "| Method | Path | What it is |",
        "|---|---|---|",
    ]
    back_office = False
    for context in iter_route_contexts(app.routes):
        path = context.path_format
        if is_back_office(path):
            # One row for the whole back office: its pages are a product of their own, with
            # their own guide, not API endpoints a client calls.
            if not back_office:
                lines.append(f"| GET, POST | `{BACK_OFFICE}` | {BACK_OFFICE_ROW} |")
                back_office = True
            continue
        for method in sorted(m.lower() for m in context.methods or ()):
            key = (method, path)
            if key in documented or (method == "head" and (("get", path) in OTHER_ROUTES)):
                continue
            if key not in OTHER_ROUTES:
                raise KeyError(f"{key}: say what it is in OTHER_ROUTES ({__name__})")
            lines.append(f"| {method.upper()} | `{path}` | {_cell(OTHER_ROUTES[key])} |")
    lines += ["", END]
    return "\n".join(lines)


def current(text: str) -> str:
    """The tables as docs/api.md has them, between their markers."""
    start = text.index(BEGIN)
    return text[start : text.index(END, start) + len(END)]


def rewrite(app: FastAPI, path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(current(text), render(app)), encoding="utf-8")


def _app() -> FastAPI:
    """The app as the docs describe it, built without touching a database or a key file."""
    from shopreviews.main import create_app
    from shopreviews.settings import Settings

    scratch = Path(tempfile.mkdtemp())
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{scratch / 'docs.db'}",
        secret_key="endpoint-table-" + "x" * 32,
        media_dir=scratch / "media",
        run_worker=False,
    )
    return create_app(settings)


if __name__ == "__main__":
    rewrite(_app())
    sys.stdout.write(f"rewrote the endpoint tables of {DOC}\n")
