"""What a route declares beyond FastAPI's own arguments, and where the app reads it.

- A body that a route reads itself (a validated model, JSON or form fields read by hand, form
  fields alone, or the raw bytes a signature covers) is declared by the dependency that reads
  it. `DocumentedRoute` puts that body in the route's OpenAPI operation; main._openapi adds its
  model to the document's components, and the conventions middleware leaves the Content-Type of
  a form body as sent (kit/middleware.py).
- Older spellings of a route's path (`legacy_path`) are declared on the route itself; the
  conventions middleware rewrites them onto the route's path before routing.
- The refusals a route answers with (`refuses`) are declared where they are raised: on the
  route for what its service refuses, on a dependency for what it checks (auth's callers);
  `revalidated` routes answer 304 to a current ETag. main._openapi documents each status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute

from shopreviews.kit.envelope import HTTP_STATUS, InvalidArgument, NamedError, RateLimited
from shopreviews.kit.forms import FORM, Fields, is_form, read_fields, validated
from shopreviews.kit.openapi_params import body_doc

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class DeclaredBody:
    """The body a route's dependency reads: documented by `model`, JSON, also a form, or a form
    alone."""

    model: type[BaseModel]
    form: bool = False
    json: bool = True


def validated_body(model: type[M]) -> Any:
    """The request body validated by `model`, which also documents it: read by the rules of
    kit/forms.py (repeated fields refused, every error an envelope naming the field) rather
    than FastAPI's, whose answers differ (an empty body, a repeated field)."""

    async def read(request: Request) -> M:
        return validated(model, await read_fields(request))

    read.declared_body = DeclaredBody(model)  # type: ignore[attr-defined]
    return Depends(read)


def fields_body(model: type[BaseModel], *, form: bool = False) -> Any:
    """The request body's fields, JSON (or form-encoded when `form`), for a route that reads
    them in its own order; `model` documents them."""

    async def read(request: Request) -> Fields:
        return await read_fields(request)

    read.declared_body = DeclaredBody(model, form)  # type: ignore[attr-defined]
    return Depends(read)


def form_body(model: type[BaseModel]) -> Any:
    """The fields of a form-encoded body, for a route that takes no other (the standard OAuth
    endpoints, RFC 6749 §3.2); any other Content-Type is code 3. `model` documents them."""

    async def read(request: Request) -> Fields:
        if not is_form(request.headers.get("content-type", "")):
            raise InvalidArgument(f"the body must be {FORM}")
        return await read_fields(request)

    read.declared_body = DeclaredBody(model, form=True, json=False)  # type: ignore[attr-defined]
    return Depends(read)


def raw_body(model: type[BaseModel]) -> Any:
    """The request body's bytes as sent (a signature covers them), documented by `model`."""

    async def read(request: Request) -> bytes:
        return await request.body()

    read.declared_body = DeclaredBody(model)  # type: ignore[attr-defined]
    return Depends(read)


def declared_body(dependant: Dependant) -> DeclaredBody | None:
    for sub in dependant.dependencies:
        found = getattr(sub.call, "declared_body", None) or declared_body(sub)
        if found is not None:
            assert isinstance(found, DeclaredBody)
            return found
    return None


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI operation shows the body its dependency declares (FastAPI shows
    only the bodies it parses itself)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        declared = declared_body(self.dependant)
        if declared is not None:
            extra = body_doc(declared.model, form=declared.form, json=declared.json)
            self.openapi_extra = {**(self.openapi_extra or {}), **extra}


def legacy_path(*paths: str) -> Callable[[F], F]:
    """Older spellings of the route's path, answered by the route."""

    def declare(endpoint: F) -> F:
        endpoint.legacy_paths = paths  # type: ignore[attr-defined]
        return endpoint

    return declare


def refuses(*errors: type[NamedError]) -> Callable[[F], F]:
    """The refusals a route, or a dependency, answers with (the errors it raises), beyond the
    request layer's code 3 and an unexpected failure; declared on the function itself."""

    def declare(function: F) -> F:
        function.refusals = (*getattr(function, "refusals", ()), *errors)  # type: ignore[attr-defined]
        return function

    return declare


def revalidated(endpoint: F) -> F:
    """The route answers 304 Not Modified, with no body, to an If-None-Match naming its current
    ETag."""
    endpoint.revalidated = True  # type: ignore[attr-defined]
    return endpoint


def refusal_status(error: type[NamedError]) -> int:
    """The HTTP status of a refusal: its code's, but a rate limit's 429."""
    return 429 if issubclass(error, RateLimited) else HTTP_STATUS[error.code]


def refusals(dependant: Dependant) -> set[type[NamedError]]:
    """What a route (its dependant's call is the endpoint) and each of its dependencies, its
    router's included, declare."""
    found = set(getattr(dependant.call, "refusals", ()))
    for sub in dependant.dependencies:
        found |= refusals(sub)
    return found


def _api_routes(routes: Sequence[BaseRoute | RouteContext]) -> Iterator[tuple[str, APIRoute]]:
    """Each API route with the path the app serves it at."""
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path is not None:
            yield context.path, route


def _body_of(route: APIRoute) -> DeclaredBody | None:
    declared = declared_body(route.dependant)
    if declared is not None and not isinstance(route, DocumentedRoute):
        raise TypeError(f"{route.path} declares a body: its router needs a DocumentedRoute")
    return declared


def documented_bodies(routes: Sequence[BaseRoute | RouteContext]) -> list[type[BaseModel]]:
    """The models of the declared bodies, once each: by route module name, then route order
    (the order the API document has always listed them in)."""
    found: dict[type[BaseModel], str] = {}
    for _, route in _api_routes(routes):
        declared = _body_of(route)
        if declared is not None and declared.model not in found:
            found[declared.model] = route.endpoint.__module__
    return sorted(found, key=found.__getitem__)


def form_paths(routes: Sequence[BaseRoute | RouteContext]) -> frozenset[str]:
    """The paths of routes that take form-encoded bodies, besides JSON or alone."""
    return frozenset(
        path for path, route in _api_routes(routes) if (body := _body_of(route)) and body.form
    )


def legacy_paths(routes: Sequence[BaseRoute | RouteContext]) -> dict[str, str]:
    """Every declared older spelling -> the path of the route that answers it."""
    return {
        legacy: path
        for path, route in _api_routes(routes)
        for legacy in getattr(route.endpoint, "legacy_paths", ())
    }
