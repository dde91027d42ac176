"""The dependency ranges, and the constraints file of the versions CI tested."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines.extend(extra)
    return [Requirement(line) for line in lines]


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_each_dependency_is_capped_below_its_next_major(requirement: Requirement) -> None:
    lower = [s for s in requirement.specifier if s.operator == ">="]
    upper = [s for s in requirement.specifier if s.operator == "<"]
    assert len(lower) == 1 and len(upper) == 1, f"{requirement}: give a >= and a < bound"
    low, high = Version(lower[0].version), Version(upper[0].version)
    # Below 1.0 a minor release may break (semantic versioning): the cap is the next minor.
    allowed = (
        Version(f"{low.major + 1}")
        if low.major
        else Version(f"0.{low.minor + 1}")
        if low.minor
        else Version("0.1")
    )
    assert high <= allowed, f"{requirement}: the cap admits a release past {allowed}"


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_the_tested_version_is_inside_each_range(requirement: Requirement) -> None:
    pinned = _pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} is not in constraints.txt"
    assert pinned in requirement.specifier, f"{requirement.name}=={pinned} is outside {requirement}"


def test_the_installed_tree_matches_the_constraints_file() -> None:
    # The check .ci/run makes after installing: every package shopreviews[test] pulls in is
    # pinned, at the version installed.
    checked = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "constraints.py"), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "constraints.txt pins all" in checked.stdout
