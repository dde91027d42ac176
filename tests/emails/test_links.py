"""The pages behind the links of a review-request email (docs/intake.md §3.2): the review form's
problems, and tokens that are bound to one request and one purpose."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from shopreviews.customers.models import EmailUnsubscribe
from shopreviews.kit.context import AppContext
from tests.emails.helpers import (
    Clock,
    EmailShop,
    Sent,
    SmtpServer,
    assert_page_headers,
    forms,
    path_of,
    sent_request,
)

SHIRT, SOCKS = (9200305176832, "Linen shirt"), (9200305176899, "Wool socks")
DEAD_LINK = "This link is not valid"


async def _form(client: httpx.AsyncClient, sent: Sent) -> dict[str, dict[str, str]]:
    """The review page's forms by product id (their hidden fields)."""
    page = await client.get(path_of(sent.links.review))
    assert page.status_code == 200
    return {f["fields"]["product_id"]: f["fields"] for f in forms(page.text)}


def _alert(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', page.text)
    assert found, page.text
    return found.group(1)


async def test_form_problems_store_nothing(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    sent = await sent_request(email_ctx, shop, clock, smtp)
    path = path_of(sent.links.review)
    fields = (await _form(email_client, sent))[str(SHIRT[0])]

    for rating in (None, "", "0", "6", "five", "4.5"):
        data = {**fields, "content": "My words stay on the form"}
        if rating is not None:
            data["rating"] = rating
        page = await email_client.post(path, data=data)
        assert page.status_code == 400, rating
        assert_page_headers(page)
        assert _alert(page) == "Choose a rating from 1 to 5 stars."
        assert "My words stay on the form" in page.text  # the customer's text is kept

    long_name = await email_client.post(path, data={**fields, "rating": "4", "author": "x" * 121})
    assert long_name.status_code == 400 and "name" in _alert(long_name)

    not_ordered = await email_client.post(
        path, data={**fields, "product_id": "1234567", "rating": "5"}
    )
    assert not_ordered.status_code == 400
    assert _alert(not_ordered) == "Choose a product of this order."

    for csrf in ("", "0" * 64, fields["csrf"][:-1] + ("0" if fields["csrf"][-1] != "0" else "1")):
        forged = await email_client.post(path, data={**fields, "csrf": csrf, "rating": "5"})
        assert forged.status_code == 403, csrf
        assert_page_headers(forged)
    no_csrf = {k: v for k, v in fields.items() if k != "csrf"}
    assert (await email_client.post(path, data={**no_csrf, "rating": "5"})).status_code == 403

    assert await shop.reviews() == []
    assert (await shop.order(sent.order_id))["status"] == 4  # opened by the click, no review
    assert await shop.events("SUBMIT_REVIEW") == []


async def test_each_product_of_the_order_is_reviewed_once(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    sent = await sent_request(email_ctx, shop, clock, smtp, products=[SHIRT, SOCKS])
    path = path_of(sent.links.review)
    by_product = await _form(email_client, sent)
    assert set(by_product) == {str(SHIRT[0]), str(SOCKS[0])}
    shirt = by_product[str(SHIRT[0])]

    assert (await email_client.post(path, data={**shirt, "rating": "4"})).status_code == 303
    assert (await shop.order(sent.order_id))["status"] == 5
    # The page now offers only the socks.
    after = await email_client.get(path)
    assert list(await _form(email_client, sent)) == [str(SOCKS[0])]
    assert "Reviewed. Thank you!" in after.text

    again = await email_client.post(path, data={**shirt, "rating": "1", "content": "changed"})
    assert again.status_code == 400
    assert _alert(again) == "You have already reviewed this product. Thank you!"
    assert len(await shop.reviews()) == 1

    socks = by_product[str(SOCKS[0])]
    assert (await email_client.post(path, data={**socks, "rating": "5"})).status_code == 303
    thanks = await email_client.get(path)
    assert thanks.status_code == 200 and "Thank you" in thanks.text and "<form" not in thanks.text

    # Everything reviewed: a resubmission (a second click, the back button) says so.
    last = await email_client.post(path, data={**socks, "rating": "2"})
    assert last.status_code == 400
    assert "You have already reviewed this product." in last.text
    reviews = await shop.reviews()
    assert sorted((r["product_id"], r["rating"]) for r in reviews) == [
        (str(SHIRT[0]), 4),
        (str(SOCKS[0]), 5),
    ]
    assert {r["source"] for r in reviews} == {"Email request"}
    assert len(await shop.events("SUBMIT_REVIEW")) == 2


async def test_an_order_without_products_gets_a_store_review(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    sent = await sent_request(email_ctx, shop, clock, smtp, products=[])
    [fields] = (await _form(email_client, sent)).values()
    assert fields["product_id"] == "0"
    posted = await email_client.post(
        path_of(sent.links.review), data={**fields, "rating": "5", "content": "Lovely shop"}
    )
    assert posted.status_code == 303
    [review] = await shop.reviews()
    assert (review["product_id"], review["order_id"]) == ("0", sent.order_id)
    [event] = await shop.events("SUBMIT_REVIEW")
    assert (event["product_id"], event["review_id"]) == ("", review["id"])


def _tampered(token: str) -> list[str]:
    request_id, _, signature = token.partition(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{request_id}.{flipped}",  # wrong signature
        f"{int(request_id) + 1}.{signature}",  # another request's id
        f"0{request_id}.{signature}",  # the id written differently
        f"{request_id}.{signature}x",  # too long
        f"{request_id}.{signature[:-1]}",  # too short
        f"{request_id}{signature}",  # no dot
        signature,
        "1.aaaaaaaaaaaaaaaaaaaaaa",
        "99999999999999999999.aaaaaaaaaaaaaaaaaaaaaa",  # beyond 64-bit ids
        "-1.aaaaaaaaaaaaaaaaaaaaaa",
        "x",
    ]


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".gif")


async def test_wrong_tokens_are_not_found_on_every_page(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    sent = await sent_request(email_ctx, shop, clock, smtp)
    pixel, review, unsubscribe = (
        _token(sent.links.pixel),
        _token(sent.links.review),
        _token(sent.links.unsubscribe),
    )
    assert len({pixel, review, unsubscribe}) == 3
    assert len({t.partition(".")[0] for t in (pixel, review, unsubscribe)}) == 1

    # Tokens of the other purposes, and damaged ones.
    for token in [review, unsubscribe, *_tampered(pixel)]:
        answer = await email_client.get(f"/email/open/{token}.gif")
        assert answer.status_code == 404, token
        assert answer.content == b""
    for token in [pixel, unsubscribe, *_tampered(review)]:
        for answer in (
            await email_client.get(f"/email/review/{token}"),
            await email_client.post(f"/email/review/{token}", data={"rating": "5"}),
        ):
            assert answer.status_code == 404, token
            assert DEAD_LINK in answer.text
            assert_page_headers(answer)
    for token in [pixel, review, *_tampered(unsubscribe)]:
        for answer in (
            await email_client.get(f"/email/unsubscribe/{token}"),
            await email_client.post(
                f"/email/unsubscribe/{token}",
                data={"action": "unsubscribe", "email_type": "all"},
            ),
            await email_client.post(
                f"/email/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
            ),
        ):
            assert answer.status_code == 404, token
            assert DEAD_LINK in answer.text

    # A review POST with the csrf of a genuine review token but the path of another purpose.
    fields = (await _form(email_client, sent))[str(SHIRT[0])]
    for token in (pixel, unsubscribe):
        answer = await email_client.post(f"/email/review/{token}", data={**fields, "rating": "5"})
        assert answer.status_code in (403, 404)
    # Nothing happened: no open, no unsubscribe, no review.
    assert (await shop.order(sent.order_id))["status"] == 4  # opened by the form visit only
    assert await shop.events("OPEN_EMAIL") == []
    assert await shop.events("UNSUBSCRIBE_EMAIL") == []
    assert await shop.reviews() == []
    async with email_ctx.db.session(write=False) as session:
        count = await session.execute(
            select(func.count(EmailUnsubscribe.id)).where(EmailUnsubscribe.shop_id == shop.shop_id)
        )
        assert count.scalar_one() == 0


@pytest.mark.parametrize("purpose", ["pixel", "review", "unsubscribe"])
async def test_links_of_a_disabled_shop_are_not_found(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
    purpose: str,
) -> None:
    from shopreviews.shops.models import Shop

    sent = await sent_request(email_ctx, shop, clock, smtp)
    async with email_ctx.db.session(write=True) as session:
        row = await session.get(Shop, shop.shop_id)
        assert row is not None
        row.status = "disabled"
    answer = await email_client.get(path_of(getattr(sent.links, purpose)))
    assert answer.status_code == 404
