"""What every operator command shares: settings loading, --json output, clear failures, and the
command group that turns a database the command cannot use into one line instead of a traceback."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from shopreviews import migrate as migrations
from shopreviews.kit.context import AppContext
from shopreviews.kit.database_errors import explain
from shopreviews.kit.envelope import INVALID_ARGUMENT, ApiError
from shopreviews.kit.schemas import error_text
from shopreviews.settings import Settings

T = TypeVar("T")
JSON_FLAG = "--json"
JsonOpt = Annotated[bool, typer.Option(JSON_FLAG, help="Print one JSON object on stdout.")]
# The command line as given, kept in the context's `meta` from parsing to invoking.
_ARGS = "shopreviews.args"


@dataclass
class _Invocation:
    """The command running now: its arguments, and the database its settings name."""

    args: list[str]
    database_url: str | None = None


_running: ContextVar[_Invocation | None] = ContextVar("shopreviews_command", default=None)


@contextmanager
def _invoking(args: list[str]) -> Iterator[_Invocation]:
    invocation = _Invocation(args)
    token = _running.set(invocation)
    try:
        yield invocation
    finally:
        _running.reset(token)


class OperatorCommands(TyperGroup):
    """The `shopreviews` command group. A command that fails because its database cannot be used
    (a wrong URL, a server down, a database not created, a SQLite directory missing) ends here
    with one line naming SHOPREVIEWS_DATABASE_URL and what to do, exit status 1: in one place,
    whichever command it was and wherever it first touched the database."""

    # The context is typer's own click's; `Any` keeps these overrides compatible with it.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with _invoking(ctx.meta.get(_ARGS, [])) as invocation:
            try:
                return super().invoke(ctx)
            except migrations.UnknownRevision as exc:
                fail(json_requested(), str(exc))
            except Exception as exc:
                url = invocation.database_url
                reason = explain(exc, url) if url else None
                if reason is None:
                    raise
                fail(json_requested(), reason)


def json_requested() -> bool:
    """Whether the running command was given --json (for failures found before or outside
    the command's own code: invalid settings, an unusable database)."""
    invocation = _running.get()
    return invocation is not None and JSON_FLAG in invocation.args


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
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            (f"SHOPREVIEWS_{'_'.join(str(p) for p in err['loc']).upper()}: " if err["loc"] else "")
            + error_text(err)
            for err in exc.errors()
        )
        them = "it" if len(exc.errors()) == 1 else "them"
        fail(
            json_requested(),
            f"invalid settings: {problems}; correct {them} in the environment or in the .env "
            "file of the working directory",
        )
    invocation = _running.get()
    if invocation is not None:
        invocation.database_url = settings.database_url
    return settings


def check_key_for_scale_out(settings: Settings) -> None:
    """`serve` and `worker` on PostgreSQL need the one shared key of every process."""
    if not settings.is_sqlite and not settings.secret_key:
        fail(
            json_requested(),
            "SHOPREVIEWS_SECRET_KEY must be set when using PostgreSQL: every process must share "
            "one key (a per-host key file would make stored secrets unreadable); make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))' and set it on every "
            "process",
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


def on_terminal() -> bool:
    return sys.stdin.isatty()


def read_stdin_line() -> str:
    """Standard input's first line, without its line ending (a piped secret or password)."""
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


def ask_secret(prompt: str, *, confirm: bool) -> str:
    """Typed at the terminal without echo; with `confirm`, typed twice until both agree."""
    while True:
        first = getpass.getpass(prompt)
        if not confirm or getpass.getpass("Again, to confirm: ") == first:
            return first
        typer.echo("The two entries differ; type it again.", err=True)
