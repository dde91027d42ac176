"""OpenAPI descriptions of query parameters that routes read from the raw query string.

Routes parse queries with `QueryParams` (the contract's rules cannot be expressed with FastAPI's
own query parameters), so the documentation of those parameters is declared here, once per route.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def param(
    name: str,
    description: str,
    *,
    type_: str = "string",
    array: bool = False,
    required: bool = False,
    enum: list[str] | None = None,
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": type_}
    if enum:
        schema["enum"] = enum
    if array:
        schema = {"type": "array", "items": schema}
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if array else {}),
    }


def query_doc(*params: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": list(params)}


PAGE = param("page", "1-based page number (default 1)", type_="integer")
PAGE_SIZE = param(
    "page_size", "records per page (default 20; above 100 counts as 100)", type_="integer"
)


# Models of bodies that routes read by hand; main._openapi adds them to the components.
DOCUMENTED_BODIES: list[type[BaseModel]] = []


def body_doc(model: type[BaseModel], *, form: bool = False) -> dict[str, Any]:
    """A request body documented by `model` (JSON, and form-encoded too when `form`)."""
    DOCUMENTED_BODIES.append(model)
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    content = {"application/json": {"schema": ref}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": ref}
    return {"requestBody": {"required": True, "content": content}}
