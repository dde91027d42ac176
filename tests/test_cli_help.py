"""The operator CLI's help, checked over the whole command tree (every command of `shopreviews`,
and every command added later): each option says what it is in a whole sentence and shows a
name for its value (`--shop-id ID`, never a type such as `<str>` or `<list[int]>`), a flag
shows no value at all, and every command can answer in JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main

from shopreviews.cli import app

# How a value's name may look in the help: upper-case words (ID, ADDRESS, CLIENT_ID) or a
# pattern of them (NAME.myshopify.com).
METAVAR = re.compile(r"[A-Z][A-Z_]*(\.[a-z]+)*")


def _commands() -> Iterator[tuple[str, Any]]:
    """Every command that runs something (not the groups), by its full name."""
    pending = [("", typer.main.get_command(app))]
    while pending:
        name, command = pending.pop()
        children = getattr(command, "commands", None)
        if children:
            pending += [(f"{name} {child}".strip(), sub) for child, sub in children.items()]
        else:
            yield name, command


def _groups() -> Iterator[tuple[str, Any]]:
    root = typer.main.get_command(app)
    yield "shopreviews", root
    yield from ((name, sub) for name, sub in root.commands.items() if hasattr(sub, "commands"))


COMMANDS = sorted(_commands(), key=lambda item: item[0])


def test_the_tree_has_every_command() -> None:
    names = {name for name, _ in COMMANDS}
    assert {
        "serve", "worker", "migrate", "demo", "sign", "shop create", "shop list",
        "shop configure", "shop disable", "shop enable", "merchant create",
        "merchant set-password", "merchant set-role", "merchant list", "merchant remove",
        "platform create",
        "platform list", "platform update", "platform rotate-secret", "platform disconnect",
        "platform delete", "webhooks requeue", "orders import", "catalogue set", "widget sri",
    } <= names  # fmt: skip


def _sentence(text: str | None) -> bool:
    text = " ".join((text or "").split())
    return bool(text) and text[0].isupper() and text.endswith(".")


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_option_has_a_sentence_and_a_named_value(name: str, command: Any) -> None:
    ctx = command.make_context(name, [], resilient_parsing=True)
    assert _sentence(command.help), (name, command.help)
    for param in command.params:
        if getattr(param, "hidden", False):
            continue  # never shown (merchant's --password only says how to give one now)
        if param.param_type_name == "argument":
            assert param.metavar and METAVAR.fullmatch(param.metavar), (name, param.name)
            assert _sentence(param.help), (name, param.name, param.help)
            continue
        shown, _ = param.get_help_record(ctx)
        assert _sentence(param.help), (name, shown, param.help)
        for spelling in shown.split(", "):
            for alternative in spelling.split(" / "):
                option, _, value = alternative.partition(" ")
                assert option.startswith("--"), (name, shown)
                if param.is_flag:
                    assert not value, (name, shown)  # a flag takes no value
                else:
                    assert METAVAR.fullmatch(value), (name, shown)
                    for noise in ("<", "[", "list", "bool"):
                        assert noise not in value, (name, shown)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_answers_in_json(name: str, command: Any) -> None:
    # No command is only interactive: the ones that ask (a password, a confirmation) take
    # their answer from standard input or an option too, and report in JSON like the rest.
    flags = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--json" in flags, name


@pytest.mark.parametrize(("name", "group"), list(_groups()), ids=lambda value: str(value))
def test_every_group_says_what_it_holds(name: str, group: Any) -> None:
    assert _sentence(group.help), (name, group.help)
    ctx = group.make_context(name, [], resilient_parsing=True)
    for param in group.params:
        shown, _ = param.get_help_record(ctx)
        assert _sentence(param.help) and " " not in shown, (name, shown, param.help)
