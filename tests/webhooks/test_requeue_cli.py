"""`shopreviews webhooks requeue`: dead deliveries are due again with a fresh schedule; a
delivery named that does not exist is named back, exit status 1, and nothing is requeued; one
that is not dead is left alone and said so. The command runs on the session's database,
against deliveries of a shop the session's app serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.webhooks.models import WebhookDelivery
from tests.support.cli import Cli
from tests.support.reviews import create as create_review
from tests.support.webhooks import ClockedShop, Receiver, deliveries, subscribe

NO_SUCH_DELIVERY = 2**62  # ids count up from 1: this one is never reached


async def _dead(ctx: AppContext, delivery_id: int) -> None:
    """What 72 hours of failed attempts leave: the delivery dead after its attempts."""
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(status="dead", attempts=18, last_error="HTTP 500")
        )


async def test_requeue_makes_dead_deliveries_due_and_names_the_rest(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, session_cli: Cli
) -> None:
    await subscribe(shop, receiver)
    await create_review(shop)
    await create_review(shop)
    dead, pending = [row.id for row in await deliveries(ctx, shop.shop_id)]
    await _dead(ctx, dead)

    # An unknown id among them: said, and nothing requeued.
    unknown = await session_cli.error_async(
        "webhooks", "requeue", "--delivery", str(dead), "--delivery", str(NO_SUCH_DELIVERY)
    )
    assert unknown == f"error: no delivery {NO_SUCH_DELIVERY}: nothing was requeued"
    assert [row.status for row in await deliveries(ctx, shop.shop_id)] == ["dead", "pending"]

    before = datetime.now(UTC) - timedelta(seconds=1)
    done = await session_cli.json_async(
        "webhooks", "requeue", "--delivery", str(dead), "--delivery", str(pending)
    )
    assert done == {"requeued": 1, "ids": [dead], "not_dead": {str(pending): "pending"}}
    row = (await deliveries(ctx, shop.shop_id))[0]
    assert (row.status, row.attempts, row.first_attempt_at) == ("pending", 0, None)
    assert row.run_at.replace(tzinfo=UTC) >= before

    text = await session_cli.run_async("webhooks", "requeue", "--delivery", str(pending))
    assert text.stdout == (
        f"0 dead deliveries requeued\ndelivery {pending} is pending, not dead: left alone\n"
    )


async def test_requeue_all_dead(
    ctx: AppContext, shop: ClockedShop, receiver: Receiver, session_cli: Cli
) -> None:
    await subscribe(shop, receiver)
    await create_review(shop)
    (delivery,) = [row.id for row in await deliveries(ctx, shop.shop_id)]
    await _dead(ctx, delivery)
    done = await session_cli.json_async("webhooks", "requeue", "--all-dead")
    # Other tests' dead deliveries share the session's database: this one is among them.
    assert delivery in done["ids"] and done["requeued"] == len(done["ids"])
    assert [row.status for row in await deliveries(ctx, shop.shop_id)] == ["pending"]


def test_requeue_says_what_to_give(cli: Cli) -> None:
    cli.json("shop", "list")  # the key file exists: its notice is not part of the answers below
    assert cli.error("webhooks", "requeue") == (
        "error: give --delivery ID (once per delivery) or --all-dead"
    )
    assert cli.json_error("webhooks", "requeue", "--all-dead", "--delivery", "1") == (
        "give --delivery ID or --all-dead, not both"
    )
    assert cli.error("webhooks", "requeue", "--delivery", "7") == (
        "error: no delivery 7: nothing was requeued"
    )
