"""Log configuration: readable lines in development, JSON lines in production."""

from __future__ import annotations

import logging
import sys

import structlog

from shopreviews.settings import Settings


def configure_logging(settings: Settings) -> None:
    processors: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Plain tracebacks only: "rich" ones print local variables, which can hold secrets
    # (request bodies, tokens) and take minutes to render for large values.
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    final: list[structlog.typing.Processor] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta
    ]
    if settings.log_json:
        final.append(structlog.processors.format_exc_info)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=processors, processors=[*final, renderer]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger("shopreviews")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = True
