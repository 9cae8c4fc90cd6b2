"""The reference pages made from the code: docs/api.md, docs/cli.md and docs/settings.md.

    python -m qa.reference           write them
    python -m qa.reference --check   exit 1 when one is out of date (tests/test_docs.py does this)

The API page comes from the routes and shapes (the same OpenAPI document /openapi.json serves),
the CLI page from the argument parser, the settings page from `Settings` and its descriptions,
so none of them can say something the code does not do.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from qa.errors import CODES
from qa.settings import DESCRIPTIONS, ENV_PREFIX, REPOSITORY, Settings

DOCS = REPOSITORY / "docs"
GENERATED = "<!-- Made by `python -m qa.reference` from the code; do not edit by hand. -->"


def settings_page() -> str:
    defaults = Settings()
    lines = [
        "# Settings",
        "",
        GENERATED,
        "",
        "Each setting is read from its environment variable when a command starts; the "
        "command's own options (docs/cli.md) override it.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for field in dataclasses.fields(Settings):
        value = getattr(defaults, field.name)
        shown = "unset" if value is None else f"`{_relative(value)}`"
        description = DESCRIPTIONS[field.name]
        lines.append(f"| `{ENV_PREFIX}{field.name.upper()}` | {shown} | {description} |")
    return "\n".join(lines) + "\n"


def _relative(value: Any) -> str:
    if isinstance(value, Path) and value.is_relative_to(REPOSITORY):
        return f"{value.relative_to(REPOSITORY)}/ in this repository"
    return str(value)


def cli_page() -> str:
    import os

    from qa.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps usage lines to the terminal's width
    parser = build_parser()
    lines = ["# The `qa` command", "", GENERATED, "", parser.description or "", ""]
    lines += [
        "`python -m qa ...` works the same. Mistakes end with one line, `qa: error: ...`, and "
        "exit status 1. Settings (docs/settings.md) come from `QA_...` variables; the options "
        "below override them.",
        "",
    ]
    for name, command in _commands(parser).items():
        lines += [f"## `qa {name}`", "", command.description or "", ""]
        lines += ["```", command.format_usage().strip(), "```", ""]
        rows = []
        for action in command._actions:
            if action.help == argparse.SUPPRESS or "-h" in action.option_strings:
                continue
            named = action.metavar if isinstance(action.metavar, str) else action.dest
            flags = ", ".join(action.option_strings) or named
            if action.option_strings and action.nargs != 0:
                choices = "{" + ",".join(map(str, action.choices)) + "}" if action.choices else ""
                metavar = action.metavar if isinstance(action.metavar, str) else None
                flags += f" {metavar or choices or action.dest.upper()}"
            rows.append(f"| `{flags}` | {action.help or ''} |")
        if rows:
            lines += ["| argument | meaning |", "|---|---|", *rows, ""]
    return "\n".join(lines).rstrip() + "\n"


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def api_page() -> str:
    from qa.app import create_app
    from qa.openapi import openapi_document

    settings = Settings()
    document = openapi_document(create_app(settings), settings)
    schemas = document["components"]["schemas"]
    lines = ["# The HTTP API", "", GENERATED, "", document["info"]["description"], ""]
    lines += [
        "Limits below are the defaults; they follow the settings (docs/settings.md), and "
        "`GET /openapi.json` serves this same description as OpenAPI 3.1 with the running "
        "server's limits.",
        "",
    ]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            lines += [f"## `{method.upper()} {path}`", "", operation["summary"], ""]
            if operation.get("security"):
                lines += ["Needs `Authorization: Bearer <QA_ADMIN_TOKEN>`.", ""]
            body = operation.get("requestBody")
            if body:
                name = _ref_name(body["content"]["application/json"]["schema"])
                lines += [f"Request body: [{name}](#{name.lower()}).", ""]
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    continue
                media, content = next(iter(response["content"].items()))
                schema = content["schema"]
                shape = f"[{_ref_name(schema)}](#{_ref_name(schema).lower()})"
                what = shape if "$ref" in schema else f"`{media}`"
                lines.append(f"- `{status}`: {response['description']} {what}")
            errors = [s for s, r in operation["responses"].items() if "$ref" in r]
            lines += [f"- errors: {', '.join(errors)} (see [Errors](#errors))", ""]
    requests = {
        _ref_name(operation["requestBody"]["content"]["application/json"]["schema"])
        for methods in document["paths"].values()
        for operation in methods.values()
        if "requestBody" in operation
    }
    lines += ["# Request bodies", ""]
    for name in sorted(requests):
        lines += _schema_section(name, schemas[name], request=True)
    lines += ["# Response bodies", ""]
    for name in sorted(set(schemas) - requests):
        lines += _schema_section(name, schemas[name], request=False)
    lines += ["# Errors", ""]
    lines += [
        'Every error, on every endpoint, is `{"error": {"code": "...", "message": "..."}}`; '
        "the message is a sentence that can be shown to a person.",
        "",
        "| status | codes | meaning |",
        "|---|---|---|",
    ]
    for status, (meaning, codes) in CODES.items():
        lines.append(f"| {status} | {', '.join(f'`{code}`' for code in codes)} | {meaning} |")
    return "\n".join(lines) + "\n"


def _schema_section(name: str, schema: dict[str, Any], *, request: bool) -> list[str]:
    """A shape as a table; a request's fields say whether they are required."""
    lines = [f"## {name}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | meaning |", "|---|---|---|"]
    for field, spec in schema.get("properties", {}).items():
        meaning = " ".join(spec.get("description", "").split())
        if request and field in required:
            meaning += " Required."
        elif request:
            default = f", default `{_json(spec['default'])}`" if "default" in spec else ""
            meaning += f" Optional{default}."
        lines.append(f"| `{field}` | {describe_type(spec)} | {meaning.strip()} |")
    return [*lines, ""]


def describe_type(spec: dict[str, Any]) -> str:
    """A JSON Schema fragment in words: "integer from 1 to 50", "list of [Passage](#passage)"."""
    if "$ref" in spec:
        name = _ref_name(spec)
        return f"[{name}](#{name.lower()})"
    if "anyOf" in spec:
        kinds = [describe_type(option) for option in spec["anyOf"]]
        return " or ".join(kinds)
    if "const" in spec:
        return f"`{_json(spec['const'])}`"
    if "enum" in spec:
        return " or ".join(f"`{_json(value)}`" for value in spec["enum"])
    kind = spec.get("type")
    if kind == "array":
        text = f"list of {describe_type(spec.get('items', {}))}"
        if "maxItems" in spec:
            text += f", at most {spec['maxItems']}"
        return text
    if kind == "null":
        return "null"
    if kind in ("integer", "number"):
        low, high = spec.get("minimum"), spec.get("maximum")
        if low is not None and high is not None:
            return f"{kind} from {low} to {high}"
        return f"{kind} >= {low}" if low is not None else str(kind)
    if kind == "string":
        high = spec.get("maxLength")
        if high is not None:
            return f"string of at most {high:,} characters"
        return "string"
    return str(kind or "any JSON")


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1] or "object"


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


PAGES = {"api.md": api_page, "cli.md": cli_page, "settings.md": settings_page}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/api.md, cli.md and settings.md.")
    parser.add_argument("--check", action="store_true", help="only say which are out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, render in PAGES.items():
        path, text = DOCS / name, render()
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)} (run `python -m qa.reference`)")
        return 1
    print("written: " + ", ".join(stale) if stale else "up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
