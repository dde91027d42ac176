"""The operator's endpoints: GET /healthz, GET /readyz and GET /metrics.

They answer plain JSON (the probes) and Prometheus text, not the API's envelope: their readers
are load balancers and Prometheus, and they stay out of the OpenAPI document (decision 145).
No authentication and no rate limit on the probes; /metrics asks for a bearer token when
SHOPREVIEWS_METRICS_TOKEN is set.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import pydantic_core
from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.dependencies import Ctx
from shopreviews.kit.envelope import MEDIA_TYPE
from shopreviews.kit.jobs import Backlog
from shopreviews.kit.observability import metrics
from shopreviews.kit.observability.readiness import Readiness

log = logging.getLogger("shopreviews.metrics")

# How long a scrape waits for the gauges read from the database, within Prometheus's default
# scrape timeout (10 s); past it they are left out of that scrape.
READ_SECONDS = 5.0
NO_STORE = {"Cache-Control": "no-store"}
HEALTHY = b'{"status":"ok"}'

BacklogReader = Callable[[AsyncSession, datetime], Awaitable[Backlog]]


def probe_router(readiness: Readiness, queues: Mapping[str, BacklogReader]) -> APIRouter:
    """The routes, with the readiness checks and the job queues whose backlog is scraped."""
    router = APIRouter(include_in_schema=False)

    @router.api_route("/healthz", methods=["GET", "HEAD"])
    async def healthz() -> Response:
        """The process answers; nothing else is looked at."""
        return Response(HEALTHY, media_type=MEDIA_TYPE, headers=NO_STORE)

    @router.api_route("/readyz", methods=["GET", "HEAD"])
    async def readyz() -> Response:
        """The process can serve: its database answers, with the schema this code expects."""
        verdict = await readiness.verdict()
        return Response(
            pydantic_core.to_json(verdict.body()),
            status_code=200 if verdict.ready else 503,
            media_type=MEDIA_TYPE,
            headers=NO_STORE,
        )

    @router.get("/metrics")
    async def metrics_text(request: Request, ctx: Ctx) -> Response:
        """Every metric in Prometheus's text format."""
        token = ctx.settings.metrics_token
        if token is not None and not _bearer_matches(request, token.get_secret_value()):
            return Response(
                b"metrics need the bearer token of SHOPREVIEWS_METRICS_TOKEN\n",
                status_code=401,
                media_type="text/plain; charset=utf-8",
                headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        verdict = await readiness.verdict()
        counters = ctx.limiter.counters
        read = [
            metrics.readiness_family(verdict.ready),
            *metrics.redis_family(counters.redis_reachable if counters.uses_redis else None),
            *metrics.backlog_families(await _backlogs(ctx, queues)),
        ]
        # Adding up the processes' files reads them from disk: off the event loop.
        text = await asyncio.to_thread(metrics.exposition, read)
        return Response(text, media_type=metrics.CONTENT_TYPE, headers=NO_STORE)

    return router


async def _backlogs(ctx: AppContext, queues: Mapping[str, BacklogReader]) -> dict[str, Backlog]:
    now = ctx.now_datetime()
    try:
        async with asyncio.timeout(READ_SECONDS), ctx.db.session(write=False) as session:
            return {name: await read(session, now) for name, read in queues.items()}
    except TimeoutError:
        reason = f"no answer within {READ_SECONDS:g} s"
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
    # The scrape still gives every other metric; the queue gauges are missing from it.
    log.warning("job queue backlogs left out of the metrics: %s", reason)
    return {}


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given_token = given.strip().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given_token, token.encode())
