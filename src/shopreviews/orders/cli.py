"""`shopreviews orders import FILE --shop-id ID`: orders from shops without a Shopify webhook."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from shopreviews.kit.cli import JsonOpt, emit, fail, run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.orders.importer import import_orders, lines_of, read_file

orders_app = typer.Typer(help="Orders for review requests.", no_args_is_help=True)


@orders_app.command("import")
def import_command(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A JSON-lines file of orders; - reads standard input."),
    ],
    shop_id: Annotated[
        str,
        typer.Option("--shop-id", metavar="ID", help="The shop the orders belong to."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Import orders (one JSON object per line); re-importing a file changes nothing."""
    try:
        lines = lines_of(sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        fail(as_json, f"cannot read {file}: {exc}")
    orders, errors = read_file(lines)
    if errors:
        for problem in errors[:100]:
            typer.echo(problem, err=True)
        more = " (first 100 shown)" if len(errors) > 100 else ""
        fail(as_json, f"{len(errors)} invalid lines{more}; nothing was imported")

    def progress(done: int, total: int) -> None:
        typer.echo(f"imported {done}/{total} orders", err=True)

    async def work(ctx: AppContext) -> int:
        return await import_orders(ctx, shop_id, orders, progress=progress)

    imported = run_migrated(as_json, work)
    emit(as_json, {"shop_id": shop_id, "imported": imported}, f"imported {imported} orders")
