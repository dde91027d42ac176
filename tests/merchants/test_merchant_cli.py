"""`shopreviews merchant create | set-password | set-role | list | remove`: a password comes from
a prompt (typed twice, without echo) or from standard input with --password-stdin, never from
the command line; `list` shows users and their roles without their passwords; `set-role` applies
to the user's signed-in sessions at once; `remove` ends the user's sessions.
Each answer is checked as an operator reads it, and the password by signing in with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.support.api import TEST_SECRET_KEY, ShopApi, bearer, error, ok
from tests.support.cli import Cli, ConsoleScript, create_shop
from tests.support.merchants import login, new_email
from tests.support.terminal import run_on_terminal

PASSWORD = "a passphrase of words"
INFORMATION = "/api/v1/openapi/get_open_api_information"
PRIVATE_TOKEN = "/api/v1/openapi/get_open_api_private_token"


def _create(
    cli: Cli, shop_id: str, email: str, password: str = PASSWORD, *role: str
) -> dict[str, str]:
    data = cli.json(
        "merchant", "create", "--shop-id", shop_id, "--email", email, *role, "--password-stdin",
        input=password + "\n",
    )  # fmt: skip
    assert isinstance(data, dict)
    return data


def test_list_shows_each_shops_users(cli: Cli) -> None:
    create_shop(cli, "shop-b", "shop-b.myshopify.com")
    create_shop(cli, "shop-a", "shop-a.myshopify.com")
    assert cli.json("merchant", "list") == {"merchants": []}
    made = [
        _create(cli, "shop-b", "zoe@example.com"),
        _create(cli, "shop-a", "Owner@Example.com"),
        _create(cli, "shop-b", "adam@example.com"),
    ]
    listed = cli.json("merchant", "list")["merchants"]
    assert [(m["shop_id"], m["email"]) for m in listed] == [
        ("shop-a", "owner@example.com"),
        ("shop-b", "adam@example.com"),
        ("shop-b", "zoe@example.com"),
    ]
    assert {m["id"] for m in listed} == {m["id"] for m in made}
    assert all(set(m) == {"id", "shop_id", "email", "role", "created_at"} for m in listed)
    assert {m["role"] for m in listed} == {"owner"}  # the default
    assert PASSWORD not in str(listed)

    only_b = cli.json("merchant", "list", "--shop-id", "shop-b")["merchants"]
    assert [m["email"] for m in only_b] == ["adam@example.com", "zoe@example.com"]
    text = cli.run("merchant", "list", "--shop-id", "shop-a").stdout.splitlines()
    assert [line.split("\t")[:2] for line in text] == [["shop-a", "owner@example.com"]]
    assert cli.error("merchant", "list", "--shop-id", "nope") == "error: shop nope not found"


def test_a_password_in_the_arguments_is_refused_saying_how_to_give_it(cli: Cli) -> None:
    create_shop(cli, "shop-p", "shop-p.myshopify.com")
    for command in ("create", "set-password"):
        refused = cli.error(
            "merchant", command, "--shop-id", "shop-p", "--email", "a@example.com",
            "--password", "visible-in-ps-1",
        )  # fmt: skip
        assert refused == (
            "error: --password is not accepted (the shell history and the process list would "
            "keep it): type the password when asked, or pipe it in with --password-stdin"
        )
        # Without a terminal to ask on (as here: standard input is a pipe), the same advice.
        no_terminal = cli.json_error(
            "merchant", command, "--shop-id", "shop-p", "--email", "a@example.com"
        )
        assert no_terminal.startswith(
            "no terminal to ask for the password on: pipe it in with --password-stdin"
        )
    assert cli.json("merchant", "list") == {"merchants": []}


async def test_remove_ends_the_users_sessions(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, session_cli: Cli
) -> None:
    email = new_email()
    await session_cli.run_async(
        "merchant", "create", "--shop-id", shop.shop_id, "--email", email, "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    token = ok(await login(client, email=email, password=PASSWORD))["token"]
    ok(await client.get(INFORMATION, headers=bearer(token)))

    removed = await session_cli.json_async(
        "merchant", "remove", "--shop-id", shop.shop_id, "--email", email.upper()
    )
    assert removed == {"shop_id": shop.shop_id, "email": email, "removed": True}
    error(await client.get(INFORMATION, headers=bearer(token)), 16, 401)
    error(await login(client, email=email, password=PASSWORD), 16, 401)
    listed = await session_cli.json_async("merchant", "list", "--shop-id", shop.shop_id)
    assert listed == {"merchants": []}

    again = await session_cli.error_async(
        "merchant", "remove", "--shop-id", shop.shop_id, "--email", email
    )
    assert again == f"error: not found: no user {email} in shop {shop.shop_id}"


async def test_set_password_from_standard_input(
    client: httpx.AsyncClient, shop: ShopApi, session_cli: Cli
) -> None:
    email = new_email()
    await session_cli.run_async(
        "merchant", "create", "--shop-id", shop.shop_id, "--email", email, "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    changed = await session_cli.run_async(
        "merchant", "set-password", "--shop-id", shop.shop_id, "--email", email,
        "--password-stdin", input="  spaces kept inside and out  \n",
    )  # fmt: skip
    assert changed.stdout == f"password of {email} set; every session of that user ended\n"
    error(await login(client, email=email, password=PASSWORD), 16, 401)
    ok(await login(client, email=email, password="  spaces kept inside and out  "))


@asynccontextmanager
async def _app_on(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API on a console test's own database, to sign in with what was typed."""
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, run_worker=False)
    ctx = AppContext.build(settings, public_url="http://testserver")
    app = create_app(settings, ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await ctx.db.dispose()


async def test_the_password_is_asked_twice_without_echo(console: ConsoleScript) -> None:
    await console.run_async("shop", "create", "--shop-id", "tty", "--domain", "tty.myshopify.com")
    typed = run_on_terminal(
        [console.script, "merchant", "create", "--shop-id", "tty", "--email", "me@example.com"],
        [
            ("Password (10 to 128 characters): ", "first try 123"),
            ("Again, to confirm: ", "first try 124"),  # a slip: asked again
            ("Password (10 to 128 characters): ", PASSWORD),
            ("Again, to confirm: ", PASSWORD),
        ],
        cwd=console.cwd,
        env=console.process_env(),
    )
    assert typed.returncode == 0, typed.screen
    assert typed.screen.splitlines() == [
        "Password (10 to 128 characters): ",
        "Again, to confirm: ",
        "The two entries differ; type it again.",
        "Password (10 to 128 characters): ",
        "Again, to confirm: ",
        "merchant user me@example.com (owner) created for shop tty",
    ]
    async with _app_on(console.database_url) as client:
        ok(await login(client, email="me@example.com", password=PASSWORD))
        error(await login(client, email="me@example.com", password="first try 123"), 16, 401)


def test_roles_are_created_listed_and_changed(cli: Cli) -> None:
    create_shop(cli, "shop-r", "shop-r.myshopify.com")
    owner = _create(cli, "shop-r", "boss@example.com")
    helper = _create(cli, "shop-r", "helper@example.com", PASSWORD, "--role", "staff")
    assert owner["role"] == "owner" and helper["role"] == "staff"
    listed = cli.json("merchant", "list", "--shop-id", "shop-r")["merchants"]
    assert [(m["email"], m["role"]) for m in listed] == [
        ("boss@example.com", "owner"),
        ("helper@example.com", "staff"),
    ]
    text = cli.run("merchant", "list", "--shop-id", "shop-r").stdout.splitlines()
    assert [line.split("\t")[:3] for line in text] == [
        ["shop-r", "boss@example.com", "owner"],
        ["shop-r", "helper@example.com", "staff"],
    ]

    changed = cli.json(
        "merchant", "set-role", "--shop-id", "shop-r", "--email", "Helper@Example.com",
        "--role", "owner",
    )  # fmt: skip
    assert changed == {"shop_id": "shop-r", "email": "helper@example.com", "role": "owner"}
    said = cli.run(
        "merchant", "set-role", "--shop-id", "shop-r", "--email", "boss@example.com",
        "--role", "staff",
    ).stdout  # fmt: skip
    assert said == "merchant user boss@example.com of shop shop-r is now staff\n"
    listed = cli.json("merchant", "list", "--shop-id", "shop-r")["merchants"]
    assert [(m["email"], m["role"]) for m in listed] == [
        ("boss@example.com", "staff"),
        ("helper@example.com", "owner"),
    ]


def test_a_wrong_role_or_user_is_refused_and_changes_nothing(cli: Cli) -> None:
    create_shop(cli, "shop-w", "shop-w.myshopify.com")
    _create(cli, "shop-w", "boss@example.com")
    # A wrong role is refused before the password is read (nothing is piped in here).
    refused = cli.error(
        "merchant", "create", "--shop-id", "shop-w", "--email", "x@example.com", "--role", "admin"
    )
    assert refused == "error: role must be owner or staff"
    assert cli.json_error(
        "merchant", "set-role", "--shop-id", "shop-w", "--email", "boss@example.com",
        "--role", "Staff",
    ) == "role must be owner or staff"  # fmt: skip
    unknown = cli.error(
        "merchant", "set-role", "--shop-id", "shop-w", "--email", "nobody@example.com",
        "--role", "staff",
    )  # fmt: skip
    assert unknown == "error: not found: no user nobody@example.com in shop shop-w"
    listed = cli.json("merchant", "list", "--shop-id", "shop-w")["merchants"]
    assert [(m["email"], m["role"]) for m in listed] == [("boss@example.com", "owner")]


async def test_set_role_applies_to_a_signed_in_session(
    client: httpx.AsyncClient, shop: ShopApi, session_cli: Cli
) -> None:
    email = new_email()
    await session_cli.run_async(
        "merchant", "create", "--shop-id", shop.shop_id, "--email", email, "--role", "staff",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    token = ok(await login(client, email=email, password=PASSWORD))["token"]
    error(await client.get(PRIVATE_TOKEN, headers=bearer(token)), 7, 403)
    await session_cli.json_async(
        "merchant", "set-role", "--shop-id", shop.shop_id, "--email", email, "--role", "owner"
    )
    private = ok(await client.get(PRIVATE_TOKEN, headers=bearer(token)))
    assert private == {"private_token": shop.private_token}
