"""What routes declare beyond FastAPI's own arguments (kit/routes.py): a body they read
themselves, documented and validated by its model, its form encoding (besides JSON, or alone),
and legacy paths."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, model_validator

from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.error_handlers import install_exception_handlers
from shopreviews.kit.forms import Fields
from shopreviews.kit.routes import (
    DocumentedRoute,
    documented_bodies,
    fields_body,
    form_body,
    form_paths,
    legacy_path,
    legacy_paths,
    validated_body,
)


class NoteIn(BaseModel):
    text: str

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        if not isinstance(data.get("text"), str):
            raise InvalidArgument("text must be a string")
        return data


class FormIn(BaseModel):
    name: str


def make_app() -> FastAPI:
    router = APIRouter(route_class=DocumentedRoute)

    @router.post("/notes")
    @legacy_path("/old_notes")
    async def add_note(body: Annotated[NoteIn, validated_body(NoteIn)]) -> dict[str, str]:
        return {"text": body.text}

    @router.post("/forms")
    async def add_form(fields: Annotated[Fields, fields_body(FormIn, form=True)]) -> Any:
        return fields.values

    @router.post("/forms_only")
    async def add_form_only(fields: Annotated[Fields, form_body(FormIn)]) -> Any:
        return fields.values

    app = FastAPI()
    install_exception_handlers(app)
    app.include_router(router)
    return app


async def post(
    app: FastAPI, path: str, body: bytes, content_type: str = "application/json"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, content=body, headers={"Content-Type": content_type})


async def test_a_validated_body_answers_its_model_s_errors() -> None:
    app = make_app()
    assert (await post(app, "/notes", b'{"text": "hi"}')).json() == {"text": "hi"}
    refused = (await post(app, "/notes", b'{"text": 5}')).json()
    assert refused["message"] == "invalid argument: text must be a string"
    repeated = (await post(app, "/notes", b'{"text": "a", "text": "b"}')).json()
    assert repeated["message"] == "invalid argument: parameter text is repeated"


async def test_a_form_only_body_refuses_anything_else() -> None:
    app = make_app()
    form = "application/x-www-form-urlencoded; charset=utf-8"
    assert (await post(app, "/forms_only", b"name=a+b", form)).json() == {"name": "a b"}
    for body, content_type in ((b'{"name": "a"}', "application/json"), (b"name=a", "text/plain")):
        refused = (await post(app, "/forms_only", body, content_type)).json()
        assert refused["message"] == (
            "invalid argument: the body must be application/x-www-form-urlencoded"
        )


def test_declared_bodies_are_documented_once_and_forms_are_named() -> None:
    app = make_app()
    operations = app.openapi()["paths"]
    note = operations["/notes"]["post"]["requestBody"]
    assert note == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NoteIn"}}},
    }
    assert set(operations["/forms"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert set(operations["/forms_only"]["post"]["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded"
    }
    assert documented_bodies(app.routes) == [NoteIn, FormIn]
    assert form_paths(app.routes) == frozenset({"/forms", "/forms_only"})
    assert legacy_paths(app.routes) == {"/old_notes": "/notes"}


def test_a_declared_body_needs_a_documented_route() -> None:
    router = APIRouter()

    @router.post("/notes")
    async def add_note(body: Annotated[NoteIn, validated_body(NoteIn)]) -> None:
        return None

    with pytest.raises(TypeError, match="DocumentedRoute"):
        documented_bodies(router.routes)
