"""Operator commands for webhook deliveries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy import update

from shopreviews.kit.cli import run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.webhooks.models import WebhookDelivery

webhooks_app = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)


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
            jobs_queued(session)
            return int(result.rowcount)  # type: ignore[attr-defined]

    count = run_migrated(as_json, run)
    if as_json:
        typer.echo(json.dumps({"requeued": count}))
    else:
        typer.echo(f"{count} dead deliveries requeued")
