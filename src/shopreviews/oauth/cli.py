"""`shopreviews platform disconnect | delete`: the operator ends a shop's grant of a platform, or
every grant and the platform with them. Listed with the platform commands (cli.py adds them
there); grants are oauth's, so the commands live here."""

from __future__ import annotations

from typing import Annotated

import typer

from shopreviews.kit.cli import JsonOpt, emit, fail, on_terminal, run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.oauth import service as oauth_service

ClientIdOpt = Annotated[
    str, typer.Option("--client-id", metavar="CLIENT_ID", help="The platform's client id.")
]


def disconnect(
    client_id: ClientIdOpt,
    shop_id: Annotated[
        str, typer.Option("--shop-id", metavar="ID", help="The shop whose grant ends.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """End a shop's authorization of a platform (as the operator): its tokens are revoked, its
    webhooks for the shop removed, and it receives app/disconnected."""

    async def work(ctx: AppContext) -> bool:
        async with ctx.db.session(write=True) as session:
            return await oauth_service.operator_disconnect(ctx, session, client_id, shop_id)

    ended = run_migrated(as_json, work)
    emit(
        as_json,
        {"disconnected": ended},
        f"{client_id} disconnected from shop {shop_id}"
        if ended
        else f"{client_id} had no active authorization in shop {shop_id}",
    )


def delete(
    client_id: ClientIdOpt,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Delete without asking (needed when not on a terminal)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a platform: every shop's authorization of it ends (tokens revoked, its webhook
    subscriptions removed), then the platform and its secrets are gone for good."""

    async def count(ctx: AppContext) -> int:
        async with ctx.db.session(write=False) as session:
            return await oauth_service.active_authorizations(session, client_id)

    authorizations = run_migrated(as_json, count)  # an unknown platform stops here
    if not yes:
        if not on_terminal():
            fail(
                as_json,
                f"deleting platform {client_id} cannot be undone ({authorizations} active "
                "authorizations would end): confirm with --yes",
            )
        typer.confirm(
            f"Delete platform {client_id}? {authorizations} active authorizations end, its "
            "tokens stop working and its secrets are gone for good",
            abort=True,
            err=True,
        )

    async def work(ctx: AppContext) -> int:
        async with ctx.db.session(write=True) as session:
            return await oauth_service.delete_platform(ctx, session, client_id)

    ended = run_migrated(as_json, work)
    emit(
        as_json,
        {"client_id": client_id, "deleted": True, "authorizations_ended": ended},
        f"platform {client_id} deleted; {ended} authorizations ended",
    )
