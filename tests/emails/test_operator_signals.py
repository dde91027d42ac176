"""The email outcome counters an operator alerts on (docs/operations.md): what the sender
recorded for each email, by kind."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from shopreviews.kit.context import AppContext
from tests.emails.helpers import (
    DAY,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    fulfilled_order,
    requests,
    run_worker,
)
from tests.support.api import ok
from tests.support.metrics import Scrape, scrape

EMAILS = "shopreviews_emails_total"
OUTCOMES = ("sent", "retry", "failed", "skipped", "interrupted")


def _counts(scraped: Scrape, kind: str) -> dict[str, float]:
    return {o: scraped.value(EMAILS, kind=kind, outcome=o) for o in OUTCOMES}


async def test_each_outcome_of_a_review_request_is_counted(
    shop: EmailShop,
    clock: Clock,
    start_smtp: Callable[..., SmtpServer],
    ctx_for: Callable[[int], AppContext],
    email_client: httpx.AsyncClient,
) -> None:
    relay = start_smtp("relay", refuse=["greylisted:451", "nosuchuser:550"])
    ctx = ctx_for(relay.port)
    customers = {
        name: Customer(address(name)) for name in ("welcome", "greylisted", "nosuchuser", "left")
    }
    orders = {
        name: (
            await fulfilled_order(
                shop, customer, created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY
            )
        )["order_id"]
        for name, customer in customers.items()
    }
    # Excluded once its request was planned: when due, there is nothing to send any more.
    ok(await shop.post("create_customer_exclude", {"email": customers["left"].email}))

    before = await scrape(email_client)
    await run_worker(ctx)
    after = await scrape(email_client)

    rows = await requests(ctx, shop.shop_id)
    assert {name: rows[order].status for name, order in orders.items()} == {
        "welcome": "succeeded",
        "greylisted": "pending",
        "nosuchuser": "dead",
        "left": "cancelled",
    }
    counted = {
        outcome: after_count - _counts(before, "review_request")[outcome]
        for outcome, after_count in _counts(after, "review_request").items()
    }
    assert counted == {"sent": 1, "retry": 1, "failed": 1, "skipped": 1, "interrupted": 0}
    # Every kind's outcomes are there from the start, at zero until one happens.
    assert all(after.has(EMAILS, kind="review_confirmation", outcome=o) for o in OUTCOMES)
