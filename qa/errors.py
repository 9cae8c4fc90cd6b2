"""Errors whose messages are safe to show a user as they are.

Each class carries a stable machine-readable `code` and the HTTP status the app answers with;
the CLI prints the message on one line.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class: `str(error)` is a complete sentence a user can act on."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class BadRequest(QAError):
    code = "bad_request"
    http_status = 400


class Unauthorized(QAError):
    code = "unauthorized"
    http_status = 401


class Forbidden(QAError):
    code = "forbidden"
    http_status = 403


class NotFound(QAError):
    code = "not_found"
    http_status = 404


class Conflict(QAError):
    code = "conflict"
    http_status = 409


class IndexUnavailable(QAError):
    """No usable index: never built, built by another model, or damaged."""

    code = "index_unavailable"
    http_status = 503


class ArticleError(QAError):
    """An article (file or record) that cannot be read; it is skipped, never half-imported."""

    code = "invalid_article"
    http_status = 400


class IndexBusy(QAError):
    """Another build holds the index lock."""

    code = "index_busy"
    http_status = 409


class FetchError(QAError):
    """A page or feed that could not be fetched: unreachable, too slow, too large, not a page."""

    code = "fetch_failed"
    http_status = 502
