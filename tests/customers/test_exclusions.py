"""create_customer_exclude and delete_customer_exclude (spec orders-events-customers.md)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.customers.helpers import (
    bearer_get,
    bearer_post,
    exclude,
    excludes,
    exclusion_rows,
    platform_token,
    remember,
    rfc3339,
)
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.oauth import PlatformCreds

LONG_EMAIL = "a" * 65 + "@" + "b" * 185 + ".com"  # 255 characters

INVALID_CREATES: list[tuple[str, Any, str]] = [
    ("empty-body", {}, "give customer_id or email"),
    ("both-empty", {"customer_id": "", "email": " "}, "give customer_id or email"),
    ("both-null", {"customer_id": None, "email": None}, "give customer_id or email"),
    ("bad-email", {"email": "jane.example.com"}, "email: must be an email address"),
    ("two-at", {"email": "a@b@example.com"}, "email: must be an email address"),
    ("space-email", {"email": "jane @example.com"}, "email: must be an email address"),
    ("255-email", {"email": LONG_EMAIL}, "email: must be at most 254"),
    ("integer-email", {"email": 5}, "email: must be a string"),
    ("bool-id", {"customer_id": True}, "customer_id: must be a string or integer id"),
    ("false-id", {"customer_id": False}, "customer_id: must be a string or integer id"),
    ("float-id", {"customer_id": 1.5}, "customer_id: must be a string or integer id"),
    ("whole-float-id", {"customer_id": 7.0}, "customer_id: must be a string or integer id"),
    ("object-id", {"customer_id": {"id": "7"}}, "customer_id: must be a string or integer id"),
    ("list-id", {"customer_id": ["7"]}, "customer_id: must be a string or integer id"),
    ("space-id", {"customer_id": "77 12"}, "customer_id: must be 1 to 64 visible ASCII"),
    ("comma-id", {"customer_id": "77,12"}, "customer_id: must be 1 to 64 visible ASCII"),
    ("long-id", {"customer_id": "7" * 65}, "customer_id: must be 1 to 64 visible ASCII"),
    ("non-ascii-id", {"customer_id": "7é"}, "customer_id: must be 1 to 64 visible ASCII"),
    ("good-id-bad-email", {"customer_id": "7", "email": "nope"}, "email: must be an email"),
]


def _ids(table: list[tuple[str, Any, str]]) -> dict[str, Any]:
    return {
        "argvalues": [(body, expected) for _, body, expected in table],
        "ids": [name for name, _, _ in table],
    }


@pytest.mark.parametrize(("body", "expected"), **_ids(INVALID_CREATES))
async def test_invalid_create_is_code_3_naming_the_field(
    shop: ShopApi, ctx: AppContext, body: Any, expected: str
) -> None:
    result = error(await shop.post("create_customer_exclude", body), 3, 400)
    assert result["data"] is None
    assert expected in result["message"], result["message"]
    assert await exclusion_rows(ctx, shop) == []


INVALID_DELETES: list[tuple[str, Any, str]] = [
    ("empty-body", {}, "give exactly one of customer_id and email"),
    ("both-empty", {"customer_id": "", "email": ""}, "give exactly one of customer_id and email"),
    (
        "both-given",
        {"customer_id": "7", "email": "jane@example.com"},
        "give exactly one of customer_id and email",
    ),
    ("bool-id", {"customer_id": True}, "customer_id: must be a string or integer id"),
    ("float-id", {"customer_id": 7.5}, "customer_id: must be a string or integer id"),
    ("object-id", {"customer_id": {}}, "customer_id: must be a string or integer id"),
    ("bad-email", {"email": "jane"}, "email: must be an email address"),
    ("list-email", {"email": ["jane@example.com"]}, "email: must be a string"),
]


@pytest.mark.parametrize(("body", "expected"), **_ids(INVALID_DELETES))
async def test_invalid_delete_is_code_3_naming_the_field(
    shop: ShopApi, ctx: AppContext, body: Any, expected: str
) -> None:
    await exclude(shop, customer_id="7", email="jane@example.com")
    result = error(await shop.post("delete_customer_exclude", body), 3, 400)
    assert expected in result["message"], result["message"]
    assert await exclusion_rows(ctx, shop) == [("7", "jane@example.com")]


@pytest.mark.parametrize("name", ["create_customer_exclude", "delete_customer_exclude"])
@pytest.mark.parametrize("raw", [b"{", b"[]", b"1", b"", b'{"email": "a@b.c"'])
async def test_malformed_json_is_code_3(shop: ShopApi, name: str, raw: bytes) -> None:
    error(await shop.post(name, raw=raw), 3, 400)


async def test_create_for_unknown_customers(shop: ShopApi, clock: Clock) -> None:
    now = int(time.time())
    clock.set(now)
    stamp = rfc3339(now)
    blank = {"first_name": "", "last_name": "", "phone": "", "created_at": stamp}
    by_email = await exclude(shop, email="  Jane@Example.COM ")
    assert by_email == {
        **blank,
        "customer_id": "",
        "email": "jane@example.com",
        "updated_at": stamp,
    }
    by_id = await exclude(shop, customer_id=7712345678901)  # a JSON integer id
    assert by_id == {**blank, "customer_id": "7712345678901", "email": "", "updated_at": stamp}
    both = await exclude(shop, customer_id=" 88 ", email="ann@example.com")
    assert both == {**blank, "customer_id": "88", "email": "ann@example.com", "updated_at": stamp}
    page = await excludes(shop, {"sort_by": "created-ascending"})
    assert page["list"] == [by_email, by_id, both]


async def test_create_is_idempotent(shop: ShopApi, ctx: AppContext, clock: Clock) -> None:
    start = int(time.time()) - 200
    clock.set(start)
    jane = await exclude(shop, email="jane@example.com")
    ann = await exclude(shop, customer_id="42")
    clock.set(start + 100)
    # The same key again, in any spelling: the record comes back unchanged (same times).
    assert await exclude(shop, email="JANE@example.com") == jane
    assert await exclude(shop, customer_id=42) == ann
    # customer_id is looked up first, then email; an existing record is never completed.
    assert await exclude(shop, customer_id="42", email="jane@example.com") == ann
    assert await exclude(shop, customer_id="99", email="jane@example.com") == jane
    assert await exclude(shop, customer_id="42", email="new@example.com") == ann
    assert await exclusion_rows(ctx, shop) == [("", "jane@example.com"), ("42", "")]


async def test_missing_fields_are_filled_from_the_customer_record(
    shop: ShopApi, ctx: AppContext
) -> None:
    await remember(
        ctx, shop, "7712345678901", email="jane@example.com", first_name="Jane", last_name="Doe"
    )
    await remember(ctx, shop, "55", email="ann@example.com", first_name="Ann", phone="+3312345")
    await remember(ctx, shop, "66", first_name="Bob")  # no email known
    jane = await exclude(shop, email="Jane@Example.com")
    assert jane["customer_id"] == "7712345678901"
    assert (jane["first_name"], jane["last_name"], jane["phone"]) == ("Jane", "Doe", "")
    ann = await exclude(shop, customer_id=55)
    assert (ann["email"], ann["first_name"], ann["phone"]) == ("ann@example.com", "Ann", "+3312345")
    bob = await exclude(shop, customer_id="66")
    assert (bob["email"], bob["first_name"]) == ("", "Bob")
    # Given values win over the record; the record found by id fills the rest.
    await remember(ctx, shop, "77", email="carl@example.com", first_name="Carl")
    carl = await exclude(shop, customer_id="77", email="carl.work@example.com")
    assert (carl["email"], carl["first_name"]) == ("carl.work@example.com", "Carl")
    # An unknown id with a known email: the record found by email fills the names only.
    await remember(ctx, shop, "88", email="dora@example.com", last_name="Dora")
    dora = await exclude(shop, customer_id="X-1", email="dora@example.com")
    assert (dora["customer_id"], dora["last_name"]) == ("X-1", "Dora")
    assert await exclusion_rows(ctx, shop) == sorted(
        [
            ("7712345678901", "jane@example.com"),
            ("55", "ann@example.com"),
            ("66", ""),
            ("77", "carl.work@example.com"),
            ("X-1", "dora@example.com"),
        ]
    )


async def test_a_filled_value_held_by_another_exclusion_stays_empty(
    shop: ShopApi, ctx: AppContext
) -> None:
    # Excluded by email while the customer was unknown; later the customer record links the
    # address to customer 55. Excluding customer 55 cannot take the email (one exclusion per
    # email), so the new record carries the id the caller gave and the email stays "".
    by_email = await exclude(shop, email="jane@example.com")
    await remember(ctx, shop, "55", email="jane@example.com", first_name="Jane")
    by_id = await exclude(shop, customer_id="55")
    assert (by_id["customer_id"], by_id["email"], by_id["first_name"]) == ("55", "", "Jane")
    # The reverse: customer 66 excluded by id first, then by the address of its record.
    await exclude(shop, customer_id="66")
    await remember(ctx, shop, "66", email="ann@example.com", first_name="Ann")
    ann = await exclude(shop, email="ann@example.com")
    assert (ann["customer_id"], ann["email"], ann["first_name"]) == ("", "ann@example.com", "Ann")
    assert await exclusion_rows(ctx, shop) == [
        ("", "ann@example.com"),
        ("", "jane@example.com"),
        ("55", ""),
        ("66", ""),
    ]
    # Each record is found and removed by what its caller gave.
    assert ok(await shop.post("delete_customer_exclude", {"customer_id": "55"})) == by_id
    assert ok(await shop.post("delete_customer_exclude", {"email": "jane@example.com"})) == by_email


async def test_delete_by_customer_id_and_by_email(
    shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(int(time.time()) - 60)
    await remember(ctx, shop, "55", email="ann@example.com", first_name="Ann")
    ann = await exclude(shop, customer_id="55")
    jane = await exclude(shop, email="jane@example.com")
    keep = await exclude(shop, customer_id="99")
    clock.set(int(time.time()))
    # By id (a JSON integer works too): the removed record is the answer.
    assert ok(await shop.post("delete_customer_exclude", {"customer_id": 55})) == ann
    # By email, case-insensitively, also for an email filled in from the customer record.
    assert ok(await shop.post("delete_customer_exclude", {"email": " JANE@example.COM"})) == jane
    for body in (
        {"customer_id": "55"},
        {"email": "jane@example.com"},
        {"email": "ann@example.com"},
    ):
        result = error(await shop.post("delete_customer_exclude", body), 5, 404)
        assert result["data"] is None
    assert (await excludes(shop))["list"] == [keep]


async def test_delete_matches_the_one_field_given(shop: ShopApi, ctx: AppContext) -> None:
    await exclude(shop, email="jane@example.com")
    await exclude(shop, customer_id="55")
    # The email record has no customer_id and the id record no email.
    error(await shop.post("delete_customer_exclude", {"customer_id": "jane@example.com"}), 5, 404)
    error(await shop.post("delete_customer_exclude", {"email": "55@example.com"}), 5, 404)
    assert await exclusion_rows(ctx, shop) == [("", "jane@example.com"), ("55", "")]


async def test_bearer_callers_and_scopes(
    shop: ShopApi, other_shop: ShopApi, client: httpx.AsyncClient, platform: PlatformCreds
) -> None:
    write_only = await platform_token(client, platform, shop, "write_customers")
    read_only = await platform_token(client, platform, other_shop, "read_reviews,read_customers")
    created = ok(
        await bearer_post(client, write_only, "create_customer_exclude", {"email": "a@b.c"})
    )
    assert created["email"] == "a@b.c"
    insufficient = 'Bearer error="insufficient_scope", scope="{}"'
    response = await bearer_get(client, write_only, "get_customer_excludes")
    error(response, 7, 403)
    assert response.headers["www-authenticate"] == insufficient.format("read_customers")
    response = await bearer_get(client, write_only, "get_customer_exclude_list")
    error(response, 7, 403)
    for name in ("create_customer_exclude", "delete_customer_exclude"):
        response = await bearer_post(client, read_only, name, {"email": "a@b.c"})
        error(response, 7, 403)
        assert response.headers["www-authenticate"] == insufficient.format("write_customers")
    assert ok(await bearer_get(client, read_only, "get_customer_excludes"))["list"] == []
    deleted = ok(
        await bearer_post(client, write_only, "delete_customer_exclude", {"email": "a@b.c"})
    )
    assert deleted == created


async def test_concurrent_creates_answer_one_record(
    shop: ShopApi,
    ctx: AppContext,
    client: httpx.AsyncClient,
    platform: PlatformCreds,
) -> None:
    await remember(ctx, shop, "55", email="jane@example.com", first_name="Jane")
    headers = await platform_token(client, platform, shop, "write_customers")
    bodies: list[dict[str, Any]] = [
        {"customer_id": "55"},
        {"email": "JANE@example.com"},
        {"customer_id": 55, "email": "jane@example.com"},
    ] * 8
    responses = await asyncio.gather(
        *(shop.post("create_customer_exclude", body) for body in bodies),
        *(bearer_post(client, headers, "create_customer_exclude", body) for body in bodies),
    )
    answers = [ok(r) for r in responses]
    assert all(a == answers[0] for a in answers), answers
    assert (answers[0]["customer_id"], answers[0]["email"]) == ("55", "jane@example.com")
    assert await exclusion_rows(ctx, shop) == [("55", "jane@example.com")]
