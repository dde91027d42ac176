"""What the tests that start programs in subprocesses share: a free loopback port to give a
server, and the installed `shopreviews` console script."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def console_script() -> str:
    """The `shopreviews` script installed beside this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).parent / "shopreviews"
    if beside.exists():
        return str(beside)
    found = shutil.which("shopreviews")
    if found is None:
        pytest.fail("the shopreviews console script is not installed (pip install -e .)")
    return found
