"""What search engines and shopping channels read (docs/storefront.md, "Server-rendered
reviews" and "Google product reviews feed"): the schema.org JSON-LD of a product, the
server-rendered fragment, and the feed's XML. Every text is escaped for where it goes: HTML
text and attributes, JSON inside <script> (no "<" can close it), XML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from shopreviews.reviews.service import (
    CatalogueOut,
    PublicRatingOut,
    PublicReviewOut,
    PublicReviewPage,
)
from shopreviews.widget import service as widget

STORE = "0"
FEED_VERSION = "2.4"
FEED_SCHEMA = "http://www.google.com/shopping/reviews/schema/product/2.4/product_reviews.xsd"
ANONYMOUS = "Anonymous"
# Characters XML 1.0 cannot hold at all (reviews keep what was sent; only U+0000 is refused).
_XML_ILLEGAL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# JSON inside <script>: nothing that could end the element, open a comment or end a line in
# old parsers.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def script_json(value: Any) -> str:
    """JSON for the inside of a <script> element: `<` is written `\\u003c` (also `>`, `&`,
    U+2028, U+2029), which JSON parsers read back as the same characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def product_url(domain: str, catalogue: CatalogueOut) -> str:
    """The catalogue's URL, else the Shopify product page of its handle; "" when neither."""
    if catalogue.url:
        return catalogue.url
    if catalogue.handle:
        return f"https://{domain}/products/{catalogue.handle}"
    return ""


def product_name(catalogue: CatalogueOut) -> str:
    return catalogue.title or catalogue.handle or f"Product {catalogue.product_id}"


# --- JSON-LD --------------------------------------------------------------------------------


def json_ld(
    domain: str, catalogue: CatalogueOut, rating: PublicRatingOut, reviews: PublicReviewPage
) -> dict[str, Any]:
    """A schema.org Product with its aggregate rating and the first page's reviews (at most
    10). Store reviews have none: the caller does not ask."""
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product_name(catalogue),
    }
    url = product_url(domain, catalogue)
    if url:
        product["url"] = url
    if catalogue.image_url:
        product["image"] = catalogue.image_url
    for name in ("sku", "gtin", "mpn"):
        if getattr(catalogue, name):
            product[name] = getattr(catalogue, name)
    if catalogue.brand:
        product["brand"] = {"@type": "Brand", "name": catalogue.brand}
    if rating.review_count:
        product["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": float(rating.rating_value),
            "reviewCount": rating.review_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    items = [_review_ld(review) for review in reviews.list[:10]]
    if items:
        product["review"] = items
    return product


def _review_ld(review: PublicReviewOut) -> dict[str, Any]:
    item: dict[str, Any] = {
        "@type": "Review",
        "author": {"@type": "Person", "name": review.author or ANONYMOUS},
        "datePublished": review.commented_at[:10],
    }
    if review.title:
        item["name"] = review.title
    item["reviewBody"] = review.content
    item["reviewRating"] = {
        "@type": "Rating",
        "ratingValue": review.rating,
        "bestRating": 5,
        "worstRating": 1,
    }
    return item


# --- the server-rendered fragment ---------------------------------------------------------------


def fragment(
    *,
    domain: str,
    product_id: str,
    rating: PublicRatingOut,
    reviews: PublicReviewPage,
    ld: dict[str, Any] | None,
    lang: str,
) -> str:
    """The fragment (docs/storefront.md, "Server-rendered reviews"): the root, the initial data
    (the /reviews first page's and the /rating answer's data), the JSON-LD (products only) and
    the static markup: the widget's own first state (widget.service.static_markup), which it
    takes over without a request and without layout shift."""
    rating_data, reviews_data = rating.model_dump(), reviews.model_dump()
    initial = {
        "shop": domain,
        "product_id": product_id,
        "reviews": reviews_data,
        "rating": rating_data,
    }
    parts = [
        '<div class="shopreviews-ssr" data-shopreviews-ssr>',
        f'<script type="application/json" data-shopreviews-initial>{script_json(initial)}</script>',
    ]
    if ld is not None:
        parts.append(f'<script type="application/ld+json">{script_json(ld)}</script>')
    parts.append(widget.static_markup(rating_data, reviews_data, lang))
    parts.append("</div>")
    return "".join(parts)


# --- the Google product reviews feed -------------------------------------------------------


def _x(text: str) -> str:
    return xml_escape(_XML_ILLEGAL.sub("", text))


def feed_head(shop_name: str) -> bytes:
    name = _x(shop_name)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:noNamespaceSchemaLocation="{FEED_SCHEMA}">\n'
        f"<version>{FEED_VERSION}</version>\n"
        f"<aggregator><name>{name}</name></aggregator>\n"
        f"<publisher><name>{name}</name></publisher>\n"
        "<reviews>\n"
    ).encode()


FEED_TAIL = b"</reviews>\n</feed>\n"


def feed_reviews(domain: str, items: Iterable[tuple[PublicReviewOut, CatalogueOut, str]]) -> bytes:
    """<review> elements of (review, its product's catalogue entry, its RFC 3339 time).
    Reviews without text, or of a product with neither handle nor URL, are left out: Google's
    schema requires both."""
    out = []
    for review, catalogue, timestamp in items:
        url = product_url(domain, catalogue)
        if not review.content.strip() or not url:
            continue
        out.append(_feed_review(review, catalogue, url, timestamp))
    return "".join(out).encode()


def _feed_review(review: PublicReviewOut, catalogue: CatalogueOut, url: str, timestamp: str) -> str:
    anonymous = not review.author
    name = ANONYMOUS if anonymous else review.author
    parts = [
        "<review>",
        f"<review_id>{_x(review.id)}</review_id>",
        "<reviewer>"
        + (f'<name is_anonymous="true">{name}</name>' if anonymous else f"<name>{_x(name)}</name>")
        + "</reviewer>",
        f"<is_verified_purchase>{'true' if review.is_verified else 'false'}</is_verified_purchase>",
        f"<review_timestamp>{timestamp}</review_timestamp>",
    ]
    if review.title.strip():
        parts.append(f"<title>{_x(review.title)}</title>")
    parts.append(f"<content>{_x(review.content)}</content>")
    parts.append(f"<review_url type={quoteattr('group')}>{_x(url)}</review_url>")
    images = [m for m in review.media if m.type == 1]
    if images:
        parts.append("<reviewer_images>")
        parts += [f"<reviewer_image><url>{_x(m.url)}</url></reviewer_image>" for m in images]
        parts.append("</reviewer_images>")
    parts.append(f'<ratings><overall min="1" max="5">{review.rating}</overall></ratings>')
    parts.append("<products><product>")
    ids = []
    if catalogue.gtin:
        ids.append(f"<gtins><gtin>{_x(catalogue.gtin)}</gtin></gtins>")
    if catalogue.mpn and catalogue.brand:
        ids.append(f"<mpns><mpn>{_x(catalogue.mpn)}</mpn></mpns>")
    if catalogue.sku:
        ids.append(f"<skus><sku>{_x(catalogue.sku)}</sku></skus>")
    if catalogue.brand:
        ids.append(f"<brands><brand>{_x(catalogue.brand)}</brand></brands>")
    if ids:
        parts.append("<product_ids>" + "".join(ids) + "</product_ids>")
    parts.append(f"<product_name>{_x(product_name(catalogue))}</product_name>")
    parts.append(f"<product_url>{_x(url)}</product_url>")
    parts.append("</product></products>")
    method = "post_fulfillment" if review.collected_via == "email_request" else "unsolicited"
    parts.append(f"<collection_method>{method}</collection_method>")
    parts.append("</review>\n")
    return "".join(parts)
