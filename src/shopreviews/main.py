"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from shopreviews import __version__, migrate
from shopreviews.admin.router import router as admin_router
from shopreviews.api_reference.router import router as api_reference_router
from shopreviews.auth.dependencies import HMAC_SECURITY_SCHEMES, Authenticators
from shopreviews.backoffice.router import router as backoffice_pages
from shopreviews.customer_events.router import router as customer_event_router
from shopreviews.customer_events.router import storefront_router
from shopreviews.customers.router import router as customer_router
from shopreviews.emails.router import router as email_pages
from shopreviews.kit.context import AppContext
from shopreviews.kit.db_retry import DisconnectRetry
from shopreviews.kit.envelope import EmptyData, Envelope
from shopreviews.kit.error_handlers import install_exception_handlers
from shopreviews.kit.logging import configure_logging
from shopreviews.kit.middleware import ConventionsMiddleware
from shopreviews.kit.observability import metrics
from shopreviews.kit.observability.exchange import RecordRoute
from shopreviews.kit.observability.readiness import Readiness, database_check, redis_check
from shopreviews.kit.observability.router import probe_router
from shopreviews.kit.openapi_errors import (
    IF_NONE_MATCH,
    NOT_MODIFIED,
    NOT_MODIFIED_RESPONSE,
    error_responses,
    error_statuses,
)
from shopreviews.kit.routes import documented_bodies, form_paths, legacy_paths, refusals
from shopreviews.media.router import files_router as media_files
from shopreviews.media.router import router as media_router
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.router import router as merchant_router
from shopreviews.oauth import service as oauth_service
from shopreviews.oauth.errors import oauth_error_response
from shopreviews.oauth.pages.router import router as consent_pages
from shopreviews.oauth.router import oauth_errors as oauth_error_router
from shopreviews.oauth.router import router as oauth_router
from shopreviews.oauth.standard.answers import error_answer as standard_oauth_error
from shopreviews.oauth.standard.router import router as standard_oauth_router
from shopreviews.oauth.standard.schemas import CLIENT_SECURITY_SCHEMES
from shopreviews.orders.router import router as order_router
from shopreviews.reviews.router import merchant_router as review_moderation_router
from shopreviews.reviews.router import router as review_router
from shopreviews.reviews.schemas import LegacyMediaIn, MediaItemIn
from shopreviews.settings import Settings
from shopreviews.storefront.router import router as storefront_reads
from shopreviews.web_reviews.router import router as web_review_router
from shopreviews.webhooks import service as webhook_service
from shopreviews.webhooks.router import router as webhook_router
from shopreviews.widget.router import demo_router
from shopreviews.widget.router import router as widget_router
from shopreviews.wiring import connect_domains
from shopreviews.worker import embedded_worker

DESCRIPTION = """\
The ShopReviews partner API, wire-compatible with the Trustoo Reviews Data API; operations and
fields marked [ext] are extensions beyond that compatible surface.

Every `/api/v1/...` answer is the envelope `{code, message, time, request_id, data}`; clients
branch on `code`: 0 success, 3 invalid argument, 4 deadline exceeded, 5 not found, 6 already
exists, 7 permission denied, 8 rejected or rate limited, 13 internal error, 16 unauthenticated.

Shop integrations sign each request with HMAC-SHA256 and three headers: `Public-Token` (the
shop's public token), `Timestamp` (Unix seconds, within 15 minutes of the server's clock) and
`Sign`. To compute `Sign`, take the query parameters as plain-text `key=value` pairs in the order
sent, add `timestamp=<Timestamp>`, sort the pairs by key (equal keys keep their order), join them
with `&`, append `|` and the body exactly as sent when there is one, and write the HMAC-SHA256
of that text, keyed with the shop's private token, as 64 lowercase hex characters.
`shopreviews sign` prints a signed `curl` command to check an implementation against.

Partner platforms use OAuth 2.0 access tokens (`Authorization: Bearer <access_token>`); the
authorization server metadata is at `/.well-known/oauth-authorization-server`. It names the
standard token, revocation and introspection endpoints (`/oauth/token`, `/oauth/revoke`,
`/oauth/introspect`), which answer in bare JSON as RFC 6749, RFC 7009 and RFC 7662 say, so that
generic OAuth clients need no adapter; their enveloped twins under `/api/v1/openapi/` do the
same operations. The API guide, docs/api.md in the ShopReviews repository, covers conventions,
every error code, scopes and webhooks.
"""


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings)
    ctx = ctx or AppContext.build(settings)
    connect_domains()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with embedded_worker(ctx, enabled=settings.run_worker):
            yield
        await ctx.db.dispose()
        metrics.process_stopping()

    app = FastAPI(
        title="ShopReviews API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Our own page at /docs (api_reference/), whose files come from this server, not a CDN.
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        strict_content_type=False,
    )
    app.state.ctx = ctx
    # Credentials owned by domains above auth, checked for auth (auth/dependencies.py).
    app.state.authenticators = Authenticators(
        bearer_token=oauth_service.authenticate_bearer,
        merchant_session=merchant_service.authenticate,
    )
    install_exception_handlers(app)
    app.include_router(review_router)
    app.include_router(storefront_reads)
    app.include_router(merchant_router)
    app.include_router(review_moderation_router)
    app.include_router(webhook_router)
    app.include_router(oauth_error_router)
    app.include_router(oauth_router)
    app.include_router(standard_oauth_router)
    app.include_router(consent_pages)
    app.include_router(backoffice_pages)
    app.include_router(admin_router)
    app.include_router(order_router)
    app.include_router(customer_router)
    app.include_router(customer_event_router)
    app.include_router(storefront_router)
    app.include_router(web_review_router)
    app.include_router(email_pages)
    app.include_router(media_router)
    app.include_router(media_files)
    app.include_router(widget_router)
    app.include_router(api_reference_router)
    # The operator's probes and metrics (docs/operations.md "Health and metrics").
    readiness = Readiness(
        [database_check(ctx.db.engine, migrate.revisions()), redis_check(ctx.limiter.counters)]
    )
    app.include_router(
        probe_router(readiness, queues={"webhook_deliveries": webhook_service.delivery_backlog})
    )

    @app.get("/", response_model=Envelope[EmptyData], tags=["probe"])
    async def probe() -> Envelope[EmptyData]:
        """Liveness probe of the base URL."""
        return Envelope(data=EmptyData())

    @app.head("/", include_in_schema=False)
    async def probe_head() -> Response:
        return Response(status_code=200)

    # Innermost: the route the router chose, for the access line and the metrics.
    app.add_middleware(RecordRoute)
    # Inside the conventions layer: it sees a lost connection before that becomes code 13.
    app.add_middleware(DisconnectRetry, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        ConventionsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        budget_seconds=settings.request_budget_seconds,
        error_shapes={
            **dict.fromkeys(_oauth_error_paths(), oauth_error_response),
            **dict.fromkeys(_standard_oauth_paths(), standard_oauth_error),
        },
        legacy_paths=legacy_paths(app.routes),
        form_paths=form_paths(app.routes),
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def create_demo_app(settings: Settings | None = None) -> FastAPI:
    """The app with the demo product page (/demo/storefront): what `shopreviews demo` serves."""
    from shopreviews.demo import DEMO_DOMAIN, PRODUCTS

    app = create_app(settings)
    app.include_router(demo_router(DEMO_DOMAIN, [(p[0], p[2]) for p in PRODUCTS]))
    return app


def _oauth_error_paths() -> frozenset[str]:
    """The OAuth endpoints, whose errors carry {error, error_description} (oauth/errors.py)."""
    return frozenset(
        route.path for route in oauth_error_router.routes if isinstance(route, APIRoute)
    )


def _standard_oauth_paths() -> frozenset[str]:
    """The standard OAuth endpoints, whose every answer is bare JSON (oauth/standard/)."""
    return frozenset(
        route.path for route in standard_oauth_router.routes if isinstance(route, APIRoute)
    )


def _is_hmac_signed(dependant: Dependant) -> bool:
    return any(
        getattr(sub.call, "hmac_signed", False) or _is_hmac_signed(sub)
        for sub in dependant.dependencies
    )


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    # The two forms of a media item that ReviewCreate's schema refers to, and the request bodies
    # that routes read themselves (kit/routes.py).
    documented: list[type[BaseModel]] = [MediaItemIn, LegacyMediaIn, *documented_bodies(app.routes)]
    for model in documented:
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(model_schema.pop("$defs", {}))
        schemas[model.__name__] = model_schema
    # Errors never answer 422: validation failures are envelopes with code 3 (HTTP 400).
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = {
        "title": "Error",
        "type": "object",
        "description": "An error envelope: `code` says what went wrong (3 invalid argument, "
        "4 deadline exceeded, 5 not found, 6 already exists, 7 permission denied, 8 rejected, "
        "13 internal error, 16 unauthenticated) and `message` says it in words",
        "properties": {
            "code": {"type": "integer", "examples": [3]},
            "message": {
                "type": "string",
                "examples": ["invalid argument: rating must be an integer from 1 to 5"],
            },
            "time": {"type": "integer"},
            "request_id": {"type": "string"},
            "data": {"type": "null"},
        },
        "required": ["code", "message", "time", "request_id", "data"],
    }
    schemas["OAuthError"] = {
        **schemas["Error"],
        "title": "OAuthError",
        "description": "An error envelope of the OAuth endpoints: `data` names the RFC 6749 error",
        "properties": {
            **schemas["Error"]["properties"],
            "message": {"type": "string", "examples": ["invalid_grant: unknown refresh token"]},
            "data": {
                "type": "object",
                "properties": {
                    "error": {"type": "string", "examples": ["invalid_grant"]},
                    "error_description": {"type": "string"},
                },
                "required": ["error", "error_description"],
            },
        },
    }
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            # A route's one-line docstring is its summary (FastAPI would title-case its name).
            description = operation.get("description", "").strip()
            if description and "\n" not in description:
                operation["summary"] = operation.pop("description").strip()
            operation.setdefault("responses", {}).pop("422", None)
    # One requirement made of the three HMAC headers (all required together), on every route
    # that authenticates with api_caller.
    components.setdefault("securitySchemes", {}).update(HMAC_SECURITY_SCHEMES)
    components["securitySchemes"].update(CLIENT_SECURITY_SCHEMES)
    hmac_requirement: dict[str, list[str]] = {name: [] for name in HMAC_SECURITY_SCHEMES}
    oauth_paths = _oauth_error_paths()
    standard_paths = _standard_oauth_paths()
    for route in iter_route_contexts(app.routes):
        api_route, path = route.original_route, route.path_format
        if not isinstance(api_route, APIRoute) or path is None:
            continue
        for method in route.methods or ():
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            error_schema = "OAuthError" if path in oauth_paths else "Error"
            if path not in standard_paths:  # theirs are RFC 6749 §5.2's, declared on the router
                _document_answers(operation, path, api_route, error_schema)
            if _is_hmac_signed(api_route.dependant):
                operation["security"] = [hmac_requirement]
    app.openapi_schema = schema
    return schema


def _document_answers(
    operation: dict[str, Any], path: str, route: APIRoute, error_schema: str
) -> None:
    """Every status the route answers, each error with its envelope (kit/openapi_errors.py);
    no catch-all `default`, so a status the route answers undocumented is a finding."""
    responses = operation["responses"]
    responses.update(error_responses(error_statuses(path, refusals(route.dependant)), error_schema))
    if getattr(route.endpoint, "revalidated", False):
        responses[str(NOT_MODIFIED)] = NOT_MODIFIED_RESPONSE
        operation["parameters"] = [*operation.get("parameters", []), IF_NONE_MATCH]
    operation["responses"] = dict(sorted(responses.items()))
