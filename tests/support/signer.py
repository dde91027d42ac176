"""An independent implementation of the client side of request signing (spec README §4.3).

Deliberately shares no code with shopreviews.kit.signing, so tests check the server against
the contract rather than against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote, unquote_plus


def sign(
    private_token: str, timestamp: str, pairs: list[tuple[str, str]], body: bytes = b""
) -> str:
    """Sign plain-text (key, value) pairs in the order sent, plus an optional raw body."""
    items = list(pairs)
    if not any(k == "timestamp" for k, _ in items):
        items.append(("timestamp", timestamp))
    # Stable sort by code point of the key.
    items = sorted(items, key=lambda kv: [ord(c) for c in kv[0]])
    base = "&".join(k + "=" + v for k, v in items)
    message = base.encode("utf-8")
    if body:
        message += b"|" + body
    return hmac.new(private_token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_canonical(
    private_token: str, timestamp: str, pairs: list[tuple[str, str]], body: object
) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sign(private_token, timestamp, pairs, canonical.encode("utf-8"))


def encode_query(pairs: list[tuple[str, str]]) -> str:
    """Percent-encode pairs for the wire (spaces as %20, brackets encoded)."""
    return "&".join(quote(k, safe="") + "=" + quote(v, safe="") for k, v in pairs)


def decode_query(raw: str) -> list[tuple[str, str]]:
    out = []
    for seg in raw.split("&"):
        if not seg:
            continue
        k, _, v = seg.partition("=")
        out.append((unquote_plus(k), unquote_plus(v)))
    return out
