"""Operator commands for merchant users: `shopreviews merchant create | set-password | set-role |
list | remove`, each with --json.

A password never comes from the command line, where the process list and the shell history
would keep it: it is typed at a prompt (twice, without echo) or piped in with
--password-stdin."""

from __future__ import annotations

import json
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
from shopreviews.kit.envelope import ApiError
from shopreviews.kit.timefmt import rfc3339
from shopreviews.merchants import service as merchant_service

merchant_app = typer.Typer(help="Manage merchant users.", no_args_is_help=True)

ShopIdOpt = Annotated[str, typer.Option("--shop-id", metavar="ID", help="The user's shop.")]
EmailOpt = Annotated[
    str, typer.Option("--email", metavar="ADDRESS", help="The user's email address.")
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (else it is asked for "
        "at the terminal).",
    ),
]
RoleOpt = Annotated[
    str,
    typer.Option(
        "--role",
        metavar="ROLE",
        help="The user's role: owner (everything) or staff (moderation and replies only).",
    ),
]
# Only to say how a password is given now: a password in the arguments would stay in the
# shell history and show in the process list.
RetiredPasswordOpt = Annotated[str | None, typer.Option("--password", hidden=True)]
PASSWORD_RULE = (
    f"{merchant_service.MIN_PASSWORD_LENGTH} to {merchant_service.MAX_PASSWORD_LENGTH} characters"
)


def _role(role: str, as_json: bool) -> str:
    """The role checked before any password is asked for, so a typo costs no typing."""
    try:
        return merchant_service.check_role(role.strip())
    except ApiError as exc:
        fail(as_json, exc.description)


def _password(from_stdin: bool, given: str | None, as_json: bool) -> str:
    if given is not None:
        fail(
            as_json,
            "--password is not accepted (the shell history and the process list would keep "
            "it): type the password when asked, or pipe it in with --password-stdin",
        )
    if from_stdin:
        return read_stdin_line()
    if not on_terminal():
        fail(
            as_json,
            "no terminal to ask for the password on: pipe it in with --password-stdin "
            "(e.g. printf '%s\\n' \"$PASSWORD\" | shopreviews merchant create ... "
            "--password-stdin)",
        )
    return ask_secret(f"Password ({PASSWORD_RULE}): ", confirm=True)


@merchant_app.command("create")
def create(
    shop_id: ShopIdOpt,
    email: EmailOpt,
    role: RoleOpt = "owner",
    password_stdin: PasswordStdinOpt = False,
    password: RetiredPasswordOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a merchant user who can sign in for a shop, an owner unless --role says staff;
    the password is asked for, or read from standard input with --password-stdin."""
    checked_role = _role(role, as_json)
    secret = _password(password_stdin, password, as_json)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.db.session(write=True) as session:
            user = await merchant_service.create_user(
                session, shop_id=shop_id, email=email, password=secret, role=checked_role
            )
        return {"id": str(user.id), "shop_id": user.shop_id, "email": user.email, "role": user.role}

    data = run_migrated(as_json, work)
    emit(
        as_json,
        data,
        f"merchant user {data['email']} ({data['role']}) created for shop {data['shop_id']}",
    )


@merchant_app.command("set-password")
def set_password(
    shop_id: ShopIdOpt,
    email: EmailOpt,
    password_stdin: PasswordStdinOpt = False,
    password: RetiredPasswordOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a merchant user's password; every session of that user ends."""
    secret = _password(password_stdin, password, as_json)

    async def work(ctx: AppContext) -> None:
        async with ctx.db.session(write=True) as session:
            await merchant_service.set_password(
                ctx, session, shop_id=shop_id, email=email, password=secret
            )

    run_migrated(as_json, work)
    emit(
        as_json,
        {"shop_id": shop_id, "email": email.strip().lower(), "sessions_ended": True},
        f"password of {email} set; every session of that user ended",
    )


@merchant_app.command("set-role")
def set_role(shop_id: ShopIdOpt, email: EmailOpt, role: RoleOpt, as_json: JsonOpt = False) -> None:
    """Give a merchant user another role; it applies to their next request, signed in or not."""
    checked_role = _role(role, as_json)

    async def work(ctx: AppContext) -> dict[str, str]:
        async with ctx.db.session(write=True) as session:
            user = await merchant_service.set_role(
                ctx, session, shop_id=shop_id, email=email, role=checked_role
            )
        return {"shop_id": user.shop_id, "email": user.email, "role": user.role}

    data = run_migrated(as_json, work)
    emit(
        as_json,
        data,
        f"merchant user {data['email']} of shop {data['shop_id']} is now {data['role']}",
    )


@merchant_app.command("list")
def list_users(
    shop_id: Annotated[
        str | None,
        typer.Option("--shop-id", metavar="ID", help="Only this shop's users (default: all)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List merchant users (shop, email, role, when created), by shop then email."""

    async def work(ctx: AppContext) -> list[dict[str, str]]:
        async with ctx.db.session(write=False) as session:
            users = await merchant_service.list_users(session, shop_id)
        return [
            {
                "id": str(user.id),
                "shop_id": user.shop_id,
                "email": user.email,
                "role": user.role,
                "created_at": rfc3339(user.created_at),
            }
            for user in users
        ]

    rows = run_migrated(as_json, work)
    if as_json:
        typer.echo(json.dumps({"merchants": rows}, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row['shop_id']}\t{row['email']}\t{row['role']}\t{row['created_at']}")


@merchant_app.command("remove")
def remove(shop_id: ShopIdOpt, email: EmailOpt, as_json: JsonOpt = False) -> None:
    """Remove a merchant user from a shop; every session of that user ends."""

    async def work(ctx: AppContext) -> None:
        async with ctx.db.session(write=True) as session:
            await merchant_service.remove_user(session, shop_id=shop_id, email=email)

    run_migrated(as_json, work)
    emit(
        as_json,
        {"shop_id": shop_id, "email": email.strip().lower(), "removed": True},
        f"merchant user {email.strip().lower()} removed from shop {shop_id}; their sessions ended",
    )
