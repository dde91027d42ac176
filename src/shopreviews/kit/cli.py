"""What every operator command shares: settings loading, --json output, clear failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from shopreviews import migrate as migrations
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import INVALID_ARGUMENT, ApiError
from shopreviews.kit.schemas import error_text
from shopreviews.settings import Settings

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object")]


def fail(as_json: bool, message: str, code: int = 1) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": message}), err=True)
    else:
        typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and .env), with a command's options over them; a bad
    value is a clear error."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            (f"SHOPREVIEWS_{'_'.join(str(p) for p in err['loc']).upper()}: " if err["loc"] else "")
            + error_text(err)
            for err in exc.errors()
        )
        fail(False, f"invalid settings: {problems}")


def check_key_for_scale_out(settings: Settings) -> None:
    """`serve` and `worker` on PostgreSQL need the one shared key of every process."""
    if not settings.is_sqlite and not settings.secret_key:
        fail(
            False,
            "SHOPREVIEWS_SECRET_KEY must be set when using PostgreSQL: every process "
            "must share one key (a per-host key file would make stored secrets unreadable)",
        )


def with_ctx(settings: Settings, work: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run `work` with a context built from `settings`, then release its connections."""

    async def run() -> T:
        ctx = AppContext.build(settings)
        try:
            return await work(ctx)
        finally:
            await ctx.db.dispose()

    return asyncio.run(run())


def run_migrated(as_json: bool, work: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run `work` with a context on the migrated database; API errors become a clear exit 1."""
    settings = load_settings()
    migrations.upgrade(settings)
    try:
        return with_ctx(settings, work)
    except ApiError as exc:
        # "error: " says something was wrong with the command: a bad argument is told by its
        # detail alone; any other refusal by its whole message ("not found: platform x").
        fail(as_json, exc.description if exc.code == INVALID_ARGUMENT else exc.message)
