"""`shopreviews platform disconnect`: the operator ends a shop's grant of a platform. Listed
with the platform commands (cli.py adds it there); a grant is oauth's, so the command lives here."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shopreviews.kit.cli import JsonOpt, run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.oauth import service as oauth_service


def disconnect(
    client_id: Annotated[str, typer.Option("--client-id")],
    shop_id: Annotated[str, typer.Option("--shop-id")],
    as_json: JsonOpt = False,
) -> None:
    """End a shop's authorization of a platform (as the operator): its tokens are revoked, its
    webhooks for the shop removed, and it receives app/disconnected."""

    async def work(ctx: AppContext) -> bool:
        async with ctx.db.session(write=True) as session:
            return await oauth_service.operator_disconnect(ctx, session, client_id, shop_id)

    ended = run_migrated(as_json, work)
    if as_json:
        typer.echo(json.dumps({"disconnected": ended}))
    else:
        typer.echo(
            f"{client_id} disconnected from shop {shop_id}"
            if ended
            else f"{client_id} had no active authorization in shop {shop_id}"
        )
