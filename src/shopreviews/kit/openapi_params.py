"""OpenAPI descriptions of what routes read themselves: query parameters and bodies.

Routes parse queries with `QueryParams` (the contract's rules cannot be expressed with FastAPI's
own query parameters), so each route declares the documentation of its parameters with these.
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


def body_doc(model: type[BaseModel], *, form: bool = False, json: bool = True) -> dict[str, Any]:
    """A request body documented by `model`: JSON unless not `json`, form-encoded too when
    `form`; the model itself is among the document's components (kit/routes.py,
    main._openapi)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    content = {}
    if json:
        content["application/json"] = {"schema": ref}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": ref}
    return {"requestBody": {"required": True, "content": content}}
