"""The SSRF guard against IPv4 addresses hidden in IPv6 forms and against port 0, in literal URLs
and in DNS answers (kit/netguard.py; the base rules are in tests/webhooks/test_subscriptions.py).

The rule per form: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
(2002:aabb:ccdd::) are judged by the IPv4 address they embed, which a DNS64 resolver or a
dual-stack socket really connects to; IPv4-compatible (::a.b.c.d) and IPv4-translated
(::ffff:0:a.b.c.d) are refused whatever they embed (deprecated forms no public host has)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.netguard import UrlRejected, check_static, check_url, is_public
from tests.support.api import ShopApi, error, ok

FORMS: dict[str, Callable[[ipaddress.IPv4Address], str]] = {
    "mapped": lambda v4: f"::ffff:{v4}",
    "compatible": lambda v4: f"::{v4}",
    "translated": lambda v4: f"::ffff:0:{v4}",
    "nat64": lambda v4: f"64:ff9b::{v4}",
    "6to4": lambda v4: str(ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | 1)),
}
NOT_PUBLIC = ["127.0.0.1", "169.254.169.254", "10.0.0.1"]
PUBLIC = "93.184.216.34"
JUDGED_BY_EMBEDDED = {"mapped", "nat64", "6to4"}  # the other forms are refused outright
# What every refusal of a private address says next: the setting that would allow it.
ALLOW = "set SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow private targets"


def embedded(form: str, v4: str) -> str:
    address = FORMS[form](ipaddress.IPv4Address(v4))
    ipaddress.IPv6Address(address)  # a valid IPv6 address
    return address


@pytest.mark.parametrize("v4", NOT_PUBLIC)
@pytest.mark.parametrize("form", FORMS)
def test_embedded_private_ipv4_is_not_public(form: str, v4: str) -> None:
    assert is_public(ipaddress.ip_address(embedded(form, v4))) is False


@pytest.mark.parametrize("form", FORMS)
def test_embedded_public_ipv4_follows_the_form(form: str) -> None:
    assert is_public(ipaddress.ip_address(embedded(form, PUBLIC))) is (form in JUDGED_BY_EMBEDDED)


@pytest.mark.parametrize("v4", NOT_PUBLIC)
@pytest.mark.parametrize("form", FORMS)
async def test_literal_url_with_embedded_private_ipv4_is_refused(form: str, v4: str) -> None:
    address = embedded(form, v4)
    with pytest.raises(UrlRejected) as refused:
        await check_url(f"https://[{address}]:8080/x", allow_private=False)
    assert str(refused.value) == (
        f"url host {address} resolves to {address}, which is not a public address; {ALLOW}"
    )


@pytest.mark.parametrize("form", FORMS)
async def test_literal_url_with_embedded_public_ipv4_follows_the_form(form: str) -> None:
    address = embedded(form, PUBLIC)
    url = f"https://[{address}]:8443/x"
    if form in JUDGED_BY_EMBEDDED:
        target = await check_url(url, allow_private=False)
        assert (target.host, target.port, target.addresses) == (address, 8443, (address,))
    else:
        with pytest.raises(UrlRejected, match="not a public address"):
            await check_url(url, allow_private=False)


@pytest.fixture
async def dns(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, list[str]]]:
    """Answers of the resolver check_url uses (the running loop's getaddrinfo), per host."""
    answers: dict[str, list[str]] = {}
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return await real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            for address in answers[host]
        ]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    yield answers


@pytest.mark.parametrize("v4", NOT_PUBLIC)
@pytest.mark.parametrize("form", FORMS)
async def test_dns_answer_with_embedded_private_ipv4_is_refused(
    dns: dict[str, list[str]], form: str, v4: str
) -> None:
    address = embedded(form, v4)
    # Behind a public answer too: every answer must be public, the delivery may use any.
    dns["hooks.example.net"] = ["2606:4700:4700::1111", address]
    with pytest.raises(UrlRejected) as refused:
        await check_url("https://hooks.example.net/x", allow_private=False)
    assert str(refused.value) == (
        f"url host hooks.example.net resolves to {address}, which is not a public address; " + ALLOW
    )


@pytest.mark.parametrize("form", FORMS)
async def test_dns_answer_with_embedded_public_ipv4_follows_the_form(
    dns: dict[str, list[str]], form: str
) -> None:
    address = embedded(form, PUBLIC)
    dns["hooks.example.net"] = [address]
    if form in JUDGED_BY_EMBEDDED:
        target = await check_url("https://hooks.example.net/x", allow_private=False)
        assert target.addresses == (address,)
    else:
        with pytest.raises(UrlRejected, match="not a public address"):
            await check_url("https://hooks.example.net/x", allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.net:0/x",
        "https://hooks.example.net:00/x",
        "https://93.184.216.34:0/x",
        "http://127.0.0.1:0/x",
        "http://[::1]:0/x",
    ],
)
async def test_port_0_is_refused(url: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(UrlRejected) as refused:
            check_static(url, allow_private=allow_private)
        assert str(refused.value) == "url port must be 1 to 65535"
        with pytest.raises(UrlRejected, match="port must be 1 to 65535"):
            await check_url(url, allow_private=allow_private)


@pytest.mark.parametrize("port", ["65536", "99999", "-1", "+1", "8O"])
def test_ports_outside_1_to_65535_are_refused(port: str) -> None:
    with pytest.raises(UrlRejected, match="not a valid absolute URL"):
        check_static(f"https://hooks.example.net:{port}/x", allow_private=False)


@pytest.mark.parametrize("port", [("1", 1), ("65535", 65535), ("", 443)])
def test_ports_1_to_65535_and_the_default_are_taken(port: tuple[str, int]) -> None:
    written, used = port
    url = f"https://hooks.example.net:{written}/x"
    assert check_static(url, allow_private=False) == ("https", "hooks.example.net", used)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://[::127.0.0.1]:8080/x",
            "url host ::127.0.0.1 resolves to ::127.0.0.1, which is not a public address; " + ALLOW,
        ),
        (
            "https://[::ffff:0:169.254.169.254]/x",
            "url host ::ffff:0:169.254.169.254 resolves to ::ffff:0:169.254.169.254, which is "
            "not a public address; " + ALLOW,
        ),
        ("https://hooks.example.net:0/x", "url port must be 1 to 65535"),
        (
            "http://127.0.0.1:8080/x",
            "url must use https; set SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow "
            "http to loopback hosts",
        ),
        (
            "http://hooks.example.net/x",
            "url must use https (http is allowed only for loopback hosts)",
        ),
    ],
)
async def test_webhook_registration_refuses_them(
    ctx: AppContext, shop: ShopApi, url: str, message: str
) -> None:
    original = ctx.settings  # the suite's app allows private targets (its receiver is local)
    ctx.settings = original.model_copy(update={"webhook_allow_private_targets": False})
    try:
        response = await shop.post("create_shop_webhook", {"topic": "review/created", "url": url})
    finally:
        ctx.settings = original
    body = error(response, 3, 400)
    assert body["message"] == f"invalid argument: url: {message}"
    listed = ok(await shop.get("get_shop_webhooks"))
    assert url not in str(listed)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/x"])
def test_http_to_loopback_names_the_setting_that_allows_it(url: str) -> None:
    with pytest.raises(UrlRejected) as refused:
        check_static(url, allow_private=False)
    assert str(refused.value) == (
        "url must use https; set SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow http "
        "to loopback hosts"
    )
    assert check_static(url, allow_private=True)[0] == "http"


def test_http_elsewhere_is_refused_whatever_the_setting() -> None:
    """The setting cannot allow it, so the refusal does not send the reader to it."""
    for allow_private in (False, True):
        with pytest.raises(UrlRejected) as refused:
            check_static("http://hooks.example.net/x", allow_private=allow_private)
        assert str(refused.value) == "url must use https (http is allowed only for loopback hosts)"
