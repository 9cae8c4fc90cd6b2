"""`create_app`: the Flask app that serves the routes of `qa.routes`.

It wires things and holds the policies that apply to every route: one JSON error shape
(`{"error": {"code": "...", "message": "..."}}`) for our errors and Flask's alike, POST bodies
only as JSON (415 otherwise), the request size limit, the rate limit and security headers.
Nothing heavy happens here: the model and the index load on first use.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from qa import errors
from qa.contract import error_body
from qa.embedding import Embedder
from qa.errors import QAError, Unauthorized
from qa.ratelimit import install_rate_limit
from qa.routes import api, page
from qa.service import QAService
from qa.settings import Settings

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    service: QAService | None = None,
) -> Flask:
    """Make the app over `settings` (default: from the environment)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["qa_service"] = service or QAService(settings, embedder=embedder)
    app.register_blueprint(api)
    app.register_blueprint(page)
    app.before_request(_json_bodies_only)
    _install_error_handlers(app, settings)
    install_rate_limit(app, settings)
    app.after_request(_security_headers)
    return app


def _json_bodies_only() -> None:
    """A POST must say its body is JSON (`application/json`, or a `+json` type)."""
    if request.method != "POST" or request.routing_exception is not None:
        return  # no such route or method: that is the answer (404, 405)
    media = request.mimetype
    if media != "application/json" and not media.endswith("+json"):
        sent = f"as {media}" if media else "without a Content-Type"
        raise QAError(
            f"The request body was sent {sent}; send JSON with 'Content-Type: application/json'.",
            code=errors.UNSUPPORTED_MEDIA_TYPE,
        )


# Flask's own errors in our words (the rate limit's message names the limit).
_HTTP_MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not take {method} requests.",
    413: "The request body is larger than the limit of {limit:,} bytes (QA_MAX_REQUEST_BYTES).",
}


def _install_error_handlers(app: Flask, settings: Settings) -> None:
    @app.errorhandler(QAError)
    def qa_error(error: QAError) -> tuple[Response, int]:
        response = jsonify(error_body(error.code, error.message))
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="qa"'
        return response, error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        template = _HTTP_MESSAGES.get(status)
        message = (
            template.format(method=request.method, limit=settings.max_request_bytes)
            if template
            else error.description or error.name
        )
        if status == 429:  # flask-limiter's description is only the limit, e.g. "60 per 1 minute"
            message = f"Too many requests: the limit is {message}. Retry after a short wait."
        response = jsonify(error_body(code, message))
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("Unexpected error on %s %s", request.method, request.path)
        body = error_body(errors.INTERNAL_ERROR, "Something went wrong on our side.")
        return jsonify(body), 500


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
