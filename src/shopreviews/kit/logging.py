"""Log configuration: readable lines by default, JSON lines for log shippers
(SHOPREVIEWS_LOG_FORMAT=json).

Every line names its time, level, logger and event, and the request it was written for
(`request_id`) when it was written while answering one. The HTTP server's own few lines (its
warnings and errors) go through the same handler, so a JSON log holds nothing but JSON lines.

Every record is exactly one line. Logged values carry what clients sent (paths, queries, header
values, email addresses), so a control character in them must never reach the output raw: a
newline would forge a log line, a NUL or an escape sequence would corrupt files and terminals.
JSON escapes them itself; the text renderer gets them escaped first (`\\n`, `\\x00`, ...).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from shopreviews.kit.envelope import request_id_var
from shopreviews.settings import Settings

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(_escape_char, text)


# Rendered by the console renderer as they are; every other value as key=value.
_PLAIN_COLUMNS = frozenset({"event", "timestamp", "level", "logger", "logger_name"})
# A key=value string holding one of these is written with repr(), which escapes every control
# character itself (escaping it first would double the backslashes).
_REPR_TRIGGERS = frozenset(" \t=\r\n\"'")


def _escape_values(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Non-text values are written with repr() too. The traceback is rendered later, from
    # exc_info, and keeps its lines.
    for key, value in event_dict.items():
        if isinstance(value, str) and (key in _PLAIN_COLUMNS or not _REPR_TRIGGERS & set(value)):
            event_dict[key] = escape_controls(value)
    return event_dict


def _add_request_id(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Any line written while a request is answered names it, not only the access line.
    request_id = request_id_var.get()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    return event_dict


def build_formatter(settings: Settings) -> logging.Formatter:
    processors: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _add_request_id,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[structlog.typing.Processor] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta
    ]
    # Plain tracebacks only: "rich" ones print local variables, which can hold secrets
    # (request bodies, tokens) and take minutes to render for large values.
    renderer: structlog.typing.Processor
    if settings.logs_json:
        final.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        final.append(_escape_values)
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=processors, processors=[*final, renderer]
    )


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(build_formatter(settings))
    root = logging.getLogger("shopreviews")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = True
    # The HTTP server's lines: kit/serving.py has uvicorn install no handler of its own, and
    # uvicorn sets its loggers' levels itself (warnings and errors; its access log is off: the
    # access line is the request layer's).
    server = logging.getLogger("uvicorn")
    server.handlers[:] = [handler]
    server.propagate = False
