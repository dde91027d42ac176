"""The constraints file: the exact versions of every package CI tested.

`python .ci/constraints.py write` pins what the active environment has installed for
`shopreviews[test]` (the project's requirements and theirs, all the way down) into
constraints.txt; `python .ci/constraints.py check` (a step of .ci/run) fails when a package of
that tree is not pinned there, or is installed at another version than its pin. Only the
project's own tree counts: whatever else a developer installed in the environment is ignored.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
HEADER = """\
# The exact versions CI tested (python .ci/constraints.py write regenerates this file from the
# CI environment). Install with them: pip install -c constraints.txt .
"""


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    environment = default_environment()
    return any(
        requirement.marker.evaluate({**environment, "extra": extra}) for extra in extras or {""}
    )


def _project_requirements() -> list[Requirement]:
    # Read from pyproject.toml, not from the installed package's metadata: that is written at
    # install time and misses a dependency added since.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]] + [
        Requirement(line) for line in project["optional-dependencies"]["test"]
    ]


def installed_tree() -> dict[str, str]:
    """{name: version} of every distribution shopreviews[test] needs, all the way down."""
    found: dict[str, str] = {}
    pending = [(r.name, set(r.extras)) for r in _project_requirements() if _applies(r, set())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        name, wanted = pending.pop()
        key = (canonicalize_name(name), frozenset(wanted))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{name} is required but not installed: pip install -e '.[test]'")
        found[canonicalize_name(name)] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if _applies(requirement, wanted):
                pending.append((requirement.name, set(requirement.extras)))
    return found


def pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def main(action: str) -> None:
    tree = installed_tree()
    if action == "write":
        lines = [f"{name}=={version}" for name, version in sorted(tree.items())]
        CONSTRAINTS.write_text(HEADER + "\n".join(lines) + "\n")
        print(f"pinned {len(lines)} packages in {CONSTRAINTS.name}")
        return
    pins = pinned()
    problems = [
        f"{name} {version} is not pinned"
        if name not in pins
        else f"{name} is installed at {version}, pinned at {pins[name]}"
        for name, version in sorted(tree.items())
        if pins.get(name) != version
    ]
    if problems:
        print("constraints.txt does not match the tested environment:", *problems, sep="\n  ")
        sys.exit("install with -c constraints.txt, or re-pin: python .ci/constraints.py write")
    print(f"constraints.txt pins all {len(tree)} packages, at the installed versions")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "check")
