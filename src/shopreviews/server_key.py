"""The server key: SHOPREVIEWS_SECRET_KEY, else the key file, which the first command that needs
the key creates (mode 0600). An explicit step of building a process's context (and of `serve`,
before its worker processes start): reading the settings never writes a file."""

from __future__ import annotations

import logging
import os
import secrets

from shopreviews.settings import Settings

# The logger the operators' guide shows on the "generated a new server key" notice.
log = logging.getLogger("shopreviews.settings")


def load_or_create(settings: Settings) -> str:
    """The key from the settings, else read from the key file, else created in it."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.key_file
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # O_EXCL + 0600: never overwrite a key another process just wrote, never world-readable.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.warning(
        "generated a new server key in %s (mode 0600); keep it safe and back it up",
        path.resolve(),
    )
    return key
