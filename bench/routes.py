"""Benchmark-only routes (served by bench/serve.py, never by `shopreviews serve`) and the
synthetic reviews they share with the benchmark's data generator (bench/generate.py).

`GET /bench/ceiling` answers a pre-serialised body of the size of a real 20-review page of
get_reviews: no authentication, no database, no model validation. It runs in the same server
process and through the same middleware as the API, so a benchmark can report every route
against it: what is left of the ceiling is what authentication, queries and serialisation cost.

The synthetic reviews come from one definition (`SyntheticReviews`), so the ceiling's body and
the generated database have the same distribution of text, media and replies.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from fastapi import APIRouter, Response

from shopreviews.kit.envelope import Envelope
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.timefmt import display, rfc3339
from shopreviews.reviews.models import STORE_PRODUCT_ID
from shopreviews.reviews.schemas import MediaOut, ReplyOut, ReviewOut, ReviewPage

CEILING_PATH = "/bench/ceiling"
PAGE_SIZE = 20
MEDIA_HOST = "https://cdn.bench-reviews.example"
FIRST_PRODUCT_ID = 9_200_000_000_000

# --- word lists -----------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_ADJECTIVES = _words(
    "Classic Organic Linen Merino Vintage Everyday Premium Lightweight Waterproof "
    "Handmade Ceramic Bamboo Leather Wool Cotton Cozy Slim Oversized Recycled Travel "
    "Studio Garden Copper Matte Glossy Soft Rugged Minimal Nordic Coastal Alpine"
)
_NOUNS = _words(
    "Shirt Tee Hoodie Jacket Mug Candle Backpack Wallet Scarf Blanket Lamp Planter Bottle "
    "Notebook Sneaker Boot Watch Necklace Ring Pillow Towel Apron Cap Belt Vase Teapot "
    "Knife Bowl Tote Sweater Sock Glove Beanie Cardigan Dress Skirt Jeans Sandal Bracelet"
)
_COLOURS = ["Black", "White", "Navy", "Olive", "Sand", "Rust", "Sage", "Charcoal", "Ivory", "Plum"]
_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
_FIRST = _words(
    "Emma Liam Olivia Noah Ava Ethan Sophia Mason Mia Lucas Amelia Harper Elijah Chloe "
    "Jack Grace Leo Ella Henry Lily Zoë José Łukasz Søren Chloé Renée François Jürgen Ana "
    "María Dmitri Дмитрий Анна 山田 佐藤 美咲 Ngọc Ömer Ayşe Björn Inés Zoltán"
)
_LAST_INITIALS = "ABCDEFGHIJKLMNOPRSTVWZ"
_COUNTRIES = {
    "US": 30,
    "GB": 10,
    "CA": 7,
    "AU": 6,
    "DE": 8,
    "FR": 7,
    "ES": 4,
    "IT": 4,
    "NL": 3,
    "JP": 4,
    "BR": 3,
    "PL": 2,
    "SE": 2,
    "": 10,
}
_SOURCES = {
    "Shop": 55,
    "Open API": 15,
    "Amazon": 10,
    "AliExpress": 8,
    "Etsy": 5,
    "Import": 4,
    "Email request": 3,
}
_OPENERS = (
    "Really happy with this {noun}.",
    "The {adj} {noun} is exactly what I was looking for.",
    "Ordered the {colour} one and it looks even better in person.",
    "Bought this {noun} as a gift and it was a hit.",
    "Not sure about the {adj} finish at first, but it grew on me.",
    "Second {noun} I have bought from this shop.",
    "Quality is better than expected for the price.",
    "It arrived a bit later than promised, but the {noun} itself is great.",
    "The {colour} colour is slightly darker than on the photos.",
    "Honestly the best {noun} I have owned.",
)
_MIDDLES = (
    "Shipping took {n} days and the packaging was {adj2}.",
    "The size runs {fit}, so consider ordering one size {updown}.",
    "After {n} weeks of daily use it still looks new.",
    "The material feels {adj2} and well made.",
    "Customer service answered my question within a day.",
    "My partner liked it so much that we ordered a second one in {colour}.",
    "It washes well and did not shrink.",
    "The stitching on one side was a little loose, otherwise perfect.",
    "Fits perfectly with the rest of my {noun} collection.",
    "Instructions were clear and setup took {n} minutes.",
    "The photos do not do it justice.",
    "Would have liked more colour options, but {colour} works for me.",
)
_CLOSERS = (
    "Would recommend.",
    "Five stars from me.",
    "Will definitely buy again.",
    "Good value overall.",
    "Happy customer here.",
    "Thanks for the quick delivery!",
    "Exactly as described.",
)
_FOREIGN = (
    "Très bon produit, je recommande vivement.",
    "La qualité est au rendez-vous, livraison rapide.",
    "Sehr gute Qualität, schnelle Lieferung, gerne wieder.",
    "Das Material fühlt sich hochwertig an.",
    "Muy buena calidad, llegó antes de lo previsto.",
    "El tamaño es perfecto y el color precioso.",
    "Ótimo produto, chegou bem embalado.",
    "Bardzo dobra jakość, polecam.",
    "とても良い商品でした。また購入したいです。",
    "色がとてもきれいで、サイズもぴったりです。",
    "Отличное качество, быстрая доставка.",
    "Çok güzel bir ürün, tavsiye ederim.",
)
_TITLES = (
    "Love it",
    "Great quality",
    "Exactly as described",
    "Perfect gift",
    "Good value",
    "Better than expected",
    "Runs small",
    "Beautiful {colour}",
    "My favourite {noun}",
    "Solid {noun}",
    "Not bad",
    "Could be better",
    "Fast shipping",
    "Very {adj2}",
    "Très bien",
    "Sehr gut",
    "最高です",
)
_LOW_TITLES = (
    "Disappointed",
    "Not as pictured",
    "Fell apart",
    "Too small",
    "Would not buy again",
)
_LOW_SENTENCES = (
    "Unfortunately the {noun} broke after {n} weeks.",
    "The colour was nothing like the photos.",
    "It took {n} weeks to arrive and the box was damaged.",
    "The seams came apart after the first wash.",
    "Sizing is way off, I had to return it.",
)
_REPLIES = (
    "Thank you so much for your review, {name}! We are thrilled you love it.",
    "Thanks {name}! Enjoy your new {noun}.",
    "Hi {name}, we are sorry to hear that. Our support team will contact you by email.",
    "Thank you for the feedback, {name}. We have passed your note about sizing to our team.",
    "We appreciate you taking the time to share your experience!",
    "Merci beaucoup, {name} !",
)
_ITEM_TYPES = ("Size: {size} / Color: {colour}", "Color: {colour}", "Size: {size}")
_WORDS = {
    "adj2": ["sturdy", "soft", "solid", "lovely", "sleek", "premium", "thick", "smooth"],
    "fit": ["small", "large", "slightly small", "slightly large"],
    "updown": ["up", "down"],
}


class SyntheticReview(NamedTuple):
    """The content of one review, as stored (dates, ids and products are the caller's)."""

    rating: int
    author: str
    author_email: str
    author_country: str
    title: str
    content: str
    item_type: str
    source: str
    is_verified: bool
    is_featured: bool
    is_top: bool
    media: list[dict[str, Any]]
    reply_content: str | None


class SyntheticReviews:
    """Realistic review content from word lists: ratings skewed to 5 and 4, titles, 1-4
    sentences with some multi-byte text, authors, countries, sources, 20% with 1-3 media items,
    25% with a merchant reply. Deterministic for a seed. Fast: the sentences are pre-built
    pools, so a review costs a few microseconds (the generator makes over a million)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        pool_rng = random.Random(seed ^ 0x5EED)
        self.sentences = [self._fill(pool_rng, t) for t in _MIDDLES * 40]
        self.openers = [self._fill(pool_rng, t) for t in _OPENERS * 40]
        self.low = [self._fill(pool_rng, t) for t in _LOW_SENTENCES * 40]
        self.titles = [self._fill(pool_rng, t) for t in _TITLES * 10]
        self.item_types = [self._fill(pool_rng, t) for t in _ITEM_TYPES * 20]
        self.names = [f"{first} {last}." for first in _FIRST for last in _LAST_INITIALS]
        self.countries = [c for c, w in _COUNTRIES.items() for _ in range(w)]
        self.sources = [s for s, w in _SOURCES.items() for _ in range(w)]
        self.replies = [self._fill(pool_rng, t) for t in _REPLIES * 20]

    @staticmethod
    def _fill(rng: random.Random, template: str) -> str:
        return template.format(
            noun=rng.choice(_NOUNS).lower(),
            adj=rng.choice(_ADJECTIVES).lower(),
            adj2=rng.choice(_WORDS["adj2"]),
            colour=rng.choice(_COLOURS).lower(),
            size=rng.choice(_SIZES),
            fit=rng.choice(_WORDS["fit"]),
            updown=rng.choice(_WORDS["updown"]),
            n=rng.randint(2, 12),
            name="{name}",
        )

    def review(self) -> SyntheticReview:
        rng = self.rng
        roll = rng.random()
        # 62% five stars, 21% four, 8% three, 3% two, 6% one.
        rating = (
            5
            if roll < 0.62
            else 4
            if roll < 0.83
            else 3
            if roll < 0.91
            else 2
            if roll < 0.94
            else 1
        )
        name = rng.choice(self.names)
        parts: list[str] = []
        sentences = rng.randint(1, 4)
        if rating <= 2:
            parts.append(rng.choice(self.low))
        else:
            parts.append(rng.choice(self.openers))
        parts.extend(rng.choice(self.sentences) for _ in range(sentences - 1))
        if rng.random() < 0.08:
            parts.append(rng.choice(_FOREIGN))
        elif sentences > 2 and rating >= 4:
            parts[-1] = rng.choice(_CLOSERS)
        title_roll = rng.random()
        title = (
            ""
            if title_roll < 0.2
            else rng.choice(_LOW_TITLES)
            if rating <= 2
            else rng.choice(self.titles)
        )
        email = ""
        if rng.random() < 0.6:
            email = f"customer{rng.randrange(10**7)}@example.com"
        media: list[dict[str, Any]] = []
        if rng.random() < 0.2:
            media = [self._media(rng, i) for i in range(rng.randint(1, 3))]
        reply = None
        if rng.random() < 0.25:
            reply = rng.choice(self.replies).replace("{name}", name.split()[0])
        return SyntheticReview(
            rating=rating,
            author=name,
            author_email=email,
            author_country=rng.choice(self.countries),
            title=title,
            content=" ".join(parts),
            item_type=rng.choice(self.item_types) if rng.random() < 0.3 else "",
            source=rng.choice(self.sources),
            is_verified=rng.random() < 0.4,
            is_featured=rng.random() < 0.03,
            is_top=rng.random() < 0.01,
            media=media,
            reply_content=reply,
        )

    @staticmethod
    def _media(rng: random.Random, index: int) -> dict[str, Any]:
        key = f"{MEDIA_HOST}/reviews/{rng.getrandbits(64):016x}{rng.getrandbits(64):016x}"
        if index == 0 and rng.random() < 0.1:  # at most one video, first
            return {
                "url": key + ".mp4",
                "thumbnail_url": key + "-poster.jpg",
                "type": 2,
                "is_published": 1,
            }
        return {
            "url": key + ".jpg",
            "thumbnail_url": key + "-thumb.jpg",
            "type": 1,
            "is_published": 1,
        }


class CatalogueProduct(NamedTuple):
    product_id: str
    handle: str
    title: str


def catalogue(
    count: int, *, seed: int = 0, first_id: int = FIRST_PRODUCT_ID
) -> list[CatalogueProduct]:
    """`count` products with Shopify-like numeric ids from `first_id` on, and unique handles
    and titles."""
    rng = random.Random(seed)
    products = []
    for i in range(count):
        adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
        colour = rng.choice(_COLOURS)
        title = f"{adjective} {noun} – {colour}"
        handle = f"{adjective}-{noun}-{colour}-{i}".lower()
        products.append(CatalogueProduct(str(first_id + i), handle, title))
    return products


# --- the ceiling ----------------------------------------------------------------------------


# A seed whose page is 15,303 bytes: the mean of the pages of seeds 2000-2999 (±6% sd).
CEILING_SEED = 2433


def synthetic_page(seed: int = CEILING_SEED) -> Envelope[ReviewPage]:
    """A page 1 of 20 reviews of a large shop, as get_reviews answers it."""
    source = SyntheticReviews(seed)
    products = catalogue(50, seed=seed)
    rng = random.Random(seed)
    now = datetime(2026, 6, 5, 7, 21, 56, tzinfo=UTC)
    reviews = []
    for i in range(PAGE_SIZE):
        review = source.review()
        product = None if rng.random() < 0.05 else rng.choice(products)
        commented = now - timedelta(hours=3 * i, seconds=rng.randrange(3600))
        reply = None
        if review.reply_content:
            reply = ReplyOut(
                content=review.reply_content, reply_at=display(commented + timedelta(days=1))
            )
        reviews.append(
            ReviewOut(
                id=str(1_000_000 - i),
                product_id=product.product_id if product else STORE_PRODUCT_ID,
                product_handle=product.handle if product else "",
                product_title=product.title if product else "",
                order_id=str(5_100_000_000_000 + rng.randrange(10**9))
                if rng.random() < 0.5
                else "",
                rating=review.rating,
                author=review.author,
                author_email=review.author_email,
                author_phone="",
                author_country=review.author_country,
                title=review.title,
                content=review.content,
                commented_at=display(commented),
                item_type=review.item_type,
                source=review.source,
                tag="",
                is_verified=int(review.is_verified),
                is_featured=int(review.is_featured),
                is_published=1,
                is_top=int(review.is_top),
                media=[MediaOut(**m) for m in review.media],
                reply=reply,
                created_at=rfc3339(commented + timedelta(minutes=5)),
                updated_at=rfc3339(commented + timedelta(days=1 if reply else 0, minutes=5)),
            )
        )
    # Through model_validate, so the page object is whatever ReviewPage's pagination model is.
    page = Pagination.of(PageRequest(page=1, page_size=PAGE_SIZE), 950_000).model_dump()
    data = ReviewPage.model_validate({"page": page, "list": reviews})
    return Envelope(data=data, request_id="0" * 32, time=int(now.timestamp()))


def ceiling_body() -> bytes:
    """The page serialised as the API serialises envelopes (compact JSON, raw UTF-8)."""
    return json.dumps(
        synthetic_page().model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
    ).encode()


def router() -> APIRouter:
    """The benchmark routes; the body is built once, here."""
    body = ceiling_body()
    headers = {"cache-control": "no-store"}
    bench = APIRouter(include_in_schema=False)

    @bench.get(CEILING_PATH)
    async def ceiling() -> Response:
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    return bench
