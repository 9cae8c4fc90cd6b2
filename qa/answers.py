"""The answers as the API gives them: search hits and answer sentences into `qa.contract` shapes.

The HTTP app and `qa ask --json` both send what these functions build.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qa import contract
from qa.articles import Article
from qa.grounding import AnswerSentence
from qa.question import Question
from qa.search import Hit


def citation(
    article: Article, start: int, end: int, copies: Iterable[Article] = ()
) -> contract.Citation:
    return contract.Citation(
        article_id=article.id,
        title=article.title,
        date=article.date,
        source=article.source,
        url=article.url,
        start=start,
        end=end,
        updated=article.updated,
        authors=list(article.authors),
        partial=article.partial,
        copies=[copy_shape(copy) for copy in copies],
    )


def copy_shape(article: Article) -> contract.Copy:
    """An article as listed among the copies of another (`Index.copies`)."""
    return contract.Copy(
        article_id=article.id,
        title=article.title,
        source=article.source,
        date=article.date,
        url=article.url,
    )


def passage(hit: Hit) -> contract.Passage:
    return contract.Passage(
        text=hit.text,
        score=round(hit.score, 6),
        citation=citation(hit.article, hit.passage.start, hit.passage.end, hit.copies),
    )


def answer_span(sentence: AnswerSentence) -> contract.AnswerSpan:
    return contract.AnswerSpan(
        text=sentence.text,
        passage=sentence.passage,
        article_id=sentence.article_id,
        start=sentence.start,
        end=sentence.end,
        short=contract.ShortAnswer(
            text=sentence.short.text, start=sentence.short.start, end=sentence.short.end
        )
        if sentence.short
        else None,
    )


def ask_response(
    request: contract.AskRequest,
    hits: list[Hit],
    version: str,
    answerable: bool,
    answer: list[AnswerSentence] | None = None,
    understanding: contract.Understood | None = None,
) -> contract.AskResponse:
    """The /ask answer: the answer sentences, and the passages best first with citations.

    When not `answerable` (`qa.answerable` decides) the page says plainly that nothing relevant
    was found rather than showing unrelated text, and `answer` is empty.
    """
    return contract.AskResponse(
        question=request.question,
        answerable=answerable,
        answer=[answer_span(sentence) for sentence in answer or []] if answerable else [],
        passages=[passage(hit) for hit in hits],
        understood=understanding or contract.Understood(question=request.question),
        index_version=version,
    )


def understood(question: Question, **time: Any) -> contract.Understood:
    """How the question was read: on its own, or as a follow-up with the thread's words and
    articles (`qa.followup`); `time` holds the time and outlet fields
    (`qa.time_ranking.understood_time`)."""
    thread = question.thread
    if thread is None:
        return contract.Understood(question=question.text, **time)
    return contract.Understood(
        question=thread.searched,
        follow_up=True,
        articles=list(thread.articles),
        carried=list(thread.carried),
        **time,
    )


def article_shape(article: Article, copies: Iterable[Article] = ()) -> contract.Article:
    """The article view (`GET /articles/<id>`), with the other copies of its story."""
    return contract.Article(
        id=article.id,
        title=article.title,
        date=article.date,
        source=article.source,
        url=article.url,
        credits=list(article.credits),
        body=article.body,
        updated=article.updated,
        authors=list(article.authors),
        partial=article.partial,
        copies=[copy_shape(copy) for copy in copies],
    )
