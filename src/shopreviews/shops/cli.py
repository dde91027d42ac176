"""Operator commands for shops (tenants): `shopreviews shop create | list | configure | disable |
enable`, each with --json."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from shopreviews.kit.cli import (
    JsonOpt,
    ask_secret,
    emit,
    fail,
    on_terminal,
    read_stdin_line,
    run_migrated,
)
from shopreviews.kit.context import AppContext
from shopreviews.shops import service as shop_service

shop_app = typer.Typer(help="Manage shops (tenants).", no_args_is_help=True)

ShopIdOpt = Annotated[
    str, typer.Option("--shop-id", metavar="ID", help="The shop's id on its store platform.")
]


@shop_app.command("create")
def create(
    shop_id: ShopIdOpt,
    domain: Annotated[
        str,
        typer.Option("--domain", metavar="NAME.myshopify.com", help="The shop's own domain."),
    ],
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="NAME", help="The display name (default: the domain's first part)."
        ),
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a shop and print its API tokens."""

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.db.session(write=True) as session:
            creds = await shop_service.create(
                ctx, session, shop_id=shop_id, domain=domain, name=name
            )
        return {
            "shop_id": creds.shop_id,
            "myshopify_domain": creds.myshopify_domain,
            "name": creds.name,
            "public_token": creds.public_token,
            "private_token": creds.private_token,
        }

    data = run_migrated(as_json, work)
    emit(as_json, data, "\n".join(f"{k}: {v}" for k, v in data.items()))


@shop_app.command("list")
def list_shops(as_json: JsonOpt = False) -> None:
    """List shops (id, domain, status, name; --json adds the public token)."""

    async def work(ctx: AppContext) -> list[dict[str, Any]]:
        # Read inside the session: a read-only session ends with a rollback, which expires
        # every loaded object.
        async with ctx.db.session(write=False) as session:
            return [
                {
                    "shop_id": s.shop_id,
                    "myshopify_domain": s.myshopify_domain,
                    "name": s.name,
                    "public_token": s.public_token,
                    "status": s.status,
                }
                for s in await shop_service.every_shop(session)
            ]

    rows = run_migrated(as_json, work)
    if as_json:
        typer.echo(json.dumps({"shops": rows}, ensure_ascii=False))
    else:
        for row in rows:
            typer.echo(
                f"{row['shop_id']}\t{row['myshopify_domain']}\t{row['status']}\t{row['name']}"
            )


def _set_active(shop_id: str, active: bool, as_json: bool) -> None:
    async def work(ctx: AppContext) -> tuple[str, bool]:
        async with ctx.db.session(write=True) as session:
            shop, changed = await shop_service.set_active(
                session, shop_id, active=active, now=ctx.now_datetime()
            )
            return shop.status, changed

    status, changed = run_migrated(as_json, work)
    if not changed:
        text = f"shop {shop_id} was already {status}"
    elif active:
        text = f"shop {shop_id} enabled: its tokens work again (its merchants sign in again)"
    else:
        text = f"shop {shop_id} disabled: its API calls are refused and its merchants signed out"
    emit(as_json, {"shop_id": shop_id, "status": status, "changed": changed}, text)


@shop_app.command("disable")
def disable(shop_id: ShopIdOpt, as_json: JsonOpt = False) -> None:
    """Disable a shop: its signed requests, bearer tokens, sign-ins and storefront pages are
    refused, its merchants signed out; its data is kept."""
    _set_active(shop_id, False, as_json)


@shop_app.command("enable")
def enable(shop_id: ShopIdOpt, as_json: JsonOpt = False) -> None:
    """Enable a disabled shop again: its tokens work again as they were."""
    _set_active(shop_id, True, as_json)


_SETTING_OPTIONS = {
    "review_request_delay_days": "--review-delay-days",
    "storefront_origins": "--storefront-origin",
    "shopify_app_secret": "--shopify-app-secret-stdin",
    "web_reviews": "--web-reviews",
    "auto_publish_min_rating": "--auto-publish-min-rating",
    "author_display": "--author-display",
    "reviews_disclosure": "--reviews-disclosure",
}


def _read_app_secret() -> str:
    """The secret from standard input: typed without echo on a terminal, else piped in."""
    if on_terminal():
        return ask_secret("Shopify app secret (empty removes it): ", confirm=False).strip()
    return read_stdin_line().strip()


def _settings_text(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = ", ".join(value) or "(none)"
        elif isinstance(value, str) and "\n" in value:
            # A text of several lines (the review request's) stays on its key's line, quoted.
            value = json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


@shop_app.command("configure")
def configure(
    shop_id: ShopIdOpt,
    secret_stdin: Annotated[
        bool,
        typer.Option(
            "--shopify-app-secret-stdin",
            help="Read the Shopify app secret from standard input (empty input removes it).",
        ),
    ] = False,
    delay_days: Annotated[
        str | None,
        typer.Option(
            "--review-delay-days",
            metavar="N",
            help="Days after fulfilment before the review request is sent (0-365).",
        ),
    ] = None,
    origins: Annotated[
        list[str] | None,
        typer.Option(
            "--storefront-origin",
            metavar="ORIGIN",
            help='Replaces the list: once per origin, or once with "" to clear it.',
        ),
    ] = None,
    web_reviews: Annotated[
        str | None,
        typer.Option(
            "--web-reviews",
            metavar="MODE",
            help="Who may write reviews on the storefront: enabled, verified_buyers_only, "
            "disabled.",
        ),
    ] = None,
    auto_publish: Annotated[
        str | None,
        typer.Option(
            "--auto-publish-min-rating",
            metavar="N",
            help="Web reviews of at least N stars publish at once (0: none do).",
        ),
    ] = None,
    author_display: Annotated[
        str | None,
        typer.Option(
            "--author-display",
            metavar="MODE",
            help="How authors are shown: first_last_initial, full, initials, anonymous.",
        ),
    ] = None,
    disclosure: Annotated[
        str | None,
        typer.Option(
            "--reviews-disclosure",
            metavar="TEXT",
            help='The notice on how reviews are collected ("" for the default one).',
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a shop's intake and storefront settings and print them (the secret only as
    whether it is set)."""
    delay: int | None = None
    if delay_days is not None:
        # Parsed here rather than by typer, so a bad value is exit 1 like every other one.
        if not re.fullmatch(r"[0-9]{1,9}", delay_days.strip()):
            fail(
                as_json,
                f"--review-delay-days: must be an integer from 0 to {shop_service.MAX_DELAY_DAYS}",
            )
        delay = int(delay_days)
    # The secret never appears in the process list, shell history or any output.
    secret = _read_app_secret() if secret_stdin else None
    # `--storefront-origin ""` is how a command line passes an empty list.
    origin_list = None if origins is None else [o for o in origins if o != ""]
    storefront = shop_service.StorefrontSettings(
        web_reviews=web_reviews,
        # A number is checked as one; anything else is refused by the same rule.
        auto_publish_min_rating=int(auto_publish)
        if auto_publish is not None and re.fullmatch(r"[0-9]{1,9}", auto_publish.strip())
        else auto_publish,
        author_display=author_display,
        reviews_disclosure=disclosure,
    )

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.db.session(write=True) as session:
            try:
                out = await shop_service.update_intake_settings(
                    ctx,
                    session,
                    shop_id,
                    delay_days=delay,
                    origins=origin_list,
                    shopify_app_secret=secret,
                    storefront=storefront,
                    now=ctx.now_datetime(),
                )
            except shop_service.InvalidSetting as exc:
                fail(as_json, f"{_SETTING_OPTIONS[exc.field]}: {exc.problem}")
        return {"shop_id": shop_id, **out.model_dump()}

    data = run_migrated(as_json, work)
    emit(as_json, data, _settings_text(data))
