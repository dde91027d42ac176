"""`shopreviews catalogue set`: the operator sets a product's catalogue fields, which name it in
the JSON-LD and the Google product reviews feed (docs/storefront.md, "Product catalogue")."""

from __future__ import annotations

from typing import Annotated

import typer

from shopreviews.kit.cli import JsonOpt, emit, run_migrated
from shopreviews.kit.context import AppContext
from shopreviews.kit.params import parse_external_id
from shopreviews.reviews import service as review_service

catalogue_app = typer.Typer(help="The product catalogue of a shop.", no_args_is_help=True)


def _field(flag: str, metavar: str, text: str) -> object:
    return typer.Option(flag, metavar=metavar, help=f'{text[:-1]} ("" clears it).')


@catalogue_app.command("set")
def set_command(
    shop_id: Annotated[str, typer.Option("--shop-id", metavar="ID", help="The shop.")],
    product_id: Annotated[
        str, typer.Option("--product-id", metavar="ID", help="The product's id.")
    ],
    handle: Annotated[str | None, _field("--handle", "HANDLE", "The product's handle.")] = None,
    title: Annotated[str | None, _field("--title", "TEXT", "The product's name.")] = None,
    sku: Annotated[str | None, _field("--sku", "SKU", "The shop's stock keeping unit.")] = None,
    gtin: Annotated[
        str | None, _field("--gtin", "GTIN", "The GTIN: 8, 12, 13 or 14 digits.")
    ] = None,
    mpn: Annotated[str | None, _field("--mpn", "MPN", "The manufacturer part number.")] = None,
    brand: Annotated[str | None, _field("--brand", "TEXT", "The brand.")] = None,
    url: Annotated[
        str | None, _field("--url", "URL", "The product page (an absolute URL).")
    ] = None,
    image_url: Annotated[
        str | None, _field("--image-url", "URL", "A product image (an absolute URL).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set catalogue fields of a product ("" clears one); prints the whole entry."""
    given = {
        "handle": handle,
        "title": title,
        "sku": sku,
        "gtin": gtin,
        "mpn": mpn,
        "brand": brand,
        "url": url,
        "image_url": image_url,
    }
    fields = {name: value for name, value in given.items() if value is not None}

    async def work(ctx: AppContext) -> dict[str, str]:
        pid = parse_external_id(product_id, "product_id")
        async with ctx.db.session(write=True) as session:
            entry = await review_service.set_catalogue(session, shop_id, pid, fields)
        return {"shop_id": shop_id, **entry.model_dump()}

    data = run_migrated(as_json, work)
    emit(as_json, data, "\n".join(f"{key}: {value}" for key, value in data.items()))
