"""What an installed ShopReviews holds: every file the package reads at run time (templates,
styles, scripts, migrations) is named by pyproject.toml's package data, so a wheel or a
non-editable install serves the same pages as a checkout."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "shopreviews"


def _patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = config["tool"]["setuptools"]["package-data"]["shopreviews"]
    return patterns


def _data_files() -> list[PurePosixPath]:
    """Files of the package that are not Python modules (nor their caches)."""
    return sorted(
        PurePosixPath(path.relative_to(PACKAGE).as_posix())
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )


def test_every_data_file_of_the_package_is_installed() -> None:
    patterns = _patterns()
    # PurePath.match compares from the right, so anchor each pattern at the package root by
    # requiring the same number of parts.
    missing = [
        str(path)
        for path in _data_files()
        if not any(
            path.match(pattern) and len(path.parts) == len(PurePosixPath(pattern).parts)
            for pattern in patterns
        )
    ]
    assert not missing, f"add to [tool.setuptools.package-data] in pyproject.toml: {missing}"


def test_the_check_sees_the_pages_files() -> None:
    """The test above would pass vacuously if it found no file: it finds the back office's."""
    found = {str(path) for path in _data_files()}
    assert "backoffice/templates/base.html" in found
    assert "backoffice/static/backoffice.css" in found
