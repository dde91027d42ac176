"""`shopreviews widget sri`: the widget module's content-hashed name and SRI hash, and the tag
that loads it (docs/storefront.md, "The widget")."""

from __future__ import annotations

from typing import Annotated

import typer

from shopreviews.kit.cli import JsonOpt, emit, load_settings
from shopreviews.widget import service

widget_app = typer.Typer(help="The storefront review widget.", no_args_is_help=True)


@widget_app.command("sri")
def sri(
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="The service's public URL (default: SHOPREVIEWS_PUBLIC_URL's).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the module's hashed name, its SRI hash and the <script> tag that pins both."""
    base = (base_url or load_settings().base_url()).rstrip("/")
    current = service.module()
    url = f"{base}{service.PATH_PREFIX}{current.hashed_name}"
    tag = (
        f'<script type="module" src="{url}" integrity="{current.integrity}" '
        'crossorigin="anonymous"></script>'
    )
    emit(
        as_json,
        {
            "name": current.hashed_name,
            "url": url,
            "integrity": current.integrity,
            "gzip_bytes": current.gzipped_size(),
            "script_tag": tag,
        },
        f"{current.hashed_name} {current.integrity}\n{tag}",
    )
