from tests.support.api import ShopApi, ok


async def test_create_then_get_review(shop: ShopApi) -> None:
    created = ok(
        await shop.post("create_review", {"rating": 5, "author": "Jane", "product_id": 123})
    )
    assert created["product_id"] == "123"
    fetched = ok(await shop.get("get_review", {"id": created["id"]}))
    assert fetched == created
    rating = ok(await shop.get("get_rating", {"product_id": "123"}))
    assert rating["rating_value"] == "5.0" and rating["review_count"] == 1
