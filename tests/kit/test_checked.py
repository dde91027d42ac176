"""A request field whose refusal waits until a service reads it (kit/checked.py)."""

from __future__ import annotations

import pytest

from shopreviews.kit.checked import Checked
from shopreviews.kit.envelope import InvalidArgument


def test_a_checked_field_refuses_only_when_read() -> None:
    def refused() -> str:
        raise InvalidArgument("code must be a string")

    field: Checked[str] = Checked.read(refused)
    with pytest.raises(InvalidArgument, match="code must be a string"):
        field.get()
    assert Checked.read(lambda: "abc").get() == "abc"
