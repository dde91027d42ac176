"""The contract's signature test vectors.

Read from the contract beside the checkout (../shared/spec) or $SHOPREVIEWS_SPEC_DIR when
present; otherwise from the copy in tests/data, so a plain clone runs the suite too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VENDORED = REPO / "tests" / "data" / "vectors.json"


def contract_path() -> Path | None:
    candidates = [REPO.parent / "shared" / "spec"]
    if os.environ.get("SHOPREVIEWS_SPEC_DIR"):
        candidates.insert(0, Path(os.environ["SHOPREVIEWS_SPEC_DIR"]))
    for directory in candidates:
        if (directory / "vectors.json").is_file():
            return directory / "vectors.json"
    return None


def cases() -> list[dict[str, Any]]:
    path = contract_path() or VENDORED
    loaded: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return loaded


def case(name: str) -> dict[str, Any]:
    return next(c for c in cases() if c["name"] == name)
