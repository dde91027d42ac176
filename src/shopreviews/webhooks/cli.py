"""Operator commands for webhook deliveries: `shopreviews webhooks requeue`."""

from __future__ import annotations

from typing import Annotated

import typer

from shopreviews.kit.cli import JsonOpt, emit, fail, run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.webhooks import service as webhooks

webhooks_app = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)


@webhooks_app.command("requeue")
def requeue(
    delivery: Annotated[
        list[int] | None,
        typer.Option(
            "--delivery",
            metavar="ID",
            help="A dead delivery to requeue (repeat the option for several).",
        ),
    ] = None,
    all_dead: Annotated[
        bool, typer.Option("--all-dead", help="Requeue every dead delivery.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Make dead deliveries due again, with a fresh 72-hour retry horizon."""
    if not delivery and not all_dead:
        fail(as_json, "give --delivery ID (once per delivery) or --all-dead")
    if delivery and all_dead:
        fail(as_json, "give --delivery ID or --all-dead, not both")

    async def run(ctx: AppContext) -> webhooks.Requeued:
        async with ctx.db.session(write=True) as session:
            return await webhooks.requeue_dead(session, delivery, ctx.now_datetime())

    done = run_migrated(as_json, run)
    lines = [f"{len(done.requeued)} dead deliveries requeued"]
    lines += [
        f"delivery {delivery_id} is {status}, not dead: left alone"
        for delivery_id, status in done.not_dead.items()
    ]
    emit(
        as_json,
        {
            "requeued": len(done.requeued),
            "ids": done.requeued,
            "not_dead": {str(i): status for i, status in done.not_dead.items()},
        },
        "\n".join(lines),
    )
