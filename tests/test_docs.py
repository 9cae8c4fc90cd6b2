"""The reference pages are made from the code and kept current: docs/api.md from the routes and
shapes, docs/cli.md from the argument parser, docs/settings.md from `Settings`. A change to any
of them that is not followed by `python -m qa.reference` fails here."""

from __future__ import annotations

import argparse
import dataclasses
import re

import pytest

from qa import reference
from qa.cli import build_parser
from qa.settings import DESCRIPTIONS, Settings


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


def test_the_pages_show_what_the_code_says():
    api, cli, settings = (reference.PAGES[n]() for n in ("api.md", "cli.md", "settings.md"))
    assert "## `POST /ask`" in api and "| `k` | integer from 1 to 50 |" in api
    assert "| 415 | `unsupported_media_type` |" in api
    assert "## `qa eval`" in cli and "`--format {" in cli
    assert "| `QA_MAX_K` | `50` |" in settings


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
