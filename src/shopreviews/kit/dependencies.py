"""The route dependencies every domain shares: the process context, the request's database
session, and the raw query string read the contract's way.

A route says which session it needs by its parameter's type: `ReadSession` reads without a
transaction (each statement sees the latest commit), `WriteSession` is one transaction with a
unit of work (kit/unit_of_work.py), committed after the route returns and before the response
is sent, rolled back when it raises. Nothing is chosen from the HTTP method.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.params import QueryParams


async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def read_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.db.session(write=False) as session:
        yield session


async def write_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.db.session(write=True) as session:
        yield session


# scope="function": the session ends (a write commits) when the route returns, before the
# response is sent, so a client never sees an answer whose write could still fail.
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]


async def query_params(request: Request) -> QueryParams:
    return QueryParams.from_raw(request.scope.get("query_string", b"").decode("latin-1"))


Query = Annotated[QueryParams, Depends(query_params)]
