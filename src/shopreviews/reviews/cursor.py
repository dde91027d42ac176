"""The opaque `cursor` of get_reviews [ext]: where the previous page ended, in the list's sort
order, so a deep page is read from an index position instead of skipping `offset` rows.

A cursor is base64url of compact JSON {"v": 1, "s": sort, "r": rating, "t": commented_at (Unix
seconds), "i": review id}, plus "f" (pinned, featured, with media as bits 4, 2, 1) for the
storefront's `featured` order. It is not signed: it only names a position in the caller's own
list (every query still filters by shop), so a forged one can only skip or repeat rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from shopreviews.kit.envelope import InvalidArgument

MAX_CURSOR = 200


@dataclass(frozen=True)
class Position:
    sort_by: str
    rating: int
    commented_at: datetime
    review_id: int
    # The storefront's featured order: is_top * 4 + is_featured * 2 + has_media.
    rank: int = 0


def encode(position: Position) -> str:
    data = {
        "v": 1,
        "s": position.sort_by,
        "r": position.rating,
        "t": int(position.commented_at.timestamp()),
        "i": position.review_id,
    }
    if position.rank:
        data["f"] = position.rank
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str, sort_by: str) -> Position:
    """The position a cursor names; code 3 when it is not one of ours or belongs to another
    sort order."""
    try:
        if len(text) > MAX_CURSOR:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError
        values = (data["s"], data["r"], data["t"], data["i"])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values[1:]):
            raise ValueError
        rank = data.get("f", 0)
        if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank <= 7:
            raise ValueError
        position = Position(
            sort_by=str(values[0]),
            rating=int(values[1]),
            commented_at=datetime.fromtimestamp(int(values[2]), UTC),
            review_id=int(values[3]),
            rank=rank,
        )
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, OSError):
        raise InvalidArgument("cursor is not valid: pass page.next_cursor as given") from None
    if position.sort_by != sort_by:
        raise InvalidArgument(f"cursor belongs to sort_by={position.sort_by}, not {sort_by}")
    return position
