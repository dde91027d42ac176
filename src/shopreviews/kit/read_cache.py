"""Answers of the most polled reads, kept serialised by shop and the shop's data version.

Partner apps poll the same review pages and ratings over and over, while a shop's reviews
change rarely in comparison. An answer's `data` is kept as JSON bytes under (shop, the shop's
data version, the request's meaning), within a byte budget, least recently used first out.

Nothing expires by time and nothing is invalidated by hand. `shops.data_version` is changed by
database triggers in the same transaction as every write to the shop's reviews or products
(migration 0006), and it is read on every request by the query that authenticates the caller.
Once a write commits, no request of any process asks for an answer of the old version again.
The data of an answer is read after its version, by later statements that see at least what
that one saw, so an answer is never older than the version it is kept under.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

import pydantic_core
from fastapi import Response
from pydantic import BaseModel

from shopreviews.kit.envelope import success_json

# Counted per entry beside its bytes: the key tuple and the dictionary's own slot.
ENTRY_OVERHEAD = 256


class ReadCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> bytes | None:
        data = self._entries.get(key)
        if data is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return data

    def put(self, key: Hashable, data: bytes) -> None:
        cost = len(data) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old) + ENTRY_OVERHEAD
        self._entries[key] = data
        self.size += cost
        while self.size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.size -= len(evicted) + ENTRY_OVERHEAD

    async def answer(
        self,
        shop_id: str,
        data_version: int | None,
        request: Hashable,
        compute: Callable[[], Awaitable[BaseModel]],
    ) -> Response:
        """The success envelope of `request` for the shop at `data_version`: kept bytes when
        there are some, else `compute()` serialised once (and kept). A caller without a data
        version (None) is always computed."""
        key = (shop_id, data_version, request)
        data = self.get(key) if data_version is not None else None
        if data is None:
            data = pydantic_core.to_json(await compute())
            if data_version is not None:
                self.put(key, data)
        return success_json(data)
