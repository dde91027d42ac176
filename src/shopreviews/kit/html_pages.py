"""Server-rendered HTML pages (the consent pages, the pages behind email links): the protective
headers every page answer carries, whatever renders it."""

from __future__ import annotations

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
