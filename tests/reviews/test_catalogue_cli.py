"""`shopreviews catalogue set`: the operator sets a product's catalogue fields (docs/storefront.md,
"Product catalogue"); each field is checked on its own and a refusal names its option."""

from __future__ import annotations

import pytest

from tests.support.cli import Cli, create_shop

EMPTY = {
    "handle": "",
    "title": "",
    "sku": "",
    "gtin": "",
    "mpn": "",
    "brand": "",
    "url": "",
    "image_url": "",
}


def test_the_operator_sets_catalogue_fields(cli: Cli) -> None:
    create_shop(cli, "cat-shop", "cat-shop.myshopify.com")
    data = cli.json(
        "catalogue", "set", "--shop-id", "cat-shop", "--product-id", "9200305176832",
        "--title", "Linen Shirt", "--handle", "linen-shirt", "--sku", "LS-1",
        "--gtin", "04006381333931", "--mpn", "LS-1-M", "--brand", "Acme",
        "--url", "https://www.example-shop.com/products/linen-shirt",
        "--image-url", "https://cdn.example.com/linen.jpg",
    )  # fmt: skip
    assert data == {
        "shop_id": "cat-shop",
        "product_id": "9200305176832",
        "handle": "linen-shirt",
        "title": "Linen Shirt",
        "sku": "LS-1",
        "gtin": "04006381333931",
        "mpn": "LS-1-M",
        "brand": "Acme",
        "url": "https://www.example-shop.com/products/linen-shirt",
        "image_url": "https://cdn.example.com/linen.jpg",
    }
    # Fields not given keep their value; "" clears one.
    again = cli.json(
        "catalogue", "set", "--shop-id", "cat-shop", "--product-id", "9200305176832",
        "--mpn", "", "--brand", "Acme Co",
    )  # fmt: skip
    assert again == {**data, "mpn": "", "brand": "Acme Co"}
    # A new product gets an entry of its own.
    fresh = cli.json("catalogue", "set", "--shop-id", "cat-shop", "--product-id", "7", "--sku", "X")
    assert fresh == {"shop_id": "cat-shop", **EMPTY, "product_id": "7", "sku": "X"}


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("--gtin", "12345", "8, 12, 13 or 14 digits"),
        ("--url", "ftp://example.com/x", "absolute http(s) URL"),
        ("--image-url", "/relative.jpg", "absolute http(s) URL"),
        ("--sku", "x" * 65, "at most 64"),
        ("--handle", "two words", "whitespace"),
    ],
)
def test_bad_fields_are_refused_naming_them(cli: Cli, option: str, value: str, rule: str) -> None:
    create_shop(cli, "cat-bad", "cat-bad.myshopify.com")
    bad = cli.fails("catalogue", "set", "--shop-id", "cat-bad", "--product-id", "1", option, value)
    field = option.removeprefix("--").replace("-", "_")
    assert bad.returncode == 1 and bad.stdout == ""
    assert field in bad.stderr and rule in bad.stderr, bad.stderr


def test_unknown_shop_and_the_store(cli: Cli) -> None:
    create_shop(cli, "cat-store", "cat-store.myshopify.com")
    unknown = cli.fails(
        "catalogue", "set", "--shop-id", "nobody", "--product-id", "1", "--sku", "A"
    )
    assert "nobody" in unknown.stderr and "not found" in unknown.stderr
    store = cli.fails(
        "catalogue", "set", "--shop-id", "cat-store", "--product-id", "0", "--sku", "A"
    )
    assert "store" in store.stderr
