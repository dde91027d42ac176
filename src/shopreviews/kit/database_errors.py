"""Why a process could not use its database, in one line an operator can act on.

A wrong SHOPREVIEWS_DATABASE_URL, a server that is down, a database not created yet, a SQLite
file in a directory that does not exist: the drivers report each as an exception several
hundred lines of traceback deep. `explain` names the setting, the URL (password hidden) and
what to do; any other error is left alone (None), so a bug still shows its traceback.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from shopreviews.settings import shown_database_url

SETTING = "SHOPREVIEWS_DATABASE_URL"


def explain(error: BaseException, database_url: str) -> str | None:
    """One line saying why the database of `database_url` could not be used and what to do, or
    None when `error` is not a database configuration or connection problem."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        reason = _sqlite_reason(error, url)
    else:
        reason = _postgres_reason(error, url)
    if reason is None:
        return None
    return f"cannot use the database of {SETTING} ({shown_database_url(database_url)}): {reason}"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and every error behind it: causes, contexts, and SQLAlchemy's wrapped one."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for behind in (current.__cause__, current.__context__, getattr(current, "orig", None)):
            if isinstance(behind, BaseException):
                pending.append(behind)


# --- PostgreSQL --------------------------------------------------------------------------

# SQLSTATE classes of the errors a server gives before any work is done: the connection
# (08), the authorization (28), the database name (3D), its resources (53), its state (57P).
_CONNECTION_STATES = ("08", "28", "3D", "53", "57P")


def _postgres_reason(error: BaseException, url: URL) -> str | None:
    for cause in _causes(error):
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and (state.startswith(_CONNECTION_STATES) or state == "42501"):
            return _server_refusal(state, _server_message(cause), url)
    for cause in _causes(error):
        if isinstance(cause, OSError) and _raised_in_driver(cause):
            return _network_failure(cause, url)
    return None


def _server_message(error: BaseException) -> str:
    # The driver's own error carries the server's message; SQLAlchemy's adapted copy of it
    # starts with the class name ("<class '...'>: ...").
    cause = error.__cause__ if error.__cause__ is not None else error
    return str(cause).splitlines()[0] if str(cause) else type(cause).__name__


def _server_refusal(state: str, message: str, url: URL) -> str:
    user = url.username or "(the operating system user)"
    database = url.database or user
    if state == "3D000":
        return f'database "{database}" does not exist (create it with createdb {database})'
    if state == "28P01":
        return (
            f'password authentication failed for user "{user}": correct the user or the '
            "password in the URL (percent-encode special characters: @ as %40)"
        )
    if state == "28000" and message.startswith("role "):
        return f"{message} (create it with createuser {user}, or correct the user in the URL)"
    if state.startswith("28"):
        return f"{message}: let this user connect from this host (pg_hba.conf) or change the URL"
    if state == "42501":
        return (
            f"{message}: make user {user} the owner of database {database}, or grant it the rights"
        )
    if state == "53300":
        return (
            f"{message}: the server has no connection to spare; lower SHOPREVIEWS_DB_POOL_SIZE "
            "or raise the server's max_connections"
        )
    if state.startswith("57P"):
        return f"{message}: the server is starting or stopping; try again in a moment"
    return f"{message}: check that the server at {_address(url)} is a working PostgreSQL server"


def _raised_in_driver(error: OSError) -> bool:
    """Whether the error came up through the PostgreSQL driver (a connection attempt), rather
    than from anything else the command did with files or sockets."""
    frame = error.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
            return True
        frame = frame.tb_next
    return False


def _address(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _network_failure(error: OSError, url: URL) -> str:
    address = _address(url)
    if isinstance(error, ConnectionRefusedError):
        return (
            f"connection refused by {address}: start PostgreSQL there, "
            "or correct the host and port in the URL"
        )
    if isinstance(error, socket.gaierror):
        return f'host "{url.host}" not found: correct the host name in the URL'
    if isinstance(error, TimeoutError):
        return (
            f"no answer from {address} (timed out): check the host and port, and that no "
            "firewall drops the connection"
        )
    reason = error.strerror or str(error) or type(error).__name__
    return (
        f"cannot connect to {address} ({reason.lower()}): check that PostgreSQL runs there "
        "and the network reaches it"
    )


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_reason(error: BaseException, url: URL) -> str | None:
    path = Path(url.database or "")
    for cause in _causes(error):
        if not isinstance(cause, sqlite3.DatabaseError):
            continue
        message = str(cause)
        if "unable to open database file" in message:
            return _unopenable(path)
        if "readonly database" in message:
            return f"{_shown(path)} is read-only for this user: give the user write access to it"
        if "file is not a database" in message:
            return f"{_shown(path)} is not a SQLite database: correct the path in the URL"
        if "disk is full" in message or "disk I/O error" in message:
            return f"{message} writing {_shown(path)}: free space or check the disk"
    return None


def _unopenable(path: Path) -> str:
    """Why SQLite could not open (or create) the file, from what is at its path."""
    folder = path.absolute().parent
    if not folder.exists():
        return f"directory {folder} does not exist: create it, or correct the path in the URL"
    if not folder.is_dir():
        return f"{folder} is not a directory: correct the path in the URL"
    if path.is_dir():
        return f"{_shown(path)} is a directory: name a file in it, e.g. {path / 'shopreviews.db'}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"directory {folder} is not writable by this user (SQLite writes its journal "
            "beside the file): give the user write access, or choose another directory"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{_shown(path)} is not readable and writable by this user: change its owner"
    return (
        f"SQLite cannot create or open {_shown(path)}: check that this user may write to "
        f"{folder}, or correct the path in the URL"
    )


def _shown(path: Path) -> str:
    return str(path.absolute())
