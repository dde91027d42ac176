"""Typed in-process signals: a domain says what happened without knowing who reacts.

A signal is a frozen dataclass subclassing `Signal`, defined (or re-exported) by the sending
domain's `service.py`. Receivers are async functions of the session and the signal, connected
in one place (`shopreviews.wiring.connect_domains`) and awaited one after the other, in the
order connected, in the sender's session: a reaction commits or rolls back with the change that
caused it, and a receiver's error is the sender's error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession


class Signal:
    """Base class of every signal (subclasses are frozen dataclasses)."""


S = TypeVar("S", bound=Signal)
Receiver = Callable[[AsyncSession, S], Awaitable[None]]

_receivers: dict[type[Signal], list[Receiver[Any]]] = {}


def connect(signal_type: type[S], receiver: Receiver[S]) -> None:
    """Have `receiver` run on every `signal_type` sent. Connecting it twice changes nothing, so
    assembling a process twice (tests, the CLI inside a test) is harmless."""
    receivers = _receivers.setdefault(signal_type, [])
    if receiver not in receivers:
        receivers.append(receiver)


def receivers(signal_type: type[Signal]) -> tuple[Receiver[Any], ...]:
    return tuple(_receivers.get(signal_type, ()))


def signal_types() -> list[type[Signal]]:
    """Every `Signal` subclass defined so far (those of the modules imported)."""
    found: list[type[Signal]] = []
    pending = list(Signal.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


async def send(session: AsyncSession, signal: Signal) -> None:
    """Run every receiver of `signal`, in order, in `session`."""
    found = _receivers.get(type(signal))
    if not found:
        # Every signal has a receiver once the process is assembled: none means it was not.
        raise RuntimeError(
            f"no receiver is connected for {type(signal).__name__}: assemble the process "
            "with shopreviews.wiring.connect_domains()"
        )
    for receiver in found:
        await receiver(session, signal)
