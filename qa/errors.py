"""Errors whose messages are safe to show a user as they are, and every error code of the API.

Each class carries a stable machine-readable `code` and the HTTP status the app answers with;
the CLI prints the message on one line. `CODES` lists every code the API can answer with, by
status; the OpenAPI document and docs/api.md are made from it, and a test checks that every
code raised anywhere is in it.
"""

from __future__ import annotations

# Request validation (400).
INVALID_JSON = "invalid_json"
INVALID_REQUEST = "invalid_request"
MISSING_QUESTION = "missing_question"
INVALID_QUESTION = "invalid_question"
EMPTY_QUESTION = "empty_question"
QUESTION_TOO_LONG = "question_too_long"
INVALID_K = "invalid_k"
INVALID_HISTORY = "invalid_history"
INVALID_FILTER = "invalid_filter"
INVALID_ARTICLE = "invalid_article"
# Access (401, 403).
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
ADMIN_DISABLED = "admin_disabled"
# Protocol (404, 405, 413, 415, 429) and the server's state (409, 500, 503).
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
CONFLICT = "conflict"
INDEX_BUSY = "index_busy"
REQUEST_TOO_LARGE = "request_entity_too_large"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
TOO_MANY_REQUESTS = "too_many_requests"
INTERNAL_ERROR = "internal_error"
INDEX_UNAVAILABLE = "index_unavailable"
INDEX_WRITE_FAILED = "index_write_failed"
MODEL_UNAVAILABLE = "model_unavailable"

# Status -> (what it means, the codes it carries). Only the CLI uses "invalid_setting" and
# "fetch_failed".
CODES: dict[int, tuple[str, tuple[str, ...]]] = {
    400: (
        "The request is not valid; `error.code` says which rule it broke.",
        (
            INVALID_JSON,
            INVALID_REQUEST,
            MISSING_QUESTION,
            INVALID_QUESTION,
            EMPTY_QUESTION,
            QUESTION_TOO_LONG,
            INVALID_K,
            INVALID_HISTORY,
            INVALID_FILTER,
            INVALID_ARTICLE,
        ),
    ),
    401: ("An admin endpoint was called without a bearer token.", (UNAUTHORIZED,)),
    403: (
        "The bearer token is wrong, or admin endpoints are off (no QA_ADMIN_TOKEN).",
        (FORBIDDEN, ADMIN_DISABLED),
    ),
    404: ("No such article or page.", (NOT_FOUND,)),
    405: (
        "The path does not take this method (the Allow header lists the ones it takes).",
        (METHOD_NOT_ALLOWED,),
    ),
    409: (
        "An article with that id and different content exists, or another build is running.",
        (CONFLICT, INDEX_BUSY),
    ),
    413: ("The request body is larger than QA_MAX_REQUEST_BYTES.", (REQUEST_TOO_LARGE,)),
    415: ("A POST body that is not sent as application/json.", (UNSUPPORTED_MEDIA_TYPE,)),
    429: (
        "Too many requests from this client (QA_RATE_LIMIT); see the Retry-After header.",
        (TOO_MANY_REQUESTS,),
    ),
    500: ("A fault on the server's side; it is logged.", (INTERNAL_ERROR,)),
    503: (
        "No usable index (the message says how to build or rebuild it), the embedding model "
        "cannot be loaded, or the index could not be written (POST /articles; nothing was added).",
        (INDEX_UNAVAILABLE, MODEL_UNAVAILABLE, INDEX_WRITE_FAILED),
    ),
}


def status_of(code: str) -> int:
    """The HTTP status that carries `code` (500 for a code not in `CODES`)."""
    return next((status for status, (_, codes) in CODES.items() if code in codes), 500)


class QAError(Exception):
    """Base class: `str(error)` is a complete sentence a user can act on."""

    code = INTERNAL_ERROR

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)

    @property
    def http_status(self) -> int:
        return status_of(self.code)


class BadRequest(QAError):
    code = INVALID_REQUEST


class Unauthorized(QAError):
    code = UNAUTHORIZED


class Forbidden(QAError):
    code = FORBIDDEN


class NotFound(QAError):
    code = NOT_FOUND


class Conflict(QAError):
    code = CONFLICT


class IndexUnavailable(QAError):
    """No usable index: never built, built by another model, or damaged."""

    code = INDEX_UNAVAILABLE


class ArticleError(QAError):
    """An article (file or record) that cannot be read; it is skipped, never half-imported."""

    code = INVALID_ARTICLE


class IndexBusy(QAError):
    """Another build holds the index lock."""

    code = INDEX_BUSY


class FetchError(QAError):
    """A page or feed that could not be fetched: unreachable, too slow, too large, not a page.
    Only the CLI (`qa add URL`, `qa watch`) meets it, so its code is not one of the API's."""

    code = "fetch_failed"
