"""Shop intake settings (docs/intake.md §1): GET/POST /api/v1/merchant/settings and the rules
behind them (the CLI's `shop configure` is covered in test_cli.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.models import AuditEntry
from shopreviews.orders import service as order_service
from shopreviews.orders.models import Order, OrderStatus, ReviewRequest
from shopreviews.shops import service as shop_service
from shopreviews.shops.models import Shop
from shopreviews.shops.repository import ShopRepository
from shopreviews.shops.schemas import ShopSettingsOut
from tests.support.api import Clock, create_shop, error, ok

SETTINGS = "/api/v1/merchant/settings"
PASSWORD = "settings password 123"
SECRET = "shpss_0123456789abcdef0123456789abcdef"
DEFAULTS = {
    "review_request_delay_days": 7,
    "storefront_origins": [],
    "shopify_app_secret_set": False,
    "web_reviews": "enabled",
    "auto_publish_min_rating": 1,
    "author_display": "first_last_initial",
    "reviews_disclosure": "",
    "review_request_subject": "",
    "review_request_text": "",
}


@dataclass
class Owner:
    """A shop and a signed-in merchant user of it."""

    shop_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(ctx: AppContext, client: httpx.AsyncClient) -> Owner:
    shop = await create_shop(ctx, client)
    email = f"owner-{uuid.uuid4().hex[:10]}@example-shop.com"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=PASSWORD
        )
    data = ok(
        await client.post("/api/v1/merchant/login", json={"email": email, "password": PASSWORD})
    )
    return Owner(shop.shop_id, data["token"])


# argon2 makes each sign-in cost a few hundred milliseconds: one owner per module, its settings
# put back to the defaults before each test.
@pytest.fixture(scope="module")
async def owner_once(ctx: AppContext, client: httpx.AsyncClient) -> Owner:
    return await sign_in(ctx, client)


@pytest.fixture(scope="module")
async def neighbour(ctx: AppContext, client: httpx.AsyncClient) -> Owner:
    return await sign_in(ctx, client)


@pytest.fixture
async def owner(ctx: AppContext, owner_once: Owner) -> AsyncIterator[Owner]:
    await reset(ctx, owner_once.shop_id)
    yield owner_once


async def reset(ctx: AppContext, shop_id: str) -> None:
    async with ctx.db.session(write=True) as session:
        await shop_service.update_intake_settings(
            ctx,
            session,
            shop_id,
            delay_days=7,
            origins=[],
            shopify_app_secret="",
            storefront=shop_service.StorefrontSettings(
                web_reviews="enabled",
                auto_publish_min_rating=1,
                author_display="first_last_initial",
                reviews_disclosure="",
            ),
            wording=shop_service.RequestWording(subject="", text=""),
            now=ctx.now_datetime(),
        )


async def read(client: httpx.AsyncClient, who: Owner) -> dict[str, Any]:
    data: dict[str, Any] = ok(await client.get(SETTINGS, headers=who.headers))
    return data


async def change(client: httpx.AsyncClient, who: Owner, body: Any) -> httpx.Response:
    return await client.post(SETTINGS, json=body, headers=who.headers)


async def shop_row(ctx: AppContext, shop_id: str) -> Shop:
    async with ctx.db.session(write=False) as session:
        shop = await ShopRepository(session).get(shop_id)
        assert shop is not None
        session.expunge(shop)  # keep the loaded values past the read transaction's rollback
        return shop


# --- reading and writing --------------------------------------------------------------------


async def test_a_new_shop_has_the_defaults(ctx: AppContext, client: httpx.AsyncClient) -> None:
    fresh = await sign_in(ctx, client)
    response = await client.get(SETTINGS, headers=fresh.headers)
    assert ok(response) == DEFAULTS
    assert type(response.json()["data"]["review_request_delay_days"]) is int
    # An empty POST changes nothing and answers the same settings.
    assert ok(await change(client, fresh, {})) == DEFAULTS
    row = await shop_row(ctx, fresh.shop_id)
    assert row.review_request_delay_days == 7
    assert row.storefront_origins == []
    assert row.shopify_app_secret_encrypted is None


async def test_each_field_is_updated_and_read_back(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner
) -> None:
    expected = dict(DEFAULTS)
    steps: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"review_request_delay_days": 0}, {"review_request_delay_days": 0}),
        ({"review_request_delay_days": 365}, {"review_request_delay_days": 365}),
        (
            {"storefront_origins": ["https://www.example-shop.com", "http://localhost:3000"]},
            {"storefront_origins": ["https://www.example-shop.com", "http://localhost:3000"]},
        ),
        ({"shopify_app_secret": SECRET}, {"shopify_app_secret_set": True}),
    ]
    for body, effect in steps:
        expected.update(effect)
        assert ok(await change(client, owner, body)) == expected, body
        assert await read(client, owner) == expected, body
    row = await shop_row(ctx, owner.shop_id)
    assert row.review_request_delay_days == 365
    assert row.storefront_origins == ["https://www.example-shop.com", "http://localhost:3000"]


async def test_a_partial_update_keeps_the_other_fields(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    everything = {
        "review_request_delay_days": 3,
        "storefront_origins": ["https://shop.example.com"],
        "shopify_app_secret": SECRET,
    }
    full = {
        **DEFAULTS,
        "review_request_delay_days": 3,
        "storefront_origins": ["https://shop.example.com"],
        "shopify_app_secret_set": True,
    }
    assert ok(await change(client, owner, everything)) == full
    assert ok(await change(client, owner, {"review_request_delay_days": 10})) == {
        **full,
        "review_request_delay_days": 10,
    }
    assert ok(await change(client, owner, {"storefront_origins": []})) == {
        **full,
        "review_request_delay_days": 10,
        "storefront_origins": [],
    }
    # null means "not given", like a field left out; unknown fields are ignored.
    body = {
        "review_request_delay_days": None,
        "storefront_origins": None,
        "shopify_app_secret": None,
        "something_else": 1,
    }
    assert ok(await change(client, owner, body)) == {
        **full,
        "review_request_delay_days": 10,
        "storefront_origins": [],
    }


async def test_origins_are_normalised_and_deduplicated(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    given = [
        "HTTPS://WWW.Example-Shop.COM/",
        "https://www.example-shop.com",
        "https://www.example-shop.com:443",
        "https://shop.example.com:8443",
        "http://LOCALHOST:3000/",
        "http://127.0.0.1",
        "http://[::1]:8080",
        "https://[2001:DB8:0:0::1]",
        "https://bücher.example",
    ]
    data = ok(await change(client, owner, {"storefront_origins": given}))
    assert data["storefront_origins"] == [
        "https://www.example-shop.com",
        "https://shop.example.com:8443",
        "http://localhost:3000",
        "http://127.0.0.1",
        "http://[::1]:8080",
        "https://[2001:db8::1]",
        "https://xn--bcher-kva.example",
    ]
    # Ten distinct origins fit, even when the list repeats some of them.
    ten = [f"https://s{i}.example.com" for i in range(10)]
    assert (
        ok(await change(client, owner, {"storefront_origins": ten + ten[:3]}))["storefront_origins"]
        == ten
    )


# --- the secret -----------------------------------------------------------------------------


async def test_the_secret_is_write_only_and_stored_encrypted(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner
) -> None:
    response = await change(client, owner, {"shopify_app_secret": SECRET})
    assert ok(response) == {**DEFAULTS, "shopify_app_secret_set": True}
    assert "shopify_app_secret" not in response.json()["data"]
    assert SECRET not in response.text
    again = await client.get(SETTINGS, headers=owner.headers)
    assert ok(again)["shopify_app_secret_set"] is True
    assert SECRET not in again.text
    # A refused update does not echo the secret either.
    refused = await change(client, owner, {"shopify_app_secret": SECRET + " x"})
    assert SECRET not in error(refused, 3, 400)["message"]

    row = await shop_row(ctx, owner.shop_id)
    stored = row.shopify_app_secret_encrypted
    assert stored is not None and stored != SECRET and SECRET not in stored
    assert ctx.box.open(stored) == SECRET

    # A new secret replaces the old one.
    newer = "n" * 16
    ok(await change(client, owner, {"shopify_app_secret": newer}))
    row = await shop_row(ctx, owner.shop_id)
    assert row.shopify_app_secret_encrypted is not None
    assert ctx.box.open(row.shopify_app_secret_encrypted) == newer


async def test_secret_changes_are_audit_logged(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner
) -> None:
    async def actions() -> list[str]:
        async with ctx.db.session(write=False) as session:
            rows = await session.execute(
                select(AuditEntry.action, AuditEntry.actor)
                .where(AuditEntry.shop_id == owner.shop_id)
                .order_by(AuditEntry.id)
            )
            return [f"{action} by {actor}" for action, actor in rows.all()]

    before = await actions()
    ok(await change(client, owner, {"review_request_delay_days": 3}))  # not a secret change
    ok(await change(client, owner, {"shopify_app_secret": SECRET}))
    ok(await change(client, owner, {"shopify_app_secret": ""}))
    added = (await actions())[len(before) :]
    assert [a.split(" by ")[0] for a in added] == [
        "set_shopify_app_secret",
        "remove_shopify_app_secret",
    ]
    assert all(a.split(" by ")[1].startswith("merchant:") for a in added)


async def test_an_empty_secret_removes_it(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner
) -> None:
    ok(await change(client, owner, {"shopify_app_secret": SECRET, "review_request_delay_days": 2}))
    data = ok(await change(client, owner, {"shopify_app_secret": ""}))
    assert data == {**DEFAULTS, "review_request_delay_days": 2}
    assert (await shop_row(ctx, owner.shop_id)).shopify_app_secret_encrypted is None
    # Removing it again is not an error.
    assert ok(await change(client, owner, {"shopify_app_secret": ""}))[
        "shopify_app_secret_set"
    ] is (False)


# --- validation -----------------------------------------------------------------------------

INVALID: list[tuple[str, Any]] = [
    ("review_request_delay_days", -1),
    ("review_request_delay_days", 366),
    ("review_request_delay_days", 10**30),
    ("review_request_delay_days", 7.0),
    ("review_request_delay_days", 7.5),
    ("review_request_delay_days", "7"),
    ("review_request_delay_days", True),
    ("review_request_delay_days", False),
    ("review_request_delay_days", []),
    ("review_request_delay_days", {"days": 7}),
    ("storefront_origins", "https://shop.example.com"),
    ("storefront_origins", {"0": "https://shop.example.com"}),
    ("storefront_origins", 5),
    ("storefront_origins", True),
    ("storefront_origins", [5]),
    ("storefront_origins", [None]),
    ("storefront_origins", [["https://shop.example.com"]]),
    ("storefront_origins", [""]),
    ("storefront_origins", ["shop.example.com"]),
    ("storefront_origins", ["http://shop.example.com"]),
    ("storefront_origins", ["ftp://shop.example.com"]),
    ("storefront_origins", ["https://"]),
    ("storefront_origins", ["https://shop.example.com/path"]),
    ("storefront_origins", ["https://shop.example.com//"]),
    ("storefront_origins", ["https://shop.example.com?x=1"]),
    ("storefront_origins", ["https://shop.example.com?"]),
    ("storefront_origins", ["https://shop.example.com#top"]),
    ("storefront_origins", ["https://user@shop.example.com"]),
    ("storefront_origins", ["https://user:pw@shop.example.com"]),
    ("storefront_origins", ["https://shop.example.com:0"]),
    ("storefront_origins", ["https://shop.example.com:65536"]),
    ("storefront_origins", ["https://shop.example.com:"]),
    ("storefront_origins", ["https://shop.example.com:80a"]),
    ("storefront_origins", ["https://shop .example.com"]),
    ("storefront_origins", [" https://shop.example.com"]),
    ("storefront_origins", ["https://shop_1.example.com"]),
    ("storefront_origins", ["https://-shop.example.com"]),
    ("storefront_origins", ["https://shop..example.com"]),
    ("storefront_origins", ["https://[::1"]),
    ("storefront_origins", ["https://[not-ipv6]"]),
    ("storefront_origins", ["https://[::1]x"]),
    ("storefront_origins", ["http://localhost.evil.example"]),
    ("storefront_origins", ["https://" + "a" * 300 + ".example.com"]),
    ("storefront_origins", [f"https://s{i}.example.com" for i in range(11)]),
    ("shopify_app_secret", "short"),
    ("shopify_app_secret", "x" * 15),
    ("shopify_app_secret", "x" * 256),
    ("shopify_app_secret", "has a space inside it"),
    ("shopify_app_secret", "tab\tinside-0123456789"),
    ("shopify_app_secret", "newline-at-the-end-0123\n"),
    ("shopify_app_secret", "non-ascii-é-0123456789"),
    ("shopify_app_secret", 1234567890123456789),
    ("shopify_app_secret", True),
    ("shopify_app_secret", ["x" * 20]),
]


@pytest.mark.parametrize(("field", "value"), INVALID)
async def test_invalid_values_are_code_3_naming_the_field_and_change_nothing(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner, field: str, value: Any
) -> None:
    # Another, valid field in the same body: a refused call changes nothing at all.
    other = (
        {"storefront_origins": ["https://ok.example.com"]}
        if field != "storefront_origins"
        else {"review_request_delay_days": 30}
    )
    body = error(await change(client, owner, {**other, field: value}), 3, 400)
    assert body["message"].startswith("invalid argument: "), body
    assert field in body["message"], body
    assert body["data"] is None
    assert await read(client, owner) == DEFAULTS
    assert "Input should" not in body["message"]  # our rule's words, not pydantic's defaults


async def test_the_service_applies_the_same_rules(ctx: AppContext, owner: Owner) -> None:
    """The CLI calls the service directly: it refuses what the endpoint refuses, naming the
    field, and changes nothing."""
    for field, value in INVALID:
        argument = {
            "review_request_delay_days": "delay_days",
            "storefront_origins": "origins",
            "shopify_app_secret": "shopify_app_secret",
        }[field]
        with pytest.raises(shop_service.InvalidSetting) as caught:
            async with ctx.db.session(write=True) as session:
                await shop_service.update_intake_settings(
                    ctx, session, owner.shop_id, now=ctx.now_datetime(), **{argument: value}
                )
        assert caught.value.field == field, (field, value)
        assert caught.value.code == 3
    shop = await shop_row(ctx, owner.shop_id)
    assert shop_service.intake_settings(shop).model_dump() == DEFAULTS


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"7", b"null", b"{", b""])
async def test_a_body_that_is_not_an_object_is_code_3(
    client: httpx.AsyncClient, owner: Owner, raw: bytes
) -> None:
    response = await client.post(
        SETTINGS, content=raw, headers={**owner.headers, "Content-Type": "application/json"}
    )
    error(response, 3, 400)
    assert await read(client, owner) == DEFAULTS


# --- who may call ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
async def test_without_a_merchant_session_it_is_code_16(
    client: httpx.AsyncClient, owner: Owner, headers: dict[str, str]
) -> None:
    for response in (
        await client.get(SETTINGS, headers=headers),
        await client.post(SETTINGS, json={"review_request_delay_days": 1}, headers=headers),
    ):
        body = error(response, 16, 401)
        assert body["data"] is None
    assert await read(client, owner) == DEFAULTS


async def test_the_shops_api_tokens_are_not_a_merchant_session(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner
) -> None:
    shop = await create_shop(ctx, client)
    error(
        await client.get(SETTINGS, headers={"Authorization": f"Bearer {shop.private_token}"}),
        16,
        401,
    )


async def test_a_merchant_changes_only_its_own_shop(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner, neighbour: Owner
) -> None:
    await reset(ctx, neighbour.shop_id)
    mine = {
        "review_request_delay_days": 1,
        "storefront_origins": ["https://mine.example.com"],
        "shopify_app_secret": SECRET,
    }
    ok(await change(client, neighbour, mine))
    assert await read(client, owner) == DEFAULTS
    assert await read(client, neighbour) == {
        **DEFAULTS,
        "review_request_delay_days": 1,
        "storefront_origins": ["https://mine.example.com"],
        "shopify_app_secret_set": True,
    }
    # A shop_id in the body is ignored: the session decides the shop.
    ok(await change(client, owner, {"shop_id": neighbour.shop_id, "review_request_delay_days": 9}))
    assert (await read(client, owner))["review_request_delay_days"] == 9
    assert (await read(client, neighbour))["review_request_delay_days"] == 1
    assert (await shop_row(ctx, owner.shop_id)).shopify_app_secret_encrypted is None


# --- a new delay re-plans pending requests --------------------------------------------------


async def receive_order(ctx: AppContext, shop_id: str, fulfilled_at: datetime) -> str:
    order_id = str(uuid.uuid4().int)[:13]
    async with ctx.db.session(write=True) as session:
        shop = await ShopRepository(session).get(shop_id)
        assert shop is not None
        await order_service.receive(
            session,
            shop,
            order_service.OrderFacts(
                order_id=order_id,
                created_at=fulfilled_at - timedelta(days=1),
                customer_email=f"buyer-{order_id}@example.com",
                fulfilled_at=fulfilled_at,
            ),
            now=ctx.now_datetime(),
        )
    return order_id


async def planned(ctx: AppContext, shop_id: str, order_id: str) -> tuple[int, datetime, datetime]:
    """(order status, Order.scheduled_at, ReviewRequest.run_at)."""
    async with ctx.db.session(write=False) as session:
        row = (
            await session.execute(
                select(Order, ReviewRequest)
                .join(ReviewRequest, ReviewRequest.order_pk == Order.id)
                .where(Order.shop_id == shop_id, Order.order_id == order_id)
            )
        ).one()
        order, request = row
        assert order.scheduled_at is not None
        return order.status, order.scheduled_at, request.run_at


async def test_a_new_delay_replans_pending_requests(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner, neighbour: Owner, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    now = datetime.fromtimestamp(start, UTC)
    fulfilled = now - timedelta(days=2)
    order_id = await receive_order(ctx, owner.shop_id, fulfilled)
    status, scheduled_at, run_at = await planned(ctx, owner.shop_id, order_id)
    assert status == OrderStatus.SCHEDULED
    assert scheduled_at == run_at == fulfilled + timedelta(days=7)

    # Longer and shorter delays: fulfilment + the new delay.
    for days in (30, 5):
        ok(await change(client, owner, {"review_request_delay_days": days}))
        _, scheduled_at, run_at = await planned(ctx, owner.shop_id, order_id)
        assert scheduled_at == run_at == fulfilled + timedelta(days=days), days

    # A delay whose time has already passed: now (an hour later by the clock).
    clock.set(start + 3600)
    ok(await change(client, owner, {"review_request_delay_days": 1}))
    status, scheduled_at, run_at = await planned(ctx, owner.shop_id, order_id)
    assert status == OrderStatus.SCHEDULED
    assert scheduled_at == run_at == now + timedelta(hours=1)

    # Other fields alone leave the plan alone, as does the same delay again.
    clock.set(start + 7200)
    ok(await change(client, owner, {"review_request_delay_days": 1, "storefront_origins": []}))
    assert (await planned(ctx, owner.shop_id, order_id))[2] == now + timedelta(hours=1)

    # Orders of another shop are not touched.
    await reset(ctx, neighbour.shop_id)
    theirs = await receive_order(ctx, neighbour.shop_id, fulfilled)
    ok(await change(client, owner, {"review_request_delay_days": 20}))
    assert (await planned(ctx, neighbour.shop_id, theirs))[2] == fulfilled + timedelta(days=7)
    assert (await planned(ctx, owner.shop_id, order_id))[2] == fulfilled + timedelta(days=20)


def test_the_response_model_has_no_secret_field() -> None:
    assert set(ShopSettingsOut.model_fields) == set(DEFAULTS)


# --- storefront settings (docs/storefront.md) -------------------------------------------------


async def test_storefront_settings_are_updated_and_read_back(
    ctx: AppContext, client: httpx.AsyncClient, owner: Owner
) -> None:
    body = {
        "web_reviews": " verified_buyers_only ",
        "auto_publish_min_rating": 0,
        "author_display": "anonymous",
        "reviews_disclosure": "  We invite every buyer; <b>verified</b> means an order matched. ",
    }
    data = ok(await change(client, owner, body))
    expected = {
        **DEFAULTS,
        "web_reviews": "verified_buyers_only",
        "auto_publish_min_rating": 0,
        "author_display": "anonymous",
        # Text is stored exactly as sent (escaping is the renderer's job).
        "reviews_disclosure": body["reviews_disclosure"],
    }
    assert data == expected
    assert await read(client, owner) == expected
    row = await shop_row(ctx, owner.shop_id)
    assert (row.web_reviews, row.auto_publish_min_rating, row.author_display) == (
        "verified_buyers_only",
        0,
        "anonymous",
    )
    # Fields left out keep their value; null is "not given".
    data = ok(await change(client, owner, {"auto_publish_min_rating": 5, "web_reviews": None}))
    assert data == {**expected, "auto_publish_min_rating": 5}


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"web_reviews": "sometimes"}, "web_reviews", "enabled, verified_buyers_only, disabled"),
        ({"web_reviews": 1}, "web_reviews", "one of"),
        ({"auto_publish_min_rating": 6}, "auto_publish_min_rating", "from 0"),
        ({"auto_publish_min_rating": -1}, "auto_publish_min_rating", "from 0"),
        ({"auto_publish_min_rating": "3"}, "auto_publish_min_rating", "integer"),
        ({"auto_publish_min_rating": True}, "auto_publish_min_rating", "integer"),
        ({"author_display": "nickname"}, "author_display", "first_last_initial, full"),
        ({"reviews_disclosure": "x" * 1001}, "reviews_disclosure", "at most 1000"),
        ({"reviews_disclosure": 5}, "reviews_disclosure", "string"),
    ],
)
async def test_bad_storefront_settings_are_code_3_naming_the_field(
    client: httpx.AsyncClient, owner: Owner, body: dict[str, Any], field: str, rule: str
) -> None:
    before = await read(client, owner)
    refused = error(await change(client, owner, {"author_display": "full", **body}), 3, 400)
    assert field in refused["message"] and rule in refused["message"], refused["message"]
    # Nothing is written when one value is refused.
    assert await read(client, owner) == before


# --- the review request's wording (docs/intake.md §3.1) ---------------------------------------


async def test_the_wording_is_stored_trimmed_with_unix_line_ends(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    body = {
        "review_request_subject": "  {customer_name}, how was {order_name}?  ",
        "review_request_text": "\r\nHello {customer_name},\r\n\r\n<b>{shop_name}</b> thanks you.\n",
    }
    expected = {
        **DEFAULTS,
        "review_request_subject": "{customer_name}, how was {order_name}?",
        "review_request_text": "Hello {customer_name},\n\n<b>{shop_name}</b> thanks you.",
    }
    assert ok(await change(client, owner, body)) == expected
    assert await read(client, owner) == expected
    # "" puts the built-in wording back.
    cleared = {"review_request_subject": "", "review_request_text": ""}
    assert ok(await change(client, owner, cleared)) == DEFAULTS


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("review_request_subject", "Hi {name}", "unknown placeholder {name}: use"),
        ("review_request_subject", "Hi {Customer_Name}", "unknown placeholder {Customer_Name}"),
        ("review_request_subject", "two\nlines", "must be one line"),
        ("review_request_subject", "x" * 201, "at most 200 characters"),
        ("review_request_subject", 7, "must be a string"),
        ("review_request_text", "Hi { customer_name }", "unknown placeholder { customer_name }"),
        ("review_request_text", "Hi {}", "unknown placeholder {}"),
        ("review_request_text", "x" * 5001, "at most 5000 characters"),
        ("review_request_text", "bell \x07", "must not contain control characters"),
        ("review_request_text", ["a"], "must be a string"),
    ],
)
async def test_a_bad_wording_is_code_3_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, owner: Owner, field: str, value: Any, problem: str
) -> None:
    body = error(await change(client, owner, {field: value, "web_reviews": "disabled"}), 3, 400)
    assert field in body["message"] and problem in body["message"], body
    assert await read(client, owner) == DEFAULTS


def test_placeholders_are_filled_and_a_lone_brace_is_text() -> None:
    values = {"customer_name": "Jane", "order_name": "#1001", "shop_name": "Linen & Co"}
    wording = "{customer_name}: {order_name} at {shop_name} {"
    assert shop_service.check_request_text(wording) == wording
    assert shop_service.fill_placeholders(wording, values) == "Jane: #1001 at Linen & Co {"
    # A value is never read again as a placeholder.
    assert shop_service.fill_placeholders("{customer_name}", {"customer_name": "{shop_name}"}) == (
        "{shop_name}"
    )
