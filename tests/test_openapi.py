"""The OpenAPI document at /openapi.json and the reference page at /docs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

HMAC: dict[str, list[str]] = {"PublicToken": [], "Timestamp": [], "Sign": []}
API_OPERATIONS = {
    ("get", "/api/v1/openapi/get_review"),
    ("get", "/api/v1/openapi/get_reviews"),
    ("post", "/api/v1/openapi/create_review"),
    ("post", "/api/v1/openapi/delete_review"),
    ("post", "/api/v1/openapi/update_review"),
    ("get", "/api/v1/openapi/get_rating"),
    ("get", "/api/v1/openapi/get_orders"),
    ("get", "/api/v1/openapi/get_customer_events"),
    ("post", "/api/v1/openapi/email_unsubscribe"),
    ("post", "/api/v1/openapi/create_customer_exclude"),
    ("post", "/api/v1/openapi/delete_customer_exclude"),
    ("get", "/api/v1/openapi/get_customer_excludes"),
}
MERCHANT_OPERATIONS = {
    ("get", "/api/v1/merchant/settings"),
    ("post", "/api/v1/merchant/settings"),
    ("post", "/api/v1/merchant/logout"),
    ("get", "/api/v1/openapi/get_open_api_information"),
    ("get", "/api/v1/openapi/get_open_api_private_token"),
    ("post", "/api/v1/openapi/reset_private_token"),
}
PUBLIC_OPERATIONS = {("post", "/api/v1/merchant/login"), ("get", "/")}
REQUEST_BODIES = {
    "/api/v1/openapi/create_review": "ReviewCreate",
    "/api/v1/openapi/delete_review": "ReviewIdIn",
    "/api/v1/openapi/update_review": "ReviewUpdate",
    "/api/v1/merchant/login": "LoginIn",
    "/api/v1/merchant/settings": "ShopSettingsIn",
    "/api/v1/openapi/email_unsubscribe": "UnsubscribeIn",
    "/api/v1/openapi/create_customer_exclude": "ExclusionIn",
    "/api/v1/openapi/delete_customer_exclude": "ExclusionKeyIn",
}
RESPONSES = {
    ("get", "/api/v1/openapi/get_review"): ("Envelope_ReviewOut_", "ReviewOut"),
    ("get", "/api/v1/openapi/get_reviews"): ("Envelope_ReviewPage_", "ReviewPage"),
    ("post", "/api/v1/openapi/create_review"): ("CreateReviewEnvelope", "ReviewOut"),
    ("post", "/api/v1/openapi/delete_review"): ("Envelope_EmptyData_", "EmptyData"),
    ("post", "/api/v1/openapi/update_review"): ("Envelope_ReviewOut_", "ReviewOut"),
    ("get", "/api/v1/openapi/get_rating"): ("Envelope_RatingOut_", "RatingOut"),
    ("post", "/api/v1/merchant/login"): ("Envelope_LoginOut_", "LoginOut"),
    ("post", "/api/v1/merchant/logout"): ("Envelope_EmptyData_", "EmptyData"),
    ("get", "/api/v1/openapi/get_open_api_information"): (
        "Envelope_OpenApiInformation_",
        "OpenApiInformation",
    ),
    ("get", "/api/v1/openapi/get_open_api_private_token"): (
        "Envelope_PrivateTokenOut_",
        "PrivateTokenOut",
    ),
    ("post", "/api/v1/openapi/reset_private_token"): (
        "Envelope_PrivateTokenOut_",
        "PrivateTokenOut",
    ),
    ("get", "/"): ("Envelope_EmptyData_", "EmptyData"),
    ("get", "/api/v1/openapi/get_orders"): ("Envelope_OrderPage_", "OrderPage"),
    ("get", "/api/v1/openapi/get_customer_events"): (
        "Envelope_CustomerEventPage_",
        "CustomerEventPage",
    ),
    ("post", "/api/v1/openapi/email_unsubscribe"): ("Envelope_UnsubscribeOut_", "UnsubscribeOut"),
    ("post", "/api/v1/openapi/create_customer_exclude"): (
        "Envelope_CustomerExclusionOut_",
        "CustomerExclusionOut",
    ),
    ("post", "/api/v1/openapi/delete_customer_exclude"): (
        "Envelope_CustomerExclusionOut_",
        "CustomerExclusionOut",
    ),
    ("get", "/api/v1/openapi/get_customer_excludes"): (
        "Envelope_CustomerExclusionPage_",
        "CustomerExclusionPage",
    ),
    ("get", "/api/v1/merchant/settings"): ("Envelope_ShopSettingsOut_", "ShopSettingsOut"),
    ("post", "/api/v1/merchant/settings"): ("Envelope_ShopSettingsOut_", "ShopSettingsOut"),
}
ENVELOPE_FIELDS = ["code", "message", "time", "request_id", "data"]
HTTP_METHODS = {"get", "post", "put", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
async def doc(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def schema_name(ref_holder: dict[str, Any]) -> str:
    ref = ref_holder["$ref"]
    assert ref.startswith("#/components/schemas/"), ref
    return str(ref.rsplit("/", 1)[1])


def walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_document_header(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "ShopReviews API"
    assert doc["info"]["version"]


def test_every_route_is_documented(app: Any, doc: dict[str, Any]) -> None:
    documented = {(method, path) for method, path, _ in operations(doc)}
    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    assert routes
    for route in routes:
        for method in route.methods or ():
            assert (method.lower(), route.path) in documented, (method, route.path)
    assert documented >= API_OPERATIONS | MERCHANT_OPERATIONS | PUBLIC_OPERATIONS


def test_operations_have_summaries_from_docstrings(doc: dict[str, Any]) -> None:
    for method, path, operation in operations(doc):
        summary = operation.get("summary", "")
        assert summary and summary.endswith((".", "]")), (method, path, summary)
    get_review = doc["paths"]["/api/v1/openapi/get_review"]["get"]
    assert get_review["summary"] == "Get one review, published or not."


def test_request_bodies_are_named_component_schemas(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for method, path, operation in operations(doc):
        body = operation.get("requestBody")
        if body is None:
            continue
        schema = body["content"]["application/json"]["schema"]
        # An optional body is `anyOf [<named model>, null]`: still a named component.
        branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
        assert len(branches) == 1, (method, path, schema)
        assert schema_name(branches[0]) in schemas, (method, path)
    for path, name in REQUEST_BODIES.items():
        body = doc["paths"][path]["post"]["requestBody"]
        assert schema_name(body["content"]["application/json"]["schema"]) == name
    create = schemas["ReviewCreate"]
    assert "rating" in create["required"] and "author" in create["required"]
    assert {"product_id", "media", "reply", "is_published"} <= set(create["properties"])
    assert set(schemas["LoginIn"]["required"]) == {"email", "password"}


def test_responses_are_named_envelopes(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for method, path, operation in operations(doc):
        if path == "/.well-known/oauth-authorization-server":
            continue  # RFC 8414: a bare JSON document
        success = operation["responses"]["200"]["content"]["application/json"]["schema"]
        name = schema_name(success)
        envelope = schemas[name]
        assert "Envelope" in name, (method, path, name)
        assert set(ENVELOPE_FIELDS) <= set(envelope["required"]), name
        assert envelope["properties"]["code"]["type"] == "integer"
        assert envelope["properties"]["time"]["type"] == "integer"
        assert envelope["properties"]["request_id"]["type"] == "string"
    for (method, path), (envelope_name, data_name) in RESPONSES.items():
        success = doc["paths"][path][method]["responses"]["200"]
        name = schema_name(success["content"]["application/json"]["schema"])
        assert name == envelope_name, (method, path)
        assert schema_name(schemas[name]["properties"]["data"]) == data_name
    assert "id" in schemas["CreateReviewEnvelope"]["required"]
    rating = schemas["RatingOut"]
    assert rating["properties"]["rating_value"]["type"] == "string"
    assert {f"star{i}_count" for i in range(1, 6)} <= set(rating["required"])
    review = schemas["ReviewOut"]
    assert review["properties"]["id"]["type"] == "string"
    assert schema_name(schemas["ReviewPage"]["properties"]["page"]) == "ReviewPagination"
    review_page = schemas["ReviewPagination"]["properties"]
    assert set(review_page) == {"page", "page_size", "total_page", "count", "next_cursor"}


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    refs = [node["$ref"] for node in walk(doc) if isinstance(node.get("$ref"), str)]
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    # The media shapes referenced from hand-written schema fragments are present.
    assert {"MediaItemIn", "LegacyMediaIn"} <= set(schemas)


OAUTH_ERROR_PATHS = {
    "/api/v1/openapi/get_oauth_authorize_url",
    "/api/v1/openapi/oauth/authorize",
    "/api/v1/openapi/oauth/token",
    "/api/v1/openapi/oauth_revoke_token",
    "/api/v1/openapi/oauth/introspect",
}


def test_no_422_responses_and_errors_are_envelopes(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for method, path, operation in operations(doc):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)
        assert set(responses) <= {"200", "default"}, (method, path)
        # The OAuth endpoints' errors name the RFC 6749 error in `data` (spec oauth.md).
        expected = "OAuthError" if path in OAUTH_ERROR_PATHS else "Error"
        assert schema_name(responses["default"]["content"]["application/json"]["schema"]) == (
            expected
        ), (method, path)
    error = schemas["Error"]
    assert error["required"] == ENVELOPE_FIELDS
    assert error["properties"]["code"]["type"] == "integer"


def test_hmac_security_scheme(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    for name, header in (
        ("PublicToken", "Public-Token"),
        ("Timestamp", "Timestamp"),
        ("Sign", "Sign"),
    ):
        assert schemes[name]["type"] == "apiKey"
        assert schemes[name]["in"] == "header"
        assert schemes[name]["name"] == header
    assert schemes["MerchantSession"]["type"] == "http"
    assert schemes["MerchantSession"]["scheme"] == "bearer"

    for method, path in API_OPERATIONS:
        # One requirement holding all three headers: they are needed together, not one of them.
        assert doc["paths"][path][method]["security"] == [HMAC], (method, path)
    for method, path in MERCHANT_OPERATIONS:
        assert doc["paths"][path][method]["security"] == [{"MerchantSession": []}], path
    for method, path in PUBLIC_OPERATIONS:
        assert not doc["paths"][path][method].get("security"), path
    for method, path, operation in operations(doc):
        for requirement in operation.get("security", []):
            if set(requirement) & set(HMAC):
                assert requirement == HMAC, (method, path)


def test_query_parameters_are_documented(doc: dict[str, Any]) -> None:
    params = {
        p["name"]: p for p in doc["paths"]["/api/v1/openapi/get_reviews"]["get"]["parameters"]
    }
    assert {"product_ids", "ratings", "sources", "page", "page_size", "sort_by"} <= set(params)
    assert all(p["in"] == "query" for p in params.values())
    assert params["product_ids"]["schema"]["type"] == "array"
    assert params["page"]["schema"]["type"] == "integer"
    assert "created-descending" in params["sort_by"]["schema"]["enum"]
    get_review = doc["paths"]["/api/v1/openapi/get_review"]["get"]["parameters"]
    assert {p["name"] for p in get_review} == {"id", "review_id"}


def test_document_is_stable(app: Any, doc: dict[str, Any]) -> None:
    # Built once: a second build must not stack the post-processing.
    assert app.openapi() is app.openapi()
    assert app.openapi() == doc


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
async def test_docs_page_is_html(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text.lower()
    assert "/openapi.json" in response.text
