"""The answers as the API gives them: search hits and answer sentences into `qa.contract` shapes.

The HTTP app and `qa ask --json` both send what these functions build.
"""

from __future__ import annotations

from typing import Any

from qa import contract
from qa.articles import Article
from qa.grounding import AnswerSentence
from qa.search import Hit


def citation(article: Article, start: int, end: int) -> contract.Citation:
    return contract.Citation(
        article_id=article.id,
        title=article.title,
        date=article.date,
        source=article.source,
        url=article.url,
        start=start,
        end=end,
    )


def passage(hit: Hit) -> contract.Passage:
    return contract.Passage(
        text=hit.text,
        score=round(hit.score, 6),
        citation=citation(hit.article, hit.passage.start, hit.passage.end),
    )


def answer_span(sentence: AnswerSentence) -> contract.AnswerSpan:
    return contract.AnswerSpan(
        text=sentence.text,
        passage=sentence.passage,
        article_id=sentence.article_id,
        start=sentence.start,
        end=sentence.end,
    )


def relevance(hits: list[Hit]) -> float:
    """How relevant the best of the hits is, on an absolute scale: the highest cosine
    similarity between the question and a returned passage (fused scores are relative)."""
    return max((hit.dense for hit in hits), default=0.0)


def ask_response(
    request: contract.AskRequest,
    hits: list[Hit],
    version: str,
    min_score: float,
    answer: list[AnswerSentence] | None = None,
    understood: dict[str, Any] | None = None,
) -> contract.AskResponse:
    """The /ask answer: the answer sentences, and the passages best first with citations.

    `answerable` is false when even the most relevant passage is below `min_score` (see
    `relevance`): the page then says plainly that nothing relevant was found rather than
    showing unrelated text, and `answer` is empty. `understood` holds the fields of
    `contract.Understood` beyond the question (time, outlets).
    """
    answerable = bool(hits) and relevance(hits) >= min_score
    return contract.AskResponse(
        question=request.question,
        answerable=answerable,
        answer=[answer_span(sentence) for sentence in answer or []] if answerable else [],
        passages=[passage(hit) for hit in hits],
        understood=contract.Understood(question=request.question, **(understood or {})),
        index_version=version,
    )


def article_shape(article: Article) -> contract.Article:
    return contract.Article(
        id=article.id,
        title=article.title,
        date=article.date,
        source=article.source,
        url=article.url,
        credits=list(article.credits),
        body=article.body,
    )
