"""Local uploads in create_review (spec media.md "Using uploads in reviews", "Image
processing" step 3, and reviews.md create_review `media`): URLs on this server's media host
must name a recorded upload of the caller's shop, of the item's type and within the limits;
other URLs are stored as given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.media.helpers import LocalMedia, jpeg, mp4, png
from tests.support.api import ShopApi, error, ok

HOST = "http://testserver/media"


async def image(media: LocalMedia, shop: ShopApi, name: str = "photo.jpg", **extra: str) -> Any:
    policy = await media.image_policy(shop)
    data = png() if name.endswith(".png") else jpeg((120, 90))
    return ok(await media.upload(policy, data, name, **extra))


async def video(media: LocalMedia, shop: ShopApi, name: str = "clip.mp4") -> Any:
    grant = await media.video_grant(shop, file_name=name)
    return ok(await media.put(grant["upload_url"], mp4(3000), grant["headers"]))


async def create(shop: ShopApi, media: Any) -> Any:
    return await shop.post("create_review", {"rating": 5, "author": "Ann", "media": media})


async def created_media(shop: ShopApi, media: Any) -> list[dict[str, Any]]:
    review = ok(await create(shop, media))
    stored = ok(await shop.get("get_review", {"id": review["id"]}))
    assert stored["media"] == review["media"]
    return list(review["media"])


async def review_count(shop: ShopApi) -> int:
    page = ok(await shop.get("get_reviews", {"is_published": "all", "page_size": 100}))
    return len(page["list"])


async def refused(shop: ShopApi, media: Any, text: str | None = None) -> None:
    """Code 3, and no review added."""
    before = await review_count(shop)
    body = error(await create(shop, media), 3, 400)
    if text is not None:
        assert text in body["message"], body
    assert await review_count(shop) == before


async def test_image_gets_its_thumbnail(local_media: LocalMedia, shop: ShopApi) -> None:
    up = await image(local_media, shop)
    assert up["thumbnail_url"] == up["url"] + ".thumb.jpg"
    for item in (
        {"url": up["url"], "type": 1},
        {"url": up["url"]},
        {"url": up["url"], "type": "image"},
    ):
        assert await created_media(shop, [item]) == [
            {"url": up["url"], "thumbnail_url": up["thumbnail_url"], "type": 1, "is_published": 1}
        ]
    # A thumbnail_url equal to the url, or empty, is no thumbnail of its own.
    for thumbnail in (up["url"], ""):
        [item] = await created_media(shop, [{"url": up["url"], "thumbnail_url": thumbnail}])
        assert item["thumbnail_url"] == up["thumbnail_url"]


async def test_explicit_thumbnail_url_is_kept(local_media: LocalMedia, shop: ShopApi) -> None:
    up = await image(local_media, shop)
    other = await image(local_media, shop, "other.png")
    for thumbnail in ("https://cdn.example.com/thumbs/a.jpg", other["thumbnail_url"]):
        [item] = await created_media(
            shop, [{"url": up["url"], "thumbnail_url": thumbnail, "is_published": 0}]
        )
        assert item == {"url": up["url"], "thumbnail_url": thumbnail, "type": 1, "is_published": 0}


async def test_video_is_attached_with_type_2(local_media: LocalMedia, shop: ShopApi) -> None:
    up = await video(local_media, shop)
    for item in (
        {"url": up["url"], "type": 2},
        {"url": up["url"]},
        {"url": up["url"], "type": "video"},
    ):
        assert await created_media(shop, [item]) == [
            {"url": up["url"], "thumbnail_url": "", "type": 2, "is_published": 1}
        ]
    picture = await image(local_media, shop)
    [item] = await created_media(shop, [{"url": up["url"], "thumbnail_url": picture["url"]}])
    assert item["thumbnail_url"] == picture["url"]


async def test_images_and_a_video_together_keep_their_order(
    local_media: LocalMedia, shop: ShopApi
) -> None:
    first, second = await image(local_media, shop, "a.jpg"), await image(local_media, shop, "b.png")
    clip = await video(local_media, shop)
    media = await created_media(
        shop,
        [
            {"url": second["url"]},
            {"url": clip["url"]},
            {"url": "https://cdn.example.com/x.jpg"},
            {"url": first["url"]},
        ],
    )
    assert [(m["url"], m["thumbnail_url"], m["type"]) for m in media] == [
        (second["url"], second["thumbnail_url"], 1),
        (clip["url"], "", 2),
        ("https://cdn.example.com/x.jpg", "https://cdn.example.com/x.jpg", 1),
        (first["url"], first["thumbnail_url"], 1),
    ]


async def test_legacy_media_object(local_media: LocalMedia, shop: ShopApi) -> None:
    a, b = await image(local_media, shop, "a.jpg"), await image(local_media, shop, "b.jpg")
    clip = await video(local_media, shop)
    media = await created_media(
        shop,
        {
            "images": [a["url"], "", b["url"]],
            "thumbnails": ["", "", "https://cdn.example.com/b-small.jpg"],
            "video": clip["url"],
        },
    )
    assert media == [
        {"url": a["url"], "thumbnail_url": a["thumbnail_url"], "type": 1, "is_published": 1},
        {
            "url": b["url"],
            "thumbnail_url": "https://cdn.example.com/b-small.jpg",
            "type": 1,
            "is_published": 1,
        },
        {"url": clip["url"], "thumbnail_url": "", "type": 2, "is_published": 1},
    ]
    await refused(shop, {"images": [f"{HOST}/{shop.shop_id}/2026/1/2/{'0' * 16}/x.jpg"]})
    await refused(shop, {"video": a["url"]}, "type")


async def test_other_hosts_are_stored_unchanged(local_media: LocalMedia, shop: ShopApi) -> None:
    urls = [
        "https://cdn.example.com/media/a.jpg",
        "http://testserver/mediafiles/a.jpg",  # not under the media URL + "/"
        "http://testserver.example.com/media/a.jpg",
        "https://testserver/media/a.jpg",  # another scheme is another host
        "http://testserver/api/a.jpg?x=1",
    ]
    media = await created_media(shop, [{"url": url} for url in urls])
    assert media == [
        {"url": url, "thumbnail_url": url, "type": 1, "is_published": 1} for url in urls
    ]
    [clip] = await created_media(shop, [{"url": "https://cdn.example.com/v.mp4"}])
    assert clip == {
        "url": "https://cdn.example.com/v.mp4",
        "thumbnail_url": "",
        "type": 2,
        "is_published": 1,
    }


async def test_another_shops_upload(
    local_media: LocalMedia, shop: ShopApi, other_shop: ShopApi
) -> None:
    theirs = await image(local_media, other_shop)
    their_clip = await video(local_media, other_shop)
    await refused(shop, [{"url": theirs["url"]}], "media[0].url")
    await refused(shop, [{"url": their_clip["url"]}])
    # The owner may use them.
    assert len(await created_media(other_shop, [{"url": theirs["url"]}])) == 1


async def test_urls_on_our_host_that_name_no_upload(local_media: LocalMedia, shop: ShopApi) -> None:
    up = await image(local_media, shop)
    clip = await video(local_media, shop)
    directory = up["key"].rsplit("/", 1)[0]
    for url in (
        f"{HOST}/{shop.shop_id}/2026/1/2/{'0' * 16}/photo.jpg",
        f"{HOST}/{directory}/other.jpg",
        f"{HOST}/{directory}/",
        f"{HOST}/{shop.shop_id}",
        f"{HOST}/",
        up["thumbnail_url"],  # a thumbnail is not an upload
        f"{HOST}/{up['key']}?v=2",
        f"{HOST}/{up['key']}#x",
        f"{HOST}/{up['key'].upper()}",
        f"{HOST}/{directory}/../{up['key'].rsplit('/', 1)[1]}",
        f"{HOST}//{up['key']}",
        f"{HOST}/{clip['key']}.thumb.jpg",
        f"{HOST}/{directory}/a\x00.jpg",
        f"{HOST}/{directory}/a%00.jpg",
    ):
        await refused(shop, [{"url": url, "type": 1}])


async def test_type_must_match_the_upload(local_media: LocalMedia, shop: ShopApi) -> None:
    up = await image(local_media, shop)
    clip = await video(local_media, shop)
    await refused(shop, [{"url": up["url"], "type": 2}], "media[0].type")
    await refused(shop, [{"url": clip["url"], "type": 1}], "media[0].type")
    await refused(
        shop,
        [{"url": "https://cdn.example.com/x.jpg"}, {"url": clip["url"], "type": "image"}],
        "media[1].type",
    )


async def test_an_upload_under_a_sub_path_of_its_dir(
    local_media: LocalMedia, shop: ShopApi
) -> None:
    # The policy allows any key under its dir; such an upload is a recorded upload too.
    policy = await local_media.image_policy(shop)
    key = policy["dir"] + "gallery/" + "n" * 150 + ".jpg"
    up = ok(await local_media.upload(policy, jpeg((16, 16)), "x.jpg", key=key))
    [item] = await created_media(shop, [{"url": up["url"]}])
    assert item["thumbnail_url"] == up["thumbnail_url"] == f"{HOST}/{key}.thumb.jpg"


@pytest.mark.parametrize(
    ("setting", "make"), [("image_max_bytes", image), ("video_max_bytes", video)]
)
async def test_limits_apply_at_every_use(
    local_media: LocalMedia,
    shop: ShopApi,
    media_limits: Callable[..., None],
    setting: str,
    make: Callable[[LocalMedia, ShopApi], Any],
) -> None:
    up = await make(local_media, shop)
    media_limits(**{setting: up["size"]})
    assert len(await created_media(shop, [{"url": up["url"]}])) == 1
    media_limits(**{setting: up["size"] - 1})
    await refused(shop, [{"url": up["url"]}], str(up["size"] - 1))


async def test_at_most_ten_images_and_one_video(local_media: LocalMedia, shop: ShopApi) -> None:
    up = await image(local_media, shop)
    clip = await video(local_media, shop)
    assert len(await created_media(shop, [{"url": up["url"]}] * 10 + [{"url": clip["url"]}])) == 11
    await refused(shop, [{"url": up["url"]}] * 11)
    await refused(shop, [{"url": clip["url"]}] * 2)
