"""A database the operator's commands cannot use is one line on stderr, never a traceback: it
names SHOPREVIEWS_DATABASE_URL (password hidden) and what to do, exit status 1, and with --json
one object {"error": ...}. Every command that touches the database answers so, whichever it
is: the command group does it in one place (kit/cli.py, kit/database_errors.py).

Each case is made real: a closed local port, a database and a role the suite's PostgreSQL
server does not have, a server of the test's own that checks passwords, a host name that
cannot exist, SQLite paths that cannot hold a database."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shopreviews.settings import DATABASE_URL_FORMS
from tests.support.cli import Cli, ConsoleScript
from tests.support.databases import configured_url, on_postgres, sqlite_url
from tests.support.postgres_cluster import password_server
from tests.support.programs import free_port

SERVER = configured_url()
ON_POSTGRES = on_postgres(SERVER or "")
SECRET_KEY = "database-errors-test-key-" + "k" * 32
PREFIX = "cannot use the database of SHOPREVIEWS_DATABASE_URL"
ORDER = json.dumps({"order_id": 1002, "created_at": "2026-06-02"})

# Every command that opens the database, as an operator types it.
COMMANDS: list[tuple[str, ...]] = [
    ("serve", "--port", "{port}"),
    ("worker",),
    ("migrate",),
    ("demo", "--no-serve"),
    ("shop", "list"),
    ("shop", "create", "--shop-id", "s1", "--domain", "s1.myshopify.com"),
    ("shop", "configure", "--shop-id", "s1", "--review-delay-days", "3"),
    ("shop", "disable", "--shop-id", "s1"),
    ("shop", "enable", "--shop-id", "s1"),
    ("merchant", "create", "--shop-id", "s1", "--email", "a@example.com", "--password-stdin"),
    ("merchant", "set-password", "--shop-id", "s1", "--email", "a@example.com", "--password-stdin"),
    ("merchant", "list"),
    ("merchant", "remove", "--shop-id", "s1", "--email", "a@example.com"),
    ("platform", "create", "--client-id", "acme", "--name", "Acme", "--redirect-uri",
     "https://acme.example/cb", "--scopes", "read_reviews"),
    ("platform", "list"),
    ("platform", "update", "--client-id", "acme", "--name", "Acme 2"),
    ("platform", "rotate-secret", "--client-id", "acme"),
    ("platform", "disconnect", "--client-id", "acme", "--shop-id", "s1"),
    ("platform", "delete", "--client-id", "acme", "--yes"),
    ("webhooks", "requeue", "--all-dead"),
    ("orders", "import", "-", "--shop-id", "s1"),
    ("catalogue", "set", "--shop-id", "s1", "--product-id", "7", "--title", "Shirt"),
]  # fmt: skip
INPUT = {"merchant": "a long enough password\n", "orders": ORDER + "\n"}


def _cli(tmp_path: Path, url: str) -> Cli:
    # An explicit key: serve and worker on PostgreSQL would stop without one before connecting.
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return Cli(cwd=work, database_url=url, extra_env={"SHOPREVIEWS_SECRET_KEY": SECRET_KEY})


def _args(command: tuple[str, ...]) -> list[str]:
    return [part.replace("{port}", str(free_port())) for part in command]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_says_the_server_refused_the_connection(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    port = free_port()  # nothing listens there
    cli = _cli(tmp_path, f"postgresql://shop:topsecret-pw@127.0.0.1:{port}/shopreviews")
    expected = (
        f"{PREFIX} (postgresql+asyncpg://shop:***@127.0.0.1:{port}/shopreviews): connection "
        f"refused by 127.0.0.1:{port}: start PostgreSQL there, or correct the host and port "
        "in the URL"
    )
    given = INPUT.get(command[0])
    assert cli.error(*_args(command), input=given) == f"error: {expected}"
    assert cli.json_error(*_args(command), input=given) == expected
    assert not (cli.cwd / "shopreviews.key").exists()


def test_the_console_script_says_it_in_one_line(tmp_path: Path) -> None:
    port = free_port()
    console = ConsoleScript(
        cwd=tmp_path, database_url=f"postgres://shop:topsecret-pw@127.0.0.1:{port}/shopreviews"
    )
    done = console.run("shop", "list", ok=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"error: {PREFIX} (postgresql+asyncpg://shop:***@127.0.0.1:{port}/shopreviews): "
        f"connection refused by 127.0.0.1:{port}: start PostgreSQL there, or correct the host "
        "and port in the URL\n"
    )


def _on_suite_server(**parts: str) -> str:
    """The suite's PostgreSQL server (SHOPREVIEWS_TEST_DATABASE_URL) with other URL parts."""
    assert SERVER is not None
    return make_url(SERVER).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


@pytest.mark.skipif(not ON_POSTGRES, reason="needs the suite's PostgreSQL server")
def test_a_database_not_created_says_how_to_create_it(tmp_path: Path) -> None:
    name = f"shopreviews_missing_{uuid.uuid4().hex[:8]}"
    url = _on_suite_server(database=name)
    cli = _cli(tmp_path, url)
    shown = make_url(url).render_as_string(hide_password=True)
    expected = (
        f'{PREFIX} ({shown}): database "{name}" does not exist (create it with createdb {name})'
    )
    for command in (("migrate",), ("serve", "--port", "{port}"), ("shop", "list")):
        assert cli.error(*_args(command)) == f"error: {expected}"
    assert cli.json_error("migrate") == expected


@pytest.mark.skipif(not ON_POSTGRES, reason="needs the suite's PostgreSQL server")
def test_an_unknown_user_says_how_to_create_it(tmp_path: Path) -> None:
    user = f"nobody_{uuid.uuid4().hex[:8]}"
    url = _on_suite_server(username=user, password="pw")
    shown = make_url(url).render_as_string(hide_password=True)
    assert _cli(tmp_path, url).error("worker") == (
        f'error: {PREFIX} ({shown}): role "{user}" does not exist (create it with createuser '
        f"{user}, or correct the user in the URL)"
    )


def test_a_wrong_password_says_so_and_the_right_one_works(tmp_path: Path) -> None:
    with password_server("the-right-pw") as port:
        wrong = _cli(tmp_path, f"postgres://postgres:not-it@127.0.0.1:{port}/postgres")
        expected = (
            f"{PREFIX} (postgresql+asyncpg://postgres:***@127.0.0.1:{port}/postgres): password "
            'authentication failed for user "postgres": correct the user or the password in the '
            "URL (percent-encode special characters: @ as %40)"
        )
        assert wrong.error("migrate") == f"error: {expected}"
        assert wrong.json_error("shop", "list") == expected
        # The plain postgres:// form, as psql takes it, works with the right password.
        right = _cli(tmp_path, f"postgres://postgres:the-right-pw@127.0.0.1:{port}/postgres")
        assert right.json("migrate")["applied"]
        assert right.json("shop", "list") == {"shops": []}


def test_a_host_that_does_not_exist_says_so(tmp_path: Path) -> None:
    # .invalid is reserved: no name under it ever resolves (RFC 2606).
    cli = _cli(tmp_path, "postgresql://shop:pw@no-such-host.invalid:5432/shopreviews")
    assert cli.error("migrate") == (
        f"error: {PREFIX} (postgresql+asyncpg://shop:***@no-such-host.invalid:5432/shopreviews): "
        'host "no-such-host.invalid" not found: correct the host name in the URL'
    )


def test_a_sqlite_file_in_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "shopreviews.db"
    cli = _cli(tmp_path, f"sqlite:///{path}")
    expected = (
        f"{PREFIX} (sqlite+aiosqlite:///{path}): directory {path.parent} does not exist: "
        "create it, or correct the path in the URL"
    )
    for command in (("migrate",), ("serve", "--port", "{port}"), ("shop", "list")):
        assert cli.error(*_args(command)) == f"error: {expected}"
    assert cli.json_error("shop", "list") == expected
    assert not path.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any directory")
def test_a_sqlite_file_in_a_directory_this_user_cannot_write_in(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    path = locked / "shopreviews.db"
    assert _cli(tmp_path, f"sqlite:///{path}").error("migrate") == (
        f"error: {PREFIX} (sqlite+aiosqlite:///{path}): directory {locked} is not writable by "
        "this user (SQLite writes its journal beside the file): give the user write access, or "
        "choose another directory"
    )


def test_a_sqlite_file_where_no_file_can_be_made(tmp_path: Path) -> None:
    # /proc holds only the kernel's files: no one, root included, can create one there.
    assert _cli(tmp_path, "sqlite:////proc/shopreviews.db").error("migrate") == (
        f"error: {PREFIX} (sqlite+aiosqlite:////proc/shopreviews.db): SQLite cannot create or "
        "open /proc/shopreviews.db: check that this user may write to /proc, or correct the "
        "path in the URL"
    )


def test_a_sqlite_url_naming_a_directory_or_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    assert _cli(tmp_path, f"sqlite:///{folder}").error("shop", "list") == (
        f"error: {PREFIX} (sqlite+aiosqlite:///{folder}): {folder} is a directory: name a file "
        f"in it, e.g. {folder / 'shopreviews.db'}"
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, just some words that are long enough to fill a page\n" * 20)
    assert _cli(tmp_path, f"sqlite:///{notes}").error("migrate") == (
        f"error: {PREFIX} (sqlite+aiosqlite:///{notes}): {notes} is not a SQLite database: "
        "correct the path in the URL"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite:///", "a SQLite URL names its file after the third slash"),
        ("mysql://shop:topsecret-pw@db/reviews", "mysql databases are not supported"),
        ("db.sqlite", "not a database URL"),
    ],
)
def test_a_database_url_of_the_wrong_form_is_one_line(
    tmp_path: Path, url: str, problem: str
) -> None:
    cli = _cli(tmp_path, url)
    for command in (("shop", "list"), ("serve", "--port", "{port}"), ("sign", "GET", "x")):
        line = cli.error(*_args(command))
        assert line.startswith(f"error: invalid settings: SHOPREVIEWS_DATABASE_URL: {problem}")
        assert line.endswith(
            "; correct it in the environment or in the .env file of the working directory"
        )
        assert "topsecret-pw" not in line
    assert DATABASE_URL_FORMS in cli.json_error("migrate") or url == "sqlite:///"


def test_a_database_migrated_by_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    cli = _cli(tmp_path, sqlite_url(path))
    cli.json("migrate")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0999'")
    assert cli.error("shop", "list") == (
        "error: the database is at a revision this version of ShopReviews does not know (Can't "
        "locate revision identified by '0999'): it was migrated by a newer version; run that "
        "version, or restore a backup taken before the upgrade"
    )
