"""The storefront review widget (docs/storefront.md, "The widget"): the one ES module the service
serves, its content-hashed name and SRI hash, the demo product page, and the markup of the
widget's first state for the server-rendered fragment.

The module (static/shopreviews.js) is hand-written and served as it is: no build step. Its
strings and stylesheet sit between markers (`/*i18n*/ ... /*/i18n*/`, `/*css*/ ... /*/css*/`)
so that the first-state markup below is rendered from the same words and styles, and the widget
takes the fragment over without layout shift.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from shopreviews.kit.envelope import NotFound

MODULE_NAME = "shopreviews.js"
# The URL path of the module; the content-hashed copy is PATH_PREFIX + hashed_name.
PATH_PREFIX = "/widget/v1/"
SHORT_MAX_AGE = 300  # the unversioned name: a new release reaches shops within 5 minutes
LONG_MAX_AGE = 31536000  # the hashed name never changes content
MAX_TEXT = 400  # "read more" past this many characters (the module's MAX_TEXT)


@dataclass(frozen=True)
class Module:
    """The widget module: its bytes, content hash and Subresource Integrity value."""

    body: bytes
    content_hash: str  # first 16 hex digits of SHA-256 of the bytes
    integrity: str  # "sha384-<base64>"

    @property
    def hashed_name(self) -> str:
        return f"shopreviews.{self.content_hash}.js"

    @property
    def etag(self) -> str:
        return f'"{self.content_hash}"'

    def gzipped_size(self) -> int:
        """Bytes on the wire with gzip (level 6, what servers and CDNs use by default)."""
        return len(gzip.compress(self.body, compresslevel=6, mtime=0))


@functools.cache
def module() -> Module:
    body = resources.files("shopreviews.widget").joinpath("static", MODULE_NAME).read_bytes()
    digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
    return Module(
        body=body,
        content_hash=hashlib.sha256(body).hexdigest()[:16],
        integrity=f"sha384-{digest}",
    )


@dataclass(frozen=True)
class ServedModule:
    body: bytes
    etag: str
    cache_control: str


def module_file(content_hash: str | None) -> ServedModule:
    """The module under its plain name (None) or its content-hashed name; another hash is
    code 5 (an old release: pages pin the name and the SRI hash together)."""
    current = module()
    if content_hash is None:
        return ServedModule(current.body, current.etag, f"public, max-age={SHORT_MAX_AGE}")
    if content_hash != current.content_hash:
        raise NotFound(f"no widget module {content_hash}; the current one is {current.hashed_name}")
    return ServedModule(current.body, current.etag, f"public, max-age={LONG_MAX_AGE}, immutable")


def _between(text: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + r"(.*?)" + re.escape(end), text, re.S)
    if found is None:
        raise RuntimeError(f"the widget module has no {start} section")
    return found.group(1)


@functools.cache
def strings() -> dict[str, dict[str, str]]:
    """The widget's words in every language it speaks (the module's I18N object)."""
    words: dict[str, dict[str, str]] = json.loads(
        _between(module().body.decode(), "/*i18n*/", "/*/i18n*/")
    )
    return words


@functools.cache
def stylesheet() -> str:
    """The widget's stylesheet (the module's CSS)."""
    return _between(module().body.decode(), "/*css*/`", "`/*/css*/")


# --- the first state's markup, as the module's widgetHTML renders it ---------------------------

_ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        *("janv.", "févr.", "mars", "avr.", "mai", "juin"),
        *("juil.", "août", "sept.", "oct.", "nov.", "déc."),
    ],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
}
_GROUP = {"en": ",", "de": ".", "fr": "\u202f", "es": "."}
_SORTS = [
    ("featured", "featured"),
    ("created-descending", "newest"),
    ("created-ascending", "oldest"),
    ("rating-descending", "highest"),
    ("rating-ascending", "lowest"),
]
_VIA = ("email_request", "storefront", "import")


def esc(value: object) -> str:
    return "".join(_ESC.get(c, c) for c in str("" if value is None else value))


class Words:
    """The module's Words class for one language: Intl's formats, as tables."""

    def __init__(self, lang: str) -> None:
        primary = re.split(r"[-_]", (lang or "en").strip())[0].lower()
        self.lang = primary if primary in strings() else "en"
        self.t = strings()[self.lang]

    def s(self, key: str, **values: object) -> str:
        text = self.t.get(key, strings()["en"][key])
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), text)

    def integer(self, value: int) -> str:
        digits = str(abs(value))
        # Spanish groups from five digits on (CLDR's minimum grouping digits).
        if len(digits) > 3 and not (self.lang == "es" and len(digits) < 5):
            groups: list[str] = []
            while digits:
                groups.insert(0, digits[-3:])
                digits = digits[:-3]
            digits = _GROUP[self.lang].join(groups)
        return ("-" if value < 0 else "") + digits

    def decimal(self, value: float) -> str:
        text = f"{math.floor(value * 10 + 0.5) / 10:.1f}"
        whole, tenth = text.split(".")
        return f"{self.integer(int(whole))}{'.' if self.lang == 'en' else ','}{tenth}"

    def count(self, key: str, n: int) -> str:
        one = n in (0, 1) if self.lang == "fr" else n == 1
        return self.s(f"{key}_{'one' if one else 'other'}", n=self.integer(n))

    def half(self, value: float) -> str:
        return self.integer(int(value)) if value == int(value) else self.decimal(value)

    def day(self, text: str) -> str:
        try:
            when = datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return ""
        if self.lang == "de":
            return f"{when.day:02d}.{when.month:02d}.{when.year}"
        month = _MONTHS[self.lang][when.month - 1]
        if self.lang == "en":
            return f"{month} {when.day}, {when.year}"
        return f"{when.day} {month} {when.year}"


def _half(value: object) -> float:
    try:
        number = float(str(value or 0))
    except ValueError:
        number = 0.0
    return math.floor(number * 2 + 0.5) / 2


def stars_html(w: Words, value: object, extra: str = "") -> str:
    half = _half(value)
    label = w.s("rated", r=w.half(half)) + extra
    return (
        f'<span class="stars" part="stars" role="img" aria-label="{esc(label)}" '
        f'style="--p:{int(half * 20)}%"></span>'
    )


def _summary_html(w: Words, rating: Mapping[str, Any]) -> str:
    count = int(rating.get("review_count") or 0)
    write = (
        '<button type="button" class="btn" data-act="write" aria-expanded="false" '
        f'aria-controls="fw">{esc(w.s("write"))}</button>'
    )
    if not count:
        return (
            f'<div class="empty" part="empty"><p><strong>{esc(w.s("empty"))}</strong></p>'
            f"<p>{esc(w.s('emptyHint'))}</p>{write}</div>"
        )
    rows = []
    for star in (5, 4, 3, 2, 1):
        n = int(rating.get(f"star{star}_count") or 0)
        pct = math.floor(n / count * 100 + 0.5)
        rows.append(
            f'<li><button type="button" class="row" data-star="{star}" aria-pressed="false">'
            f'<span class="rl">{esc(w.count("stars", star))}</span><span class="bar">'
            f'<span style="--p:{pct}%"></span></span><span class="rc" aria-hidden="true">'
            f'{esc(w.integer(n))}</span><span class="sr">{esc(w.count("count", n))}</span>'
            "</button></li>"
        )
    average = w.decimal(float(str(rating.get("rating_value") or 0)))
    return (
        '<div class="sum" part="summary"><div class="avg">'
        f'<span class="num" part="average">{esc(average)}</span>'
        f"{stars_html(w, rating.get('rating_value'))}"
        f'<span class="cnt">{esc(w.count("count", count))}</span></div>'
        f'<ul class="hist" part="histogram" aria-label="{esc(w.s("filters"))}">{"".join(rows)}</ul>'
        f'<div class="acts">{write}<button type="button" class="link" data-act="how" '
        f'aria-expanded="false" aria-controls="how">{esc(w.s("how"))}</button></div></div>'
    )


def _toolbar_html(w: Words) -> str:
    options = "".join(
        f'<option value="{value}"{" selected" if value == "featured" else ""}>'
        f"{esc(w.s(key))}</option>"
        for value, key in _SORTS
    )
    return (
        f'<div class="bar2" part="toolbar"><label>{esc(w.s("sort"))}<select data-act="sort">'
        f'{options}</select></label><label><input type="checkbox" data-act="photos"> '
        f'{esc(w.s("withPhotos"))}</label><button type="button" class="link" data-act="all" '
        f"hidden>{esc(w.s('showAll'))}</button></div>"
    )


def short_text(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    cut = text[:MAX_TEXT]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_TEXT - 80 else cut).rstrip() + "…"


def _review_html(w: Words, review: Mapping[str, Any]) -> str:
    author = review.get("author") or w.s("anonymous")
    content = str(review.get("content") or "")
    long = len(content) > MAX_TEXT
    media: Sequence[Mapping[str, Any]] = review.get("media") or []
    thumbs = "".join(
        f'<li><button type="button" class="th" data-act="zoom" data-i="{i}">'
        f'<img src="{esc(m.get("thumbnail_url") or m.get("url"))}" '
        f'alt="{esc(w.s("photo", i=i + 1, n=len(media), a=author))}" loading="lazy" '
        'width="72" height="72"></button></li>'
        for i, m in enumerate(media)
    )
    reply = review.get("reply") or {}
    commented = str(review.get("commented_at") or "")
    via = review.get("collected_via")
    parts = [
        f'<li class="rv" part="review" data-id="{esc(review.get("id"))}" tabindex="-1">',
        f'<div class="hd"><span class="au" part="author">{esc(author)}</span>',
        f'<span class="cnt">{esc(review["author_country"])}</span>'
        if review.get("author_country")
        else "",
        f'<span class="vf" part="verified">✓ {esc(w.s("verified"))}</span>'
        if review.get("is_verified")
        else "",
        f'<time class="dt" datetime="{esc(commented[:10])}">{esc(w.day(commented))}</time></div>',
        stars_html(w, review.get("rating")),
        f'<h3 class="tt" part="review-title">{esc(review["title"])}</h3>'
        if review.get("title")
        else "",
        f'<p class="tx" part="review-text">{esc(short_text(content) if long else content)}</p>',
        '<button type="button" class="link" data-act="expand" aria-expanded="false">'
        f"{esc(w.s('readMore'))}</button>"
        if long
        else "",
        f'<p class="item">{esc(review["item_type"])}</p>' if review.get("item_type") else "",
        f'<ul class="media" part="media">{thumbs}</ul>' if thumbs else "",
        f'<div class="rp" part="reply"><p class="rpt">{esc(w.s("reply"))}</p>'
        f"<p>{esc(reply['content'])}</p></div>"
        if reply.get("content")
        else "",
        f'<p class="via">{esc(w.s("via_" + via))}</p>' if via in _VIA else "",
        "</li>",
    ]
    return "".join(parts)


def first_state_html(rating: Mapping[str, Any], reviews: Mapping[str, Any], lang: str) -> str:
    """The widget's markup for the answers of GET .../rating and the first GET .../reviews,
    as the module renders it before any click (its widgetHTML)."""
    w = Words(lang)
    page: Mapping[str, Any] = reviews.get("page") or {}
    items: Sequence[Mapping[str, Any]] = reviews.get("list") or []
    count = int(rating.get("review_count") or 0)
    more = bool(page.get("next_cursor")) or int(page.get("page") or 0) < int(
        page.get("total_page") or 0
    )
    heading = esc(w.s("heading"))
    reviews_html = "".join(_review_html(w, r) for r in items)
    no_match = count > 0 and not items
    return (
        f'<section class="w" part="container" aria-label="{heading}">'
        f'<h2 class="h" part="heading">{heading}</h2>'
        f'<div data-r="sum">{_summary_html(w, rating)}</div>'
        '<div data-r="how" id="how" class="how" part="notice" hidden></div>'
        '<div data-r="form" id="fw"></div>'
        + (_toolbar_html(w) if count else "")
        + '<p class="sr" role="status" data-r="status"></p>'
        + f'<ol class="list" part="list" data-r="list">{reviews_html}</ol>'
        + (f'<p class="empty" data-r="none">{esc(w.s("noMatch"))}</p>' if no_match else "")
        + '<button type="button" class="btn sec more" part="load-more" data-act="more"'
        + ("" if more else " hidden")
        + f">{esc(w.s('more'))}</button></section>"
    )


def static_markup(rating: Mapping[str, Any], reviews: Mapping[str, Any], lang: str = "en") -> str:
    """The fragment's static markup: a declarative shadow root with the widget's stylesheet and
    first state. It renders before the module loads (and without it), unaffected by the
    theme's CSS; the widget then draws the same markup in its own shadow root, so nothing moves.
    Goes inside the fragment's root <div class="shopreviews-ssr" data-shopreviews-ssr>."""
    return (
        f'<template shadowrootmode="open"><style>{stylesheet()}</style>'
        f"{first_state_html(rating, reviews, lang)}</template>"
    )


# --- the demo product page (only `shopreviews demo` serves it) --------------------------------


def demo_page(shop_domain: str, products: Sequence[tuple[str, str]], lang: str = "en") -> str:
    """A product page of a shop (the demo's) with the widget for the first product and star
    badges for the others; the module is loaded by its hashed name with its SRI hash, as
    docs/storefront.md tells shops to."""
    current = module()
    product_id, title = products[0]
    cards = "".join(
        f'<li><a href="#{pid}"><span class="ph" aria-hidden="true"></span>{esc(name)}</a>'
        f'<shopreviews-stars shop="{esc(shop_domain)}" product-id="{pid}"></shopreviews-stars></li>'
        for pid, name in products[1:]
    )
    script = (
        f'<script type="module" src="{PATH_PREFIX}{current.hashed_name}" '
        f'integrity="{current.integrity}" crossorigin="anonymous"></script>'
    )
    return f"""<!doctype html>
<html lang="{esc(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · Example Shop (ShopReviews demo)</title>
<style>
body{{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f1f1f}}
header,footer{{padding:1em 2em;background:#f4f1ea}}
header strong{{font-size:1.2em}}
main{{max-width:960px;margin:0 auto;padding:2em}}
.product{{display:flex;gap:2em;flex-wrap:wrap;margin-bottom:2em}}
.photo{{width:320px;height:320px;border-radius:8px;background:linear-gradient(135deg,#d9e4f2,#a9bfd9)}}
.product h1{{margin:0 0 .3em}}
.price{{font-size:1.3em;margin:.5em 0}}
.cart{{background:#1f1f1f;color:#fff;border:0;border-radius:4px;padding:.7em 1.5em;font:inherit}}
.related ul{{list-style:none;display:flex;gap:1.5em;padding:0;flex-wrap:wrap}}
.related li{{width:180px}}
.related a{{display:block;color:inherit;text-decoration:none;margin-bottom:.3em}}
.ph{{display:block;height:120px;border-radius:6px;background:#e8e2d6;margin-bottom:.4em}}
</style>
{script}
</head>
<body>
<header><strong>Example Shop</strong> · a demo storefront served by
<code>shopreviews demo</code></header>
<main>
<div class="product">
<div class="photo" role="img" aria-label="{esc(title)}"></div>
<div>
<h1>{esc(title)}</h1>
<shopreviews-stars shop="{esc(shop_domain)}" product-id="{product_id}" show-empty>
</shopreviews-stars>
<p class="price">€49.00</p>
<p>Breathable European linen, garment-washed for softness.</p>
<button class="cart" type="button">Add to cart</button>
</div>
</div>
<shopreviews-reviews shop="{esc(shop_domain)}" product-id="{product_id}"></shopreviews-reviews>
<section class="related" aria-labelledby="related"><h2 id="related">You may also like</h2>
<ul>{cards}</ul></section>
</main>
<footer>Example Shop · demo data</footer>
</body>
</html>
"""
