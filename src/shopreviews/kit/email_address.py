"""Email addresses: the API's rule for an address it accepts, and whether an accepted address
can be written as the recipient of an email (not every one can)."""

from __future__ import annotations

from email.headerregistry import Address
from typing import Any

from shopreviews.kit.envelope import InvalidValue

MAX_EMAIL = 254


def email_problem(value: str) -> str | None:
    """Why `value` is not an acceptable address, or None."""
    # Also after lower-casing: a few letters grow ("İ" -> "i̇"), and the lower-cased form is
    # what is stored in a 254-character column.
    if len(value) > MAX_EMAIL or len(value.lower()) > MAX_EMAIL:
        return f"must be at most {MAX_EMAIL} characters"
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain or any(c.isspace() for c in value):
        return "must be an email address such as jane@example.com"
    return None


def parse_email(value: Any, field: str = "email") -> str:
    """A valid address, trimmed and lower-cased (how every address is stored and compared).

    Surrounding whitespace goes before validation (docs/api.md, "Bodies"), so the limit counts the
    trimmed text."""
    if not isinstance(value, str):
        raise InvalidValue(field, "must be a string")
    text = value.strip()
    problem = email_problem(text)
    if problem:
        raise InvalidValue(field, problem)
    return text.lower()


class Unsendable(ValueError):
    """The address cannot be written as the recipient of an email (the API accepts any address
    with one @ and no spaces; not all of them are addresses SMTP can carry)."""


def one_line(text: str) -> str:
    """Header text on one line: line breaks and other control characters become spaces (a
    customer or order name from a webhook may hold them; a header must not)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def recipient(email: str, name: str) -> Address:
    """The To address, exactly `email` (an internationalized domain in its ASCII form);
    Unsendable when the address cannot be written as it is."""
    local, _, domain = email.rpartition("@")
    if not local.isascii():
        raise Unsendable(f"{email!r}: a non-ASCII local part needs SMTPUTF8, which is not used")
    try:
        domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
        address = Address(display_name=one_line(name), addr_spec=f"{local}@{domain}")
    except (ValueError, UnicodeError, IndexError) as exc:
        raise Unsendable(f"{email!r} is not a deliverable address: {exc}") from None
    # The email package drops what it cannot parse ("a(b)@x" becomes "a@x"): the message would
    # go to someone else.
    if address.addr_spec.lower() != f"{local}@{domain}".lower():
        raise Unsendable(f"{email!r} would be written as {address.addr_spec!r}")
    return address
