"""`shopreviews orders import`, the command as an operator runs it (docs/intake.md §2.2).

The line rules are tested on the importer (test_importer.py); these check the command's wiring:
files and standard input, --json output, exit status, error lines, and that a refused file
stores nothing. The `cli` fixture (tests/conftest.py) runs commands in process, in a fresh
working directory on a fresh database.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.cli import Cli, create_shop

LINES: list[dict[str, Any]] = [
    {
        "order_id": "1001",
        "order_name": "#1001",
        "created_at": "2026-06-01T14:22:10Z",
        "customer_id": "77",
        "customer_email": "Jane@Example.com",
        "customer_name": "Jane Doe",
        "products": [{"product_id": "9200305176832", "title": "Linen shirt"}],
    },
    {"order_id": 1002, "created_at": "2026-06-02", "cancelled_at": "2026-06-03 10:00:00"},
    {"order_id": "1003", "created_at": 1780644116, "customer_email": "bob@example.com"},
]


def _orders(cli: Cli) -> list[tuple[str, str, str, int]]:
    """(shop_id, order_id, customer_email, status) of every order in the CLI's database."""

    async def read() -> list[tuple[str, str, str, int]]:
        engine = create_async_engine(cli.database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT shop_id, order_id, customer_email, status FROM orders "
                        "ORDER BY order_id"
                    )
                )
                return [(r[0], r[1], r[2], r[3]) for r in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_import_a_file_then_the_same_orders_from_standard_input(cli: Cli) -> None:
    create_shop(cli, "import-shop", "import-shop.myshopify.com")
    raw = [json.dumps(row) for row in LINES]
    file = _write(cli.cwd / "orders.jsonl", [raw[0], "", raw[1], "   ", raw[2]])

    result = cli.run("orders", "import", file, "--shop-id", "import-shop", "--json")
    assert json.loads(result.stdout) == {"shop_id": "import-shop", "imported": 3}
    assert len(result.stdout.strip().splitlines()) == 1  # one JSON object, nothing else
    assert "imported 3/3 orders" in result.stderr  # progress goes to standard error
    expected = [
        ("import-shop", "1001", "jane@example.com", 1),
        ("import-shop", "1002", "", 6),
        ("import-shop", "1003", "bob@example.com", 1),
    ]
    assert _orders(cli) == expected

    # `-` reads standard input; importing the same orders again changes nothing.
    piped = cli.run(
        "orders", "import", "-", "--shop-id", "import-shop", ok=False, input="\r\n".join(raw)
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == "imported 3 orders"
    assert _orders(cli) == expected


def test_an_invalid_file_is_refused_whole_with_every_bad_line(cli: Cli) -> None:
    create_shop(cli, "strict-shop", "strict-shop.myshopify.com")
    file = _write(
        cli.cwd / "bad.jsonl",
        [
            json.dumps(LINES[0]),
            json.dumps({**LINES[1], "customer_email": "not-an-address"}),
            "",
            "{not json",
            json.dumps(LINES[2]),
            json.dumps({"created_at": "2026-06-01"}),
        ],
    )
    result = cli.fails("orders", "import", file, "--shop-id", "strict-shop")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[:3] == [
        "line 2: customer_email must be an email address such as jane@example.com",
        "line 4: not valid JSON",
        "line 6: order_id is required",
    ]
    assert "3 invalid lines; nothing was imported" in result.stderr
    assert _orders(cli) == []  # the valid lines were not imported either


def test_an_unknown_shop_or_file_is_a_clear_error(cli: Cli) -> None:
    file = _write(cli.cwd / "orders.jsonl", [json.dumps(row) for row in LINES])
    unknown = cli.fails("orders", "import", file, "--shop-id", "no-such-shop", "--json")
    assert unknown.returncode == 1 and unknown.stdout == ""
    message = json.loads(unknown.stderr.strip().splitlines()[-1])["error"]
    assert "no-such-shop" in message and "not found" in message
    assert _orders(cli) == []

    missing = cli.fails("orders", "import", str(cli.cwd / "nope.jsonl"), "--shop-id", "x")
    assert missing.returncode == 1 and "cannot read" in missing.stderr
