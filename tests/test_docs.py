"""The README keeps up with the code: every setting and every CLI command and option is there."""

from __future__ import annotations

import dataclasses

from qa.cli import build_parser
from qa.settings import ENV_PREFIX, REPOSITORY, Settings

README = (REPOSITORY / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for field in dataclasses.fields(Settings):
        assert f"`{ENV_PREFIX}{field.name.upper()}`" in README, field.name


def test_every_command_and_option_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        assert f"`qa {name}" in README, name
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in README, f"qa {name} {option}"
