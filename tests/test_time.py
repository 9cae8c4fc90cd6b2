"""Dates and outlets in search: hard filters passage by passage (exact and IVF stores, k up to
50), time words as soft preferences, newest first, and questions without time words ranked
exactly as before."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from qa import contract, pipeline
from qa.evals.runner import MemoEmbedder
from qa.filters import Filters, article_day
from qa.index import load_index
from qa.question import Question
from qa.search import SearchConfig, Searcher
from qa.settings import Settings

from .support import DATED_OUTLETS

D = dt.date
AS_OF = D(2023, 11, 22)  # a Wednesday

FILTERS = [
    Filters(since=D(2023, 11, 10), until=D(2023, 11, 12)),
    Filters(since=D(2023, 11, 29)),
    Filters(until=D(2023, 11, 2)),
    Filters(since=D(2023, 11, 15), until=D(2023, 11, 15)),
    Filters(sources=("Valley News",)),
    Filters(sources=("Harbour Gazette", "Metro Daily"), since=D(2023, 11, 20)),
    Filters(sources=("Metro Daily",), since=D(2023, 11, 7), until=D(2023, 11, 7)),
]
QUESTIONS = [
    "How many cargo ships were waiting during the dock strike?",
    "What did councillor Quist propose?",
    "storm",
]


@pytest.fixture(scope="module")
def memo(embedder) -> MemoEmbedder:
    """The model, each question embedded once for the whole module."""
    return MemoEmbedder(embedder)


@pytest.fixture(scope="module", params=["flat", "ivf"])
def dated_index(request, dated_settings, dated_ivf_settings):
    settings = dated_settings if request.param == "flat" else dated_ivf_settings
    index = load_index(settings.index)
    assert index.store.kind == ("flat" if request.param == "flat" else "ivf_sq8")
    return index


def allowed_count(index, filters: Filters) -> int:
    mask = index.facts.allowed(filters)
    return len(index.passages) if mask is None else int(mask.sum())


def inside(hit, filters: Filters) -> bool:
    day = article_day(hit.article.date)
    if filters.since is not None and (day is None or day < filters.since):
        return False
    if filters.until is not None and (day is None or day > filters.until):
        return False
    return not filters.sources or hit.article.source in filters.sources


@pytest.mark.parametrize("method", ["hybrid", "dense", "rrf"])
@pytest.mark.parametrize("k", [5, 50])
def test_no_passage_outside_the_filters_and_none_missing(dated_index, memo, method, k):
    searcher = Searcher(memo, SearchConfig(method=method))
    for filters in FILTERS:
        for text in QUESTIONS:
            question = Question.analyse(text, dated_index, as_of=AS_OF, filters=filters)
            hits = searcher.search(dated_index, question, k)
            assert all(inside(hit, filters) for hit in hits), (filters, text)
            if method != "rrf":  # RRF keeps the rows both lists found: it may return fewer
                assert len(hits) == min(k, allowed_count(dated_index, filters)), (filters, text)


def test_bm25_alone_keeps_to_the_filters(dated_index, memo):
    searcher = Searcher(memo, SearchConfig(method="bm25"))
    for filters in FILTERS:
        question = Question.analyse(QUESTIONS[0], dated_index, as_of=AS_OF, filters=filters)
        hits = searcher.search(dated_index, question, 50)
        assert hits and all(inside(hit, filters) for hit in hits)


def test_a_time_window_in_the_question_stays_inside_the_hard_filter(dated_index, embedder):
    filters = Filters(sources=("Valley News",), until=D(2023, 11, 12))
    question = Question.analyse(
        "How many ships waited in the dock strike this week?",
        dated_index,
        as_of=AS_OF,
        filters=filters,
    )
    hits = Searcher(embedder).search(dated_index, question, 50)
    assert hits and all(inside(hit, filters) for hit in hits)


def test_a_filter_nothing_matches_returns_nothing(dated_index, embedder):
    filters = Filters(since=D(2024, 1, 1))
    question = Question.analyse(QUESTIONS[0], dated_index, filters=filters)
    assert Searcher(embedder).search(dated_index, question, 5) == []


def test_the_ivf_store_visits_more_lists_for_rare_rows(dated_ivf_settings):
    index = load_index(dated_ivf_settings.index)
    vectors = index.store.get(np.arange(len(index.passages)))
    for row in (0, 57, len(index.passages) - 1):  # one allowed row: found wherever it lies
        allowed = np.zeros(len(index.passages), dtype=bool)
        allowed[row] = True
        scores, rows = index.store.search(vectors[(row + 1) % len(vectors)], 10, allowed)
        assert rows[0].tolist() == [row]


def test_questions_without_time_words_rank_exactly_as_before(dated_index, memo):
    searcher = Searcher(memo)
    for text in [*QUESTIONS, "Who leads the Rovers attack?", "Which ferries were cancelled?"]:
        before = searcher.search(
            dated_index, Question.analyse(text, dated_index, time_words=False), 10
        )
        for as_of in (D(2023, 11, 5), AS_OF, D(2026, 1, 1)):
            question = Question.analyse(text, dated_index, as_of=as_of)
            assert question.when is not None and question.when.phrase is None
            after = searcher.search(dated_index, question, 10)
            assert [(h.row, h.score) for h in after] == [(h.row, h.score) for h in before]


def ask(index, embedder, question: str, **fields) -> contract.AskResponse:
    request = contract.parse(contract.AskRequest, {"question": question, **fields}, Settings())
    return pipeline.answer(index, Searcher(embedder), request, min_score=0.4).response


def days_of(response: contract.AskResponse) -> list[str]:
    return [p.citation.date[:10] for p in response.passages if p.citation.date]


def test_a_named_day_comes_first(dated_index, embedder):
    asked = ask(
        dated_index,
        embedder,
        "How many cargo ships waited in the dock strike on Monday?",
        as_of=AS_OF.isoformat(),
    )
    assert days_of(asked)[0] == "2023-11-20"
    understood = asked.understood
    assert (understood.since, understood.until) == ("2023-11-20", "2023-11-20")
    assert (understood.time_phrase, understood.window, understood.widened) == (
        "on Monday",
        "question",
        False,
    )
    assert "strike" in asked.passages[0].text


def test_this_week_prefers_the_week_and_yesterday_the_day(dated_index, embedder):
    week = ask(
        dated_index, embedder, "How many goals did the Rovers score this week?", as_of="2023-11-22"
    )
    assert all("2023-11-20" <= day <= "2023-11-22" for day in days_of(week)[:3])
    assert "Rovers" in week.passages[0].text
    yesterday = ask(
        dated_index, embedder, "What did forecasters say yesterday?", as_of="2023-11-08"
    )
    assert days_of(yesterday)[0] == "2023-11-07"
    assert "storm" in yesterday.passages[0].text


def test_a_window_with_nothing_in_it_widens(dated_index, embedder):
    asked = ask(
        dated_index, embedder, "How many goals did the Rovers score last month?", as_of="2023-11-22"
    )
    assert asked.understood.window == "question" and asked.understood.widened
    assert (asked.understood.since, asked.understood.until) == ("2023-10-01", "2023-10-31")
    # nothing in October: the answering passages nearest to it come first
    assert days_of(asked)[:2] == ["2023-11-01", "2023-11-02"]
    assert all("Rovers" in p.text for p in asked.passages)


def test_latest_prefers_the_newest_evidence_up_to_as_of(dated_index, embedder):
    asked = ask(dated_index, embedder, "What's the latest on the dock strike?", as_of="2023-11-18")
    assert days_of(asked)[0] == "2023-11-18"
    assert asked.understood.recency and asked.understood.time_phrase == "the latest on"
    assert asked.understood.newest == contract.Newest(date="2023-11-18", days_before_as_of=0)
    # without as_of (today: long after the corpus) the newest article of the story comes first
    today = ask(dated_index, embedder, "What's the latest on the dock strike?")
    assert days_of(today)[0] == "2023-11-30"
    assert today.understood.newest is not None and today.understood.newest.days_before_as_of > 0


def test_time_words_false_reads_none(dated_index, embedder):
    asked = ask(
        dated_index,
        embedder,
        "How many goals did the Rovers score this week?",
        as_of="2023-11-22",
        time_words=False,
    )
    assert asked.understood.time_phrase is None and asked.understood.since is None


def test_newest_first_keeps_the_passages_and_their_answer(dated_index, embedder):
    question = "How many cargo ships were waiting during the dock strike?"
    relevance = ask(dated_index, embedder, question, k=8)
    newest = ask(dated_index, embedder, question, k=8, order="date")
    assert sorted(p.citation.article_id for p in newest.passages) == sorted(
        p.citation.article_id for p in relevance.passages
    )
    dated = [p.citation.date or "" for p in newest.passages]
    assert dated == sorted(dated, reverse=True)
    for span in newest.answer:
        assert span.text in newest.passages[span.passage - 1].text


def test_filters_are_echoed(dated_index, embedder):
    asked = ask(
        dated_index,
        embedder,
        QUESTIONS[0],
        since="2023-11-03",
        until="2023-11-09",
        sources=["valley news"],
    )
    understood = asked.understood
    assert (understood.since, understood.until, understood.window) == (
        "2023-11-03",
        "2023-11-09",
        "filter",
    )
    assert understood.sources == ["Valley News"]
    assert all(p.citation.source == "Valley News" for p in asked.passages)


def test_outlet_summary(dated_index):
    summary = {outlet.name: outlet for outlet in dated_index.facts.summary()}
    assert set(summary) == set(DATED_OUTLETS)
    assert sum(outlet.articles for outlet in summary.values()) == 121  # one has no outlet
    assert summary["Metro Daily"].first == D(2023, 11, 1)
    assert summary["Valley News"].last == D(2023, 11, 30)


def test_passage_facts_from_the_store_equal_those_of_the_articles_themselves(dated_index):
    """Made from two queries of store.sqlite (no bodies read), the facts and story rows are
    those computed from the articles and passages in memory (as versions of format 1 hold
    them)."""
    from qa.filters import PassageFacts

    stored = dated_index.facts
    in_memory = PassageFacts(dict(dated_index.articles.items()), list(dated_index.passages))
    assert np.array_equal(stored.days, in_memory.days)
    assert np.array_equal(stored.outlet_ids, in_memory.outlet_ids)
    assert stored.outlets == in_memory.outlets and stored.summary() == in_memory.summary()
    expected = dated_index.stories.numbers(p.article_id for p in dated_index.passages)
    if expected is None:  # no article has a copy (tests/test_copies.py searches with some)
        assert dated_index.story_rows is None
    else:
        assert np.array_equal(dated_index.story_rows, expected)
