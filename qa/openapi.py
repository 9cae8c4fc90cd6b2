"""The OpenAPI 3.1 document of the HTTP API, served at GET /openapi.json.

Written by hand, next to the shapes in qa/answers.py, and kept true by tests/test_openapi.py:
every route is documented, and real answers (and every error) validate against these schemas.
Limits that come from settings (question length, k) are filled in from the running settings.
"""

from __future__ import annotations

from typing import Any

from qa.settings import Settings

JSON = "application/json"
NULLABLE_STRING = {"type": ["string", "null"]}

# Which error codes each status carries; the README's error table says the same in words.
ERROR_CODES: dict[int, tuple[str, ...]] = {
    400: (
        "invalid_json",
        "invalid_request",
        "missing_question",
        "invalid_question",
        "empty_question",
        "question_too_long",
        "invalid_k",
        "invalid_article",
    ),
    401: ("unauthorized",),
    403: ("forbidden", "admin_disabled"),
    404: ("not_found",),
    405: ("method_not_allowed",),
    409: ("conflict", "index_busy"),
    413: ("request_entity_too_large",),
    429: ("too_many_requests",),
    503: ("index_unavailable", "index_write_failed"),
}
ERROR_DESCRIPTIONS = {
    400: "The request is not valid; `error.code` says which rule it broke.",
    401: "An admin endpoint was called without a bearer token.",
    403: "The bearer token is wrong, or admin endpoints are off (no QA_ADMIN_TOKEN).",
    404: "No such article or page.",
    405: "The path does not take this method (the Allow header lists the ones it takes).",
    409: "An article with that id and different content exists, or another build is running.",
    413: "The request body is larger than QA_MAX_REQUEST_BYTES.",
    429: "Too many requests from this client (QA_RATE_LIMIT); see the Retry-After header.",
    503: "No usable index (the message says how to build or rebuild it), or the index could "
    "not be written (POST /articles; nothing was added).",
}


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The whole document, with the limits of `settings` in the request schemas."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "qa-news",
            "version": "1",
            "description": "Ask questions of a folder of news articles; get cited passages. "
            'Every error is `{"error": {"code", "message"}}`.',
        },
        "paths": {
            "/ask": {"post": _ask_operation()},
            "/articles": {"post": _add_article_operation()},
            "/articles/{article_id}": {"get": _article_operation()},
            "/healthz": {"get": _health_operation()},
            "/": {"get": _page_operation()},
            "/openapi.json": {"get": _document_operation()},
            "/static/{name}": {"get": _static_operation()},
        },
        "components": {
            "schemas": _schemas(settings),
            "responses": {str(status): _error_response(status) for status in ERROR_CODES},
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
        },
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    # 405 and 429 can answer any operation (another method on the path; the rate limit).
    chosen = sorted(set(statuses) | {405, 429})
    return {str(status): {"$ref": f"#/components/responses/{status}"} for status in chosen}


def _error_response(status: int) -> dict[str, Any]:
    schema = {
        "allOf": [
            _ref("Error"),
            {
                "properties": {
                    "error": {"properties": {"code": {"enum": list(ERROR_CODES[status])}}}
                }
            },
        ]
    }
    response = _json_response(ERROR_DESCRIPTIONS[status], schema)
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


def _ask_operation() -> dict[str, Any]:
    return {
        "operationId": "ask",
        "summary": "The passages that best answer a question, best first, each cited.",
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("AskRequest")}}},
        "responses": {
            "200": _json_response("The answer.", _ref("AskResponse")),
            **_errors(400, 413, 503),
        },
    }


def _add_article_operation() -> dict[str, Any]:
    return {
        "operationId": "addArticle",
        "summary": "Write an article into the corpus and index it (admin).",
        "security": [{"adminToken": []}],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewArticle")}}},
        "responses": {
            "201": _json_response("Added (or replaced) and indexed.", _ref("AddedArticle")),
            "200": _json_response("The same article was already there.", _ref("AddedArticle")),
            **_errors(400, 401, 403, 409, 413, 503),
        },
    }


def _article_operation() -> dict[str, Any]:
    return {
        "operationId": "getArticle",
        "summary": "One indexed article; passage offsets index into its `body`.",
        "parameters": [
            {"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": _json_response("The article.", _ref("Article")),
            **_errors(404, 503),
        },
    }


def _health_operation() -> dict[str, Any]:
    return {
        "operationId": "health",
        "summary": "Whether an index is loaded, and which version.",
        "responses": {"200": _json_response("Serving.", _ref("Health")), **_errors(503)},
    }


def _page_operation() -> dict[str, Any]:
    return {
        "operationId": "page",
        "summary": "The chat page (HTML).",
        "responses": {
            "200": {
                "description": "The page.",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            **_errors(404),
        },
    }


def _static_operation() -> dict[str, Any]:
    return {
        "operationId": "staticFile",
        "summary": "A file of the chat page (script, style sheet, image) from web/.",
        "parameters": [
            {
                "name": "name",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "A file name under web/; nothing outside it is ever served.",
            }
        ],
        "responses": {
            "200": {"description": "The file.", "content": {"*/*": {"schema": {}}}},
            **_errors(404),
        },
    }


def _document_operation() -> dict[str, Any]:
    return {
        "operationId": "openapi",
        "summary": "This document.",
        "responses": {
            "200": _json_response("OpenAPI 3.1.", {"type": "object"}),
            **_errors(),
        },
    }


def _schemas(settings: Settings) -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "pattern": "^[a-z_]+$"},
                        "message": {"type": "string", "minLength": 1},
                    },
                }
            },
        },
        "AskRequest": {
            "type": "object",
            "required": ["question"],
            "properties": {
                "question": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": settings.max_question_chars,
                    "pattern": r"\S",
                    "description": "Not blank; surrounding whitespace is dropped.",
                },
                "k": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": settings.max_k,
                    "default": settings.default_k,
                },
            },
        },
        "AskResponse": {
            "type": "object",
            "required": ["question", "answerable", "passages", "index_version"],
            "properties": {
                "question": {"type": "string"},
                "answerable": {"type": "boolean"},
                "index_version": {"type": "string"},
                "passages": {"type": "array", "items": _ref("Passage")},
                "answer": {
                    "type": "array",
                    "description": "Extracted answer spans, best first (possibly none).",
                    "items": _ref("AnswerSpan"),
                },
            },
        },
        "Passage": {
            "type": "object",
            "required": ["text", "score", "citation"],
            "additionalProperties": False,
            "properties": {
                "text": {"type": "string"},
                "score": {"type": "number"},
                "citation": _ref("Citation"),
            },
        },
        "Citation": {
            "type": "object",
            "required": ["article_id", "title", "date", "source", "url", "start", "end"],
            "additionalProperties": False,
            "properties": {
                "article_id": {"type": "string"},
                "title": {"type": "string"},
                "date": NULLABLE_STRING,
                "source": NULLABLE_STRING,
                "url": NULLABLE_STRING,
                "start": count,
                "end": count,
            },
        },
        "AnswerSpan": {
            "type": "object",
            "required": ["text", "passage", "article_id", "start", "end"],
            "properties": {
                "text": {"type": "string"},
                "passage": {"type": "integer", "minimum": 1, "description": "1-based."},
                "article_id": {"type": "string"},
                "start": count,
                "end": count,
            },
        },
        "Article": {
            "type": "object",
            "required": ["id", "title", "date", "source", "url", "credits", "body"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "date": NULLABLE_STRING,
                "source": NULLABLE_STRING,
                "url": NULLABLE_STRING,
                "credits": {"type": "array", "items": {"type": "string"}},
                "body": {"type": "string"},
            },
        },
        "NewArticle": {
            "type": "object",
            "required": ["title", "body"],
            "additionalProperties": False,
            "properties": {
                "title": {"type": "string", "minLength": 1, "pattern": r"\S"},
                "body": {"type": "string", "minLength": 1, "pattern": r"\S"},
                "date": {**NULLABLE_STRING, "description": "Any full date; stored as ISO 8601."},
                "source": NULLABLE_STRING,
                "url": {**NULLABLE_STRING, "description": "An http(s) address."},
            },
        },
        "AddedArticle": {
            "type": "object",
            "required": ["status", "article", "index"],
            "additionalProperties": False,
            "properties": {
                "status": {"enum": ["added", "replaced", "unchanged"]},
                "article": _ref("Article"),
                "index": _ref("BuildReport"),
            },
        },
        "BuildReport": {
            "type": "object",
            "required": [
                "version",
                "added",
                "changed",
                "removed",
                "unchanged",
                "skipped",
                "passages_embedded",
                "passages_total",
                "seconds",
            ],
            "properties": {
                "version": {"type": "string"},
                "added": {"type": "array", "items": {"type": "string"}},
                "changed": {"type": "array", "items": {"type": "string"}},
                "removed": {"type": "array", "items": {"type": "string"}},
                "unchanged": count,
                "skipped": {"type": "array", "items": {"type": "string"}},
                "passages_embedded": count,
                "passages_total": count,
                "seconds": {"type": "number", "minimum": 0},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "articles", "passages", "model", "built_at", "version"],
            "properties": {
                "status": {"const": "ok"},
                "articles": count,
                "passages": count,
                "model": {"type": "string"},
                "built_at": {"type": "string"},
                "version": {"type": "string"},
            },
        },
    }
