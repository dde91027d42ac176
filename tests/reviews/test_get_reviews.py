"""get_reviews (reviews.md#get_reviews): filters, array forms, empty values, sorting, pages."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.reviews.helpers import raw_get
from tests.support.api import ShopApi, error, ok
from tests.support.reviews import assert_review_shape, create, delete, list_data, list_ids, update

LIST = "/api/v1/openapi/get_reviews"


async def _products(shop: ShopApi) -> dict[str, str]:
    """One review each on products 111, 222, 333 and one store review; name -> id."""
    return {
        "111": (await create(shop, product_id="111"))["id"],
        "222": (await create(shop, product_id=222))["id"],
        "333": (await create(shop, product_id="333"))["id"],
        "store": (await create(shop))["id"],
    }


async def test_list_shape_and_page_object(shop: ShopApi) -> None:
    ids = [(await create(shop, product_id="p1", title=f"t{i}"))["id"] for i in range(3)]
    data = await list_data(shop)
    assert set(data) == {"page", "list"}
    assert data["page"] == {
        "page": 1,
        "page_size": 20,
        "total_page": 1,
        "count": 3,
        "next_cursor": "",
    }
    assert sorted(r["id"] for r in data["list"]) == sorted(ids)
    for review in data["list"]:
        assert_review_shape(review)
        assert review == ok(await shop.get("get_review", {"id": review["id"]}))


async def test_empty_shop_lists_nothing(shop: ShopApi) -> None:
    data = await list_data(shop)
    empty = {"page": 1, "page_size": 20, "total_page": 0, "count": 0, "next_cursor": ""}
    assert data == {"page": empty, "list": []}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("product_ids=111&product_ids=222", {"111", "222"}),
        ("product_ids[]=111&product_ids[]=222", {"111", "222"}),
        ("product_ids%5B%5D=111&product_ids%5B%5D=222", {"111", "222"}),
        ("product_ids%5b%5d=333", {"333"}),
        ("product_ids[0]=111&product_ids[1]=222", {"111", "222"}),
        ("product_ids[10]=333&product_ids[2]=111", {"111", "333"}),
        ("product_ids%5B1%5D=222&product_ids%5B0%5D=333", {"222", "333"}),
        ("product_ids=111,222", {"111", "222"}),
        ("product_ids=111%2C333", {"111", "333"}),
        ("product_ids[]=111,333", {"111", "333"}),
        ("product_ids[0]=222,333", {"222", "333"}),
        ("product_ids=111&product_ids[]=222&product_ids[0]=333", {"111", "222", "333"}),
        ("product_ids=+111+,,%20222%20,", {"111", "222"}),
        ("product_ids=111,111&product_ids[]=111", {"111"}),
        ("product_ids=0", {"store"}),
        ("product_ids=0,333", {"store", "333"}),
        ("product_ids=999", set()),
        ("product_id=222", {"222"}),
        ("product_id=111&product_ids=333", {"111", "333"}),
        ("product_ids=111&product_id=111", {"111"}),
        ("product_id=0", {"store"}),
        ("product_ids=", {"111", "222", "333", "store"}),
        ("product_ids[]=&product_id=undefined", {"111", "222", "333", "store"}),
        ("product_ids=null&product_ids=222", {"222"}),
    ],
)
async def test_product_ids_array_forms(shop: ShopApi, raw: str, expected: set[str]) -> None:
    by_product = await _products(shop)
    data = ok(await raw_get(shop, LIST, raw))
    assert {r["id"] for r in data["list"]} == {by_product[p] for p in expected}
    assert data["page"]["count"] == len(expected)


async def test_array_of_more_than_100_items_is_code_3(shop: ShopApi) -> None:
    hundred = ",".join(str(1000 + i) for i in range(100))
    assert ok(await shop.get("get_reviews", {"product_ids": hundred}))["list"] == []
    body = error(await shop.get("get_reviews", {"product_ids": hundred + ",9"}), 3, 400)
    assert "product_ids" in body["message"]
    pairs = [("sources[]", f"s{i}") for i in range(101)]
    assert "sources" in error(await shop.get("get_reviews", pairs), 3, 400)["message"]
    # Duplicates are removed before counting.
    assert ok(await shop.get("get_reviews", [("ratings", "5")] * 150))["list"] == []


@pytest.mark.parametrize("value", ["a b", "x" * 65, "é"])
async def test_malformed_product_id_is_code_3(shop: ShopApi, value: str) -> None:
    for name in ("product_ids", "product_id"):
        assert name in error(await shop.get("get_reviews", {name: value}), 3, 400)["message"]


async def test_product_handle_case_insensitive(shop: ShopApi) -> None:
    shirt = await create(shop, product_id="111", product_handle="Linen-Shirt", product_title="L")
    later = await create(shop, product_id="111")
    await create(shop, product_id="222", product_handle="linen-shirt-2")
    await create(shop)
    for handle in ("Linen-Shirt", "linen-shirt", "LINEN-SHIRT", " linen-shirt "):
        ids = await list_ids(shop, {"product_handle": handle})
        assert sorted(ids) == sorted([shirt["id"], later["id"]]), handle
    unknown = await list_data(shop, {"product_handle": "no-such-handle"})
    assert unknown == {
        "page": {"page": 1, "page_size": 20, "total_page": 0, "count": 0, "next_cursor": ""},
        "list": [],
    }
    # AND with the other filters.
    assert await list_ids(shop, {"product_handle": "linen-shirt", "is_store_review": "1"}) == []


async def test_is_store_review(shop: ShopApi) -> None:
    by_product = await _products(shop)
    products = {by_product[p] for p in ("111", "222", "333")}
    for value in ("1", "true"):
        assert await list_ids(shop, {"is_store_review": value}) == [by_product["store"]]
    for value in ("0", "false"):
        assert set(await list_ids(shop, {"is_store_review": value})) == products
    for value in ("2", "yes", "True"):
        body = error(await shop.get("get_reviews", {"is_store_review": value}), 3, 400)
        assert "is_store_review" in body["message"]


async def test_keyword(shop: ShopApi) -> None:
    title = (await create(shop, title="Great FIT", content="x"))["id"]
    content = (await create(shop, content="Soft Fabric, true to size"))["id"]
    author = (await create(shop, author="Jane Doe"))["id"]
    percent = (await create(shop, title="100% cotton"))["id"]
    plain = (await create(shop, title="100 cotton"))["id"]
    underscore = (await create(shop, content="snake_case"))["id"]
    lookalike = (await create(shop, content="snakeXcase"))["id"]
    backslash = (await create(shop, content="back\\slash"))["id"]

    async def search(keyword: str) -> set[str]:
        return set(await list_ids(shop, {"keyword": keyword}))

    assert await search("great fit") == {title}
    assert await search("GREAT") == {title}
    assert await search("fabric") == {content}
    assert await search("DOE") == {author}
    assert await search("%") == {percent}
    assert await search("0%") == {percent}
    assert await search("cotton") == {percent, plain}
    assert await search("_") == {underscore}
    assert await search("e_c") == {underscore}
    assert await search("snake") == {underscore, lookalike}
    assert await search("\\") == {backslash}
    assert await search("k\\s") == {backslash}
    assert await search("nothing like this") == set()


async def test_keyword_length_limit(shop: ShopApi) -> None:
    await create(shop, content="é" * 200)
    assert len(await list_ids(shop, {"keyword": "é" * 200})) == 1
    assert await list_ids(shop, {"keyword": "a" * 200}) == []
    body = error(await shop.get("get_reviews", {"keyword": "a" * 201}), 3, 400)
    assert "keyword" in body["message"]


@pytest.mark.parametrize("name", ["keyword", "product_handle", "sources"])
async def test_nul_in_text_parameter_is_code_3(shop: ShopApi, name: str) -> None:
    """PostgreSQL text cannot hold U+0000: refused up front instead of failing the query."""
    await create(shop, product_id="111", product_handle="h", title="a", source="s")
    body = error(await raw_get(shop, LIST, f"{name}=a%00b"), 3, 400)
    assert name in body["message"] and "U+0000" in body["message"]
    error(await raw_get(shop, LIST, f"{name}=%00"), 3, 400)


async def test_ratings(shop: ShopApi) -> None:
    by_rating = {n: (await create(shop, rating=n))["id"] for n in range(1, 6)}
    cases = [
        ([("ratings", "4,5")], {4, 5}),
        ([("ratings[]", "1"), ("ratings[]", "2")], {1, 2}),
        ([("ratings[1]", "3"), ("ratings[0]", "5")], {3, 5}),
        ([("ratings", "3"), ("ratings", " 3 ")], {3}),
        ([("ratings", "")], {1, 2, 3, 4, 5}),
    ]
    for params, expected in cases:
        assert set(await list_ids(shop, params)) == {by_rating[n] for n in expected}, params
    for bad in ("0", "6", "abc", "4.5", "-1", "4,x"):
        body = error(await shop.get("get_reviews", {"ratings": bad}), 3, 400)
        assert "ratings" in body["message"]


async def test_sources(shop: ShopApi) -> None:
    amazon = (await create(shop, source="Amazon"))["id"]
    shop_src = (await create(shop, source="Shop"))["id"]
    default = (await create(shop))["id"]
    unicode = (await create(shop, source="Ünïcode Import"))["id"]
    spaced = (await create(shop, source="QR Code"))["id"]
    cases = [
        ([("sources", "amazon")], {amazon}),
        ([("sources", "AMAZON,shop")], {amazon, shop_src}),
        ([("sources[]", "Shop"), ("sources[]", "open api")], {shop_src, default}),
        ([("sources[0]", "qr code")], {spaced}),
        # A non-ASCII source matches itself (folding differs between databases only for
        # non-ASCII letters, which the contract leaves case-sensitive).
        ([("sources", "Ünïcode Import")], {unicode}),
        ([("sources", "ÜNïCODE IMPORT")], {unicode}),
        ([("sources", "Ama")], set()),
    ]
    for params, expected in cases:
        assert set(await list_ids(shop, params)) == expected, params


async def test_is_published(shop: ShopApi) -> None:
    shown = (await create(shop))["id"]
    hidden = (await create(shop, is_published=0))["id"]
    assert await list_ids(shop) == [shown]
    for value in ("1", "true"):
        assert await list_ids(shop, {"is_published": value}) == [shown]
    for value in ("0", "false"):
        assert await list_ids(shop, {"is_published": value}) == [hidden]
    assert set(await list_ids(shop, {"is_published": "all"})) == {shown, hidden}
    for value in ("2", "ALL", "any"):
        body = error(await shop.get("get_reviews", {"is_published": value}), 3, 400)
        assert "is_published" in body["message"]


async def test_filters_combine_with_and(shop: ShopApi) -> None:
    hit = (await create(shop, product_id="111", rating=4, source="Amazon", title="nice"))["id"]
    await create(shop, product_id="111", rating=3, source="Amazon", title="nice")
    await create(shop, product_id="222", rating=4, source="Amazon", title="nice")
    await create(shop, product_id="111", rating=4, source="Shop", title="nice")
    await create(shop, product_id="111", rating=4, source="Amazon", title="meh")
    await create(shop, product_id="111", rating=4, source="Amazon", title="nice", is_published=0)
    params = {"product_ids": "111", "ratings": "4,5", "sources": "amazon", "keyword": "NICE"}
    assert await list_ids(shop, params) == [hit]


async def test_empty_undefined_null_mean_unset(shop: ShopApi) -> None:
    ids = [(await create(shop, commented_at=f"2026-01-0{i} 00:00:00"))["id"] for i in range(1, 4)]
    expected = list(reversed(ids))
    names = [
        "product_ids",
        "product_id",
        "product_handle",
        "is_store_review",
        "keyword",
        "ratings",
        "sources",
        "is_published",
        "sort_by",
        "page",
        "page_size",
    ]
    for value in ("", "undefined", "null", " "):
        data = await list_data(shop, [(name, value) for name in names])
        assert [r["id"] for r in data["list"]] == expected, value
        assert data["page"] == {
            "page": 1,
            "page_size": 20,
            "total_page": 1,
            "count": 3,
            "next_cursor": "",
        }
    # Bare keys (no '=') and bracketed empty arrays.
    raw = "keyword&ratings[]=&sources[0]=&product_handle=&page&page_size="
    assert [r["id"] for r in ok(await raw_get(shop, LIST, raw))["list"]] == expected


async def test_scalar_last_non_empty_wins(shop: ShopApi) -> None:
    old = (await create(shop, title="great", commented_at="2026-01-01"))["id"]
    new = (await create(shop, title="great", commented_at="2026-01-02"))["id"]
    await create(shop, title="bad")
    pairs = [("keyword", "bad"), ("keyword", "great"), ("keyword", "")]
    pairs += [("sort_by", "created-descending"), ("sort_by", "created-ascending")]
    pairs += [("sort_by", "null")]
    assert await list_ids(shop, pairs) == [old, new]
    paged = await list_data(shop, [("page_size", "1"), ("page_size", "2"), ("page_size", "")])
    assert paged["page"]["page_size"] == 2


async def _sort_fixture(shop: ShopApi) -> list[dict[str, Any]]:
    """Reviews whose creation order differs from commented_at, with ties in both keys."""
    specs = [
        (3, "2026-03-01 10:00:00"),
        (5, "2026-01-01 10:00:00"),
        (3, "2026-03-01 10:00:00"),  # same time as the first: id breaks the tie
        (1, "2026-02-01 10:00:00"),
        (5, "2026-04-01 10:00:00"),
        (3, "2026-02-15 10:00:00"),
        (5, "2026-01-01 10:00:00"),
    ]
    return [await create(shop, rating=r, commented_at=t) for r, t in specs]


def _order(reviews: list[dict[str, Any]], sort_by: str) -> list[str]:
    def created(r: dict[str, Any]) -> tuple[str, int]:
        return (r["commented_at"], int(r["id"]))

    if sort_by == "created-descending":
        ordered = sorted(reviews, key=created, reverse=True)
    elif sort_by == "created-ascending":
        ordered = sorted(reviews, key=created)
    else:
        newest_first = sorted(reviews, key=created, reverse=True)
        # sorted() is stable: within one rating, newest first (then higher id) is kept.
        ordered = sorted(
            newest_first, key=lambda r: r["rating"], reverse=sort_by == "rating-descending"
        )
    return [r["id"] for r in ordered]


@pytest.mark.parametrize(
    "sort_by", ["created-descending", "created-ascending", "rating-descending", "rating-ascending"]
)
async def test_sort_orders(shop: ShopApi, sort_by: str) -> None:
    reviews = await _sort_fixture(shop)
    expected = _order(reviews, sort_by)
    assert await list_ids(shop, {"sort_by": sort_by}) == expected
    # Paging through with a small page size gives the same total order.
    paged: list[str] = []
    for page in (1, 2, 3):
        data = await list_data(shop, {"sort_by": sort_by, "page": page, "page_size": 3})
        paged += [r["id"] for r in data["list"]]
    assert paged == expected


async def test_default_sort_is_created_descending(shop: ShopApi) -> None:
    reviews = await _sort_fixture(shop)
    assert await list_ids(shop) == _order(reviews, "created-descending")


@pytest.mark.parametrize("sort_by", ["newest", "created_descending", "rating", "CREATED-ASCENDING"])
async def test_unknown_sort_is_code_3(shop: ShopApi, sort_by: str) -> None:
    body = error(await shop.get("get_reviews", {"sort_by": sort_by}), 3, 400)
    assert "sort_by" in body["message"]


async def test_pagination(shop: ShopApi) -> None:
    ids = [(await create(shop, commented_at=f"2026-01-{i:02d}"))["id"] for i in range(1, 6)]
    newest_first = list(reversed(ids))
    pages = []
    for page in (1, 2, 3):
        data = await list_data(shop, {"page": page, "page_size": 2})
        assert bool(data["page"].pop("next_cursor")) == (page < 3)  # more rows follow
        assert data["page"] == {"page": page, "page_size": 2, "total_page": 3, "count": 5}
        pages.append([r["id"] for r in data["list"]])
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    past = await list_data(shop, {"page": 4, "page_size": 2})
    beyond = {"page": 4, "page_size": 2, "total_page": 3, "count": 5, "next_cursor": ""}
    assert past == {"page": beyond, "list": []}
    far = await list_data(shop, {"page": 10**9})
    assert far["list"] == [] and far["page"]["count"] == 5


async def test_page_size_above_100_counts_as_100(shop: ShopApi) -> None:
    for _ in range(3):
        await create(shop)
    for size in ("101", "1000", "99999999999999999999"):
        data = await list_data(shop, {"page_size": size})
        assert data["page"] == {
            "page": 1,
            "page_size": 100,
            "total_page": 1,
            "count": 3,
            "next_cursor": "",
        }
    data = await list_data(shop, {"page_size": "100"})
    assert data["page"]["page_size"] == 100


async def test_total_page_is_ceiling(shop: ShopApi) -> None:
    for _ in range(7):
        await create(shop)
    for size in (1, 2, 3, 6, 7, 8):
        data = await list_data(shop, {"page_size": size})
        assert data["page"]["total_page"] == math.ceil(7 / size)
        assert len(data["list"]) == min(size, 7)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "abc"),
        ("page", "1.5"),
        ("page", "１"),
        ("page_size", "0"),
        ("page_size", "-5"),
        ("page_size", "abc"),
        ("page_size", "2.0"),
    ],
)
async def test_bad_page_parameters_are_code_3(shop: ShopApi, name: str, value: str) -> None:
    body = error(await shop.get("get_reviews", {name: value}), 3, 400)
    assert name in body["message"]


async def test_deleted_reviews_never_appear(shop: ShopApi) -> None:
    kept = await create(shop, product_id="111", title="find me")
    gone = await create(shop, product_id="111", title="find me")
    hidden_gone = await create(shop, product_id="111", title="find me", is_published=0)
    await delete(shop, gone["id"])
    await delete(shop, hidden_gone["id"])
    for params in (
        {},
        {"is_published": "all"},
        {"is_published": "0"},
        {"product_ids": "111"},
        {"keyword": "find"},
        {"ratings": "5"},
    ):
        data = await list_data(shop, params)
        ids = [r["id"] for r in data["list"]]
        assert gone["id"] not in ids and hidden_gone["id"] not in ids, params
        assert data["page"]["count"] == len(ids)
    assert await list_ids(shop, {"is_published": "all"}) == [kept["id"]]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/open_api/get_reviews",
        "/api/v1/open_api/get_review_list",
        "/api/v1/openapi/get_review_list",
        "/api/v1/openapi/get_reviews/",
    ],
)
async def test_legacy_aliases(shop: ShopApi, path: str) -> None:
    a = (await create(shop, product_id="111", rating=4))["id"]
    await create(shop, product_id="222", rating=4)
    await create(shop, product_id="111", rating=2)
    data = ok(await raw_get(shop, path, "product_ids=111&ratings=4,5&page=1&page_size=20"))
    assert [r["id"] for r in data["list"]] == [a]
    assert data["page"] == {
        "page": 1,
        "page_size": 20,
        "total_page": 1,
        "count": 1,
        "next_cursor": "",
    }


async def test_list_reflects_updates(shop: ShopApi) -> None:
    review = await create(shop, title="before")
    await update(shop, review["id"], title="after", is_published=0)
    assert await list_ids(shop, {"keyword": "before", "is_published": "all"}) == []
    assert await list_ids(shop, {"keyword": "after", "is_published": "0"}) == [review["id"]]
