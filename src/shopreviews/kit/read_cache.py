"""Answers of the most polled reads, kept serialised by shop and the shop's data version.

Partner apps poll the same review pages and ratings over and over, while a shop's reviews
change rarely in comparison. An answer's `data` is kept as JSON bytes under (shop, the shop's
data version, the request's meaning), within a byte budget, least recently used first out.

What a read means is its request: a frozen dataclass of the parsed query, passed to a service
marked `@cached_service`. The key is (the service, the request), compared by type and every
field, so no key is written beside the computation and a field added to a request is part of
the key by construction; request types whose fields could be left out of the comparison, or
could change, are refused when the service is defined.

Nothing expires by time and nothing is invalidated by hand. `shops.data_version` is changed by
database triggers in the same transaction as every write to the shop's reviews or products
(migration 0006), and it is read on every request by the query that authenticates the caller.
Once a write commits, no request of any process asks for an answer of the old version again.
The data of an answer is read after its version, by later statements that see at least what
that one saw, so an answer is never older than the version it is kept under.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

import pydantic_core
from fastapi import Response
from pydantic import BaseModel

from shopreviews.kit.envelope import success_json
from shopreviews.kit.observability.metrics import read_cache_hit, read_cache_miss

Session = TypeVar("Session")
Caller = TypeVar("Caller")
Request = TypeVar("Request")
Answer = TypeVar("Answer", bound=BaseModel)
# Field types a request may hold beside nested request types: immutable and hashable.
_IMMUTABLE = (str, int, float, bool, bytes, type(None), tuple, frozenset, types.UnionType)

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
            read_cache_miss.inc()
            return None
        self.hits += 1
        read_cache_hit.inc()
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


class CachedService(Generic[Session, Caller, Request, Answer]):
    """A read service whose answers the read cache may keep: `service(session, caller,
    request)` runs it, and `service.key(request)` names its answer in the cache."""

    def __init__(self, compute: Callable[[Session, Caller, Request], Awaitable[Answer]]) -> None:
        self.compute = compute
        functools.update_wrapper(self, compute)
        hints = typing.get_type_hints(compute)
        request_type = hints[list(inspect.signature(compute).parameters)[2]]
        check_request_type(request_type)
        self.request_type: type[Request] = request_type

    def __call__(self, session: Session, caller: Caller, request: Request) -> Awaitable[Answer]:
        return self.compute(session, caller, request)

    def key(self, request: Request) -> Hashable:
        """The request itself beside its service: a frozen dataclass compares (and hashes) by
        its type and every field, nested requests included."""
        return (self, request)


def cached_service(
    compute: Callable[[Session, Caller, Request], Awaitable[Answer]],
) -> CachedService[Session, Caller, Request, Answer]:
    """Marks `async def service(session, caller, request: SomeRequest) -> Model` as a read
    the read cache may answer; its third parameter's type is checked by check_request_type."""
    return CachedService(compute)


def check_request_type(kind: Any) -> None:
    """Refuse a request type that could name two different reads by one key: anything but a
    frozen dataclass, a field left out of comparison or hashing, or a field of a type that
    can change (a list, a dict), at any depth."""
    if not (dataclasses.is_dataclass(kind) and isinstance(kind, type)):
        raise TypeError(f"a cached read's request must be a frozen dataclass, not {kind!r}")
    params = kind.__dataclass_params__  # type: ignore[attr-defined]
    if not (params.frozen and params.eq):
        raise TypeError(f"{kind.__name__} must be a frozen dataclass compared by its fields")
    hints = typing.get_type_hints(kind)
    for field in dataclasses.fields(kind):
        if not field.compare or field.hash is False:
            raise TypeError(f"{kind.__name__}.{field.name} must be compared and hashed")
        _check_field_type(kind, field.name, hints[field.name])


def _check_field_type(kind: type, name: str, hint: Any) -> None:
    origin = typing.get_origin(hint) or hint
    if dataclasses.is_dataclass(origin):
        check_request_type(origin)
    elif origin is typing.Literal:
        return
    elif not (isinstance(origin, type) and issubclass(origin, _IMMUTABLE)) and (
        origin is not typing.Union
    ):
        raise TypeError(f"{kind.__name__}.{name} must be of an immutable type, not {hint!r}")
    for arg in typing.get_args(hint):
        if arg is not Ellipsis:
            _check_field_type(kind, name, arg)
