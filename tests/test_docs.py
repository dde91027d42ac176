"""The documentation stands alone and says what the app does.

README.md, docs/*.md and the OpenAPI document refer to nothing outside the repository, and every
relative link in the Markdown leads to a file (and heading) that exists. docs/api.md lists every
route the app answers (its endpoint tables are written from the app: tests/support/
endpoint_table.py), every error code with its HTTP status, every scope and every webhook header,
and its worked signing examples sign as a client must."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shopreviews.auth.scopes import ALL_SCOPES
from shopreviews.kit import envelope
from shopreviews.kit.params import parse_query
from shopreviews.kit.signing import candidate_messages, verify
from tests.support import endpoint_table, signer

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
API = REPO / "docs" / "api.md"
DELIVERY = REPO / "src" / "shopreviews" / "webhooks" / "delivery.py"

# Words that point at files a reader of the repository does not have: an internal
# specification and the folders beside a checkout.
OUTSIDE = [
    re.compile(r"spec/"),
    re.compile(r"shared/"),
    re.compile(r"README\s*§"),
    re.compile(r"\bspec\b", re.IGNORECASE),
    re.compile(r"\bspec's\b", re.IGNORECASE),
    re.compile(r"vectors\.json"),
]
# A section sign is fine after a standard's name ("RFC 6749 §3.1"), nowhere else: sections of
# the repository's own pages are named by their headings.
SECTION_SIGN = re.compile(r"§")
STANDARD_BEFORE = re.compile(r"RFC \d+ $")
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.MULTILINE)


def _outside_references(text: str, here: Path) -> list[str]:
    found = [match.group(0) for pattern in OUTSIDE for match in pattern.finditer(text)]
    for match in SECTION_SIGN.finditer(text):
        if not STANDARD_BEFORE.search(text[max(0, match.start() - 12) : match.start()]):
            found.append(text[max(0, match.start() - 20) : match.end() + 5])
    for match in MARKDOWN_NAME.finditer(text):
        name = match.group(1)
        if not any((base / name).is_file() for base in (here, REPO, REPO / "docs")):
            found.append(name)
    return found


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_the_docs_refer_to_nothing_outside_the_repository(path: Path) -> None:
    assert _outside_references(path.read_text(encoding="utf-8"), path.parent) == []


def _strings(value: Any) -> list[str]:
    """Every key and text of a JSON value: what a reader of the OpenAPI document sees."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_openapi_document_refers_to_nothing_outside_the_repository(app: Any) -> None:
    text = "\n".join(_strings(app.openapi()))
    assert _outside_references(text, REPO) == []
    assert "README" not in text


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub writes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in HEADING.findall(path.read_text(encoding="utf-8")):
        slug, n = _slug(heading), 1
        while slug in anchors:  # a repeated heading gets -1, -2, ...
            slug, n = f"{_slug(heading)}-{n}", n + 1
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_lead_to_files_and_headings_of_the_repository(path: Path) -> None:
    broken = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        outside = not linked.exists() or REPO not in linked.parents
        if outside or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    assert broken == []


def test_the_endpoint_tables_are_the_apps(app: Any) -> None:
    written = endpoint_table.current(API.read_text(encoding="utf-8"))
    assert written == endpoint_table.render(app), (
        "docs/api.md's endpoint tables differ from the app's routes: run "
        "`python -m tests.support.endpoint_table` and read the difference"
    )


def test_every_route_of_the_app_is_in_the_endpoint_tables(app: Any) -> None:
    tables = endpoint_table.current(API.read_text(encoding="utf-8"))
    for context in endpoint_table.iter_route_contexts(app.routes):
        path = context.path_format
        shown = endpoint_table.BACK_OFFICE if endpoint_table.is_back_office(path) else path
        assert f"`{shown}`" in tables, path


def _code_names() -> dict[int, str]:
    return {
        value: name
        for name, value in vars(envelope).items()
        if name.isupper() and isinstance(value, int) and value in envelope.HTTP_STATUS
    }


@pytest.mark.parametrize("code", sorted(envelope.HTTP_STATUS))
def test_every_error_code_is_documented_with_its_status(code: int) -> None:
    """docs/api.md's table names each code and its status; the README's short table too."""
    status = str(envelope.HTTP_STATUS[code])
    api = re.search(rf"^\| {code} \| {_code_names()[code]} \| ([^|]+) \|", API.read_text(), re.M)
    assert api is not None and status in api.group(1), code
    readme = re.search(
        rf"^\| {code} \| [^|]+ \| ([^|]+) \|$", (REPO / "README.md").read_text(), re.M
    )
    assert readme is not None and status in readme.group(1), code


@pytest.mark.parametrize("scope", ALL_SCOPES)
def test_every_scope_is_documented(scope: str) -> None:
    assert f"| `{scope}` |" in API.read_text(encoding="utf-8")


def test_every_webhook_header_is_documented() -> None:
    headers = set(re.findall(r'"((?:Open-Trustoo-Webhook|webhook)-[\w-]+)"', DELIVERY.read_text()))
    assert len(headers) == 8
    text = API.read_text(encoding="utf-8")
    assert [h for h in sorted(headers) if f"| `{h}`" not in text] == []


# docs/api.md's worked examples: the private token and timestamp, what is sent, the message
# the pairs make, and the Sign.
TOKEN = "JAVLUtpYRUiTWyGvHL6Ctw=="
TIMESTAMP = "1780644116"
QUERY = (
    "product_ids%5B%5D=9200305176832&ratings=5&product_ids%5B%5D=9200305176833&ratings=4"
    "&keyword=linen%20shirt&sort_by=&page=1"
)
QUERY_MESSAGE = (
    "keyword=linen shirt&page=1&product_ids[]=9200305176832&product_ids[]=9200305176833"
    "&ratings=5&ratings=4&sort_by=&timestamp=1780644116"
)
QUERY_SIGN = "1729e0288149d4e865877c6a583d923b080c8d8b91cb82331b4ac53f056f7daf"
BODY = '{"product_id": "9200305176832", "rating": 5, "author": "Zoë", "content": "Très bien"}'
BODY_SIGN = "f83f699a51bc0a7be72af7b1689a334e0c5f17e8ad1be60d5b84f7865422c4af"
CANONICAL = (
    'timestamp=1780644116|{"author":"Zoë","content":"Très bien",'
    '"product_id":"9200305176832","rating":5}'
)
CANONICAL_SIGN = "05c803a84102526111891c1b945e4db4c3b609f70099d03119b6b84720a269dd"


def test_the_worked_signing_examples_sign_as_documented() -> None:
    text = API.read_text(encoding="utf-8")
    for shown in (TOKEN, TIMESTAMP, QUERY, QUERY_MESSAGE, BODY, CANONICAL):
        assert shown in text, shown
    for sign in (QUERY_SIGN, BODY_SIGN, CANONICAL_SIGN):
        assert f"Sign: {sign}" in text, sign
    pairs = signer.decode_query(QUERY)
    assert signer.sign(TOKEN, TIMESTAMP, pairs) == QUERY_SIGN
    assert signer.sign(TOKEN, TIMESTAMP, [], BODY.encode()) == BODY_SIGN
    assert signer.sign_canonical(TOKEN, TIMESTAMP, [], json.loads(BODY)) == CANONICAL_SIGN
    canonical = json.dumps(
        json.loads(BODY), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert f"timestamp={TIMESTAMP}|{canonical}" == CANONICAL
    sorted_pairs = sorted([*pairs, ("timestamp", TIMESTAMP)], key=lambda kv: kv[0])
    assert "&".join(f"{k}={v}" for k, v in sorted_pairs) == QUERY_MESSAGE


def test_the_server_accepts_the_worked_examples() -> None:
    """The server's own verification accepts each documented Sign, both forms of the body."""
    query = candidate_messages(parse_query(QUERY), TIMESTAMP, b"")
    assert verify(TOKEN, QUERY_SIGN, query)
    body = candidate_messages([], TIMESTAMP, BODY.encode())
    assert verify(TOKEN, BODY_SIGN, body) and verify(TOKEN, CANONICAL_SIGN, body)
