"""create_review (reviews.md#create_review): both body shapes and every rule."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from shopreviews.kit.context import AppContext
from shopreviews.reviews import service as review_service
from tests.reviews.helpers import NO_RATING, aggregate_rows, events, rating, raw_post
from tests.support.api import Clock, ShopApi, error, ok
from tests.support.reviews import assert_review_shape, create, list_data

CREATE = "/api/v1/openapi/create_review"


def _stamp(ts: int) -> tuple[str, str]:
    """(display time, RFC 3339) of Unix seconds."""
    t = time.gmtime(ts)
    return time.strftime("%Y-%m-%d %H:%M:%S", t), time.strftime("%Y-%m-%dT%H:%M:%SZ", t)


async def _invalid(shop: ShopApi, body: Any, field: str) -> None:
    """The body is refused with code 3 and a message naming `field`; nothing was stored."""
    before = await list_data(shop, {"is_published": "all"})
    resp = await shop.post("create_review", body)
    message = error(resp, 3, 400)["message"]
    assert field in message, message
    assert resp.json()["data"] is None and "id" not in resp.json()
    after = await list_data(shop, {"is_published": "all"})
    assert after["page"]["count"] == before["page"]["count"]


async def test_spec_example_list_shape(shop: ShopApi, clock: Clock) -> None:
    now = int(time.time())
    clock.set(now)
    body = {
        "product_id": "9200305176832",
        "rating": 5,
        "author": "Jane D.",
        "author_email": "jane@example.com",
        "author_country": "US",
        "title": "Great fit",
        "content": "Soft fabric and true to size.",
        "item_type": "Blue / M",
        "order_id": "5512345678901",
        "is_verified": 1,
        "media": [{"url": "https://cdn.example.net/media/shirt.jpg", "type": 1}],
    }
    resp = await shop.post("create_review", body)
    envelope = resp.json()
    review = ok(resp)
    assert set(envelope) == {"code", "message", "time", "request_id", "id", "data"}
    assert envelope["id"] == review["id"] and isinstance(envelope["id"], str)
    assert_review_shape(review)
    shown, stored = _stamp(now)
    assert review == {
        "id": envelope["id"],
        "product_id": "9200305176832",
        "product_handle": "",
        "product_title": "",
        "order_id": "5512345678901",
        "rating": 5,
        "author": "Jane D.",
        "author_email": "jane@example.com",
        "author_phone": "",
        "author_country": "US",
        "title": "Great fit",
        "content": "Soft fabric and true to size.",
        "commented_at": shown,
        "item_type": "Blue / M",
        "source": "Open API",
        "tag": "",
        "is_verified": 1,
        "is_featured": 0,
        "is_published": 1,
        "is_top": 0,
        "media": [
            {
                "url": "https://cdn.example.net/media/shirt.jpg",
                "thumbnail_url": "https://cdn.example.net/media/shirt.jpg",
                "type": 1,
                "is_published": 1,
            }
        ],
        "reply": None,
        "created_at": stored,
        "updated_at": stored,
    }
    assert ok(await shop.get("get_review", {"id": review["id"]})) == review


async def test_spec_example_legacy_shape(shop: ShopApi) -> None:
    body = {
        "rating": 4,
        "author": "Sam",
        "commented_at": "2026-06-01 00:00:00",
        "source": "Shop",
        "is_verified": 0,
        "is_featured": 1,
        "is_published": 1,
        "is_top": 0,
        "product_id": 0,
        "order_id": "",
        "title": "",
        "content": "Quick delivery.",
        "media": {
            "images": ["https://cdn.example.net/a.jpg"],
            "thumbnails": [],
            "video": "",
            "video_thumbnail": "",
        },
        "reply": {"content": "Thanks!", "reply_at": "2026-06-02 09:00:00"},
    }
    review = await create(shop, **body)
    assert_review_shape(review)
    assert review["product_id"] == "0" and review["product_handle"] == ""
    assert review["rating"] == 4 and review["author"] == "Sam"
    assert review["commented_at"] == "2026-06-01 00:00:00"
    assert review["source"] == "Shop" and review["order_id"] == "" and review["title"] == ""
    assert review["content"] == "Quick delivery."
    flags = [review[f] for f in ("is_verified", "is_featured", "is_published", "is_top")]
    assert flags == [0, 1, 1, 0]
    assert review["media"] == [
        {
            "url": "https://cdn.example.net/a.jpg",
            "thumbnail_url": "https://cdn.example.net/a.jpg",
            "type": 1,
            "is_published": 1,
        }
    ]
    assert review["reply"] == {"content": "Thanks!", "reply_at": "2026-06-02 09:00:00"}


async def test_legacy_media_normalisation(shop: ShopApi) -> None:
    media = {
        "images": [
            "https://cdn.example.net/1.jpg",
            "",
            "https://cdn.example.net/3.jpg",
            "https://cdn.example.net/4.jpg",
        ],
        "thumbnails": ["https://cdn.example.net/1-t.jpg", "https://cdn.example.net/x.jpg", ""],
        "video": " https://cdn.example.net/v.mp4 ",
        "video_thumbnail": "https://cdn.example.net/v.jpg",
    }
    review = await create(shop, media=media)
    assert review["media"] == [
        {
            "url": "https://cdn.example.net/1.jpg",
            "thumbnail_url": "https://cdn.example.net/1-t.jpg",
            "type": 1,
            "is_published": 1,
        },
        {  # thumbnails[2] is empty: the image itself
            "url": "https://cdn.example.net/3.jpg",
            "thumbnail_url": "https://cdn.example.net/3.jpg",
            "type": 1,
            "is_published": 1,
        },
        {  # no thumbnails[3]
            "url": "https://cdn.example.net/4.jpg",
            "thumbnail_url": "https://cdn.example.net/4.jpg",
            "type": 1,
            "is_published": 1,
        },
        {
            "url": "https://cdn.example.net/v.mp4",
            "thumbnail_url": "https://cdn.example.net/v.jpg",
            "type": 2,
            "is_published": 1,
        },
    ]
    video_only = await create(shop, media={"video": "https://cdn.example.net/v.webm"})
    assert video_only["media"] == [
        {"url": "https://cdn.example.net/v.webm", "thumbnail_url": "", "type": 2, "is_published": 1}
    ]
    empty = await create(shop, media={"images": [], "video": "", "video_thumbnail": ""})
    assert empty["media"] == []
    assert (await create(shop, media={}))["media"] == []


async def test_list_media_normalisation(shop: ShopApi) -> None:
    media = [
        {"url": "https://cdn.example.net/b.jpg"},
        {"url": "https://cdn.example.net/a.png", "thumbnail_url": "https://cdn.example.net/t.png"},
        {"url": "https://cdn.example.net/noext", "type": "image", "is_published": 0},
        {"url": "https://cdn.example.net/still.jpg", "type": "2", "thumbnail_url": ""},
        {"url": "https://cdn.example.net/c.gif", "type": "1", "is_published": "0"},
        {"url": "https://cdn.example.net/d.jpg", "type": 1, "is_published": False},
    ]
    review = await create(shop, media=media)
    assert review["media"] == [
        {
            "url": "https://cdn.example.net/b.jpg",
            "thumbnail_url": "https://cdn.example.net/b.jpg",
            "type": 1,
            "is_published": 1,
        },
        {
            "url": "https://cdn.example.net/a.png",
            "thumbnail_url": "https://cdn.example.net/t.png",
            "type": 1,
            "is_published": 1,
        },
        {
            "url": "https://cdn.example.net/noext",
            "thumbnail_url": "https://cdn.example.net/noext",
            "type": 1,
            "is_published": 0,
        },
        {
            "url": "https://cdn.example.net/still.jpg",
            "thumbnail_url": "",
            "type": 2,
            "is_published": 1,
        },
        {
            "url": "https://cdn.example.net/c.gif",
            "thumbnail_url": "https://cdn.example.net/c.gif",
            "type": 1,
            "is_published": 0,
        },
        {
            "url": "https://cdn.example.net/d.jpg",
            "thumbnail_url": "https://cdn.example.net/d.jpg",
            "type": 1,
            "is_published": 0,
        },
    ]
    for url, kind in (("v.mov", 2), ("v.webm", 2), ("clip.MP4?x=1", 2), ("v.mp4.jpg", 1)):
        made = await create(shop, media=[{"url": f"https://cdn.example.net/{url}"}])
        assert made["media"][0]["type"] == kind, url
        assert made["media"][0]["thumbnail_url"] == ("" if kind == 2 else made["media"][0]["url"])
    video = await create(shop, media=[{"url": "https://cdn.example.net/x", "type": "video"}])
    assert video["media"][0]["type"] == 2 and video["media"][0]["thumbnail_url"] == ""
    assert (await create(shop, media=[]))["media"] == []
    assert (await create(shop, media=None))["media"] == []
    # JSON null in an item means "not given": the defaults apply (README §3.1).
    nulls = {"url": "https://cdn.example.net/n.jpg", "type": None, "thumbnail_url": None}
    made = await create(shop, media=[{**nulls, "is_published": None}])
    assert made["media"] == [
        {
            "url": "https://cdn.example.net/n.jpg",
            "thumbnail_url": "https://cdn.example.net/n.jpg",
            "type": 1,
            "is_published": 1,
        }
    ]
    legacy = {"images": None, "thumbnails": None, "video": None, "video_thumbnail": None}
    assert (await create(shop, media=legacy))["media"] == []


async def test_media_limits(shop: ShopApi) -> None:
    images = [{"url": f"https://cdn.example.net/{i}.jpg"} for i in range(11)]
    video = [{"url": "https://cdn.example.net/v.mp4"}]
    made = await create(shop, media=images[:10] + video)
    assert [m["type"] for m in made["media"]] == [1] * 10 + [2]
    await _invalid(shop, {"rating": 5, "author": "A", "media": images}, "media")
    await _invalid(shop, {"rating": 5, "author": "A", "media": video * 2}, "media")
    legacy = {"images": [m["url"] for m in images]}
    await _invalid(shop, {"rating": 5, "author": "A", "media": legacy}, "media")
    legacy_ok = {"images": [m["url"] for m in images[:10]], "video": video[0]["url"]}
    assert len((await create(shop, media=legacy_ok))["media"]) == 11


@pytest.mark.parametrize(
    "media",
    [
        [{"url": "ftp://cdn.example.net/a.jpg"}],
        [{"url": "javascript:alert(1)"}],
        [{"url": "/relative/a.jpg"}],
        [{"url": "cdn.example.net/a.jpg"}],
        [{"url": "https://"}],
        [{"url": ""}],
        [{"url": "https://cdn.example.net/" + "a" * 2030}],
        [{"url": "https://cdn.example.net/a.jpg", "thumbnail_url": "data:image/png;base64,AA"}],
        [{"url": "https://cdn.example.net/a.jpg", "type": 3}],
        [{"url": "https://cdn.example.net/a.jpg", "type": "gif"}],
        [{"url": "https://cdn.example.net/a.jpg", "type": True}],
        [{"url": "https://cdn.example.net/a.jpg", "is_published": 2}],
        [{"type": 1}],
        ["https://cdn.example.net/a.jpg"],
        {"images": ["file:///etc/passwd"]},
        {"images": ["https://cdn.example.net/a.jpg"], "thumbnails": ["ftp://x/t.jpg"]},
        {"video": "mailto:a@example.com"},
        {"images": "https://cdn.example.net/a.jpg"},
        "https://cdn.example.net/a.jpg",
        5,
    ],
)
async def test_invalid_media_is_code_3(shop: ShopApi, media: Any) -> None:
    await _invalid(shop, {"rating": 5, "author": "A", "media": media}, "media")


async def test_url_length_limit_is_2048(shop: ShopApi) -> None:
    base = "https://cdn.example.net/"
    url = base + "a" * (2048 - len(base))
    assert (await create(shop, media=[{"url": url}]))["media"][0]["url"] == url
    body = {"rating": 5, "author": "A", "media": [{"url": url + "a"}]}
    await _invalid(shop, body, "media")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9200305176832, "9200305176832"),
        ("9200305176832", "9200305176832"),
        (" abc-123 ", "abc-123"),
        ("x" * 64, "x" * 64),
        (0, "0"),
        ("0", "0"),
        ("", "0"),
        (None, "0"),
    ],
)
async def test_product_id_forms(shop: ShopApi, value: Any, expected: str) -> None:
    review = await create(shop, product_id=value)
    assert review["product_id"] == expected


async def test_absent_product_id_is_store_review(shop: ShopApi) -> None:
    assert (await create(shop))["product_id"] == "0"


@pytest.mark.parametrize("value", ["x" * 65, "a,b", "a b", "é", 1.5, 0.0, False, True, [1], {}])
async def test_invalid_product_id_is_code_3(shop: ShopApi, value: Any) -> None:
    await _invalid(shop, {"rating": 5, "author": "A", "product_id": value}, "product_id")


@pytest.mark.parametrize(("value", "expected"), [(1, 1), (5, 5), ("4", 4), (" 3 ", 3)])
async def test_rating_forms(shop: ShopApi, value: Any, expected: int) -> None:
    assert (await create(shop, rating=value))["rating"] == expected


@pytest.mark.parametrize("value", [0, 6, -1, 5.0, 4.5, "4.5", "5.0", "", "five", True, [5]])
async def test_invalid_rating_is_code_3(shop: ShopApi, value: Any) -> None:
    await _invalid(shop, {"rating": value, "author": "A"}, "rating")


async def test_rating_and_author_are_required(shop: ShopApi) -> None:
    await _invalid(shop, {"author": "A"}, "rating")
    await _invalid(shop, {"rating": None, "author": "A"}, "rating")
    await _invalid(shop, {"rating": 5}, "author")
    await _invalid(shop, {"rating": 5, "author": None}, "author")


async def test_author_trimmed_length(shop: ShopApi) -> None:
    assert (await create(shop, author="a" * 120))["author"] == "a" * 120
    # The limit counts the trimmed text; the text is stored as sent.
    padded = "  " + "a" * 120 + "  "
    assert (await create(shop, author=padded))["author"] == padded
    assert (await create(shop, author="😀" * 120))["author"] == "😀" * 120
    for bad in ("", "   ", "\t\n", "a" * 121, "😀" * 121):
        await _invalid(shop, {"rating": 5, "author": bad}, "author")
    await _invalid(shop, {"rating": 5, "author": 42}, "author")


# (field, limit): strings at the limit are stored whole; one more code point is code 3.
LIMITS = [
    ("order_id", 64),
    ("author_phone", 32),
    ("author_country", 64),
    ("title", 300),
    ("content", 10000),
    ("item_type", 120),
    ("source", 64),
    ("tag", 255),
    ("product_title", 255),
    ("product_handle", 255),
]


@pytest.mark.parametrize(("field", "limit"), LIMITS)
async def test_length_limits_count_code_points(shop: ShopApi, field: str, limit: int) -> None:
    # "😀" is one code point but two UTF-16 units and four UTF-8 bytes.
    value = "😀" * limit
    review = await create(shop, product_id="p1", **{field: value})
    assert review[field] == value
    assert ok(await shop.get("get_review", {"id": review["id"]}))[field] == value
    body = {"rating": 5, "author": "A", "product_id": "p1", field: value + "a"}
    await _invalid(shop, body, field)


async def test_reply_content_limit(shop: ShopApi) -> None:
    made = await create(shop, reply={"content": "😀" * 10000})
    assert made["reply"]["content"] == "😀" * 10000
    body = {"rating": 5, "author": "A", "reply": {"content": "x" * 10001}}
    await _invalid(shop, body, "reply")


async def test_author_email(shop: ShopApi) -> None:
    assert (await create(shop, author_email="jane@example.com"))["author_email"] == (
        "jane@example.com"
    )
    assert (await create(shop, author_email="  jane@example.com "))["author_email"] == (
        "jane@example.com"
    )
    assert (await create(shop, author_email=""))["author_email"] == ""
    longest = "a@" + "b" * 252
    assert (await create(shop, author_email=longest))["author_email"] == longest
    # Trimmed before the length check (README §3.1).
    assert (await create(shop, author_email=f"  {longest}  "))["author_email"] == longest
    for bad in (
        "jane",
        "@example.com",
        "jane@",
        "a@b@c",
        "ja ne@example.com",
        "jane@exa\tmple.com",
        "a@" + "b" * 253,
    ):
        await _invalid(shop, {"rating": 5, "author": "A", "author_email": bad}, "author_email")


async def test_commented_at_input_forms(shop: ShopApi, clock: Clock) -> None:
    now = int(time.time())
    clock.set(now)
    forms: list[tuple[Any, str]] = [
        ("2026-06-05 07:21:56", "2026-06-05 07:21:56"),
        (" 2026-06-05 07:21:56 ", "2026-06-05 07:21:56"),
        ("2026-06-05", "2026-06-05 00:00:00"),
        ("1780644116", "2026-06-05 07:21:56"),
        (1780644116, "2026-06-05 07:21:56"),
        ("0", "1970-01-01 00:00:00"),
        ("2026-06-05T07:21:56Z", "2026-06-05 07:21:56"),
        ("2026-06-05t07:21:56z", "2026-06-05 07:21:56"),
        ("2026-06-05T09:21:56+02:00", "2026-06-05 07:21:56"),
        ("2026-06-05T02:21:56-05:00", "2026-06-05 07:21:56"),
        ("2026-06-05T07:21:56.999Z", "2026-06-05 07:21:56"),
        ("2026-06-05T09:21:56.5+02:00", "2026-06-05 07:21:56"),
        ("", _stamp(now)[0]),
        (None, _stamp(now)[0]),
    ]
    for value, shown in forms:
        assert (await create(shop, commented_at=value))["commented_at"] == shown, value
    assert (await create(shop))["commented_at"] == _stamp(now)[0]
    # Up to 24 h ahead is allowed (clock skew of the caller); later is refused.
    limit = now + 24 * 3600
    assert (await create(shop, commented_at=limit))["commented_at"] == _stamp(limit)[0]
    await _invalid(shop, {"rating": 5, "author": "A", "commented_at": limit + 1}, "commented_at")
    later = _stamp(limit + 60)[0]
    await _invalid(shop, {"rating": 5, "author": "A", "commented_at": later}, "commented_at")


@pytest.mark.parametrize(
    "value",
    [
        "2026-13-01",
        "2026-02-30 00:00:00",
        "06/05/2026",
        "2026-06-05T07:21",
        "2026-06-05 07:21:56Z",
        "2026-06-05T07:21:56+0200",
        "12345678901",
        "-1",
        -1,
        10**10,
        1780644116.5,
        True,
        "yesterday",
        [2026],
    ],
)
async def test_invalid_commented_at_is_code_3(shop: ShopApi, value: Any) -> None:
    await _invalid(shop, {"rating": 5, "author": "A", "commented_at": value}, "commented_at")


async def test_source(shop: ShopApi) -> None:
    assert (await create(shop))["source"] == "Open API"
    assert (await create(shop, source=""))["source"] == "Open API"
    assert (await create(shop, source=None))["source"] == "Open API"
    for value in ("CSV uploaded", "AliExpress", "Store front", "QR Code", "ChatWILL"):
        assert (await create(shop, source=value))["source"] == value


FLAGS = {"is_verified": 0, "is_featured": 0, "is_published": 1, "is_top": 0}


@pytest.mark.parametrize("field", list(FLAGS))
async def test_flag_forms(shop: ShopApi, field: str) -> None:
    assert (await create(shop))[field] == FLAGS[field]
    assert (await create(shop, **{field: None}))[field] == FLAGS[field]
    for value, expected in ((1, 1), (0, 0), ("1", 1), ("0", 0), (True, 1), (False, 0)):
        review = await create(shop, **{field: value})
        assert review[field] == expected, value
        assert type(review[field]) is int
    for bad in (2, -1, "true", "false", "yes", "", 1.0, [1], {}):
        await _invalid(shop, {"rating": 5, "author": "A", field: bad}, field)


async def test_reply(shop: ShopApi, clock: Clock) -> None:
    now = int(time.time())
    clock.set(now)
    assert (await create(shop, reply={"content": ""}))["reply"] is None
    assert (await create(shop, reply={"content": "", "reply_at": "2026-01-01"}))["reply"] is None
    assert (await create(shop, reply={}))["reply"] is None
    assert (await create(shop, reply=None))["reply"] is None
    made = await create(shop, reply={"content": "Thanks!"})
    assert made["reply"] == {"content": "Thanks!", "reply_at": _stamp(now)[0]}
    made = await create(shop, reply={"content": "Thanks!", "reply_at": 1780644116})
    assert made["reply"] == {"content": "Thanks!", "reply_at": "2026-06-05 07:21:56"}
    made = await create(shop, reply={"content": " spaced ", "unknown": 1})
    assert made["reply"]["content"] == " spaced "
    for bad in ("Thanks", ["Thanks"], 1):
        await _invalid(shop, {"rating": 5, "author": "A", "reply": bad}, "reply")
    body = {"rating": 5, "author": "A", "reply": {"content": "x", "reply_at": "soon"}}
    await _invalid(shop, body, "reply_at")
    body = {"rating": 5, "author": "A", "reply": {"content": 5}}
    await _invalid(shop, body, "content")


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 5, "author": "A", "title": "bad\u0000title"},
        {"rating": 5, "author": "A\u0000"},
        {"rating": 5, "author": "A", "content": "\u0000"},
        {"rating": 5, "author": "A", "reply": {"content": "ok\u0000"}},
        {"rating": 5, "author": "A", "media": [{"url": "https://x.example/a\u0000.jpg"}]},
        {"rating": 5, "author": "A", "some_unknown_field": "\u0000"},
    ],
)
async def test_nul_character_anywhere_is_code_3(shop: ShopApi, body: dict[str, Any]) -> None:
    await _invalid(shop, body, "U+0000")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"rating": 5, "author": "\\ud800"}',
        b'{"rating": 5, "author": "A", "title": "x\\udfff"}',
        b'{"rating": 5, "author": "A", "reply": {"content": "\\udc00"}}',
        b'{"rating": 5, "author": "A", "media": [{"url": "https://x.example/\\ud83d.jpg"}]}',
    ],
)
async def test_lone_surrogate_escape_is_code_3(shop: ShopApi, raw: bytes) -> None:
    """Valid JSON syntax without a UTF-8 form: refused, never a 500."""
    body = error(await raw_post(shop, CREATE, raw), 3, 400)
    assert "surrogate" in body["message"]
    assert (await list_data(shop))["page"]["count"] == 0
    # A proper pair is one code point and is fine.
    made = ok(await raw_post(shop, CREATE, b'{"rating": 5, "author": "\\ud83d\\ude00"}'))
    assert made["author"] == "😀"


async def test_free_text_is_stored_as_sent(shop: ShopApi) -> None:
    text = '  <b>Zoë</b> & "quotes" \n\t 日本語 😀  '
    review = await create(shop, title=text, content=text, author=text, item_type=" L ")
    assert review["title"] == text and review["content"] == text and review["author"] == text
    assert review["item_type"] == " L "
    raw = (await shop.post("create_review", {"rating": 5, "author": "Zoë"})).content
    assert "Zoë".encode() in raw  # UTF-8, not \u escapes


async def test_unknown_fields_are_ignored(shop: ShopApi) -> None:
    review = await create(shop, foo="bar", id="12345", created_at="2001-01-01", nested={"a": [1]})
    assert review["id"] != "12345"
    assert review["created_at"] != "2001-01-01T00:00:00Z"
    assert "foo" not in review


@pytest.mark.parametrize(
    "raw",
    [b"[]", b'[{"rating": 5, "author": "A"}]', b'"text"', b"5", b"null", b"{bad", b"", b"{"],
)
async def test_body_not_a_json_object_is_code_3(shop: ShopApi, raw: bytes) -> None:
    body = error(await raw_post(shop, CREATE, raw), 3, 400)
    assert body["data"] is None
    assert (await list_data(shop))["page"]["count"] == 0


async def test_body_is_json_whatever_the_content_type(shop: ShopApi) -> None:
    raw = json.dumps({"rating": 4, "author": "Plain"}).encode()
    headers = {"Content-Type": "text/plain", **shop.headers([], raw)}
    review = ok(await shop.client.post(CREATE, content=raw, headers=headers))
    assert review["rating"] == 4 and review["author"] == "Plain"


async def test_catalogue_upsert_shows_on_other_reviews(shop: ShopApi) -> None:
    bare = await create(shop, product_id="111")
    assert (bare["product_handle"], bare["product_title"]) == ("", "")
    first = await create(
        shop, product_id="111", product_handle="Linen-Shirt", product_title="Linen"
    )
    assert (first["product_handle"], first["product_title"]) == ("Linen-Shirt", "Linen")
    second = await create(shop, product_id="111")
    assert (second["product_handle"], second["product_title"]) == ("Linen-Shirt", "Linen")
    # A later title only changes the title; read at response time on every review.
    await create(shop, product_id="111", product_title="Linen Shirt")
    for review in (bare, first, second):
        got = ok(await shop.get("get_review", {"id": review["id"]}))
        assert (got["product_handle"], got["product_title"]) == ("Linen-Shirt", "Linen Shirt")
    listed = (await list_data(shop, {"product_ids": "111"}))["list"]
    assert len(listed) == 4
    assert {(r["product_handle"], r["product_title"]) for r in listed} == {
        ("Linen-Shirt", "Linen Shirt")
    }
    other = await create(shop, product_id="222")
    assert (other["product_handle"], other["product_title"]) == ("", "")
    # Store reviews never show catalogue fields.
    store = await create(shop, product_handle="store-handle", product_title="Store")
    assert (store["product_handle"], store["product_title"]) == ("", "")
    assert (await list_data(shop, {"product_handle": "store-handle"}))["list"] == []


@pytest.mark.parametrize(
    "blank",
    [
        {"product_handle": "", "product_title": ""},
        {"product_handle": None, "product_title": None},
        {"product_handle": "   ", "product_title": "   "},
        {"product_handle": "", "product_title": None},
    ],
)
async def test_empty_handle_or_title_leaves_the_catalogue(
    shop: ShopApi, ctx: AppContext, blank: dict[str, Any]
) -> None:
    named = {"product_handle": "Linen-Shirt", "product_title": "Linen"}
    first = await create(shop, product_id="333", **named)
    later = await create(shop, product_id="333", **blank)
    names = ("Linen-Shirt", "Linen")
    assert (later["product_handle"], later["product_title"]) == names
    for review in (first, later):
        got = ok(await shop.get("get_review", {"id": review["id"]}))
        assert (got["product_handle"], got["product_title"]) == names
    listed = (await list_data(shop, {"product_handle": "linen-shirt"}))["list"]
    assert [r["id"] for r in listed] == [later["id"], first["id"]]
    assert {(r["product_handle"], r["product_title"]) for r in listed} == {names}
    async with ctx.db.session(write=False) as session:
        entry = await review_service.catalogue_entry(session, shop.shop_id, "333")
    assert (entry.handle, entry.title) == names


async def test_product_handle_rules(shop: ShopApi) -> None:
    made = await create(shop, product_id="111", product_handle="  shirt  ")
    assert made["product_handle"] == "shirt"
    longest = await create(shop, product_id="222", product_handle=f" {'h' * 255} ")
    assert longest["product_handle"] == "h" * 255
    for bad in ("linen shirt", "a\tb", "x" * 256):
        body = {"rating": 5, "author": "A", "product_id": "111", "product_handle": bad}
        await _invalid(shop, body, "product_handle")
    assert ok(await shop.get("get_review", {"id": made["id"]}))["product_handle"] == "shirt"


async def test_order_id_forms(shop: ShopApi) -> None:
    assert (await create(shop, order_id=5512345678901))["order_id"] == "5512345678901"
    assert (await create(shop, order_id=" A-1 "))["order_id"] == "A-1"
    assert (await create(shop, order_id=""))["order_id"] == ""
    # Identifiers are trimmed before the length check (README §3.1).
    assert (await create(shop, order_id=f"  {'9' * 64}  "))["order_id"] == "9" * 64
    await _invalid(shop, {"rating": 5, "author": "A", "order_id": "9" * 65}, "order_id")
    await _invalid(shop, {"rating": 5, "author": "A", "order_id": True}, "order_id")


async def test_effects_published_and_unpublished(shop: ShopApi, ctx: AppContext) -> None:
    shown = await create(shop, product_id="111", rating=4)
    hidden = await create(shop, product_id="111", rating=2, is_published=0)
    assert await aggregate_rows(ctx, shop.shop_id) == {
        ("product", "111"): [0, 0, 0, 1, 0],
        ("all_products", ""): [0, 0, 0, 1, 0],
        ("all", ""): [0, 0, 0, 1, 0],
    }
    recorded = await events(ctx, shop.shop_id)
    assert [topic for topic, _ in recorded] == ["review/created", "review/created"]
    assert [payload["review"] for _, payload in recorded] == [shown, hidden]


async def test_failed_create_changes_nothing(shop: ShopApi, ctx: AppContext, clock: Clock) -> None:
    now = int(time.time())
    clock.set(now)
    body = {
        "rating": 5,
        "author": "A",
        "product_id": "111",
        "product_handle": "never-stored",
        "commented_at": now + 3 * 86400,
    }
    await _invalid(shop, body, "commented_at")
    await _invalid(shop, {**body, "commented_at": None, "rating": 9}, "rating")
    assert await events(ctx, shop.shop_id) == []
    assert await aggregate_rows(ctx, shop.shop_id) == {}
    assert await rating(shop, {"product_id": "111"}) == NO_RATING
    # The catalogue entry was not written either.
    assert (await create(shop, product_id="111"))["product_handle"] == ""
