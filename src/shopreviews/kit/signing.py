"""The canonical HMAC message of the partner API (docs/api.md, "Signing a request").

Used to verify signed requests, by `shopreviews sign`, and (with no query) to sign webhook
deliveries, whose signatures must then never pass for a request's (`parse_delivery_message`).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from shopreviews.kit.params import parse_query


def base_string(pairs: list[tuple[str, str]], timestamp: str) -> str:
    """Sorted `key=value` pairs plus timestamp (unless present), joined with '&'.

    Python's sort is stable and compares str by code point, as signing requires.
    """
    if not any(key == "timestamp" for key, _ in pairs):
        pairs = [*pairs, ("timestamp", timestamp)]
    ordered = sorted(pairs, key=lambda pair: pair[0])
    return "&".join(f"{key}={value}" for key, value in ordered)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def message_bytes(base: str, body: bytes) -> bytes:
    return base.encode() + (b"|" + body if body else b"")


def hmac_hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def sign_request(private_token: str, timestamp: str, query_string: str, body: bytes) -> str:
    """What a client sends as `Sign` for this raw query string and body."""
    return hmac_hex(
        private_token, message_bytes(base_string(parse_query(query_string), timestamp), body)
    )


def candidate_messages(pairs: list[tuple[str, str]], timestamp: str, body: bytes) -> list[bytes]:
    """M1 (raw body) and, when the body is JSON, M2 (its canonical form)."""
    base = base_string(pairs, timestamp)
    messages = [message_bytes(base, body)]
    if body:
        try:
            value = json.loads(body)
            # Inside the try: a lone surrogate escape ("\udc00") is valid JSON without a UTF-8
            # form (UnicodeEncodeError, a ValueError), so such a body has no canonical form.
            canonical = message_bytes(base, canonical_json(value).encode())
        except (ValueError, RecursionError):
            return messages
        if canonical != messages[0]:
            messages.append(canonical)
    return messages


def signed_message(private_token: str, sign: str, messages: list[bytes]) -> bytes | None:
    """The candidate message `sign` (any hex case) signs, or None; every candidate is compared,
    in constant time."""
    presented = sign.strip().lower().encode()
    signed: bytes | None = None
    for message in messages:
        expected = hmac_hex(private_token, message).encode()
        if hmac.compare_digest(expected, presented):
            signed = message
    return signed


def verify(private_token: str, sign: str, messages: list[bytes]) -> bool:
    return signed_message(private_token, sign, messages) is not None


def parse_delivery_message(timestamp: str, message: bytes) -> tuple[str, bytes] | None:
    """(event_id, body) when `message` has the form of a webhook delivery's signed message
    (docs/api.md, "Delivery headers and signatures": `timestamp=<ts>|<body>`, the body a JSON
    object with the envelope's string `topic` and `event_id`); None otherwise.

    Bytes are checked before any parse, so other requests cost a prefix check and two searches:
    delivery bodies are compact JSON with plain keys, so a message without those bytes is not one.
    """
    prefix = b"timestamp=" + timestamp.encode() + b"|"
    if not message.startswith(prefix):
        return None
    start = len(prefix)
    if message.find(b'"event_id"', start) < 0 or message.find(b'"topic"', start) < 0:
        return None
    body = message[start:]
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    event_id, topic = value.get("event_id"), value.get("topic")
    if not (isinstance(event_id, str) and isinstance(topic, str)):
        return None
    return event_id, body
