"""The OpenAPI document at /openapi.json and the reference page at /docs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import OpenAPIV31SpecValidator

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
# RFC 6749, RFC 7009 and RFC 7662 endpoints: form bodies, bare JSON answers and errors.
STANDARD_OAUTH = {
    "/oauth/token": ("StandardTokenRequest", "StandardTokenOut"),
    "/oauth/revoke": ("StandardTokenHandle", None),
    "/oauth/introspect": ("StandardTokenHandle", "IntrospectionOut"),
}
BARE_JSON = {"/.well-known/oauth-authorization-server", *STANDARD_OAUTH}
FORM = "application/x-www-form-urlencoded"
# The statuses of their RFC 6749 §5.2 errors.
STANDARD_ERRORS = ("400", "401", "429", "500", "504")
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


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    # Every problem, not only the first: client generators and linters refuse the document
    # on any of them (a schema's default outside its own schema was one).
    # Each error shows the schema that failed (its path in the document is not kept).
    problems = [str(error)[:800] for error in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert not problems, "\n\n".join(problems)


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
        for content in body["content"].values():
            schema = content["schema"]
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
        if path in BARE_JSON:
            continue  # RFC 8414's document and the standard OAuth endpoints' answers
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


# What each kind of route answers besides 200 (the request layer's 400 on every API path, an
# unexpected failure's 500 and the processing budget's 504 everywhere).
ALWAYS = {"500", "504"}
API_CALLER = {"400", "401", "403", "429"} | ALWAYS
MERCHANT = {"400", "401"} | ALWAYS
ADMIN = {"400", "401", "404"} | ALWAYS
STOREFRONT_READ = {"304", "400", "404", "429"} | ALWAYS
REVALIDATED = {
    "/api/v1/storefront/shops/{myshopify_domain}/reviews",
    "/api/v1/storefront/shops/{myshopify_domain}/rating",
    "/api/v1/storefront/shops/{myshopify_domain}/ratings",
    "/api/v1/reviews/get_products_rating",
}
STATUSES = {
    ("get", "/api/v1/openapi/get_review"): API_CALLER | {"404"},
    ("get", "/api/v1/openapi/get_reviews"): API_CALLER,
    ("post", "/api/v1/openapi/create_review"): API_CALLER,
    ("post", "/api/v1/openapi/update_review"): API_CALLER | {"404"},
    ("post", "/api/v1/openapi/create_shop_webhook"): API_CALLER | {"409"},
    ("post", "/api/v1/openapi/update_shop_webhook"): API_CALLER | {"404", "409"},
    ("get", "/api/v1/merchant/settings"): MERCHANT | {"403"},
    ("post", "/api/v1/merchant/moderate_review"): MERCHANT | {"404"},
    ("post", "/api/v1/merchant/login"): {"400", "401", "429"} | ALWAYS,
    ("get", "/api/v1/admin/get_shops"): ADMIN,
    ("post", "/api/v1/admin/create_shop"): ADMIN | {"409"},
    ("get", "/api/v1/storefront/shops/{myshopify_domain}/reviews"): STOREFRONT_READ,
    ("get", "/api/v1/reviews/get_products_rating"): STOREFRONT_READ,
    ("post", "/api/v1/storefront/shops/{myshopify_domain}/reviews"): {
        "400",
        "403",
        "404",
        "409",
        "429",
    }
    | ALWAYS,
    ("post", "/api/v1/openapi/oauth/token"): {"400", "401", "403", "404", "429"} | ALWAYS,
    ("post", "/api/v1/openapi/oauth/disconnect"): API_CALLER,
    ("post", "/api/v1/integrations/shopify/orders"): {"400", "401"} | ALWAYS,
    ("get", "/"): ALWAYS,
    ("get", "/.well-known/oauth-authorization-server"): ALWAYS,
}


def test_no_422_responses_and_errors_are_envelopes(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for method, path, operation in operations(doc):
        responses = operation["responses"]
        assert "422" not in responses, (method, path)
        # No catch-all: each status is its own response, so an undocumented one shows up.
        assert "default" not in responses, (method, path)
        assert set(responses) >= ALWAYS, (method, path)
        if path in STANDARD_OAUTH:
            continue  # their RFC 6749 §5.2 errors: test_standard_oauth_endpoints
        # The OAuth endpoints' errors name the RFC 6749 error in `data` (spec oauth.md).
        expected = "OAuthError" if path in OAUTH_ERROR_PATHS else "Error"
        for status, response in responses.items():
            if status in ("200", "304"):
                continue
            assert response["description"].startswith("code "), (method, path, status)
            schema = response["content"]["application/json"]["schema"]
            assert schema_name(schema) == expected, (method, path, status)
    error = schemas["Error"]
    assert error["required"] == ENVELOPE_FIELDS
    assert error["properties"]["code"]["type"] == "integer"


def test_each_operation_documents_the_statuses_it_answers(doc: dict[str, Any]) -> None:
    for (method, path), statuses in STATUSES.items():
        documented = set(doc["paths"][path][method]["responses"]) - {"200"}
        assert documented == statuses, (method, path, sorted(documented))
    for method, path, operation in operations(doc):
        responses = operation["responses"]
        # The API's refusals are envelopes with a code; a body over the size limit is code 3,
        # so HTTP 400, never 413 (decision 4).
        assert "413" not in responses, (method, path)
        if path.startswith("/api/"):
            assert "larger than the server's limit" in responses["400"]["description"]
        if "429" in responses:
            retry_after = responses["429"]["headers"]["Retry-After"]
            assert retry_after["required"] and retry_after["schema"] == {"type": "integer"}
        # The storefront's cacheable reads, and only they, revalidate an ETag.
        revalidated = method == "get" and path in REVALIDATED
        assert ("304" in responses) == revalidated, (method, path)
        if revalidated:
            assert "content" not in responses["304"], (method, path)
            names = {(p["in"], p["name"]) for p in operation["parameters"]}
            assert ("header", "If-None-Match") in names, (method, path)


def test_standard_oauth_endpoints(doc: dict[str, Any]) -> None:
    """Form bodies only, bare JSON answers, RFC 6749 §5.2 errors, HTTP Basic or the form."""
    schemas = doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["ClientBasic"]["scheme"] == "basic"
    assert set(schemas["StandardErrorOut"]["required"]) == {"error", "error_description"}
    for path, (request_name, answer_name) in STANDARD_OAUTH.items():
        assert set(doc["paths"][path]) == {"post"}, path
        operation = doc["paths"][path]["post"]
        content = operation["requestBody"]["content"]
        assert set(content) == {FORM}, path
        assert schema_name(content[FORM]["schema"]) == request_name
        assert operation["security"] == [{"ClientBasic": []}, {}]
        responses = operation["responses"]
        assert set(responses) == {"200", *STANDARD_ERRORS}, path
        success = responses["200"].get("content")
        if answer_name is None:
            assert success is None  # RFC 7009: an empty body
        else:
            assert schema_name(success["application/json"]["schema"]) == answer_name
        for status in STANDARD_ERRORS:
            error = responses[status]["content"]["application/json"]["schema"]
            assert schema_name(error) == "StandardErrorOut", (path, status)
        assert set(responses["401"]["headers"]) == {"WWW-Authenticate"}
        assert set(responses["429"]["headers"]) == {"Retry-After"}
    token = schemas["StandardTokenOut"]
    assert "refresh_token" not in token["required"] and "scope" in token["required"]
    assert set(schemas["StandardTokenRequest"]["required"]) == {"grant_type"}


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
    assert schemes["AdminToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator's SHOPREVIEWS_ADMIN_TOKEN",
    }
    admin = [(m, p, o) for m, p, o in operations(doc) if p.startswith("/api/v1/admin/")]
    assert len(admin) == 9
    for method, path, operation in admin:
        assert operation["security"] == [{"AdminToken": []}], (method, path)
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
