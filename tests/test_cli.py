"""The operator CLI: every command run in process (tests/support/cli.py) as an operator types
it, checked by its output, exit status and what it left in the database; and end to end, the
installed `shopreviews` console script: its help, `demo` then `serve` answering the printed curl
line, and `serve` refusing to start without a shared key on PostgreSQL.

Each test gets a fresh working directory (where the key file is written) and a fresh database
(tests/support/databases.py: a copy of a template migrated once per session), so the suite's
own database is never touched.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import shutil
import stat
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from shopreviews import __version__
from shopreviews.migrate import MIGRATIONS
from shopreviews.settings import shown_database_url
from tests.support import signer
from tests.support.cli import Cli, ConsoleScript, create_shop
from tests.support.databases import configured_url, on_postgres, sqlite_url
from tests.support.programs import free_port

ON_POSTGRES = on_postgres(configured_url() or "")
SECRET_KEY = "cli-test-secret-key-" + "k" * 32
TOKEN = re.compile(r"^[A-Za-z0-9+/]{22}==$")
# Every command of `shopreviews --help`.
COMMANDS = ("serve", "worker", "migrate", "demo", "shop", "merchant", "platform", "webhooks")
COMMANDS += ("orders", "sign")


def test_shop_create_prints_tokens_once(cli: Cli) -> None:
    shop = create_shop(cli, "61234567890", "example-shop.myshopify.com")
    assert shop["shop_id"] == "61234567890"
    assert shop["myshopify_domain"] == "example-shop.myshopify.com"
    for key in ("public_token", "private_token"):
        assert TOKEN.match(shop[key]), shop
        assert len(base64.b64decode(shop[key], validate=True)) == 16
    assert shop["public_token"] != shop["private_token"]

    again = cli.fails(
        "shop", "create", "--shop-id", "61234567890", "--domain", "other.myshopify.com"
    )
    assert again.stdout == ""
    assert "already exists" in again.stderr and "61234567890" in again.stderr

    as_json = cli.fails(
        "shop", "create", "--shop-id", "61234567890", "--domain", "other.myshopify.com", "--json"
    )
    assert as_json.stdout == ""
    assert "already exists" in json.loads(as_json.stderr.strip().splitlines()[-1])["error"]

    same_domain = cli.fails(
        "shop", "create", "--shop-id", "777", "--domain", "Example-Shop.myshopify.com"
    )
    assert "already exists" in same_domain.stderr


def test_shop_create_rejects_bad_input(cli: Cli) -> None:
    bad_domain = cli.fails("shop", "create", "--shop-id", "s1", "--domain", "not a domain")
    assert "myshopify_domain" in bad_domain.stderr
    bad_id = cli.fails("shop", "create", "--shop-id", "a b", "--domain", "ab.myshopify.com")
    assert "shop_id" in bad_id.stderr


PASSWORD = "correct-horse-battery"


def test_merchant_create(cli: Cli) -> None:
    create_shop(cli, "shop-m", "shop-m.myshopify.com")
    user = cli.json(
        "merchant", "create", "--shop-id", "shop-m", "--email", "owner@example.com",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert user["shop_id"] == "shop-m" and user["email"] == "owner@example.com"
    assert user["id"]

    text = cli.run(
        "merchant", "create", "--shop-id", "shop-m", "--email", "second@example.com",
        "--password-stdin", input=PASSWORD,
    )  # fmt: skip
    assert text.stdout == "merchant user second@example.com (owner) created for shop shop-m\n"
    assert PASSWORD not in text.stdout + text.stderr

    unknown = cli.error(
        "merchant", "create", "--shop-id", "no-such-shop", "--email", "x@example.com",
        "--password-stdin", input=PASSWORD,
    )  # fmt: skip
    assert unknown == "error: shop no-such-shop not found"


CLIENT_SECRET = re.compile(r"^cs_[A-Za-z0-9_-]{43}$")
SYSTEM_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")


def _create_platform(cli: Cli, client_id: str, *extra: str, **env: str) -> dict[str, Any]:
    data = cli.json(
        "platform",
        "create",
        "--client-id",
        client_id,
        "--name",
        "Acme Sync",
        "--redirect-uri",
        "https://app.acme.example/oauth/callback",
        "--redirect-uri",
        "http://localhost:3000/oauth/callback",
        "--scopes",
        "read_reviews write_reviews,read_shop_install_status",
        *extra,
        **env,
    )
    assert isinstance(data, dict)
    return data


def test_platform_create_shows_the_secrets_once(cli: Cli) -> None:
    created = _create_platform(
        cli,
        "acme-sync",
        "--webhook-url",
        "http://127.0.0.1:9/hooks/system",
        SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
    )
    assert CLIENT_SECRET.match(created["client_secret"]), created
    assert SYSTEM_SECRET.match(created["system_webhook_secret"]), created
    assert created["redirect_uris"] == [
        "https://app.acme.example/oauth/callback",
        "http://localhost:3000/oauth/callback",
    ]
    # Scopes are stored in the contract's order, comma-separated.
    assert created["allowed_scopes"] == "read_reviews,write_reviews,read_shop_install_status"
    assert created["skip_shop_oauth"] == 0 and created["status"] == "active"
    assert created["webhook_url"] == "http://127.0.0.1:9/hooks/system"

    listed = cli.json("platform", "list")["platforms"]
    assert [p["client_id"] for p in listed] == ["acme-sync"]
    assert "client_secret" not in listed[0] and "system_webhook_secret" not in listed[0]
    text = cli.run("platform", "list").stdout
    assert "acme-sync" in text and created["client_secret"] not in text

    duplicate = cli.fails(
        "platform", "create", "--client-id", "acme-sync", "--name", "Again",
        "--redirect-uri", "https://a.example/cb", "--scopes", "read_reviews",
    )  # fmt: skip
    assert "already exists" in duplicate.stderr and duplicate.stdout == ""


def test_platform_create_refuses_bad_values_naming_them(cli: Cli) -> None:
    cases = [
        (["--client-id", "Acme"], "client_id"),
        (["--redirect-uri", "http://app.acme.example/cb"], "must use https"),
        (["--redirect-uri", "https://app.acme.example/cb#frag"], "fragment"),
        (["--scopes", "read_reviews,read_everything"], "read_everything"),
    ]
    for override, expected in cases:
        args = {
            "--client-id": "acme-2",
            "--name": "Acme",
            "--redirect-uri": "https://app.acme.example/cb",
            "--scopes": "read_reviews",
        }
        args[override[0]] = override[1]
        flat = [item for pair in args.items() for item in pair]
        failed = cli.fails("platform", "create", *flat, "--json")
        message = json.loads(failed.stderr.strip().splitlines()[-1])["error"]
        assert expected in message, (override, message)
    assert cli.json("platform", "list") == {"platforms": []}


def test_platform_update_rotate_and_disconnect(cli: Cli) -> None:
    created = _create_platform(cli, "acme-sync")
    updated = cli.json(
        "platform", "update", "--client-id", "acme-sync", "--status", "disabled",
        "--scopes", "read_reviews", "--skip-shop-oauth",
    )  # fmt: skip
    assert updated["status"] == "disabled" and updated["allowed_scopes"] == "read_reviews"
    assert updated["skip_shop_oauth"] == 1
    assert updated["redirect_uris"] == created["redirect_uris"]  # untouched

    bad_status = cli.fails("platform", "update", "--client-id", "acme-sync", "--status", "gone")
    assert "status" in bad_status.stderr

    rotated = cli.json("platform", "rotate-secret", "--client-id", "acme-sync")
    assert set(rotated) == {"client_secret"}
    assert CLIENT_SECRET.match(rotated["client_secret"])
    assert rotated["client_secret"] != created["client_secret"]
    system = cli.json(
        "platform", "rotate-secret", "--client-id", "acme-sync", "--which", "system_webhook_secret"
    )
    assert SYSTEM_SECRET.match(system["system_webhook_secret"])
    assert system["system_webhook_secret"] != created["system_webhook_secret"]

    unknown = cli.fails("platform", "rotate-secret", "--client-id", "nobody")
    assert "not found" in unknown.stderr and "nobody" in unknown.stderr

    create_shop(cli, "shop-p", "shop-p.myshopify.com")
    assert cli.json(
        "platform", "disconnect", "--client-id", "acme-sync", "--shop-id", "shop-p"
    ) == {"disconnected": False}
    no_shop = cli.fails("platform", "disconnect", "--client-id", "acme-sync", "--shop-id", "zz")
    assert "shop zz" in no_shop.stderr


def test_merchant_set_password(cli: Cli) -> None:
    create_shop(cli, "shop-pw", "shop-pw.myshopify.com")
    cli.json(
        "merchant", "create", "--shop-id", "shop-pw", "--email", "owner@example.com",
        "--password-stdin", input="first password 1\n",
    )  # fmt: skip
    done = cli.json(
        "merchant", "set-password", "--shop-id", "shop-pw", "--email", "Owner@Example.com",
        "--password-stdin", input="second password 2\n",
    )  # fmt: skip
    assert done == {"shop_id": "shop-pw", "email": "owner@example.com", "sessions_ended": True}
    short = cli.error(
        "merchant", "set-password", "--shop-id", "shop-pw", "--email", "owner@example.com",
        "--password-stdin", input="short\n",
    )  # fmt: skip
    assert short == "error: password must be 10 to 128 characters"
    unknown = cli.json_error(
        "merchant", "set-password", "--shop-id", "shop-pw", "--email", "nobody@example.com",
        "--password-stdin", input="third password 3\n",
    )  # fmt: skip
    assert unknown == "not found: no user nobody@example.com in shop shop-pw"


def test_shop_list(cli: Cli) -> None:
    assert cli.json("shop", "list") == {"shops": []}
    first = create_shop(cli, "list-b", "list-b.myshopify.com")
    second = create_shop(cli, "list-a", "list-a.myshopify.com")

    listed = cli.json("shop", "list")["shops"]
    assert [s["shop_id"] for s in listed] == ["list-a", "list-b"]
    by_id = {s["shop_id"]: s for s in listed}
    for created in (first, second):
        row = by_id[created["shop_id"]]
        assert row["myshopify_domain"] == created["myshopify_domain"]
        assert row["public_token"] == created["public_token"]
        assert row["status"] == "active"
        assert "private_token" not in row

    plain = cli.run("shop", "list").stdout.splitlines()
    assert [line.split("\t")[0] for line in plain] == ["list-a", "list-b"]


def test_shop_configure(cli: Cli) -> None:
    create_shop(cli, "shop-cfg", "shop-cfg.myshopify.com")
    secret = "shpss_" + "s" * 32
    # The secret comes on standard input, never in argv; it is not printed back.
    piped = cli.run(
        "shop", "configure", "--shop-id", "shop-cfg",
        "--shopify-app-secret-stdin", "--review-delay-days", "3",
        "--storefront-origin", "https://WWW.Example-Shop.com/",
        "--storefront-origin", "http://localhost:3000", "--json",
        ok=False, input=secret + "\n",
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == {
        "shop_id": "shop-cfg",
        "review_request_delay_days": 3,
        "storefront_origins": ["https://www.example-shop.com", "http://localhost:3000"],
        "shopify_app_secret_set": True,
        "web_reviews": "enabled",
        "auto_publish_min_rating": 1,
        "author_display": "first_last_initial",
        "reviews_disclosure": "",
        "review_request_subject": "",
        "review_request_text": "",
    }
    assert secret not in piped.stdout + piped.stderr

    # `--storefront-origin ""` clears the list; what is not given keeps its value.
    text = cli.run("shop", "configure", "--shop-id", "shop-cfg", "--storefront-origin", "")
    assert text.stdout.splitlines() == [
        "shop_id: shop-cfg",
        "review_request_delay_days: 3",
        "storefront_origins: (none)",
        "shopify_app_secret_set: true",
        "web_reviews: enabled",
        "auto_publish_min_rating: 1",
        "author_display: first_last_initial",
        "reviews_disclosure: ",
        "review_request_subject: ",
        "review_request_text: ",
    ]

    bad = cli.fails("shop", "configure", "--shop-id", "shop-cfg", "--review-delay-days", "366")
    assert bad.returncode == 1 and bad.stdout == ""
    assert "--review-delay-days" in bad.stderr and "0 to 365" in bad.stderr
    unknown = cli.fails("shop", "configure", "--shop-id", "no-such-shop", "--json")
    assert unknown.returncode == 1 and unknown.stdout == ""
    message = json.loads(unknown.stderr.strip().splitlines()[-1])["error"]
    assert "no-such-shop" in message and "not found" in message


def test_shop_configure_storefront_settings(cli: Cli) -> None:
    create_shop(cli, "shop-sf", "shop-sf.myshopify.com")
    done = cli.run(
        "shop", "configure", "--shop-id", "shop-sf", "--web-reviews", "verified_buyers_only",
        "--auto-publish-min-rating", "4", "--author-display", "initials",
        "--reviews-disclosure", "Reviews come from our customers <3", "--json",
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert {k: data[k] for k in ("web_reviews", "auto_publish_min_rating", "author_display")} == {
        "web_reviews": "verified_buyers_only",
        "auto_publish_min_rating": 4,
        "author_display": "initials",
    }
    assert data["reviews_disclosure"] == "Reviews come from our customers <3"
    # What is not given keeps its value; "" restores the default notice.
    again = json.loads(
        cli.run(
            "shop", "configure", "--shop-id", "shop-sf", "--reviews-disclosure", "", "--json"
        ).stdout
    )  # fmt: skip
    assert again["reviews_disclosure"] == "" and again["author_display"] == "initials"

    for option, value, rule in (
        ("--web-reviews", "sometimes", "enabled, verified_buyers_only, disabled"),
        ("--auto-publish-min-rating", "6", "from 0"),
        ("--auto-publish-min-rating", "four", "from 0"),
        ("--author-display", "nickname", "first_last_initial, full, initials, anonymous"),
        ("--reviews-disclosure", "x" * 1001, "at most 1000"),
    ):
        bad = cli.fails("shop", "configure", "--shop-id", "shop-sf", option, value)
        assert bad.returncode == 1 and bad.stdout == "", (option, value)
        assert option in bad.stderr and rule in bad.stderr, (option, bad.stderr)
    unchanged = json.loads(cli.run("shop", "configure", "--shop-id", "shop-sf", "--json").stdout)
    assert unchanged["web_reviews"] == "verified_buyers_only"
    assert unchanged["auto_publish_min_rating"] == 4


def _curl_parts(command: str) -> tuple[str, str, dict[str, str], str | None]:
    """(method, url, headers, body) of a curl command line printed by the CLI."""
    argv = shlex.split(command)
    assert argv[0] == "curl"
    method, url, body = "GET", "", None
    headers: dict[str, str] = {}
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-X":
            method = argv[i + 1]
            i += 2
        elif arg == "-H":
            name, _, value = argv[i + 1].partition(":")
            headers[name.strip()] = value.strip()
            i += 2
        elif arg in ("--data-raw", "--data", "-d"):
            body = argv[i + 1]
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            url = arg
            i += 1
    return method, url, headers, body


def test_sign_get_with_query(offline_cli: Cli) -> None:
    cli = offline_cli
    url = (
        "https://reviews.example.com/api/v1/openapi/get_reviews"
        "?ratings=5&product_ids%5B%5D=92003&ratings=4&sort_by=&author=Zo%C3%AB+L.&page=1"
    )
    result = cli.json(
        "sign",
        "GET",
        url,
        "--public-token",
        "CN4PfX5gCUQnm4zsQCXKAQ==",
        "--private-token",
        "JAVLUtpYRUiTWyGvHL6Ctw==",
        "--timestamp",
        "1780644116",
    )
    pairs = signer.decode_query(urlsplit(url).query)
    assert ("author", "Zoë L.") in pairs
    expected = signer.sign("JAVLUtpYRUiTWyGvHL6Ctw==", "1780644116", pairs)
    assert result["sign"] == expected and result["timestamp"] == "1780644116"

    method, curl_url, headers, body = _curl_parts(result["curl"])
    assert (method, curl_url, body) == ("GET", url, None)
    assert headers == {
        "Public-Token": "CN4PfX5gCUQnm4zsQCXKAQ==",
        "Timestamp": "1780644116",
        "Sign": expected,
    }

    # Without --json the output is just the command; without --timestamp it is signed now.
    before = int(time.time())
    plain = cli.run(
        "sign", "GET", url, "--public-token", "p", "--private-token", "k"
    ).stdout.strip()
    _, _, headers, _ = _curl_parts(plain)
    assert before - 1 <= int(headers["Timestamp"]) <= int(time.time()) + 1
    assert headers["Sign"] == signer.sign("k", headers["Timestamp"], pairs)


def test_sign_post_with_data(offline_cli: Cli) -> None:
    cli = offline_cli
    body = '{"product_id": "9200305176832", "rating": 5, "author": "Zoë", "content": "Très bien"}'
    result = cli.json(
        "sign",
        "POST",
        "https://reviews.example.com/api/v1/openapi/create_review",
        "--public-token",
        "CN4PfX5gCUQnm4zsQCXKAQ==",
        "--private-token",
        "private-token",
        "--timestamp",
        "1788840306",
        "--data",
        body,
    )
    expected = signer.sign("private-token", "1788840306", [], body.encode())
    assert result["sign"] == expected
    method, url, headers, sent = _curl_parts(result["curl"])
    assert method == "POST" and url.endswith("/create_review")
    assert sent == body  # sent byte for byte as signed
    assert headers["Sign"] == expected and headers["Content-Type"] == "application/json"
    assert not list(cli.cwd.glob("*.db"))  # signing needs no database


def test_sign_rejects_invalid_json(offline_cli: Cli) -> None:
    cli = offline_cli
    bad = cli.fails(
        "sign",
        "POST",
        "http://127.0.0.1:8000/api/v1/openapi/create_review",
        "--public-token",
        "p",
        "--private-token",
        "k",
        "--data",
        "{rating: 5",
    )
    assert bad.stdout == ""
    assert "--data must be valid JSON" in bad.stderr
    wrong_method = cli.fails(
        "sign", "DELETE", "http://127.0.0.1/", "--public-token", "p", "--private-token", "k"
    )
    assert "GET or POST" in wrong_method.stderr


def test_key_file_created_0600_on_first_run(cli: Cli) -> None:
    key_file = cli.cwd / "shopreviews.key"
    assert not key_file.exists()
    first = cli.run("shop", "list")
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated a new server key" in first.stderr, first.stderr
    assert str(key_file.resolve()) in first.stderr
    key = key_file.read_text().strip()
    assert len(key) >= 32

    # Later runs reuse the key silently, and tokens sealed with it stay readable.
    create_shop(cli, "keyed", "keyed.myshopify.com")
    again = cli.run("shop", "list")
    assert "generated a new server key" not in again.stderr
    assert key_file.read_text().strip() == key


def test_explicit_secret_key_writes_no_key_file(cli: Cli) -> None:
    cli.run("shop", "list", SHOPREVIEWS_SECRET_KEY=SECRET_KEY)
    assert not (cli.cwd / "shopreviews.key").exists()
    short = cli.fails("shop", "list", SHOPREVIEWS_SECRET_KEY="too-short")
    assert "SHOPREVIEWS_SECRET_KEY" in short.stderr and "at least 32 bytes" in short.stderr


def test_migrate_says_which_revisions_it_applied(cli_on_empty_database: Cli) -> None:
    cli = cli_on_empty_database
    revisions = sorted(path.stem for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    database = shown_database_url(cli.database_url)  # its password hidden (test_settings.py)
    first = cli.json("migrate")
    assert first == {"database": database, "current": revisions[-1], "applied": revisions}
    second = cli.json("migrate")
    assert second == {"database": database, "current": revisions[-1], "applied": []}
    text = cli.run("migrate").stdout
    assert text.startswith(f"already at {revisions[-1]}, nothing to apply ({database}); ")
    create_shop(cli, "after-migrate", "after-migrate.myshopify.com")


def test_migrate_names_the_revisions_it_applies_in_text(cli_on_empty_database: Cli) -> None:
    cli = cli_on_empty_database
    revisions = sorted(path.stem for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    text = cli.run("migrate").stdout
    assert text.startswith(f"applied {', '.join(revisions)} to "), text


def test_version(offline_cli: Cli) -> None:
    assert offline_cli.run("--version").stdout == f"shopreviews {__version__}\n"
    assert not list(offline_cli.cwd.glob("*.db"))  # asks nothing of the database


def test_the_console_script_starts_and_names_every_command(tmp_path: Path) -> None:
    console = ConsoleScript(cwd=tmp_path, database_url=sqlite_url(tmp_path / "unused.db"))
    listed = console.run("--help").stdout
    for command in COMMANDS:
        assert re.search(rf"\b{command}\b", listed), (command, listed)
    assert not list(tmp_path.iterdir())  # the help needs no database and no key file


@pytest.mark.skipif(not ON_POSTGRES, reason="the explicit-key rule is for PostgreSQL")
def test_serve_on_postgres_requires_secret_key(console: ConsoleScript) -> None:
    cli = console
    refused = cli.fails("serve", "--port", str(free_port()))
    assert "SHOPREVIEWS_SECRET_KEY" in refused.stderr


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            response = httpx.get(base + "/", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        assert response.status_code == 200, response.text
        assert response.json()["code"] == 0
        return
    pytest.fail(f"serve did not answer within 60 s:\n{log.read_text()}")


def _run_curl(command: str) -> dict[str, Any]:
    """Run the printed curl line as an operator would; replay it with httpx if curl is absent."""
    if shutil.which("curl"):
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, done.stderr
        body: dict[str, Any] = json.loads(done.stdout)
        return body
    method, url, headers, data = _curl_parts(command)
    response = httpx.request(
        method, url, headers=headers, content=data.encode() if data else None, timeout=30
    )
    replayed: dict[str, Any] = response.json()
    return replayed


def _signed_list(base: str, demo: dict[str, Any], endpoint: str) -> dict[str, Any]:
    pairs = [("page_size", "100")]
    ts = str(int(time.time()))
    response = httpx.get(
        f"{base}/api/v1/openapi/{endpoint}?{signer.encode_query(pairs)}",
        headers={
            "Public-Token": demo["public_token"],
            "Timestamp": ts,
            "Sign": signer.sign(demo["private_token"], ts, pairs),
        },
        timeout=30,
    )
    envelope: dict[str, Any] = response.json()
    assert envelope["code"] == 0, envelope
    data: dict[str, Any] = envelope["data"]
    return data


def _get_all_reviews(base: str, demo: dict[str, Any]) -> list[dict[str, Any]]:
    reviews: list[dict[str, Any]] = []
    page = 1
    while True:
        pairs = [("is_published", "all"), ("page_size", "100"), ("page", str(page))]
        ts = str(int(time.time()))
        response = httpx.get(
            f"{base}/api/v1/openapi/get_reviews?{signer.encode_query(pairs)}",
            headers={
                "Public-Token": demo["public_token"],
                "Timestamp": ts,
                "Sign": signer.sign(demo["private_token"], ts, pairs),
            },
            timeout=30,
        )
        envelope = response.json()
        assert envelope["code"] == 0, envelope
        reviews += envelope["data"]["list"]
        if page >= envelope["data"]["page"]["total_page"]:
            assert len(reviews) == envelope["data"]["page"]["count"]
            return reviews
        page += 1


def _back_office_sign_in(demo: dict[str, Any]) -> None:
    with httpx.Client(follow_redirects=True) as http:
        form = http.get(demo["back_office_url"])
        assert form.url.path == "/backoffice/sign-in"
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        assert token is not None
        answer = http.post(
            str(form.url.copy_with(query=None)),
            data={
                "csrf_token": token.group(1),
                "email": demo["merchant_email"],
                "password": demo["merchant_password"],
                "next": "/backoffice/account",
            },
        )
        assert answer.url.path == "/backoffice/account"
        assert demo["merchant_email"] in answer.text


def test_demo_then_serve_answers_the_printed_curl(console: ConsoleScript, tmp_path: Path) -> None:
    cli = console
    if ON_POSTGRES:
        # Scaled out, every process must share one explicit key (serve refuses otherwise).
        cli.extra_env["SHOPREVIEWS_SECRET_KEY"] = SECRET_KEY
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    demo = cli.json("demo", "--no-serve", "--port", str(port))
    assert demo["shop_id"] and demo["myshopify_domain"]
    assert TOKEN.match(demo["public_token"]) and TOKEN.match(demo["private_token"])
    assert demo["review_count"] == 200 and demo["product_count"] == 5
    assert demo["storefront_url"] == f"{base}/demo/storefront"
    assert demo["back_office_url"] == f"{base}/backoffice"
    method, url, headers, _ = _curl_parts(demo["curl"])
    assert method == "GET" and url.startswith(f"{base}/api/v1/openapi/get_reviews?")
    assert headers["Public-Token"] == demo["public_token"]

    # A second run reuses the demo shop: same tokens, no duplicate reviews.
    again = cli.json("demo", "--no-serve", "--port", str(port))
    assert (again["public_token"], again["private_token"]) == (
        demo["public_token"],
        demo["private_token"],
    )

    log, announced = tmp_path / "serve.log", tmp_path / "serve.json"
    with log.open("wb") as err, announced.open("wb") as out:
        server = subprocess.Popen(
            [cli.script, "serve", "--port", str(port), "--json"],
            cwd=cli.cwd,
            env=cli.process_env(),
            stdout=out,
            stderr=err,
        )
    try:
        _wait_until_up(base, server, log)

        envelope = _run_curl(demo["curl"])
        assert envelope["code"] == 0, envelope
        assert len(envelope["data"]["list"]) == 5
        assert envelope["data"]["page"]["page_size"] == 5

        reviews = _get_all_reviews(base, demo)
        assert len(reviews) == 200
        products = {r["product_id"] for r in reviews if r["product_id"] != "0"}
        assert len(products) == 5

        # Orders in every review-request state, and storefront events.
        orders = _signed_list(base, demo, "get_orders")
        assert orders["page"]["count"] == demo["order_count"] == 40
        assert {o["status"] for o in orders["list"]} == {1, 2, 3, 4, 5, 6}
        events = _signed_list(base, demo, "get_customer_events")
        assert events["page"]["count"] == demo["customer_event_count"] == 60
        assert {e["event_source"] for e in events["list"]} == {"STOREFRONT"}

        # The printed back office URL and credentials sign the demo merchant in.
        _back_office_sign_in(demo)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    # Before serving, serve said what it serves: one JSON object on stdout.
    revisions = sorted(path.stem for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    assert json.loads(announced.read_text()) == {
        "version": __version__,
        "listen": base,
        "public_url": base,
        "database": shown_database_url(cli.database_url),
        "schema": {"current": revisions[-1], "applied": []},
        "key": "SHOPREVIEWS_SECRET_KEY from the environment"
        if ON_POSTGRES
        else str((cli.cwd / "shopreviews.key").resolve()),
        "workers": 1,
        "worker_in_process": True,
    }
    assert "GET /api/v1/openapi/get_reviews?page=1&page_size=5 200" in log.read_text()


UNKNOWN = [
    (("shop", "configure", "--shop-id", "nope", "--review-delay-days", "3"), "shop nope not found"),
    (("shop", "disable", "--shop-id", "nope"), "shop nope not found"),
    (("shop", "enable", "--shop-id", "nope"), "shop nope not found"),
    (("merchant", "create", "--shop-id", "nope", "--email", "a@example.com", "--password-stdin"),
     "shop nope not found"),
    (("merchant", "set-password", "--shop-id", "known", "--email", "b@example.com",
      "--password-stdin"), "not found: no user b@example.com in shop known"),
    (("merchant", "list", "--shop-id", "nope"), "shop nope not found"),
    (("merchant", "remove", "--shop-id", "known", "--email", "b@example.com"),
     "not found: no user b@example.com in shop known"),
    (("platform", "update", "--client-id", "nobody", "--name", "N"), "not found: platform nobody"),
    (("platform", "rotate-secret", "--client-id", "nobody"), "not found: platform nobody"),
    (("platform", "disconnect", "--client-id", "nobody", "--shop-id", "known"),
     "not found: platform nobody"),
    (("platform", "delete", "--client-id", "nobody", "--yes"), "not found: platform nobody"),
    (("webhooks", "requeue", "--delivery", "41"), "no delivery 41: nothing was requeued"),
    (("orders", "import", "-", "--shop-id", "nope"), "shop nope not found"),
    (("catalogue", "set", "--shop-id", "nope", "--product-id", "7", "--sku", "S"),
     "shop nope not found"),
]  # fmt: skip


def test_every_command_naming_something_unknown_says_so(cli: Cli) -> None:
    create_shop(cli, "known", "known.myshopify.com")
    given = {"merchant": "a long enough password\n", "orders": '{"order_id": 1, "created_at": 1}\n'}
    for command, answer in UNKNOWN:
        assert cli.error(*command, input=given.get(command[0])) == f"error: {answer}", command
        assert cli.json_error(*command, input=given.get(command[0])) == answer, command
