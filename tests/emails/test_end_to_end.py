"""The review-request pipeline end to end (docs/intake.md §2.3, §3): signed Shopify webhooks in,
the job due after the delay, one email through a real SMTP server, then every link of that email
followed as a mail client and a browser would, with the customer events and webhooks that come
out of it delivered to a real receiver."""

from __future__ import annotations

from email.headerregistry import Address

import httpx
from sqlalchemy import func, select

from shopreviews.kit.context import AppContext
from shopreviews.webhooks.models import WebhookDelivery
from tests.emails.helpers import (
    ANDROID,
    DAY,
    IPHONE,
    SHOP_NAME,
    WINDOWS,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    assert_page_headers,
    forms,
    fulfilled_order,
    iso,
    links_of,
    message_id,
    path_of,
    requests,
    run_worker,
    shopify_order,
)
from tests.support.api import ok
from tests.support.webhooks import Receiver, check_headers, subscribe

ORDER_ID = "5512345678901"
PRODUCT_ID = "9200305176832"


async def test_a_fulfilled_order_gets_one_email_and_every_link_works(
    ctx: AppContext,
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
    receiver: Receiver,
) -> None:
    hooks = {
        topic: await subscribe(shop, receiver, topic)
        for topic in ("customer_event/created", "review/created")
    }
    customer = Customer(address("Jane.Doe"))  # mixed case: stored lower-cased
    created, fulfilled = clock.now - 2 * DAY, clock.now - 3600
    due = fulfilled + 7 * DAY  # the default delay

    # Orders in: create, then fulfilled (both signed with the shop's Shopify app secret).
    answer = await fulfilled_order(
        shop, customer, created=created, fulfilled=fulfilled, order_id=ORDER_ID, name="#1001"
    )
    assert answer == {"order_id": ORDER_ID, "status": 2}
    # Shopify retries and late topics change nothing: still one request.
    order = shopify_order(ORDER_ID, customer, created=created, fulfilled=fulfilled, name="#1001")
    assert ok(await shop.order_webhook("orders/fulfilled", order))["status"] == 2
    assert ok(await shop.order_webhook("orders/create", order))["status"] == 2
    assert len(await requests(email_ctx, shop.shop_id)) == 1
    assert await shop.order(ORDER_ID) == {
        "order_id": ORDER_ID,
        "order_name": "#1001",
        "customer_id": customer.customer_id,
        "customer_email": customer.email.lower(),
        "customer_name": "Jane Doe",
        "status": 2,
        "scheduled_at": iso(due),
        "sent_at": "",
        "created_at": iso(created),
    }
    to = customer.email.lower()

    # Not due yet: the worker leaves it alone.
    clock.set(due - 60)
    await run_worker(email_ctx)
    assert smtp.messages(to) == []
    row = (await requests(email_ctx, shop.shop_id))[ORDER_ID]
    assert (row.status, row.attempts, row.send_started_at) == ("pending", 0, None)

    # Due, but a worker without SHOPREVIEWS_SMTP_HOST has no review-request handler: it waits.
    clock.set(due + 90)
    clock.attach(ctx)
    assert ctx.settings.smtp_host is None
    await run_worker(ctx)
    assert smtp.messages(to) == []
    assert (await shop.order(ORDER_ID))["status"] == 2

    # The email worker sends it: exactly one message.
    await run_worker(email_ctx)
    await run_worker(email_ctx)  # nothing is sent twice
    [message] = smtp.messages(to)
    row = (await requests(email_ctx, shop.shop_id))[ORDER_ID]
    assert (row.status, row.attempts, row.last_error) == ("succeeded", 1, "")
    assert message_id(message) == row.message_id
    assert message["X-Envelope-To"] == f"<{to}>"
    [recipient] = message["To"].addresses
    assert (recipient.addr_spec, recipient.display_name) == (to, "Jane Doe")
    [sender] = message["From"].addresses
    assert sender == Address(SHOP_NAME, addr_spec="reviews@shopreviews.test")
    assert "#1001" in message["Subject"] and SHOP_NAME in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    links = links_of(message)
    # Folded onto a continuation line when long (RFC 5322 folding white space).
    assert message["List-Unsubscribe"].strip() == f"<{links.unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for url in (links.pixel, links.review, links.unsubscribe):
        assert url.startswith("http://testserver/email/")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Linen shirt" in html and "Jane Doe" in html

    order = await shop.order(ORDER_ID)
    assert (order["status"], order["sent_at"], order["scheduled_at"]) == (
        3,
        iso(due + 90),
        iso(due),
    )

    # The customer opens the email: the pixel, once and again.
    clock.advance(3600)
    opened_at = iso(clock.now)
    pixel = await email_client.get(path_of(links.pixel), headers={"User-Agent": IPHONE})
    assert pixel.status_code == 200
    assert pixel.headers["content-type"] == "image/gif"
    assert pixel.headers["cache-control"] == "no-store"
    assert pixel.content.startswith(b"GIF89a") and len(pixel.content) == 42
    assert (await shop.order(ORDER_ID))["status"] == 4
    common = {
        "event_source": "EMAIL",
        "customer_id": customer.customer_id,
        "customer_email": to,
        "page_url": "",
    }
    [opened] = await shop.events("OPEN_EMAIL")
    assert opened == {
        **common,
        "id": opened["id"],
        "event_type": "OPEN_EMAIL",
        "os_type": "IOS",
        "product_id": "",
        "review_id": "",
        "created_at": opened_at,
    }
    clock.advance(60)
    again = await email_client.get(path_of(links.pixel), headers={"User-Agent": WINDOWS})
    assert again.status_code == 200 and again.content == pixel.content
    assert len(await shop.events("OPEN_EMAIL")) == 1
    assert (await shop.order(ORDER_ID))["status"] == 4

    # The review link: the form, with a CLICK_EMAIL event at the first visit only.
    form_page = await email_client.get(path_of(links.review), headers={"User-Agent": ANDROID})
    assert form_page.status_code == 200
    assert_page_headers(form_page)
    assert "Linen shirt" in form_page.text and "#1001" in form_page.text
    [clicked] = await shop.events("CLICK_EMAIL")
    assert clicked == {
        **common,
        "id": clicked["id"],
        "event_type": "CLICK_EMAIL",
        "os_type": "ANDROID",
        "product_id": "",
        "review_id": "",
        "created_at": iso(clock.now),
    }
    await email_client.get(path_of(links.review), headers={"User-Agent": ANDROID})
    assert len(await shop.events("CLICK_EMAIL")) == 1
    [form] = forms(form_page.text)
    assert form["method"] == "post" and form["fields"]["product_id"] == PRODUCT_ID
    assert set(form["fields"]) == {"csrf", "product_id"}

    # The review, posted with the form's fields.
    posted = await email_client.post(
        path_of(links.review),
        data={
            **form["fields"],
            "rating": "5",
            "title": "Great fit",
            "content": "Soft fabric and true to size.",
            "author": "Jane D.",
        },
        headers={"User-Agent": WINDOWS},
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == path_of(links.review)
    thanks = await email_client.get(posted.headers["location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    assert "<form" not in thanks.text

    [review] = await shop.reviews()
    expected = {
        "product_id": PRODUCT_ID,
        "product_title": "Linen shirt",
        "order_id": ORDER_ID,
        "rating": 5,
        "author": "Jane D.",
        "author_email": to,
        "title": "Great fit",
        "content": "Soft fabric and true to size.",
        "source": "Email request",
        "is_verified": 1,
        "is_published": 1,
        "media": [],
        "reply": None,
    }
    assert {name: review[name] for name in expected} == expected
    assert (await shop.order(ORDER_ID))["status"] == 5
    [submitted] = await shop.events("SUBMIT_REVIEW")
    assert submitted == {
        **common,
        "id": submitted["id"],
        "event_type": "SUBMIT_REVIEW",
        "os_type": "WINDOWS",
        "product_id": PRODUCT_ID,
        "review_id": review["id"],
        "created_at": iso(clock.now),
    }

    # Opening the email again later changes nothing: the order stays Evaluated.
    await email_client.get(path_of(links.pixel), headers={"User-Agent": IPHONE})
    assert (await shop.order(ORDER_ID))["status"] == 5
    assert len(await shop.events()) == 3

    # The webhooks: delivered by the worker, signed, with the records as the API shows them.
    await run_worker(email_ctx)
    events = await shop.events()
    hook = hooks["customer_event/created"]
    got = await receiver.log(hook["path"])
    assert len(got) == 3
    for received in got:
        check_headers(received, shop, hook["secret"])
    bodies = sorted((r.payload for r in got), key=lambda b: b["sequence"])
    assert [b["topic"] for b in bodies] == ["customer_event/created"] * 3
    assert [b["list"] for b in bodies] == [
        [{**event, "my_shopify_domain": shop.myshopify_domain, "shopify_shop_id": shop.shop_id}]
        for event in events
    ]
    hook = hooks["review/created"]
    [received] = await receiver.log(hook["path"])
    check_headers(received, shop, hook["secret"])
    [item] = received.payload["list"]
    assert item["id"] == review["id"] and item["source"] == "Email request"
    assert item["order_id"] == ORDER_ID and item["author_email"] == to
    assert item["my_shopify_domain"] == shop.myshopify_domain
    async with email_ctx.db.session(write=False) as session:
        pending = await session.execute(
            select(func.count(WebhookDelivery.id)).where(
                WebhookDelivery.shop_id == shop.shop_id, WebhookDelivery.status != "succeeded"
            )
        )
        assert pending.scalar_one() == 0

    # Still exactly one email for this customer.
    assert len(smtp.messages(to)) == 1
