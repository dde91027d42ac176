"""The import rules import-linter cannot say (its contracts are in pyproject.toml), read from
the source: a domain imports only another domain's `service`, a repository only its own models
and kit, a router only its own domain, auth and kit. docs/architecture.md "Allowed imports"."""

from __future__ import annotations

import ast
from pathlib import Path

from shopreviews.kit import signals
from shopreviews.wiring import connect_domains

SRC = Path(__file__).resolve().parent.parent / "src" / "shopreviews"
DOMAINS = sorted(
    p.name for p in SRC.iterdir() if (p / "__init__.py").is_file() and p.name not in {"kit"}
)
DOMAINS = [d for d in DOMAINS if d != "migrations"]  # the assembly, as main.py and cli.py
# auth's public modules besides its service-less routes: who calls, scopes, route dependencies.
AUTH_PUBLIC = {
    "shopreviews.auth.caller",
    "shopreviews.auth.scopes",
    "shopreviews.auth.dependencies",
}


def _imports(path: Path) -> list[str]:
    """Every `shopreviews.*` module `path` imports (`from a import b` counts as `a.b` when
    `a.b` is a module, else as `a`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("shopreviews.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("shopreviews"):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                as_module = SRC.parent / Path(*candidate.split("."))
                is_module = as_module.with_suffix(".py").is_file() or as_module.is_dir()
                found.append(candidate if is_module else node.module)
    return found


def _modules() -> list[tuple[str, str, Path]]:
    """(domain, module name within it, path) of every module of every domain."""
    return [
        (domain, ".".join(path.relative_to(SRC / domain).with_suffix("").parts), path)
        for domain in DOMAINS
        for path in sorted((SRC / domain).rglob("*.py"))
    ]


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


# The one exception, with why; the list may only shrink (a test fails on an entry that no
# longer offends): oauth's bearer lookup joins the platform and shop rows in the one query every
# bearer request makes, a hot path that a query per domain would triple.
NOT_YET_SEALED = {
    "oauth.repository": {"shopreviews.platforms.models", "shopreviews.shops.models"},
}


def _known(domain: str, name: str, target: str) -> bool:
    return target in NOT_YET_SEALED.get(f"{domain}.{name}", set())


def _report(rule: str, offending: list[str]) -> str:
    return f"{rule}; offending imports:\n  " + "\n  ".join(sorted(set(offending)))


def test_a_domain_imports_only_the_service_of_another_domain() -> None:
    offending = [
        f"{domain}.{name} imports {target}"
        for domain, name, path in _modules()
        for target in _imports(path)
        if (other := _domain_of(target)) not in (None, domain)
        and target != f"shopreviews.{other}.service"
        and target not in AUTH_PUBLIC
        and not _known(domain, name, target)
    ]
    assert not offending, _report(
        "import shopreviews.<domain>.service (re-export the types it returns there)", offending
    )


def test_a_repository_imports_only_its_own_domain_and_kit() -> None:
    offending = [
        f"{domain}.{name} imports {target}"
        for domain, name, path in _modules()
        if name.split(".")[-1] == "repository"
        for target in _imports(path)
        if not target.startswith("shopreviews.kit")
        and (
            _domain_of(target) != domain
            or target.split(".")[-1] in ("service", "router", "repository")
        )
        and not _known(domain, name, target)
    ]
    assert not offending, _report(
        "a repository queries its own tables: ask another domain's service instead", offending
    )


def test_a_router_imports_no_other_domain_than_auth() -> None:
    offending = [
        f"{domain}.{name} imports {target}"
        for domain, name, path in _modules()
        if name.split(".")[-1] == "router"
        for target in _imports(path)
        if _domain_of(target) not in (None, domain, "auth")
    ]
    assert not offending, _report(
        "a router calls its own service, which asks the other domains", offending
    )


def test_the_list_of_what_is_not_sealed_yet_only_shrinks() -> None:
    imported = {f"{domain}.{name}": set(_imports(path)) for domain, name, path in _modules()}
    stale = [
        f"{module} no longer imports {target}"
        for module, targets in NOT_YET_SEALED.items()
        for target in targets
        if target not in imported.get(module, set())
    ]
    assert not stale, _report("remove these from NOT_YET_SEALED", stale)


def test_every_signal_has_a_receiver_once_the_domains_are_connected() -> None:
    connect_domains()
    connect_domains()  # idempotent: nothing runs twice
    types = signals.signal_types()
    assert types, "no signal types found: is wiring.py importing the domains that send them?"
    for signal_type in types:
        receivers = signals.receivers(signal_type)
        assert receivers, f"{signal_type.__qualname__} is sent but nothing receives it (wiring.py)"
        assert len(receivers) == len(set(receivers)), f"{signal_type.__qualname__} wired twice"


def test_rows_are_read_by_id_only_in_repositories() -> None:
    """`session.get` outside a repository (or kit's own tables) is a query a domain's
    repository should own: its shop scoping and locking rules then live in one place."""
    offending = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "repository.py" and path.relative_to(SRC).parts[0] not in ("kit",)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr == "get"
        and isinstance(node.value, ast.Name)
        and node.value.id == "session"
    ]
    assert not offending, _report("read rows through the domain's repository", offending)


def test_the_processes_use_other_packages_through_their_services() -> None:
    """The command line and the demo are assembly, yet their commands are use cases: they go
    through the services like a route does, never through a repository."""
    offending = [
        f"{path.name} imports {target}"
        for path in (SRC / "cli.py", SRC / "demo.py", *sorted(SRC.glob("*/cli.py")))
        for target in _imports(path)
        if target.endswith(".repository")
    ]
    assert not offending, _report("call the package's service", offending)
