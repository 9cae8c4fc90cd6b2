"""The HTTP API's shapes, written once: every request and response body is a class here.

From these classes come request validation (`parse_body`), the OpenAPI document (`qa.openapi`)
and the API reference (docs/api.md). Responses are built as these classes and leave as
`model_dump(mode="json")`, by the app and by `qa ask --json` alike.

    base.py       `Shape` and `Request`, and `parse`: a broken request as a 400 with its code
    shapes.py     the response bodies (and the one error body)
    requests.py   the request bodies and their rules

Everything is used as `contract.AskRequest`, `contract.parse(...)` and so on.
"""

from qa.contract.base import Request, Shape, parse, parse_body
from qa.contract.requests import MAX_SOURCES, AskRequest, HistoryTurn, NewArticle
from qa.contract.shapes import (
    AddedArticle,
    AnswerSpan,
    Article,
    AskResponse,
    BuildSummary,
    Citation,
    Copy,
    ErrorBody,
    ErrorDetail,
    Health,
    Newest,
    Passage,
    ShortAnswer,
    Sources,
    SourceSummary,
    Understood,
    error_body,
)

__all__ = [
    "MAX_SOURCES",
    "AddedArticle",
    "AnswerSpan",
    "Article",
    "AskRequest",
    "AskResponse",
    "BuildSummary",
    "Citation",
    "Copy",
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "HistoryTurn",
    "NewArticle",
    "Newest",
    "Passage",
    "Request",
    "Shape",
    "ShortAnswer",
    "SourceSummary",
    "Sources",
    "Understood",
    "error_body",
    "parse",
    "parse_body",
]
