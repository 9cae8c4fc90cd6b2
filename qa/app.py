"""The Flask app: /ask, /articles, /articles/<id>, /healthz, /openapi.json and the page at /.

Every error, from our code or from Flask, leaves as the same JSON shape:
`{"error": {"code": "...", "message": "..."}}` with a fitting status.
"""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException

from qa.answers import parse_ask_body
from qa.embedding import Embedder
from qa.errors import BadRequest, Forbidden, QAError, Unauthorized
from qa.openapi import openapi_document
from qa.ratelimit import install_rate_limit
from qa.service import QAService
from qa.settings import REPOSITORY, Settings

log = logging.getLogger(__name__)

WEB_FOLDER = REPOSITORY / "web"

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


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one JSON error shape of every endpoint."""
    return {"error": {"code": code, "message": message}}


def require_admin(token: str | None, authorization: str | None) -> None:
    """Admin endpoints are off without QA_ADMIN_TOKEN, and need it as a bearer token."""
    if not token:
        raise Forbidden(
            "Admin endpoints are off: set QA_ADMIN_TOKEN to enable them.", code="admin_disabled"
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("This endpoint needs an 'Authorization: Bearer <token>' header.")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("The admin token is wrong.")


def create_app(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    service: QAService | None = None,
) -> Flask:
    """Make the app. Nothing heavy happens here: the model and index load on first use."""
    settings = settings or Settings.from_env()
    service = service or QAService(settings, embedder=embedder)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["qa_service"] = service
    web_folder = Path(WEB_FOLDER)

    @app.post("/ask")
    def ask() -> Any:
        ask_request = parse_ask_body(request.get_data(cache=False), settings)
        return jsonify(service.ask(ask_request))

    @app.post("/articles")
    def add_article() -> Any:
        require_admin(settings.admin_token, request.headers.get("Authorization"))
        try:
            payload = json.loads(request.get_data(cache=False))
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise BadRequest("The request body must be JSON.", code="invalid_json") from None
        result = service.add_article(payload)
        return jsonify(result), 201 if result["status"] != "unchanged" else 200

    @app.get("/articles/<article_id>")
    def article(article_id: str) -> Any:
        return jsonify(service.article(article_id))

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(service.health())

    def web_file(name: str) -> Response:
        # no-cache: browsers revalidate (ETag), so a new release never pairs an old app.js
        # with a new index.html.
        response = send_from_directory(web_folder, name)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/openapi.json")
    def openapi() -> Any:
        return jsonify(openapi_document(settings))

    @app.get("/")
    def page() -> Any:
        return web_file("index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str) -> Any:
        return web_file(name)

    @app.errorhandler(QAError)
    def qa_error(error: QAError) -> tuple[Any, int]:
        response = jsonify(error_body(error.code, error.message))
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="qa"'
        return response, error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Any, int]:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
        if status == 429:  # flask-limiter's description is only the limit, e.g. "60 per 1 minute"
            message = f"Too many requests: the limit is {message}. Retry after a short wait."
        response = jsonify(error_body(code, message))
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response, status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Any, int]:
        log.exception("Unexpected error on %s %s", request.method, request.path)
        return jsonify(error_body("internal_error", "Something went wrong on our side.")), 500

    install_rate_limit(app, settings)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
