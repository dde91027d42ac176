"""Scope names, their order and their plain-language meaning (docs/api.md, "Scopes")."""

from __future__ import annotations

from collections.abc import Iterable

from shopreviews.kit.envelope import InvalidArgument

# The order of docs/api.md's table ("Scopes"): scope lists are always written in this order.
SCOPE_DESCRIPTIONS = {
    "read_reviews": "Read your reviews and ratings",
    "write_reviews": "Create, change and delete reviews, and upload review photos and videos",
    "read_orders": "Read your orders and their review-request status",
    "read_customer_events": "Read how shoppers interact with reviews and review emails",
    "read_customers": "Read the list of customers excluded from review requests",
    "write_customers": "Unsubscribe customers and manage the exclusion list",
    "read_shop_install_status": "Check whether this app is installed in your shop",
}
ALL_SCOPES = tuple(SCOPE_DESCRIPTIONS)
# Granted by the operator as a platform setting, never by a merchant.
OPERATOR_SCOPE = "read_shop_install_status"
MERCHANT_SCOPES = tuple(s for s in ALL_SCOPES if s != OPERATOR_SCOPE)


def parse_scopes(value: str | Iterable[str], field: str = "scope") -> list[str]:
    """Comma/space separated (or a list): duplicates and empty items dropped, canonical order;
    an unknown name is code 3."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    names: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgument(f"{field}: scope names must be strings")
        name = item.strip()
        if not name:
            continue
        if name not in SCOPE_DESCRIPTIONS:
            raise InvalidArgument(f"{field}: unknown scope {name!r}")
        names.add(name)
    return [s for s in ALL_SCOPES if s in names]


def join_scopes(scopes: Iterable[str]) -> str:
    wanted = set(scopes)
    return ",".join(s for s in ALL_SCOPES if s in wanted)


def split_scopes(stored: str) -> frozenset[str]:
    """A stored comma list as a set (stored lists are always canonical)."""
    return frozenset(s for s in stored.split(",") if s)


def common_scopes(*stored: str) -> frozenset[str]:
    """The scopes every one of these stored lists holds: what a credential may do now is its own
    scopes narrowed by its grant's and its platform's current ones (docs/api.md, "Bearer
    tokens")."""
    sets = [split_scopes(value) for value in stored]
    return frozenset.intersection(*sets)
