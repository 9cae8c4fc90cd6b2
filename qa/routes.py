"""The routes: the JSON API and the chat page, each documented by the shapes it takes and gives.

Views only translate: a request body becomes a `qa.contract` request, the service answers,
and the answer leaves as JSON. Which service and settings they use is set by `create_app`
(`qa.app`), which registers these blueprints.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory

from qa import contract
from qa.errors import ADMIN_DISABLED, Forbidden, Unauthorized
from qa.openapi import Operation, documented, openapi_document
from qa.service import QAService
from qa.settings import REPOSITORY, Settings

WEB_FOLDER = REPOSITORY / "web"

api = Blueprint("api", __name__)
page = Blueprint("page", __name__)


def service() -> QAService:
    found: QAService = current_app.extensions["qa_service"]
    return found


def settings() -> Settings:
    return service().settings


def json_response(shape: contract.Shape, status: int = 200) -> tuple[Response, int]:
    return jsonify(shape.model_dump(mode="json")), status


@api.post("/ask")
@documented(
    Operation(
        "The passages that best answer a question, best first, each cited.",
        {200: ("The answer.", contract.AskResponse)},
        body=contract.AskRequest,
        errors=(400, 413, 503),
    )
)
def ask() -> Any:
    asked = contract.parse_body(contract.AskRequest, request.get_data(cache=False), settings())
    return json_response(service().ask(asked))


@api.post("/articles")
@documented(
    Operation(
        "Write an article into the corpus and index it (admin).",
        {
            201: ("Added (or replaced) and indexed.", contract.AddedArticle),
            200: ("The same article was already there.", contract.AddedArticle),
        },
        body=contract.NewArticle,
        errors=(400, 401, 403, 409, 413, 503),
        admin=True,
    )
)
def add_article() -> Any:
    require_admin(settings().admin_token, request.headers.get("Authorization"))
    new = contract.parse_body(contract.NewArticle, request.get_data(cache=False), settings())
    added = service().add_article(new)
    return json_response(added, 201 if added.status != "unchanged" else 200)


@api.get("/articles/<article_id>")
@documented(
    Operation(
        "One indexed article; passage offsets index into its `body`.",
        {200: ("The article.", contract.Article)},
        errors=(404, 503),
        parameters={"article_id": "The `article_id` of a citation."},
    )
)
def article(article_id: str) -> Any:
    return json_response(service().article(article_id))


@api.get("/sources")
@documented(
    Operation(
        "Every outlet of the index, with its article count and first and last article day "
        "(for the `sources` filter of POST /ask).",
        {200: ("The outlets.", contract.Sources)},
        errors=(503,),
    )
)
def sources() -> Any:
    return json_response(service().sources())


@api.get("/healthz")
@documented(
    Operation(
        "Whether an index is loaded, and which version.",
        {200: ("Serving.", contract.Health)},
        errors=(503,),
    )
)
def healthz() -> Any:
    return json_response(service().health())


@api.get("/openapi.json")
@documented(Operation("This document.", {200: ("OpenAPI 3.1.", None)}))
def openapi() -> Any:
    return jsonify(openapi_document(current_app, settings()))


def require_admin(token: str | None, authorization: str | None) -> None:
    """Admin endpoints are off without QA_ADMIN_TOKEN, and need it as a bearer token."""
    if not token:
        raise Forbidden(
            "Admin endpoints are off: set QA_ADMIN_TOKEN to enable them.", code=ADMIN_DISABLED
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("This endpoint needs an 'Authorization: Bearer <token>' header.")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("The admin token is wrong.")


def web_file(name: str) -> Response:
    # no-cache: browsers revalidate (ETag), so a new release never pairs an old app.js with a
    # new index.html.
    response = send_from_directory(WEB_FOLDER, name)
    response.headers["Cache-Control"] = "no-cache"
    return response


@page.get("/")
@documented(
    Operation("The chat page (HTML).", {200: ("The page.", None)}, errors=(404,), media="text/html")
)
def index_page() -> Any:
    return web_file("index.html")


@page.get("/static/<path:name>")
@documented(
    Operation(
        "A file of the chat page (script, style sheet, image) from web/.",
        {200: ("The file.", None)},
        errors=(404,),
        media="*/*",
        parameters={"name": "A file name under web/; nothing outside it is ever served."},
    )
)
def static_file(name: str) -> Any:
    return web_file(name)
