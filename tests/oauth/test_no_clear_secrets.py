"""No secret in clear (spec oauth.md credential formats: "the plain values are never stored or
logged"): a whole OAuth flow with every credential in play, then every row of every table read
raw and every log record captured at DEBUG, searched for each secret. Codes and tokens must be
stored as their SHA-256 hex, which is checked to be there, so the test fails if storage changes.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import inspect, text

from shopreviews.kit.context import AppContext
from shopreviews.kit.models import Base
from shopreviews.models_registry import metadata
from tests.oauth.helpers import pkce_pair
from tests.support.admin import ADMIN_TOKEN, AdminApi
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import (
    TOKEN_PATH,
    Merchant,
    PlatformCreds,
    authorize_code,
    exchange,
    refresh,
)
from tests.support.reviews import create as create_review
from tests.support.webhooks import Receiver, run_until_idle

API = "/api/v1/openapi/"
REDIRECT = "https://app.example.test/oauth/callback"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG (SQL statements with their parameters included), captured."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG, logger="shopreviews.access")
    yield caplog


async def dump_database(ctx: AppContext) -> str:
    """str() of every value of every row of every table, read with plain SQL."""
    async with ctx.db.session(write=False) as session:
        connection = await session.connection()
        existing = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        known = {t.name for t in metadata.sorted_tables}
        # Besides the models: Alembic's version and the SQLite keyword index of reviews
        # (migration 0005), which is dumped too.
        search_index = {name for name in existing if name.startswith("reviews_fts")}
        assert set(existing) - {"alembic_version"} - search_index <= known, set(existing) - known
        parts: list[str] = []
        for name in [t.name for t in Base.metadata.sorted_tables] + sorted(search_index):
            rows = await session.execute(text(f'SELECT * FROM "{name}"'))
            for row in rows.all():
                parts.append(name + ": " + " | ".join(str(value) for value in row))
        return "\n".join(parts)


def _test_client_record(record: logging.LogRecord) -> bool:
    """httpx's own line about a request of the tests' client ("HTTP Request: GET
    http://testserver/...?client_secret=..."): the caller's log, not the server's."""
    return record.name == "httpx" and "http://testserver/" in record.getMessage()


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """The message and every attribute (args, extras) of every record the server wrote."""
    parts: list[str] = []
    for record in caplog.records:
        if _test_client_record(record):
            continue
        parts.append(record.getMessage())
        parts.append(str(record.__dict__))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def test_no_secret_is_stored_or_logged_in_clear(
    ctx: AppContext,
    client: httpx.AsyncClient,
    admin: AdminApi,
    receiver: Receiver,
    all_logs: pytest.LogCaptureFixture,
) -> None:
    secrets: dict[str, str] = {"admin token": ADMIN_TOKEN}
    hashed: dict[str, str] = {}

    # The operator registers the platform, the shop and its merchant user.
    client_id = "nc-" + uuid.uuid4().hex[:10]
    system_path = receiver.new_path()
    created = ok(
        await admin.post(
            "create_platform",
            {
                "client_id": client_id,
                "name": "No Clear",
                "redirect_uris": [REDIRECT],
                "allowed_scopes": "read_reviews,write_reviews,read_shop_install_status",
                "webhook_url": receiver.url(system_path),
                "skip_shop_oauth": 1,
            },
        )
    )
    secrets["client secret"] = created["client_secret"]
    secrets["system webhook secret"] = created["system_webhook_secret"]
    platform = PlatformCreds(
        client_id,
        created["client_secret"],
        created["system_webhook_secret"],
        [REDIRECT],
        created["platform"]["allowed_scopes"],
    )
    shop_id = "nc" + uuid.uuid4().hex[:10]
    shop_created = ok(
        await admin.post(
            "create_shop", {"shop_id": shop_id, "myshopify_domain": f"{shop_id}.myshopify.com"}
        )
    )
    secrets["private token"] = shop_created["private_token"]
    shop = ShopApi(
        client,
        shop_id,
        f"{shop_id}.myshopify.com",
        shop_created["public_token"],
        shop_created["private_token"],
    )
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    password = "merchant password " + uuid.uuid4().hex
    secrets["merchant password"] = password
    ok(
        await admin.post(
            "create_merchant_user", {"shop_id": shop_id, "email": email, "password": password}
        )
    )
    signed_in = ok(
        await client.post("/api/v1/merchant/login", json={"email": email, "password": password})
    )
    secrets["merchant session"] = signed_in["token"]
    merchant = Merchant(email, signed_in["token"], shop)
    revealed = ok(
        await client.get(API + "get_open_api_private_token", headers=bearer(merchant.token))
    )
    assert revealed["private_token"] == shop.private_token

    # Code with PKCE, exchanged with a FORM body.
    verifier, challenge = pkce_pair()
    secrets["code verifier"] = verifier
    code_form = await authorize_code(
        client, merchant, platform, code_challenge=challenge, state="st-" + uuid.uuid4().hex
    )
    secrets["code (form)"] = hashed["code (form)"] = code_form
    form_tokens = ok(await exchange(client, platform, code_form, verifier=verifier))
    # A second code, exchanged with JSON.
    code_json = await authorize_code(client, merchant, platform, scope="read_reviews")
    secrets["code (json)"] = hashed["code (json)"] = code_json
    json_tokens = ok(
        await client.post(
            TOKEN_PATH,
            json=platform.client(
                grant_type="authorization_code", code=code_json, redirect_uri=REDIRECT
            ),
        )
    )
    for name, tokens in (("form", form_tokens), ("json", json_tokens)):
        secrets[f"access token ({name})"] = hashed[f"access token ({name})"] = tokens[
            "access_token"
        ]
        secrets[f"refresh token ({name})"] = hashed[f"refresh token ({name})"] = tokens[
            "refresh_token"
        ]
    # A used code presented again (an error path with a real code in the request).
    error(await exchange(client, platform, code_form, verifier=verifier), 3, 400)

    # Refresh (JSON and form).
    rotated = ok(await refresh(client, platform, json_tokens["refresh_token"]))
    secrets["access token (refresh)"] = hashed["access token (refresh)"] = rotated["access_token"]
    secrets["refresh token (refresh)"] = rotated["refresh_token"]
    rotated_form = ok(
        await client.post(
            TOKEN_PATH,
            data=platform.client(
                grant_type="refresh_token", refresh_token=rotated["refresh_token"]
            ),
        )
    )
    secrets["access token (refresh form)"] = rotated_form["access_token"]
    secrets["refresh token (refresh form)"] = hashed["refresh token (refresh form)"] = rotated_form[
        "refresh_token"
    ]

    # Introspect (form and JSON), a bearer call, a platform-owned subscription and an event.
    active = ok(
        await client.post(
            API + "oauth/introspect", data=platform.client(token=rotated_form["access_token"])
        )
    )
    assert active["active"] is True
    refresh_info = ok(
        await client.post(
            API + "oauth/introspect",
            json=platform.client(
                token=rotated_form["refresh_token"], token_type_hint="refresh_token"
            ),
        )
    )
    assert refresh_info["active"] is True
    hook = ok(
        await client.post(
            API + "create_shop_webhook",
            json={"topic": "review/created", "url": receiver.url(receiver.new_path())},
            headers=bearer(rotated_form["access_token"]),
        )
    )
    secrets["subscription secret"] = hook["secret"]
    own_hook = ok(
        await shop.post(
            "create_shop_webhook",
            {"topic": "review/created", "url": receiver.url(receiver.new_path())},
        )
    )
    secrets["shop subscription secret"] = own_hook["secret"]
    await create_review(shop)

    # Revoke: an access token (form), a refresh token's chain (JSON).
    code_revoke = await authorize_code(client, merchant, platform)
    secrets["code (revoked chain)"] = code_revoke
    to_revoke = ok(await exchange(client, platform, code_revoke))
    secrets["access token (revoked)"] = to_revoke["access_token"]
    secrets["refresh token (revoked)"] = to_revoke["refresh_token"]
    ok(
        await client.post(
            API + "oauth_revoke_token", data=platform.client(token=to_revoke["access_token"])
        )
    )
    ok(
        await client.post(
            API + "oauth_revoke_token",
            json=platform.client(token=to_revoke["refresh_token"], token_type_hint="refresh_token"),
        )
    )
    gone = ok(
        await client.post(
            API + "oauth/introspect", data=platform.client(token=to_revoke["refresh_token"])
        )
    )
    assert gone == {"active": False}
    # Refresh token reuse (revokes every token of the grant; app/tokens_revoked).
    error(await refresh(client, platform, json_tokens["refresh_token"]), 3, 400)

    # client_credentials.
    issued = ok(
        await client.post(
            TOKEN_PATH, data=platform.client(grant_type="client_credentials", shop_id=shop_id)
        )
    )
    secrets["access token (client_credentials)"] = issued["access_token"]
    hashed["access token (client_credentials)"] = issued["access_token"]

    # The client secret in the query string.
    info = ok(
        await client.get(
            API + "get_shop_authorization_info", params=platform.client(shop_id=shop_id)
        )
    )
    assert info["is_authorized"] is True
    status = ok(
        await client.get(API + "get_shop_install_status", params=platform.client(shop_id=shop_id))
    )
    assert status["is_installed"] == 1

    # Disconnect, then a rotated secret, and the worker sends everything (signing with them).
    ok(await client.post(API + "oauth/disconnect", headers=bearer(issued["access_token"])))
    new_secret = ok(
        await admin.post(
            "rotate_platform_secret", {"client_id": client_id, "which": "client_secret"}
        )
    )
    secrets["rotated client secret"] = new_secret["client_secret"]
    await run_until_idle(ctx)
    topics = sorted(r.payload["topic"] for r in await receiver.log(system_path))
    # Three approvals (client_credentials found the grant active); tokens revoked by the code
    # reuse and by the refresh token reuse.
    assert topics == [
        "app/authorized",
        "app/authorized",
        "app/authorized",
        "app/disconnected",
        "app/tokens_revoked",
        "app/tokens_revoked",
    ]

    database = await dump_database(ctx)
    logs = log_text(all_logs)
    assert "POST /api/v1/openapi/oauth/token" in logs  # the capture did capture
    assert "SELECT" in logs  # SQL statements (and parameters) too
    for name, value in secrets.items():
        assert len(value) >= 16, name
        assert value not in database, f"{name} stored in clear"
        assert value not in logs, f"{name} logged in clear"
    for name, value in hashed.items():
        assert sha256_hex(value) in database, f"{name} is not stored as its SHA-256 hex"

    # The access log line of the query-string call shows the secret redacted.
    lines = [
        r.getMessage()
        for r in all_logs.records
        if r.name == "shopreviews.access" and "get_shop_authorization_info" in r.getMessage()
    ]
    assert len(lines) == 1, lines
    assert f"client_id={client_id}" in lines[0]
    assert "client_secret=[redacted]" in lines[0]
    assert f"shop_id={shop_id}" in lines[0]
