"""Operator commands for partner platforms: `shopreviews platform create|list|update|
rotate-secret`, each with --json (`platform disconnect` and `platform delete` end grants:
oauth/cli.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from shopreviews.kit.cli import JsonOpt, run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.kit.pagination import MAX_PAGE_SIZE, PageRequest
from shopreviews.platforms import service as platforms
from shopreviews.platforms.schemas import CreatePlatformIn, UpdatePlatformIn

platform_app = typer.Typer(help="Manage partner platforms (OAuth clients).", no_args_is_help=True)


def _describe(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        text = ", ".join(value) if isinstance(value, list) else value
        lines.append(f"{key}: {text}")
    return "\n".join(lines)


ClientIdOpt = Annotated[
    str, typer.Option("--client-id", metavar="CLIENT_ID", help="The platform's client id.")
]


@platform_app.command("create")
def create(
    client_id: Annotated[
        str,
        typer.Option(
            "--client-id", metavar="CLIENT_ID", help="The platform's client id, e.g. acme-sync."
        ),
    ],
    name: Annotated[
        str,
        typer.Option("--name", metavar="NAME", help="Shown to merchants on the consent page."),
    ],
    redirect_uri: Annotated[
        list[str],
        typer.Option(
            "--redirect-uri",
            metavar="URI",
            help="An exact redirect URI (repeat the option for several).",
        ),
    ],
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            metavar="SCOPES",
            help="The allowed scopes, e.g. read_reviews,write_reviews.",
        ),
    ],
    webhook_url: Annotated[
        str,
        typer.Option("--webhook-url", metavar="URL", help="Where system webhooks go."),
    ] = "",
    skip_shop_oauth: Annotated[
        bool,
        typer.Option(
            "--skip-shop-oauth",
            help="Let the platform use the client_credentials grant, without shop consent.",
        ),
    ] = False,
    client_secret: Annotated[
        str | None,
        typer.Option(
            "--client-secret",
            metavar="SECRET",
            help="Use this client secret instead of a generated one.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a platform and print its client secret and system webhook secret (only now)."""

    async def work(ctx: AppContext) -> dict[str, Any]:
        new = CreatePlatformIn.model_validate(
            {
                "client_id": client_id,
                "name": name,
                "redirect_uris": redirect_uri,
                "allowed_scopes": scopes,
                "webhook_url": webhook_url,
                "skip_shop_oauth": int(skip_shop_oauth),
                "client_secret": client_secret,
            }
        )
        async with ctx.db.session(write=True) as session:
            created = await platforms.create(ctx, session, new)
            return {
                **created.platform.as_dict(),
                "client_secret": created.client_secret,
                "system_webhook_secret": created.system_webhook_secret,
            }

    data = run_migrated(as_json, work)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        typer.echo(_describe(data))
        typer.echo("\nStore both secrets now: they are not shown again.", err=True)


@platform_app.command("list")
def list_platforms(as_json: JsonOpt = False) -> None:
    """List platforms (secrets are never shown)."""

    async def work(ctx: AppContext) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        async with ctx.db.session(write=False) as session:
            while True:
                pagination, found = await platforms.listing(
                    session, PageRequest(page=page, page_size=MAX_PAGE_SIZE)
                )
                rows += [p.as_dict() for p in found]
                if page >= pagination.total_page:
                    return rows
                page += 1

    rows = run_migrated(as_json, work)
    if as_json:
        typer.echo(json.dumps({"platforms": rows}, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row['client_id']}\t{row['status']}\t{row['allowed_scopes']}\t{row['name']}")


@platform_app.command("update")
def update(
    client_id: ClientIdOpt,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="Shown to merchants on the consent page."),
    ] = None,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--redirect-uri",
            metavar="URI",
            help="Replaces the list of redirect URIs (repeat the option for several).",
        ),
    ] = None,
    scopes: Annotated[
        str | None,
        typer.Option("--scopes", metavar="SCOPES", help="Replaces the allowed scopes."),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            "--webhook-url", metavar="URL", help='Where system webhooks go ("" removes it).'
        ),
    ] = None,
    skip_shop_oauth: Annotated[
        bool | None,
        typer.Option(
            "--skip-shop-oauth/--no-skip-shop-oauth",
            help="Allow or forbid the client_credentials grant (unchanged when not given).",
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="STATUS", help="The status: active or disabled."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a platform. Narrowed scopes and a disabled status apply to its tokens at once."""
    fields: dict[str, Any] = {"client_id": client_id}
    for key, value in (
        ("name", name),
        ("redirect_uris", redirect_uri),
        ("allowed_scopes", scopes),
        ("webhook_url", webhook_url),
        ("status", status),
    ):
        if value is not None:
            fields[key] = value
    if skip_shop_oauth is not None:
        fields["skip_shop_oauth"] = int(skip_shop_oauth)

    async def work(ctx: AppContext) -> dict[str, Any]:
        change = UpdatePlatformIn.model_validate(fields)
        async with ctx.db.session(write=True) as session:
            return (await platforms.update(ctx, session, change)).as_dict()

    data = run_migrated(as_json, work)
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else _describe(data))


@platform_app.command("rotate-secret")
def rotate_secret(
    client_id: ClientIdOpt,
    which: Annotated[
        str,
        typer.Option(
            "--which",
            metavar="SECRET",
            help="Which secret to replace: client_secret or system_webhook_secret.",
        ),
    ] = "client_secret",
    as_json: JsonOpt = False,
) -> None:
    """Replace a secret; the old one stops working at once. Prints the new one (only now)."""

    async def work(ctx: AppContext) -> dict[str, str]:
        async with ctx.db.session(write=True) as session:
            return await platforms.rotate_secret(ctx, session, client_id, which)

    data = run_migrated(as_json, work)
    typer.echo(json.dumps(data) if as_json else _describe(data))
