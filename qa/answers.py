"""The /ask contract: validating a request, and the JSON shapes of passages and articles.

Shapes are defined here once; the HTTP app and `qa ask --json` both use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from qa.articles import Article, is_unicode_text
from qa.errors import BadRequest
from qa.grounding import AnswerSentence
from qa.search import Hit
from qa.settings import Settings


@dataclass(frozen=True)
class AskRequest:
    question: str
    k: int


def parse_ask_body(body: bytes, settings: Settings) -> AskRequest:
    """Decode and validate a raw /ask request body."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # invalid UTF-8; nesting too deep to decode
        raise BadRequest(
            'The request body must be JSON, such as {"question": "Who said what?"}.',
            code="invalid_json",
        ) from None
    return parse_ask_request(payload, settings)


def parse_ask_request(payload: Any, settings: Settings) -> AskRequest:
    """Validate a decoded /ask payload; every problem is a BadRequest with its own code."""
    if not isinstance(payload, dict):
        raise BadRequest(
            'The request body must be a JSON object, such as {"question": "Who said what?"}.',
            code="invalid_request",
        )
    if "question" not in payload:
        raise BadRequest('The request needs a "question" field.', code="missing_question")
    question = payload["question"]
    if not isinstance(question, str):
        raise BadRequest('"question" must be a string.', code="invalid_question")
    if not is_unicode_text(question):
        raise BadRequest(
            '"question" must be Unicode text (it has a lone surrogate such as \\ud800).',
            code="invalid_question",
        )
    if not question.strip():
        raise BadRequest('"question" must not be empty or blank.', code="empty_question")
    if len(question) > settings.max_question_chars:
        raise BadRequest(
            f'"question" must be at most {settings.max_question_chars} characters long.',
            code="question_too_long",
        )
    k = payload.get("k", settings.default_k)
    if isinstance(k, bool) or not isinstance(k, int):
        raise BadRequest('"k" must be a JSON integer.', code="invalid_k")
    if not 1 <= k <= settings.max_k:
        raise BadRequest(f'"k" must be between 1 and {settings.max_k}.', code="invalid_k")
    return AskRequest(question=question.strip(), k=k)


def citation(article: Article, start: int, end: int) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "start": start,
        "end": end,
    }


def passage_json(hit: Hit) -> dict[str, Any]:
    return {
        "text": hit.text,
        "score": round(hit.score, 6),
        "citation": citation(hit.article, hit.passage.start, hit.passage.end),
    }


def relevance(hits: list[Hit]) -> float:
    """How relevant the best of the hits is, on an absolute scale: the highest cosine
    similarity between the question and a returned passage (fused scores are relative)."""
    return max((hit.dense for hit in hits), default=0.0)


def ask_response(
    request: AskRequest,
    hits: list[Hit],
    version: str,
    min_score: float,
    answer: list[AnswerSentence] | None = None,
) -> dict[str, Any]:
    """The /ask answer: the answer sentences, and the passages best first with citations.

    `answerable` is false when even the most relevant passage is below `min_score` (see
    `relevance`): the page then says plainly that nothing relevant was found rather than
    showing unrelated text, and `answer` is empty.
    """
    answerable = bool(hits) and relevance(hits) >= min_score
    return {
        "question": request.question,
        "answerable": answerable,
        "answer": [sentence.to_json() for sentence in answer or []] if answerable else [],
        "passages": [passage_json(hit) for hit in hits],
        "index_version": version,
    }


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "credits": list(article.credits),
        "body": article.body,
    }
