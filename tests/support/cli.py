"""The operator CLI as the tests run it: in process, through typer's CliRunner, with the
environment, working directory and standard streams a `shopreviews` process of its own would
have; or, for the few end-to-end checks, as the installed console script in a subprocess.

In process is what keeps the CLI tests fast: no interpreter start-up and imports per command.
What a command can see is the same either way: only the SHOPREVIEWS_ variables a test sets,
its own working directory (the key file, .env), its own standard input and output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from shopreviews.cli import app
from tests.support.programs import console_script

# Seconds a console script in a subprocess may take before the test fails.
CLI_TIMEOUT = 120


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit status and what it wrote on each stream."""

    returncode: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """`shopreviews` commands in a working directory of their own, on one database."""

    cwd: Path
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)

    def settings_env(self, **overrides: str) -> dict[str, str]:
        """The SHOPREVIEWS_ variables a command sees: the database, then what the test sets."""
        return {"SHOPREVIEWS_DATABASE_URL": self.database_url, **self.extra_env, **overrides}

    def process_env(self, **overrides: str) -> dict[str, str]:
        """The environment of a console script in a subprocess: this one without any
        SHOPREVIEWS_ setting of the person running the tests, so only what a test sets counts."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPREVIEWS_")}
        return {**env, **self.settings_env(**overrides)}

    def run(self, *args: str, ok: bool = True, input: str | None = None, **env: str) -> Ran:
        # The same rule in process: every SHOPREVIEWS_ variable of this process is unset for the
        # command (None), then the test's are set.
        command_env: dict[str, str | None] = {
            k: None for k in os.environ if k.startswith("SHOPREVIEWS_")
        }
        command_env.update(self.settings_env(**env))
        with contextlib.chdir(self.cwd), _logging_put_back():
            result = CliRunner().invoke(app, list(args), input=input, env=command_env)
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            # What the console script would have printed before exiting with status 1.
            stderr += "".join(traceback.format_exception(result.exception))
        ran = Ran(result.exit_code, result.stdout, stderr)
        if ok:
            assert ran.returncode == 0, (args, ran.stdout, ran.stderr)
        return ran

    def json(self, *args: str, **env: str) -> Any:
        result = self.run(*args, "--json", **env)
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1, result.stdout  # one JSON object, nothing else on stdout
        return json.loads(lines[0])

    def fails(self, *args: str, input: str | None = None, **env: str) -> Ran:
        result = self.run(*args, ok=False, input=input, **env)
        assert result.returncode != 0, (args, result.stdout)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def error(self, *args: str, input: str | None = None, **env: str) -> str:
        """The one line a failing command prints: exit status 1, nothing on stdout."""
        result = self.fails(*args, input=input, **env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stdout == "", (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        return lines[0]

    def json_error(self, *args: str, input: str | None = None, **env: str) -> str:
        """The --json form of `error`: one JSON object {"error": ...} on stderr."""
        result = self.fails(*args, "--json", input=input, **env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stdout == "", (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        answer = json.loads(lines[0])
        assert set(answer) == {"error"}, answer
        return str(answer["error"])

    # From an async test: each command runs its own event loop, so it runs in a thread.
    async def run_async(self, *args: str, **kwargs: Any) -> Ran:
        return await asyncio.to_thread(self.run, *args, **kwargs)

    async def json_async(self, *args: str, **env: str) -> Any:
        return await asyncio.to_thread(self.json, *args, **env)

    async def error_async(self, *args: str, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.error, *args, **kwargs)


def create_shop(cli: Cli, shop_id: str, domain: str) -> dict[str, Any]:
    """`shop create --json`: the shop's id, domain, name and tokens."""
    data = cli.json("shop", "create", "--shop-id", shop_id, "--domain", domain)
    assert isinstance(data, dict)
    return data


@dataclass
class ConsoleScript(Cli):
    """The same commands run by the installed `shopreviews` console script, each in a
    subprocess of its own: for the end-to-end checks of the real program."""

    script: str = field(default_factory=console_script)

    def run(self, *args: str, ok: bool = True, input: str | None = None, **env: str) -> Ran:
        done = subprocess.run(
            [self.script, *args],
            cwd=self.cwd,
            env=self.process_env(**env),
            input=input,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        ran = Ran(done.returncode, done.stdout, done.stderr)
        if ok:
            assert ran.returncode == 0, (args, ran.stdout, ran.stderr)
        return ran


@contextlib.contextmanager
def _logging_put_back() -> Iterator[None]:
    """Every command sets up the "shopreviews" logger for its process, with a handler on the
    command's standard error. In process that logger is the test session's: put it back."""
    logger = logging.getLogger("shopreviews")
    handlers, level, propagate = logger.handlers[:], logger.level, logger.propagate
    try:
        yield
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
