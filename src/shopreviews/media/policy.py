"""The local backend's upload credentials (docs/api.md, "Media
uploads"): the image POST policy and the video
PUT token, both signed with the upload signing key. Both formats are those of the contract,
and its examples verify against them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shopreviews.kit.timefmt import rfc3339

CALLBACK = {
    "callbackUrl": "",
    "callbackBody": "filename=${object}&size=${size}&mimeType=${mimeType}",
    "callbackBodyType": "application/x-www-form-urlencoded",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ImagePolicy:
    """What a verified image policy allows."""

    prefix: str
    min_bytes: int
    max_bytes: int
    expires: int


def image_policy(key: bytes, *, prefix: str, max_bytes: int, expires: int) -> tuple[str, str]:
    """(policy, signature): base64 of the policy JSON and base64 HMAC-SHA256 of that text."""
    document = {
        "expiration": rfc3339(datetime.fromtimestamp(expires, UTC)),
        "conditions": [["starts-with", "$key", prefix], ["content-length-range", 1, max_bytes]],
    }
    policy = base64.b64encode(_compact(document).encode()).decode()
    return policy, sign_policy(key, policy)


def sign_policy(key: bytes, policy: str) -> str:
    return base64.b64encode(hmac.new(key, policy.encode(), hashlib.sha256).digest()).decode()


def callback() -> str:
    return base64.b64encode(_compact(CALLBACK).encode()).decode()


def read_image_policy(key: bytes, policy: str, signature: str) -> ImagePolicy | None:
    """The policy's terms when the signature matches (constant time); None otherwise."""
    if not hmac.compare_digest(sign_policy(key, policy).encode(), signature.encode()):
        return None
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
        conditions = document["conditions"]
        prefix = next(c[2] for c in conditions if c[0] == "starts-with" and c[1] == "$key")
        low, high = next((c[1], c[2]) for c in conditions if c[0] == "content-length-range")
        expires = datetime.fromisoformat(document["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError, IndexError, StopIteration):
        return None  # signed by us, so never malformed in practice; refuse rather than guess
    return ImagePolicy(
        prefix=str(prefix),
        min_bytes=int(low),
        max_bytes=int(high),
        expires=int(expires.timestamp()),
    )


@dataclass(frozen=True)
class VideoGrant:
    key: str
    content_type: str
    max_bytes: int
    exact_size: int  # 0: any size up to max_bytes
    expires: int


def video_token(key: bytes, grant: VideoGrant) -> str:
    payload = _b64url(
        _compact(
            {
                "k": grant.key,
                "t": grant.content_type,
                "m": grant.max_bytes,
                "s": grant.exact_size,
                "e": grant.expires,
                "v": 1,
            }
        ).encode()
    )
    return f"{payload}.{_b64url(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def read_video_token(key: bytes, token: str) -> VideoGrant | None:
    """The grant of a genuine token (signature checked in constant time); None otherwise.
    Expiry is the caller's check (it needs the clock)."""
    payload, _, signature = token.partition(".")
    expected = _b64url(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not payload or not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    try:
        data = json.loads(_unb64url(payload))
        if data.get("v") != 1:
            return None
        return VideoGrant(
            key=str(data["k"]),
            content_type=str(data["t"]),
            max_bytes=int(data["m"]),
            exact_size=int(data["s"]),
            expires=int(data["e"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
