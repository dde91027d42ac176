"""Operator administration endpoints (spec oauth.md "Operator administration", credential
formats): the admin token gate, platform validation, the exact answers, pagination, updates
(disabling a platform stops its credentials and tokens; re-enabling restores them), secret
rotation, shops and merchant users."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.support.admin import ADMIN_TOKEN, AdminApi
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import TOKEN_PATH, connect, create_platform, refresh

PLATFORM_FIELDS = {
    "client_id",
    "name",
    "redirect_uris",
    "allowed_scopes",
    "webhook_url",
    "skip_shop_oauth",
    "status",
    "created_at",
    "updated_at",
}
SHOP_FIELDS = {"shop_id", "myshopify_domain", "name", "status", "created_at"}
PAGE_FIELDS = {"page", "page_size", "total_page", "count"}
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CLIENT_SECRET = re.compile(r"^cs_[A-Za-z0-9_-]{43}$")
REDIRECT = "https://app.acme.example/oauth/callback"
# A public address literal: valid as a webhook_url without any DNS lookup.
PUBLIC_HOOK = "https://93.184.216.34/hooks/system"
ENDPOINTS = [
    ("POST", "create_platform"),
    ("GET", "get_platforms"),
    ("POST", "update_platform"),
    ("POST", "rotate_platform_secret"),
    ("POST", "create_shop"),
    ("GET", "get_shops"),
    ("POST", "create_merchant_user"),
    ("POST", "set_merchant_password"),
    ("POST", "set_merchant_role"),
]
MISSING = object()


def new_client_id() -> str:
    return "p-" + uuid.uuid4().hex[:12]


def platform_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": new_client_id(),
        "name": "Acme Sync",
        "redirect_uris": [REDIRECT, "http://localhost:3000/oauth/callback"],
        "allowed_scopes": "read_reviews,write_reviews,read_orders",
        "webhook_url": "",
    }
    for key, value in overrides.items():
        if value is MISSING:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def check_client_secret(secret: str) -> None:
    """cs_ + base64url of 32 random bytes, unpadded: 46 characters."""
    assert CLIENT_SECRET.match(secret), secret
    assert len(secret) == 46
    assert len(base64.urlsafe_b64decode(secret[3:] + "=")) == 32


def check_system_secret(secret: str) -> None:
    """whsec_ + base64 of 32 random bytes."""
    assert secret.startswith("whsec_"), secret
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def check_shop_token(token: str) -> None:
    """base64 of 16 random bytes (24 characters)."""
    assert len(token) == 24, token
    assert len(base64.b64decode(token, validate=True)) == 16


async def create(admin: AdminApi, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(await admin.post("create_platform", platform_body(**overrides)))
    return data


async def listed_platforms(admin: AdminApi) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        data = ok(await admin.get("get_platforms", {"page": page, "page_size": 100}))
        for item in data["list"]:
            found[item["client_id"]] = item
        if page >= data["page"]["total_page"]:
            return found
        page += 1


async def authorization_info(
    client: httpx.AsyncClient, client_id: str, secret: str, shop_id: str
) -> httpx.Response:
    return await client.get(
        "/api/v1/openapi/get_shop_authorization_info",
        params={"client_id": client_id, "client_secret": secret, "shop_id": shop_id},
    )


# --- the admin token -------------------------------------------------------------------------


def call(client: httpx.AsyncClient, method: str, name: str, **kw: Any) -> Any:
    if method == "GET":
        return client.get("/api/v1/admin/" + name, **kw)
    return client.post("/api/v1/admin/" + name, json={}, **kw)


@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
@pytest.mark.parametrize("token", [None, ADMIN_TOKEN, "anything"])
async def test_without_an_admin_token_setting_every_endpoint_is_code_5(
    client: httpx.AsyncClient, method: str, name: str, token: str | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = error(await call(client, method, name, headers=headers), 5, 404)
    assert body["data"] is None
    assert body["message"].startswith("not found")


async def test_without_an_admin_token_setting_nothing_is_created(
    client: httpx.AsyncClient, admin: AdminApi
) -> None:
    body = platform_body()
    response = await client.post(
        "/api/v1/admin/create_platform", json=body, headers={"Authorization": "Bearer x"}
    )
    error(response, 5, 404)
    assert body["client_id"] not in await listed_platforms(admin)


@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token",
        f"Bearer {ADMIN_TOKEN}x",
        f"Bearer {ADMIN_TOKEN[:-1]}",
        f"Basic {ADMIN_TOKEN}",
        ADMIN_TOKEN,
    ],
)
async def test_a_wrong_admin_token_is_code_16(
    admin: AdminApi, method: str, name: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    body = error(await call(admin.client, method, name, headers=headers), 16, 401)
    assert body["data"] is None
    assert body["message"].startswith("unauthenticated")


async def test_a_wrong_admin_token_creates_nothing(admin: AdminApi) -> None:
    body = platform_body()
    error(await admin.post("create_platform", body, token="wrong-token"), 16, 401)
    assert body["client_id"] not in await listed_platforms(admin)
    shop_id = "s" + uuid.uuid4().hex[:12]
    shop = {"shop_id": shop_id, "myshopify_domain": f"{shop_id}.myshopify.com"}
    error(await admin.post("create_shop", shop, token="wrong-token"), 16, 401)
    # The shop does not exist: creating it now succeeds.
    ok(await admin.post("create_shop", shop))


# --- create_platform -------------------------------------------------------------------------


async def test_create_platform_answer(client: httpx.AsyncClient, admin: AdminApi) -> None:
    body = platform_body(
        name="Acme Sync",
        allowed_scopes=["write_reviews", "read_shop_install_status", "read_reviews"],
        webhook_url=PUBLIC_HOOK,
    )
    data = ok(await admin.post("create_platform", body))
    assert set(data) == {"platform", "client_secret", "system_webhook_secret"}
    platform = data["platform"]
    assert set(platform) == PLATFORM_FIELDS
    assert platform == {
        "client_id": body["client_id"],
        "name": "Acme Sync",
        "redirect_uris": [REDIRECT, "http://localhost:3000/oauth/callback"],
        # Canonical comma list, in the order of the scope table.
        "allowed_scopes": "read_reviews,write_reviews,read_shop_install_status",
        "webhook_url": PUBLIC_HOOK,
        "skip_shop_oauth": 0,
        "status": "active",
        "created_at": platform["created_at"],
        "updated_at": platform["created_at"],
    }
    assert RFC3339_Z.match(platform["created_at"])
    check_client_secret(data["client_secret"])
    check_system_secret(data["system_webhook_secret"])
    assert data["client_secret"] != data["system_webhook_secret"]

    # The secrets are shown only here: never in the listing.
    listed = (await listed_platforms(admin))[body["client_id"]]
    assert listed == platform
    for item in (listed, platform):
        text = str(item)
        assert data["client_secret"] not in text and data["system_webhook_secret"] not in text

    # The generated client secret authenticates the platform.
    info = ok(
        await authorization_info(client, body["client_id"], data["client_secret"], "no-such-shop")
    )
    assert info == {
        "is_authorized": False,
        "authorized_at": "",
        "granted_scopes": "",
        "shop_id": "no-such-shop",
        "myshopify_domain": "",
    }
    error(await authorization_info(client, body["client_id"], "cs_" + "x" * 43, "s"), 16, 401)


async def test_each_platform_gets_its_own_secrets(admin: AdminApi) -> None:
    made = [await create(admin) for _ in range(3)]
    assert len({d["client_secret"] for d in made}) == 3
    assert len({d["system_webhook_secret"] for d in made}) == 3


async def test_operator_supplied_client_secret(client: httpx.AsyncClient, admin: AdminApi) -> None:
    secret = "An operator's secret ~!#$%&*()"  # printable ASCII, spaces included
    data = await create(admin, client_secret=secret, skip_shop_oauth=1)
    assert data["client_secret"] == secret
    assert data["platform"]["skip_shop_oauth"] == 1
    check_system_secret(data["system_webhook_secret"])
    client_id = data["platform"]["client_id"]
    info = ok(await authorization_info(client, client_id, secret, "nope"))
    assert info["is_authorized"] is False
    error(await authorization_info(client, client_id, secret[:-1], "nope"), 16, 401)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"client_id": MISSING}, "client_id", id="client_id-missing"),
        pytest.param({"client_id": ""}, "client_id", id="client_id-empty"),
        pytest.param({"client_id": "a"}, "client_id", id="client_id-one-char"),
        pytest.param({"client_id": "a" * 65}, "client_id", id="client_id-65"),
        pytest.param({"client_id": "Acme-sync"}, "client_id", id="client_id-upper"),
        pytest.param({"client_id": "-acme"}, "client_id", id="client_id-leading-dash"),
        pytest.param({"client_id": "_acme"}, "client_id", id="client_id-leading-underscore"),
        pytest.param({"client_id": "acme.sync"}, "client_id", id="client_id-dot"),
        pytest.param({"client_id": "acme sync"}, "client_id", id="client_id-space"),
        pytest.param({"client_id": 12345}, "client_id", id="client_id-number"),
        pytest.param({"name": MISSING}, "name", id="name-missing"),
        pytest.param({"name": ""}, "name", id="name-empty"),
        pytest.param({"name": "x" * 121}, "name", id="name-121"),
        pytest.param({"name": 7}, "name", id="name-number"),
        pytest.param({"redirect_uris": MISSING}, "redirect_uris", id="uris-missing"),
        pytest.param({"redirect_uris": []}, "redirect_uris", id="uris-empty"),
        pytest.param(
            {"redirect_uris": [f"{REDIRECT}/{i}" for i in range(11)]},
            "redirect_uris",
            id="uris-11",
        ),
        pytest.param({"redirect_uris": ["/oauth/callback"]}, "redirect_uris", id="uri-relative"),
        pytest.param({"redirect_uris": ["app.example/cb"]}, "redirect_uris", id="uri-no-scheme"),
        pytest.param(
            {"redirect_uris": ["http://app.acme.example/cb"]}, "redirect_uris", id="uri-http"
        ),
        pytest.param(
            {"redirect_uris": ["http://localhost.evil.example/cb"]},
            "redirect_uris",
            id="uri-http-localhost-lookalike",
        ),
        pytest.param(
            {"redirect_uris": ["http://10.0.0.1/cb"]}, "redirect_uris", id="uri-http-private"
        ),
        pytest.param(
            {"redirect_uris": ["http://127.0.0.2/cb"]}, "redirect_uris", id="uri-http-127-0-0-2"
        ),
        pytest.param(
            {"redirect_uris": ["http://localhost:3000@evil.example/cb"]},
            "redirect_uris",
            id="uri-http-userinfo-localhost",
        ),
        pytest.param(
            {"redirect_uris": ["http://127.0.0.1.nip.io/cb"]},
            "redirect_uris",
            id="uri-http-127-lookalike",
        ),
        pytest.param(
            {"redirect_uris": ["http://[::2]/cb"]}, "redirect_uris", id="uri-http-other-v6"
        ),
        pytest.param({"redirect_uris": ["ftp://app.acme.example/cb"]}, "redirect_uris", id="ftp"),
        pytest.param(
            {"redirect_uris": ["javascript://app.acme.example/%0aalert(1)"]},
            "redirect_uris",
            id="uri-javascript",
        ),
        pytest.param({"redirect_uris": [REDIRECT + "#frag"]}, "redirect_uris", id="uri-fragment"),
        pytest.param({"redirect_uris": [REDIRECT + "#"]}, "redirect_uris", id="uri-empty-fragment"),
        pytest.param(
            {"redirect_uris": ["https://app.acme.example/" + "a" * 2024]},
            "redirect_uris",
            id="uri-2049",
        ),
        pytest.param({"redirect_uris": [""]}, "redirect_uris", id="uri-empty"),
        pytest.param({"redirect_uris": [42]}, "redirect_uris", id="uri-number"),
        pytest.param({"allowed_scopes": MISSING}, "allowed_scopes", id="scope-missing"),
        pytest.param({"allowed_scopes": None}, "allowed_scopes", id="scope-null"),
        pytest.param(
            {"allowed_scopes": "read_reviews,bogus"}, "allowed_scopes", id="scope-unknown"
        ),
        pytest.param({"allowed_scopes": ["read_reviews", "nope"]}, "allowed_scopes", id="list"),
        pytest.param({"allowed_scopes": "READ_REVIEWS"}, "allowed_scopes", id="scope-case"),
        pytest.param({"allowed_scopes": 5}, "allowed_scopes", id="scope-number"),
        pytest.param({"webhook_url": "ftp://93.184.216.34/x"}, "webhook_url", id="hook-ftp"),
        pytest.param({"webhook_url": "/hooks"}, "webhook_url", id="hook-relative"),
        pytest.param(
            {"webhook_url": "http://93.184.216.34/hooks"}, "webhook_url", id="hook-http-public"
        ),
        pytest.param(
            {"webhook_url": "https://user:pw@93.184.216.34/hooks"}, "webhook_url", id="userinfo"
        ),
        pytest.param({"webhook_url": PUBLIC_HOOK + "#x"}, "webhook_url", id="hook-fragment"),
        pytest.param(
            {"webhook_url": "https://93.184.216.34/" + "a" * 2030}, "webhook_url", id="hook-long"
        ),
        pytest.param({"webhook_url": 1}, "webhook_url", id="hook-number"),
        pytest.param({"skip_shop_oauth": 2}, "skip_shop_oauth", id="skip-2"),
        pytest.param({"skip_shop_oauth": -1}, "skip_shop_oauth", id="skip-minus-1"),
        pytest.param({"skip_shop_oauth": "yes"}, "skip_shop_oauth", id="skip-yes"),
        pytest.param({"client_secret": "short"}, "client_secret", id="secret-short"),
        pytest.param({"client_secret": "x" * 15}, "client_secret", id="secret-15"),
        pytest.param({"client_secret": "sixteen-chars-\n!"}, "client_secret", id="newline"),
        pytest.param({"client_secret": "sixteen-chars-\t!"}, "client_secret", id="secret-tab"),
        pytest.param({"client_secret": "sixteen-chärs-xx"}, "client_secret", id="non-ascii"),
        pytest.param({"client_secret": "sixteen-chars-\x7f!"}, "client_secret", id="secret-del"),
        pytest.param({"client_secret": 1234567890123456789}, "client_secret", id="secret-num"),
        # Presented secrets are trimmed, so one with a space at either end could never work.
        pytest.param({"client_secret": " sixteen-chars-xx"}, "client_secret", id="lead-space"),
        pytest.param({"client_secret": "sixteen-chars-xx "}, "client_secret", id="trail-space"),
    ],
)
async def test_create_platform_validation(
    admin: AdminApi, overrides: dict[str, Any], field: str
) -> None:
    body = platform_body(**overrides)
    answer = error(await admin.post("create_platform", body), 3, 400)
    assert answer["data"] is None
    assert answer["message"].startswith("invalid argument"), answer
    assert field in answer["message"], answer
    if isinstance(body.get("client_id"), str) and body["client_id"]:
        assert body["client_id"] not in await listed_platforms(admin)


def long_uri(length: int) -> str:
    base = "https://app.acme.example/"
    return base + "a" * (length - len(base))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"client_id": "ab"}, {}, id="client_id-2-chars"),
        pytest.param({"client_id": "a" + "b_-9" * 15 + "xyz"}, {}, id="client_id-64"),
        pytest.param({"client_id": "0acme_sync-2"}, {}, id="client_id-digits-underscore"),
        pytest.param({"name": "x"}, {"name": "x"}, id="name-1"),
        pytest.param({"name": "é" * 120}, {"name": "é" * 120}, id="name-120"),
        pytest.param(
            {"redirect_uris": [f"{REDIRECT}/{i}" for i in range(10)]},
            {"redirect_uris": [f"{REDIRECT}/{i}" for i in range(10)]},
            id="uris-10",
        ),
        pytest.param(
            {
                "redirect_uris": [
                    "http://localhost/cb",
                    "http://localhost:3000/cb",
                    "http://127.0.0.1:8080/cb?x=1",
                    "http://[::1]:9000/cb",
                    "https://127.0.0.1/cb",
                ]
            },
            {
                "redirect_uris": [
                    "http://localhost/cb",
                    "http://localhost:3000/cb",
                    "http://127.0.0.1:8080/cb?x=1",
                    "http://[::1]:9000/cb",
                    "https://127.0.0.1/cb",
                ]
            },
            id="uris-loopback-http",
        ),
        pytest.param(
            {"redirect_uris": [long_uri(2048)]},
            {"redirect_uris": [long_uri(2048)]},
            id="uri-2048",
        ),
        pytest.param(
            {"allowed_scopes": "read_orders write_reviews, read_reviews"},
            {"allowed_scopes": "read_reviews,write_reviews,read_orders"},
            id="scopes-comma-space",
        ),
        pytest.param(
            {"allowed_scopes": ["read_customers", "read_reviews", "read_reviews"]},
            {"allowed_scopes": "read_reviews,read_customers"},
            id="scopes-array",
        ),
        pytest.param(
            {
                "allowed_scopes": "read_shop_install_status,write_customers,read_customers,"
                "read_customer_events,read_orders,write_reviews,read_reviews"
            },
            {
                "allowed_scopes": "read_reviews,write_reviews,read_orders,read_customer_events,"
                "read_customers,write_customers,read_shop_install_status"
            },
            id="scopes-all",
        ),
        pytest.param({"webhook_url": MISSING}, {"webhook_url": ""}, id="hook-missing"),
        pytest.param({"webhook_url": ""}, {"webhook_url": ""}, id="hook-empty"),
        pytest.param({"webhook_url": PUBLIC_HOOK}, {"webhook_url": PUBLIC_HOOK}, id="hook"),
        pytest.param({"skip_shop_oauth": MISSING}, {"skip_shop_oauth": 0}, id="skip-default"),
        pytest.param({"skip_shop_oauth": 0}, {"skip_shop_oauth": 0}, id="skip-0"),
        pytest.param({"skip_shop_oauth": 1}, {"skip_shop_oauth": 1}, id="skip-1"),
        pytest.param({"client_secret": "x" * 16}, {}, id="secret-16"),
        pytest.param({"client_secret": "!~ " * 6 + "!"}, {}, id="secret-punctuation"),
    ],
)
async def test_create_platform_accepts(
    admin: AdminApi, overrides: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = platform_body(**overrides)
    data = ok(await admin.post("create_platform", body))
    platform = data["platform"]
    assert platform["client_id"] == body["client_id"]
    for key, value in expected.items():
        assert platform[key] == value, key
    if isinstance(overrides.get("client_secret"), str):
        assert data["client_secret"] == overrides["client_secret"]
    else:
        check_client_secret(data["client_secret"])
    assert (await listed_platforms(admin))[body["client_id"]] == platform


async def test_duplicate_client_id_is_code_6(admin: AdminApi) -> None:
    first = await create(admin, name="First")
    client_id = first["platform"]["client_id"]
    again = error(
        await admin.post("create_platform", platform_body(client_id=client_id, name="Second")),
        6,
        409,
    )
    assert again["data"] is None and client_id in again["message"]
    assert (await listed_platforms(admin))[client_id]["name"] == "First"


# --- get_platforms ---------------------------------------------------------------------------


async def test_get_platforms_pages(admin: AdminApi) -> None:
    stem = "pg-" + uuid.uuid4().hex[:8]
    mine = [
        ok(await admin.post("create_platform", platform_body(client_id=f"{stem}-{i}")))
        for i in range(3)
    ]
    first = ok(await admin.get("get_platforms", {"page_size": 2}))
    count = first["page"]["count"]
    assert count >= 3
    assert first["page"] == {
        "page": 1,
        "page_size": 2,
        "total_page": -(-count // 2),
        "count": count,
    }
    seen: list[dict[str, Any]] = []
    for page in range(1, first["page"]["total_page"] + 1):
        data = ok(await admin.get("get_platforms", {"page": page, "page_size": 2}))
        assert set(data) == {"page", "list"}
        assert set(data["page"]) == PAGE_FIELDS
        assert data["page"]["page"] == page and data["page"]["count"] == count
        assert 1 <= len(data["list"]) <= 2
        seen.extend(data["list"])
    assert len(seen) == count
    assert len({p["client_id"] for p in seen}) == count  # no platform twice
    assert all(set(p) == PLATFORM_FIELDS for p in seen)
    # Oldest first: mine appear in creation order, exactly as created.
    ours = [p for p in seen if p["client_id"].startswith(stem)]
    assert ours == [m["platform"] for m in mine]

    beyond = ok(await admin.get("get_platforms", {"page": first["page"]["total_page"] + 1}))
    assert beyond["list"] == [] and beyond["page"]["count"] == count
    default = ok(await admin.get("get_platforms"))
    assert default["page"]["page"] == 1 and default["page"]["page_size"] == 20
    for bad in ({"page": 0}, {"page_size": 0}, {"page": "x"}, {"page_size": -1}):
        answer = error(await admin.get("get_platforms", bad), 3, 400)
        assert next(iter(bad)) in answer["message"]


# --- update_platform -------------------------------------------------------------------------


async def test_update_platform_changes_fields(admin: AdminApi) -> None:
    created = (await create(admin, webhook_url=PUBLIC_HOOK))["platform"]
    client_id = created["client_id"]
    data = ok(
        await admin.post(
            "update_platform",
            {
                "client_id": client_id,
                "name": "Renamed",
                "redirect_uris": ["https://new.acme.example/cb"],
                "allowed_scopes": ["read_orders", "read_reviews"],
                "skip_shop_oauth": 1,
            },
        )
    )
    assert set(data) == PLATFORM_FIELDS
    assert data == {
        **created,
        "name": "Renamed",
        "redirect_uris": ["https://new.acme.example/cb"],
        "allowed_scopes": "read_reviews,read_orders",
        "skip_shop_oauth": 1,
        "updated_at": data["updated_at"],
    }
    assert RFC3339_Z.match(data["updated_at"]) and data["updated_at"] >= created["updated_at"]
    # Fields not sent are kept; webhook_url "" clears it.
    cleared = ok(await admin.post("update_platform", {"client_id": client_id, "webhook_url": ""}))
    assert cleared == {**data, "webhook_url": "", "updated_at": cleared["updated_at"]}
    assert (await listed_platforms(admin))[client_id] == cleared


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "paused"}, "status"),
        ({"name": ""}, "name"),
        ({"redirect_uris": ["http://app.acme.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"allowed_scopes": "read_everything"}, "allowed_scopes"),
        ({"webhook_url": "http://93.184.216.34/x"}, "webhook_url"),
        ({"skip_shop_oauth": 3}, "skip_shop_oauth"),
    ],
)
async def test_update_platform_validation_changes_nothing(
    admin: AdminApi, change: dict[str, Any], field: str
) -> None:
    created = (await create(admin))["platform"]
    body = {"client_id": created["client_id"], "name": "Would be renamed", **change}
    answer = error(await admin.post("update_platform", body), 3, 400)
    assert field in answer["message"], answer
    assert (await listed_platforms(admin))[created["client_id"]] == created


async def test_update_unknown_platform_is_code_5(admin: AdminApi) -> None:
    body = error(
        await admin.post("update_platform", {"client_id": new_client_id(), "name": "x"}), 5, 404
    )
    assert body["data"] is None
    error(await admin.post("update_platform", {"name": "x"}), 3, 400)


async def test_disabled_platform_answers_7_and_re_enabling_restores_it(
    ctx: AppContext, client: httpx.AsyncClient, admin: AdminApi, shop: ShopApi
) -> None:
    ok(await shop.post("create_review", {"rating": 4, "author": "Ann", "content": "Nice"}))
    platform = await create_platform(ctx, allowed_scopes="read_reviews,write_reviews")
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    access = bearer(tokens["access_token"])

    disabled = ok(
        await admin.post("update_platform", {"client_id": platform.client_id, "status": "disabled"})
    )
    assert disabled["status"] == "disabled"
    assert (await listed_platforms(admin))[platform.client_id]["status"] == "disabled"

    # Its bearer tokens: code 7.
    answer = error(await client.get("/api/v1/openapi/get_reviews", headers=access), 7, 403)
    assert platform.client_id in answer["message"]
    # Its client credentials: code 7 (unauthorized_client) on oauth/token and elsewhere.
    answer = error(await refresh(client, platform, tokens["refresh_token"]), 7, 403)
    assert answer["data"]["error"] == "unauthorized_client"
    answer = error(
        await client.post(
            TOKEN_PATH,
            data=platform.client(grant_type="client_credentials", shop_id=shop.shop_id),
        ),
        7,
        403,
    )
    assert answer["data"]["error"] == "unauthorized_client"
    error(
        await authorization_info(client, platform.client_id, platform.client_secret, shop.shop_id),
        7,
        403,
    )
    # A wrong secret is still code 16: being disabled reveals nothing to a stranger.
    error(
        await client.post(
            TOKEN_PATH,
            data={
                "grant_type": "refresh_token",
                "client_id": platform.client_id,
                "client_secret": "cs_" + "y" * 43,
                "refresh_token": tokens["refresh_token"],
            },
        ),
        16,
        401,
    )

    enabled = ok(
        await admin.post("update_platform", {"client_id": platform.client_id, "status": "active"})
    )
    assert enabled["status"] == "active"
    # The grant and tokens were kept: the same access token works, the refresh token rotates.
    page = ok(await client.get("/api/v1/openapi/get_reviews", headers=access))
    assert [r["author"] for r in page["list"]] == ["Ann"]
    rotated = ok(await refresh(client, platform, tokens["refresh_token"]))
    assert rotated["scope"] == "read_reviews" and rotated["shop_id"] == shop.shop_id
    ok(await client.get("/api/v1/openapi/get_reviews", headers=bearer(rotated["access_token"])))
    info = ok(
        await authorization_info(client, platform.client_id, platform.client_secret, shop.shop_id)
    )
    assert info["is_authorized"] is True and info["granted_scopes"] == "read_reviews"


# --- rotate_platform_secret ------------------------------------------------------------------


async def test_rotate_client_secret(
    ctx: AppContext, client: httpx.AsyncClient, admin: AdminApi, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    data = ok(
        await admin.post(
            "rotate_platform_secret", {"client_id": platform.client_id, "which": "client_secret"}
        )
    )
    assert set(data) == {"client_secret"}
    new = data["client_secret"]
    check_client_secret(new)
    assert new != platform.client_secret

    # The old secret stops at once.
    old = error(await refresh(client, platform, tokens["refresh_token"]), 16, 401)
    assert old["data"]["error"] == "invalid_client"
    error(
        await authorization_info(client, platform.client_id, platform.client_secret, shop.shop_id),
        16,
        401,
    )
    # The new one works; tokens issued before the rotation are unaffected.
    platform.client_secret = new
    rotated = ok(await refresh(client, platform, tokens["refresh_token"]))
    assert rotated["shop_id"] == shop.shop_id
    info = ok(await authorization_info(client, platform.client_id, new, shop.shop_id))
    assert info["is_authorized"] is True
    ok(await client.get("/api/v1/openapi/get_reviews", headers=bearer(tokens["access_token"])))


async def test_rotate_system_webhook_secret(client: httpx.AsyncClient, admin: AdminApi) -> None:
    created = await create(admin)
    client_id = created["platform"]["client_id"]
    data = ok(
        await admin.post(
            "rotate_platform_secret", {"client_id": client_id, "which": "system_webhook_secret"}
        )
    )
    assert set(data) == {"system_webhook_secret"}
    check_system_secret(data["system_webhook_secret"])
    assert data["system_webhook_secret"] != created["system_webhook_secret"]
    # The client secret is untouched.
    ok(await authorization_info(client, client_id, created["client_secret"], "x"))
    listed = (await listed_platforms(admin))[client_id]
    assert set(listed) == PLATFORM_FIELDS
    assert data["system_webhook_secret"] not in str(listed)


@pytest.mark.parametrize(
    ("body", "code", "status", "word"),
    [
        ({"which": "client_secret"}, 3, 400, "client_id"),
        ({"client_id": "{known}"}, 3, 400, "which"),
        ({"client_id": "{known}", "which": "private_token"}, 3, 400, "which"),
        ({"client_id": "{known}", "which": ""}, 3, 400, "which"),
        ({"client_id": "no-such-platform", "which": "client_secret"}, 5, 404, "no-such-platform"),
    ],
)
async def test_rotate_platform_secret_errors(
    client: httpx.AsyncClient,
    admin: AdminApi,
    body: dict[str, Any],
    code: int,
    status: int,
    word: str,
) -> None:
    created = await create(admin)
    client_id = created["platform"]["client_id"]
    sent = {k: (client_id if v == "{known}" else v) for k, v in body.items()}
    answer = error(await admin.post("rotate_platform_secret", sent), code, status)
    assert word in answer["message"], answer
    # Nothing rotated: the secret still works.
    ok(await authorization_info(client, client_id, created["client_secret"], "x"))


# --- shops -----------------------------------------------------------------------------------


async def test_create_shop_answer_and_tokens(client: httpx.AsyncClient, admin: AdminApi) -> None:
    shop_id = "61" + str(uuid.uuid4().int)[:9]
    domain = f"Shop-{shop_id}.MyShopify.com"
    data = ok(
        await admin.post(
            "create_shop", {"shop_id": shop_id, "myshopify_domain": domain, "name": "Linen & Co"}
        )
    )
    assert set(data) == {"shop", "public_token", "private_token"}
    assert data["shop"] == {
        "shop_id": shop_id,
        "myshopify_domain": domain.lower(),
        "name": "Linen & Co",
        "status": "active",
        "created_at": data["shop"]["created_at"],
    }
    assert RFC3339_Z.match(data["shop"]["created_at"])
    check_shop_token(data["public_token"])
    check_shop_token(data["private_token"])
    assert data["public_token"] != data["private_token"]

    # The tokens are the shop's HMAC credentials.
    api = ShopApi(client, shop_id, domain.lower(), data["public_token"], data["private_token"])
    page = ok(await api.get("get_reviews"))
    assert page["list"] == []
    wrong = ShopApi(client, shop_id, domain, data["public_token"], data["public_token"])
    error(await wrong.get("get_reviews"), 16, 401)

    listed = await listed_shops(admin)
    assert listed[shop_id] == data["shop"]


async def listed_shops(admin: AdminApi) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        data = ok(await admin.get("get_shops", {"page": page, "page_size": 100}))
        assert set(data) == {"page", "list"} and set(data["page"]) == PAGE_FIELDS
        for item in data["list"]:
            assert set(item) == SHOP_FIELDS
            found[item["shop_id"]] = item
        if page >= data["page"]["total_page"]:
            assert len(found) == data["page"]["count"]
            return found
        page += 1


async def test_create_shop_without_a_name(admin: AdminApi) -> None:
    shop_id = "s" + uuid.uuid4().hex[:10]
    data = ok(
        await admin.post(
            "create_shop", {"shop_id": shop_id, "myshopify_domain": f"{shop_id}.myshopify.com"}
        )
    )
    assert data["shop"]["myshopify_domain"] == f"{shop_id}.myshopify.com"
    assert isinstance(data["shop"]["name"], str)


async def test_create_shop_duplicates_are_code_6(admin: AdminApi) -> None:
    shop_id = "s" + uuid.uuid4().hex[:10]
    domain = f"{shop_id}.myshopify.com"
    first = ok(await admin.post("create_shop", {"shop_id": shop_id, "myshopify_domain": domain}))
    same_id = {"shop_id": shop_id, "myshopify_domain": "other-" + domain}
    same_domain = {"shop_id": shop_id + "x", "myshopify_domain": domain.upper()}
    for body in (same_id, same_domain):
        answer = error(await admin.post("create_shop", body), 6, 409)
        assert answer["data"] is None
    listed = await listed_shops(admin)
    assert listed[shop_id] == first["shop"]
    assert shop_id + "x" not in listed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"myshopify_domain": "a.myshopify.com"}, "shop_id"),
        ({"shop_id": "", "myshopify_domain": "{id}.myshopify.com"}, "shop_id"),
        ({"shop_id": "bad id", "myshopify_domain": "{id}.myshopify.com"}, "shop_id"),
        ({"shop_id": "bad.id", "myshopify_domain": "{id}.myshopify.com"}, "shop_id"),
        ({"shop_id": "x" * 65, "myshopify_domain": "{id}.myshopify.com"}, "shop_id"),
        ({"shop_id": 123, "myshopify_domain": "{id}.myshopify.com"}, "shop_id"),
        ({"shop_id": "{id}"}, "myshopify_domain"),
        ({"shop_id": "{id}", "myshopify_domain": ""}, "myshopify_domain"),
        ({"shop_id": "{id}", "myshopify_domain": "not a domain"}, "myshopify_domain"),
        ({"shop_id": "{id}", "myshopify_domain": "https://x.myshopify.com"}, "myshopify_domain"),
        ({"shop_id": "{id}", "myshopify_domain": "a" * 63 + ".b" * 97}, "myshopify_domain"),
        ({"shop_id": "{id}", "myshopify_domain": "{id}.myshopify.com", "name": 5}, "name"),
    ],
)
async def test_create_shop_validation(admin: AdminApi, body: dict[str, Any], field: str) -> None:
    shop_id = "s" + uuid.uuid4().hex[:10]
    sent = {k: v.replace("{id}", shop_id) if isinstance(v, str) else v for k, v in body.items()}
    answer = error(await admin.post("create_shop", sent), 3, 400)
    assert field in answer["message"], answer
    assert shop_id not in await listed_shops(admin)


async def test_get_shops_pages(admin: AdminApi) -> None:
    stem = "pg" + uuid.uuid4().hex[:8]
    mine = [
        ok(
            await admin.post(
                "create_shop",
                {"shop_id": f"{stem}-{i}", "myshopify_domain": f"{stem}-{i}.myshopify.com"},
            )
        )["shop"]
        for i in range(3)
    ]
    first = ok(await admin.get("get_shops", {"page_size": 2}))
    count = first["page"]["count"]
    assert first["page"] == {
        "page": 1,
        "page_size": 2,
        "total_page": -(-count // 2),
        "count": count,
    }
    seen: list[dict[str, Any]] = []
    for page in range(1, first["page"]["total_page"] + 1):
        seen.extend(ok(await admin.get("get_shops", {"page": page, "page_size": 2}))["list"])
    assert len(seen) == count == len({s["shop_id"] for s in seen})
    assert [s for s in seen if s["shop_id"].startswith(stem)] == mine


# --- merchant users --------------------------------------------------------------------------


async def new_admin_shop(admin: AdminApi) -> str:
    shop_id = "m" + uuid.uuid4().hex[:10]
    ok(
        await admin.post(
            "create_shop", {"shop_id": shop_id, "myshopify_domain": f"{shop_id}.myshopify.com"}
        )
    )
    return shop_id


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/merchant/login", json={"email": email, "password": password})


async def information(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/openapi/get_open_api_information", headers=bearer(token))


@pytest.mark.parametrize("password", ["p" * 10, "p" * 128, "correct horse battery staple"])
async def test_create_merchant_user(
    client: httpx.AsyncClient, admin: AdminApi, password: str
) -> None:
    shop_id = await new_admin_shop(admin)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    data = ok(
        await admin.post(
            "create_merchant_user", {"shop_id": shop_id, "email": email, "password": password}
        )
    )
    assert data == {
        "shop_id": shop_id,
        "email": email,
        "role": "owner",
        "created_at": data["created_at"],
    }
    assert RFC3339_Z.match(data["created_at"])
    signed_in = ok(await login(client, email, password))
    assert signed_in["shop_id"] == shop_id and signed_in["email"] == email
    info = ok(await information(client, signed_in["token"]))
    assert info["shop_id"] == shop_id


@pytest.mark.parametrize(
    ("change", "code", "status", "word"),
    [
        ({"password": "p" * 9}, 3, 400, "password"),
        ({"password": "p" * 129}, 3, 400, "password"),
        ({"password": ""}, 3, 400, "password"),
        ({"password": MISSING}, 3, 400, "password"),
        ({"email": "not-an-address"}, 3, 400, "email"),
        ({"email": MISSING}, 3, 400, "email"),
        ({"shop_id": MISSING}, 3, 400, "shop_id"),
        ({"shop_id": "no-such-shop"}, 5, 404, "no-such-shop"),
        ({"role": "admin"}, 3, 400, "role"),
        ({"role": "Owner"}, 3, 400, "role"),
        ({"role": 1}, 3, 400, "role"),
    ],
)
async def test_create_merchant_user_errors(
    client: httpx.AsyncClient,
    admin: AdminApi,
    change: dict[str, Any],
    code: int,
    status: int,
    word: str,
) -> None:
    shop_id = await new_admin_shop(admin)
    body = {
        "shop_id": shop_id,
        "email": f"owner-{uuid.uuid4().hex[:8]}@example.test",
        "password": "a good password",
    }
    for key, value in change.items():
        if value is MISSING:
            body.pop(key)
        else:
            body[key] = value
    answer = error(await admin.post("create_merchant_user", body), code, status)
    assert word in answer["message"], answer
    if "email" in body and "password" in body:
        error(await login(client, body["email"], body["password"]), 16, 401)


async def test_create_merchant_user_duplicate_is_code_6(admin: AdminApi) -> None:
    shop_id = await new_admin_shop(admin)
    body = {"shop_id": shop_id, "email": "dup@example.test", "password": "a good password"}
    ok(await admin.post("create_merchant_user", body))
    answer = error(
        await admin.post("create_merchant_user", {**body, "password": "another password"}), 6, 409
    )
    assert "dup@example.test" in answer["message"]


async def test_set_merchant_password_ends_sessions(
    client: httpx.AsyncClient, admin: AdminApi
) -> None:
    shop_id = await new_admin_shop(admin)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    user = {"shop_id": shop_id, "email": email}
    ok(await admin.post("create_merchant_user", {**user, "password": "first password"}))
    sessions = [ok(await login(client, email, "first password"))["token"] for _ in range(2)]
    for token in sessions:
        ok(await information(client, token))

    data = ok(await admin.post("set_merchant_password", {**user, "password": "second password"}))
    assert data == {}
    for token in sessions:  # every session of the user ended
        body = error(await information(client, token), 16, 401)
        assert body["data"] is None
    error(await login(client, email, "first password"), 16, 401)
    token = ok(await login(client, email, "second password"))["token"]
    assert ok(await information(client, token))["shop_id"] == shop_id


@pytest.mark.parametrize(
    ("change", "code", "status", "word"),
    [
        ({"password": "p" * 9}, 3, 400, "password"),
        ({"password": "p" * 129}, 3, 400, "password"),
        ({"email": "nobody@example.test"}, 5, 404, "nobody@example.test"),
        ({"shop_id": "no-such-shop"}, 5, 404, "no-such-shop"),
    ],
)
async def test_set_merchant_password_errors_change_nothing(
    client: httpx.AsyncClient,
    admin: AdminApi,
    change: dict[str, Any],
    code: int,
    status: int,
    word: str,
) -> None:
    shop_id = await new_admin_shop(admin)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    user = {"shop_id": shop_id, "email": email}
    ok(await admin.post("create_merchant_user", {**user, "password": "first password"}))
    token = ok(await login(client, email, "first password"))["token"]
    body = {**user, "password": "second password", **change}
    answer = error(await admin.post("set_merchant_password", body), code, status)
    assert word in answer["message"], answer
    ok(await information(client, token))  # the session goes on
    ok(await login(client, email, "first password"))


PRIVATE_TOKEN = "/api/v1/openapi/get_open_api_private_token"


async def private_token(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(PRIVATE_TOKEN, headers=bearer(token))


async def test_create_a_staff_user_and_change_their_role(
    client: httpx.AsyncClient, admin: AdminApi
) -> None:
    shop_id = await new_admin_shop(admin)
    email = f"staff-{uuid.uuid4().hex[:8]}@example.test"
    user = {"shop_id": shop_id, "email": email}
    created = ok(
        await admin.post(
            "create_merchant_user", {**user, "password": "a good password", "role": "staff"}
        )
    )
    assert created["role"] == "staff"
    token = ok(await login(client, email, "a good password"))["token"]
    ok(await information(client, token))  # staff read the public identifiers
    assert "owner" in error(await private_token(client, token), 7, 403)["message"]

    promoted = ok(await admin.post("set_merchant_role", {**user, "role": "owner"}))
    assert promoted == {**user, "role": "owner", "created_at": created["created_at"]}
    ok(await private_token(client, token))  # the same session, at once
    demoted = ok(await admin.post("set_merchant_role", {**user, "role": "staff"}))
    assert demoted["role"] == "staff"
    error(await private_token(client, token), 7, 403)


@pytest.mark.parametrize(
    ("change", "code", "status", "word"),
    [
        ({"role": "admin"}, 3, 400, "role"),
        ({"role": MISSING}, 3, 400, "role"),
        ({"role": ["staff"]}, 3, 400, "role"),
        ({"email": "nobody@example.test"}, 5, 404, "nobody@example.test"),
        ({"shop_id": "no-such-shop"}, 5, 404, "no-such-shop"),
        ({"shop_id": MISSING}, 3, 400, "shop_id"),
    ],
)
async def test_set_merchant_role_errors_change_nothing(
    client: httpx.AsyncClient,
    admin: AdminApi,
    change: dict[str, Any],
    code: int,
    status: int,
    word: str,
) -> None:
    shop_id = await new_admin_shop(admin)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    user = {"shop_id": shop_id, "email": email}
    ok(await admin.post("create_merchant_user", {**user, "password": "first password"}))
    token = ok(await login(client, email, "first password"))["token"]
    body = {**user, "role": "staff"}
    for key, value in change.items():
        if value is MISSING:
            body.pop(key)
        else:
            body[key] = value
    answer = error(await admin.post("set_merchant_role", body), code, status)
    assert word in answer["message"], answer
    ok(await private_token(client, token))  # still the owner
