"""Answering one /ask request against one index version: the steps every answer goes through.

    request -> filters -> Question (analysed once; read against the thread when there is one)
            -> search -> answer sentences -> order -> AskResponse

`QAService` answers with it on the live index, and `qa eval` on a benchmark's index, so what
`qa eval` measures is what /ask does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qa import contract
from qa.answerable import is_answerable
from qa.answers import ask_response, understood
from qa.filters import Filters
from qa.followup import DEFAULT_UNDERSTANDING, FollowUpConfig, Turn, understand
from qa.grounding import AnswerSentence, extract_answer
from qa.index import Index
from qa.question import Question
from qa.search import Hit, Searcher
from qa.time_ranking import by_date, understood_time


@dataclass(frozen=True)
class Answered:
    """The response, with what is behind it (for `qa eval`): the hits, the analysed question,
    and the answer sentences found (the response holds them only when `answerable`)."""

    response: contract.AskResponse
    hits: list[Hit]
    question: Question
    sentences: list[AnswerSentence]


def answer(
    index: Index,
    searcher: Searcher,
    request: contract.AskRequest,
    min_score: float,
    understanding: FollowUpConfig = DEFAULT_UNDERSTANDING,
) -> Answered:
    """Answer `request` from `index` (one version for the whole answer); `min_score` is the
    least probability of the answerable decision (`qa.answerable`)."""
    as_of = request.as_of or dt.date.today()
    filters = Filters(request.since, request.until, index.facts.outlet_names(request.sources or []))
    question = Question.analyse(
        request.question, index, as_of=as_of, filters=filters, time_words=request.time_words
    )
    if request.history:  # read against the thread (qa.followup); without one, as it is
        question = understand(question, turns(request.history), index, understanding)
    hits = searcher.search(index, question, request.k)
    sentences = extract_answer(question, hits)
    answerable = is_answerable(question, hits, sentences, min_score)
    if request.order == "date":
        hits, sentences = by_date(hits, sentences)
    read = understood(question, **understood_time(question, hits, as_of))
    response = ask_response(request, hits, index.manifest.version, answerable, sentences, read)
    return Answered(response, hits, question, sentences)


def turns(history: list[contract.HistoryTurn]) -> list[Turn]:
    return [Turn(t.question, t.answer or "", tuple(t.article_ids)) for t in history]
