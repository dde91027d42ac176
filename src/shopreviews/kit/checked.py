"""A request field read at the edge whose refusal waits until a service reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from shopreviews.kit.envelope import ApiError

T = TypeVar("T")


@dataclass(frozen=True)
class Checked(Generic[T]):
    """A field as the edge read it: its value (None when not given), or the error that refuses
    it. The error is raised where a service reads the field (`get`), so the service judges its
    request in the order its contract sets: an OAuth client is authenticated before any other
    field of its request is looked at."""

    value: T | None = None
    error: ApiError | None = None

    @classmethod
    def read(cls, read: Callable[[], T | None]) -> Checked[T]:
        try:
            return cls(read())
        except ApiError as exc:
            return cls(error=exc)

    def get(self) -> T | None:
        if self.error is not None:
            raise self.error
        return self.value
