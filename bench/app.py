"""The API with the benchmark routes (bench/routes.py), for bench/serve.py and the tests of those
routes. The installed package never imports bench code: this factory adds the routes to the
ordinary application from outside."""

from __future__ import annotations

from bench.routes import router
from fastapi import FastAPI

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings


def create_bench_app(settings: Settings | None = None, *, ctx: AppContext | None = None) -> FastAPI:
    """create_app's application (same middleware, same lifespan) plus GET /bench/ceiling."""
    app = create_app(settings, ctx=ctx)
    app.include_router(router())
    return app
