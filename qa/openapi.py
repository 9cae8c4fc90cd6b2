"""The OpenAPI 3.1 document, made from the routes and the shapes of `qa.contract`.

Each view function says what it takes and answers with `@documented(Operation(...))`; this
module walks the app's routes and writes the document from those operations, the JSON Schemas
pydantic gives for the shapes, and the error codes of `qa.errors`. Nothing is written twice:
a route without an operation fails the tests, and so does a real answer that does not validate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from qa import contract
from qa.errors import CODES
from qa.settings import Settings

JSON = "application/json"
ALWAYS = (405, 429, 500)  # any operation: another method on its path, the rate limit, a fault


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers, for the document."""

    summary: str
    responses: dict[int, tuple[str, type[BaseModel] | None]]  # status -> (description, shape)
    body: type[contract.Request] | None = None
    errors: tuple[int, ...] = ()
    media: str = JSON  # of the successful responses; a shape of None with JSON: any object
    admin: bool = False
    parameters: dict[str, str] = field(default_factory=dict)  # path parameter -> description


F = TypeVar("F", bound=Callable[..., Any])


def documented(operation: Operation) -> Callable[[F], F]:
    """Attach `operation` to a view function (the document reads it from there)."""

    def attach(view: F) -> F:
        view.operation = operation  # type: ignore[attr-defined]
        return view

    return attach


def openapi_document(app: Flask, settings: Settings) -> dict[str, Any]:
    """The whole document for `app`'s routes, with the limits of `settings` in it."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        operation: Operation | None = getattr(app.view_functions[rule.endpoint], "operation", None)
        if operation is None:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, operation)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "qa-news",
            "version": "1",
            "description": "Ask questions of a folder of news articles; get cited passages. "
            'Every error is `{"error": {"code", "message"}}`.',
        },
        "paths": paths,
        "components": {
            "schemas": schemas(app, settings),
            "responses": {str(status): _error_response(status) for status in CODES},
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
        },
    }


def schemas(app: Flask, settings: Settings) -> dict[str, Any]:
    """JSON Schemas of every shape the operations use, and of the error body."""
    requests: set[type[BaseModel]] = set()
    responses: set[type[BaseModel]] = {contract.ErrorBody}
    for view in app.view_functions.values():
        operation: Operation | None = getattr(view, "operation", None)
        if operation is None:
            continue
        if operation.body is not None:
            requests.add(operation.body)
        responses |= {shape for _, shape in operation.responses.values() if shape is not None}
    _, document = models_json_schema(
        [(model, "validation") for model in sorted(requests, key=lambda m: m.__name__)]
        + [(model, "serialization") for model in sorted(responses, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    found: dict[str, Any] = document.get("$defs", {})
    for model in requests:
        properties = found[model.__name__]["properties"]
        for name, keywords in model.limits(settings).items():  # type: ignore[attr-defined]
            properties[name].update(keywords)
    return found


def _ref(shape: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{shape.__name__}"}


def _operation(endpoint: str, operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, shape) in sorted(operation.responses.items()):
        if operation.media == JSON:
            schema: dict[str, Any] = _ref(shape) if shape else {"type": "object"}
        else:
            schema = {"type": "string"} if operation.media.startswith("text/") else {}
        responses[str(status)] = {
            "description": description,
            "content": {operation.media: {"schema": schema}},
        }
    taken = {415} if operation.body is not None else set()  # a POST body that is not JSON
    for status in sorted(set(operation.errors) | set(ALWAYS) | taken):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    document: dict[str, Any] = {
        "operationId": re.sub(r"_(\w)", lambda m: m.group(1).upper(), endpoint.split(".")[-1]),
        "summary": operation.summary,
        "responses": responses,
    }
    if operation.parameters:
        document["parameters"] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": description,
            }
            for name, description in operation.parameters.items()
        ]
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _ref(operation.body)}},
        }
    if operation.admin:
        document["security"] = [{"adminToken": []}]
    return document


def _error_response(status: int) -> dict[str, Any]:
    description, codes = CODES[status]
    schema = {
        "allOf": [
            _ref(contract.ErrorBody),
            {"properties": {"error": {"properties": {"code": {"enum": list(codes)}}}}},
        ]
    }
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds until the client may ask again.",
                "schema": {"type": "string"},
                "required": True,
            }
        }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}
    return response
