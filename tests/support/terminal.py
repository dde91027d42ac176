"""A program run on a terminal of its own, as an operator types at it: a pseudo-terminal is its
controlling terminal and its standard streams, so what it asks with echo off (getpass) is asked
there, and the test answers each prompt it waits for."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Seconds a prompt or the program's end may take before the test fails.
TIMEOUT = 120


@dataclass(frozen=True)
class Typed:
    """What the terminal showed (prompts and output, CR LF as the terminal writes them, with
    nothing of what was typed while echo was off) and the exit status."""

    returncode: int
    screen: str


def _take_terminal() -> None:
    # In the child, after setsid (start_new_session): the pseudo-terminal on stdin becomes the
    # controlling terminal, the /dev/tty that getpass opens.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_on_terminal(
    argv: Sequence[str],
    answers: Sequence[tuple[str, str]],
    *,
    cwd: Path,
    env: dict[str, str],
) -> Typed:
    """Run `argv`; for each (prompt, line) in turn, wait until `prompt` appears on the screen,
    then type `line` and Enter. Returns once the program has exited."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        list(argv),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env=env,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(terminal)
    screen = b""
    seen = 0  # what earlier prompts consumed
    try:
        for prompt, line in answers:
            while (found := screen.find(prompt.encode(), seen)) < 0:
                screen += _read(controller, process, screen)
            seen = found + len(prompt)
            os.write(controller, line.encode() + b"\r")
        while True:
            chunk = _read(controller, process, screen, until_exit=True)
            if not chunk:
                break
            screen += chunk
        returncode = process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    return Typed(returncode, screen.decode(errors="replace"))


def _read(
    controller: int, process: subprocess.Popen[bytes], screen: bytes, *, until_exit: bool = False
) -> bytes:
    """The next output; b"" once the program has closed the terminal (only `until_exit`)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if not ready:
            if process.poll() is not None and not until_exit:
                raise AssertionError(f"the program exited waiting for input:\n{screen!r}")
            continue
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: every process holding the terminal has closed it
            chunk = b""
        if chunk or until_exit:
            return chunk
        raise AssertionError(f"the program closed its terminal:\n{screen!r}")
    raise AssertionError(f"no output for {TIMEOUT} s; the screen so far:\n{screen!r}")
