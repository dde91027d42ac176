"""The test suite's own layout: tests/<pkg>/ holds the tests of src/shopreviews/<pkg>/, a test
package uses its own helpers.py and the shared tests/support/ (never another package's helpers
or test modules), and conftest.py files hold fixtures and pytest hooks only."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src" / "shopreviews"
# Directories of tests/ that are no test package of a src package.
NOT_MIRRORED = {"support", "data"}


def _packages() -> list[Path]:
    return sorted(p for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _imported_test_modules(path: Path) -> set[str]:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    return {name for name in imported if name == "tests" or name.startswith("tests.")}


def _may_import(package: str | None, module: str) -> bool:
    """Whether a module of tests/<package>/ (None: of tests/ itself) may import `module`."""
    parts = module.split(".")
    return parts[:2] == ["tests", "support"] or parts == ["tests", package, "helpers"]


def test_every_test_package_mirrors_a_src_package() -> None:
    for package in _packages():
        if package.name in NOT_MIRRORED:
            continue
        assert (SRC / package.name / "__init__.py").is_file(), (
            f"tests/{package.name}/ tests no package of src/shopreviews/"
        )
        assert (package / "__init__.py").is_file(), package


def test_test_packages_share_helpers_only_through_tests_support() -> None:
    for path in sorted(TESTS.rglob("*.py")):
        package = path.relative_to(TESTS).parts[0] if path.parent != TESTS else None
        for module in _imported_test_modules(path):
            assert _may_import(package, module), f"{path.relative_to(TESTS)} imports {module}"


def test_conftest_files_hold_fixtures_and_hooks_only() -> None:
    for path in TESTS.rglob("conftest.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                raise AssertionError(f"{path.relative_to(TESTS)}: class {node.name}")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
                assert fixture or node.name.startswith("pytest_"), (
                    f"{path.relative_to(TESTS)}: {node.name} is neither a fixture nor a hook"
                )


def test_the_plain_test_command_runs_in_parallel(request: pytest.FixtureRequest) -> None:
    """`python -m pytest` alone runs the tests in pytest-xdist workers (tests/conftest.py): a
    hook order change once made the whole suite run serially, doubling CI's time, with no
    message. Checked from inside: a test of a parallel run runs in a worker."""
    given = [*request.config.invocation_params.args, os.environ.get("PYTEST_ADDOPTS", "")]
    chosen = " ".join(given)
    if re.search(r"(^|\s)(-n|--numprocesses|-p\s*no:xdist)", chosen):
        pytest.skip("the command line chose how many workers run")
    assert hasattr(request.config, "workerinput"), "the plain test command ran without workers"
