"""The reference pages are made from the code and kept current: docs/api.md from the routes and
shapes, docs/cli.md from the argument parser, docs/settings.md from `Settings`. A change to any
of them that is not followed by `python -m qa.reference` fails here."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from qa import errors, reference
from qa.cli import build_parser
from qa.settings import DESCRIPTIONS, ENV_PREFIX, Settings


@pytest.mark.parametrize("name", sorted(reference.PAGES))
def test_the_reference_page_is_current(name):
    written = (reference.DOCS / name).read_text(encoding="utf-8")
    assert written == reference.PAGES[name](), f"docs/{name} is stale: run python -m qa.reference"


def test_every_setting_has_a_description():
    assert set(DESCRIPTIONS) == {field.name for field in dataclasses.fields(Settings)}
    assert all(text.strip().endswith(".") for text in DESCRIPTIONS.values())


def test_every_command_and_option_says_what_it_does():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert command.description, name
        for action in command._actions:
            if "-h" not in action.option_strings:
                assert action.help, f"qa {name} {action.dest}"


def sections(page: str) -> dict[str, str]:
    """A page's `## ` sections by heading."""
    return {part.split("\n", 1)[0]: part for part in page.split("\n## ")[1:]}


def test_every_command_is_shown_with_each_of_its_arguments():
    cli = sections(reference.PAGES["cli.md"]())
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert len(cli) == len(commands.choices)
    for name, command in commands.choices.items():
        section = cli[f"`qa {name}`"]
        for action in command._actions:
            if "-h" in action.option_strings:
                continue
            shown = action.option_strings or [action.metavar or action.dest]
            for flag in shown:
                assert f"| `{flag}" in section, f"qa {name} {flag}"
            assert f"| {action.help} |" in section, f"qa {name} {action.dest}"


def test_every_setting_is_shown_with_its_default():
    rows = reference.PAGES["settings.md"]().splitlines()
    defaults = Settings()
    for field in dataclasses.fields(Settings):
        variable = f"{ENV_PREFIX}{field.name.upper()}"
        (row,) = [row for row in rows if row.startswith(f"| `{variable}` |")]
        value = getattr(defaults, field.name)
        shown = f"`{value}`"
        if value is None:
            shown = "unset"
        elif isinstance(value, Path):  # shown relative to the repository
            shown = f"`{value.name}/"
        assert shown in row and DESCRIPTIONS[field.name] in row, row


def test_every_error_code_is_shown_with_its_status():
    api = reference.PAGES["api.md"]()
    for status, (meaning, codes) in errors.CODES.items():
        (row,) = [row for row in api.splitlines() if row.startswith(f"| {status} |")]
        assert all(f"`{code}`" in row for code in codes) and meaning in row, row
    # and limits that are settings, as the default settings set them
    assert f"| `k` | integer from 1 to {Settings().max_k} |" in api


def test_the_readme_starts_like_a_product_and_its_links_resolve():
    readme = (reference.REPOSITORY / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    first_screen = "\n".join(lines[:60])
    assert len(lines) < 200
    for needed in ("make serve", "make test", "](docs/screenshot.png)"):
        assert needed in first_screen, needed
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        assert (reference.REPOSITORY / target).exists(), target


def test_every_module_is_in_the_architecture_table():
    table = (reference.DOCS / "architecture.md").read_text(encoding="utf-8")
    package = reference.REPOSITORY / "qa"
    for path in sorted(package.glob("*.py")):
        if not path.name.startswith("__"):
            assert f"`qa/{path.name}`" in table, path.name
    for named in re.findall(r"`(qa/[\w/]+\.py)`", table):
        assert (reference.REPOSITORY / named).is_file(), named
