"""Requests are read at the edge: every path the app serves is written out in the router.py that
serves it (so a search for the path finds its route), and only edge modules see the web
framework or the raw request."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

import shopreviews

SRC = Path(shopreviews.__file__).parent
# Modules that read requests or write responses besides the routers (and kit, which is the
# infrastructure they are made of).
EDGE = {
    "main.py",
    "auth/dependencies.py",
    # The back office's pages: who is signed in and the CSRF check, how a page is answered, the
    # list's query read into filters, the email preview's own answer.
    "backoffice/access.py",
    "backoffice/web.py",
    "backoffice/reviews/filters.py",
    "backoffice/settings/preview.py",
    "emails/link_pages.py",
    "oauth/errors.py",
    "oauth/pages/rendering.py",
    "oauth/reading.py",
    "oauth/standard/answers.py",
    "oauth/standard/reading.py",
}
# What only the edge may import: the framework, and the readers of raw queries and bodies.
EDGE_MODULES = ("fastapi", "starlette")
EDGE_NAMES = {"Request", "QueryParams", "Fields", "read_fields", "parse_body"}


def _served(app: Any) -> list[tuple[str, Any]]:
    return [
        (context.path, context.original_route.endpoint)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.original_route.endpoint.__module__.startswith("shopreviews.")
    ]


def test_every_path_is_written_out_in_the_router_that_serves_it(app: Any) -> None:
    served = _served(app)
    assert len(served) > 70
    for path, endpoint in served:
        module = endpoint.__module__
        assert module == "shopreviews.main" or module.endswith(".router"), (path, module)
        source = inspect.getsource(sys.modules[module])
        for spelling in (path, *getattr(endpoint, "legacy_paths", ())):
            assert f'"{spelling}"' in source, (spelling, module)


def _edge_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in EDGE_MODULES]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in EDGE_MODULES:
                found.append(node.module or "")
            found += [a.name for a in node.names if a.name in EDGE_NAMES]
    return found


def test_only_the_edge_sees_the_request() -> None:
    for path in sorted(SRC.rglob("*.py")):
        name = path.relative_to(SRC).as_posix()
        if name.startswith(("kit/", "migrations/")) or path.name == "router.py" or name in EDGE:
            continue
        assert _edge_imports(path) == [], name
