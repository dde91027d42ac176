"""`shopreviews platform delete`: the platform is disabled, every shop's grant of it ends (tokens
revoked, its webhook subscriptions removed), then it is removed with its secrets. Deleting
cannot be undone, so it is confirmed: --yes, or a yes typed at the terminal; without either
nothing happens. The commands run on the session's database, against a platform a shop of
the session's app authorized through the OAuth flow."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from shopreviews.kit.context import AppContext
from shopreviews.webhooks.models import WebhookSubscription
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.cli import Cli, ConsoleScript
from tests.support.oauth import connect, create_platform, refresh
from tests.support.terminal import run_on_terminal

API = "/api/v1/openapi/"


async def _subscriptions_of(ctx: AppContext, client_id: str) -> int:
    async with ctx.db.session(write=False) as session:
        count = await session.scalar(
            select(func.count()).where(WebhookSubscription.owner_client_id == client_id)
        )
    return int(count or 0)


async def test_delete_ends_every_grant_and_removes_the_platform(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    other_shop: ShopApi,
    session_cli: Cli,
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    await connect(ctx, client, other_shop, platform)
    access = bearer(tokens["access_token"])
    ok(
        await client.post(
            API + "create_shop_webhook",
            json={"topic": "review/created", "url": "http://127.0.0.1:9/hooks"},
            headers=access,
        )
    )
    assert await _subscriptions_of(ctx, platform.client_id) == 1

    # Not on a terminal and no --yes: refused, nothing changed.
    refused = await session_cli.error_async("platform", "delete", "--client-id", platform.client_id)
    assert refused == (
        f"error: deleting platform {platform.client_id} cannot be undone (2 active "
        "authorizations would end): confirm with --yes"
    )
    ok(await client.get(API + "get_reviews", headers=access))

    deleted = await session_cli.json_async(
        "platform", "delete", "--client-id", platform.client_id, "--yes"
    )
    assert deleted == {
        "client_id": platform.client_id,
        "deleted": True,
        "authorizations_ended": 2,
    }
    error(await client.get(API + "get_reviews", headers=access), 16, 401)
    refreshed = await refresh(client, platform, tokens["refresh_token"])
    assert refreshed.json()["code"] == 16, refreshed.json()  # an unknown client now
    assert await _subscriptions_of(ctx, platform.client_id) == 0
    listed = await session_cli.json_async("platform", "list")
    assert platform.client_id not in {p["client_id"] for p in listed["platforms"]}

    unknown = await session_cli.error_async(
        "platform", "delete", "--client-id", platform.client_id, "--yes"
    )
    assert unknown == f"error: not found: platform {platform.client_id}"


async def test_a_platform_without_grants_is_deleted_too(session_cli: Cli, ctx: AppContext) -> None:
    platform = await create_platform(ctx)
    done = await session_cli.run_async(
        "platform", "delete", "--client-id", platform.client_id, "--yes"
    )
    assert done.stdout == f"platform {platform.client_id} deleted; 0 authorizations ended\n"


async def test_at_a_terminal_the_operator_is_asked(console: ConsoleScript) -> None:
    await console.run_async(
        "platform", "create", "--client-id", "acme-sync", "--name", "Acme",
        "--redirect-uri", "https://acme.example/cb", "--scopes", "read_reviews",
    )  # fmt: skip
    question = (
        "Delete platform acme-sync? 0 active authorizations end, its tokens stop working and "
        "its secrets are gone for good [y/N]: "
    )
    argv = [console.script, "platform", "delete", "--client-id", "acme-sync"]
    env = console.process_env()
    declined = run_on_terminal(argv, [(question, "n")], cwd=console.cwd, env=env)
    assert declined.returncode == 1
    assert declined.screen.splitlines() == [question + "n", "Aborted!"]  # echoed: no secret
    assert [p["client_id"] for p in console.json("platform", "list")["platforms"]] == ["acme-sync"]

    confirmed = run_on_terminal(argv, [(question, "y")], cwd=console.cwd, env=env)
    assert confirmed.returncode == 0
    assert confirmed.screen.splitlines() == [
        question + "y",
        "platform acme-sync deleted; 0 authorizations ended",
    ]
    assert console.json("platform", "list") == {"platforms": []}
