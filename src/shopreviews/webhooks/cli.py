"""Operator commands for the worker and webhook deliveries."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy import update

from shopreviews import migrate as migrations
from shopreviews.context import AppContext
from shopreviews.kit.cli import check_key_for_scale_out, load_settings, run_migrated
from shopreviews.kit.jobs import JobStatus
from shopreviews.webhooks.models import WebhookDelivery

webhooks_app = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)


def worker(
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON line when stopping")
    ] = False,
) -> None:
    """Deliver webhooks and run jobs (no API); stop with SIGTERM or Ctrl-C."""
    from shopreviews.worker import run_standalone

    settings = load_settings()
    check_key_for_scale_out(settings)
    migrations.upgrade(settings)

    async def run() -> None:
        ctx = AppContext.build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        typer.echo("worker running; stop with Ctrl-C", err=True)
        try:
            await run_standalone(ctx, stop)
        finally:
            await ctx.db.dispose()

    asyncio.run(run())
    if as_json:
        typer.echo(json.dumps({"stopped": True}))


@webhooks_app.command("requeue")
def requeue(
    delivery: Annotated[
        list[int] | None, typer.Option("--delivery", help="delivery id (repeatable)")
    ] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="every dead delivery")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make dead deliveries due again, with a fresh 72-hour retry horizon."""
    if not delivery and not all_dead:
        typer.secho("error: give --delivery ID or --all-dead", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    async def run(ctx: AppContext) -> int:
        now = datetime.now(UTC).replace(microsecond=0)
        async with ctx.db.session(write=True) as session:
            stmt = update(WebhookDelivery).where(WebhookDelivery.status == JobStatus.DEAD)
            if delivery:
                stmt = stmt.where(WebhookDelivery.id.in_(delivery))
            result = await session.execute(
                stmt.values(
                    status=JobStatus.PENDING,
                    run_at=now,
                    first_attempt_at=None,
                    attempts=0,  # a fresh schedule; earlier attempts stay in the log
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                ).execution_options(synchronize_session=False)
            )
            session.info["wake_jobs"] = True
            return int(result.rowcount)  # type: ignore[attr-defined]

    count = run_migrated(as_json, run)
    if as_json:
        typer.echo(json.dumps({"requeued": count}))
    else:
        typer.echo(f"{count} dead deliveries requeued")
