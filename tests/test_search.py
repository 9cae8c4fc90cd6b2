"""Hybrid search logic: score fusion, reciprocal rank fusion, the second stage, diversity,
named outlets and dates."""

from __future__ import annotations

import numpy as np
import pytest

from qa.diversity import Candidate, diversify, near_duplicates
from qa.fusion import best_rows, fuse, reciprocal_rank_fusion
from qa.question import Question, dates_named, named_sources
from qa.rerank import second_stage
from qa.search import SearchConfig, Searcher

from .support import memory_index


def ask(searcher: Searcher, index, text: str, k: int):
    return searcher.search(index, Question.analyse(text, index), k)


def test_fuse_mixes_min_max_normalized_scores():
    lexical = np.array([10.0, 5.0, 0.0])
    dense = np.array([0.2, 0.6, 0.4])
    fused = fuse(lexical, dense, lexical_weight=0.75, dense_weight=0.25)
    assert fused == pytest.approx([0.75 * 1 + 0.25 * 0, 0.75 * 0.5 + 0.25 * 1, 0.25 * 0.5])


def test_fuse_with_flat_scores_does_not_divide_by_zero():
    fused = fuse(np.zeros(3), np.full(3, 0.5), lexical_weight=0.5, dense_weight=0.5)
    assert fused == pytest.approx([0.5, 0.5, 0.5])


def test_reciprocal_rank_fusion_weights_each_list():
    fused = reciprocal_rank_fusion([[1, 2], [2, 3]], [2.0, 1.0], k=10)
    assert fused == pytest.approx({1: 2 / 11, 2: 2 / 12 + 1 / 11, 3: 1 / 12})


def candidate(row, score, article="a", start=0, end=10, group=None, twins=frozenset()):
    return Candidate(row, score, article, start, end, group, twins)


def test_diversify_discounts_overlapping_neighbours():
    chosen = diversify(
        [
            candidate(0, 1.0, "a", 0, 100),
            candidate(1, 0.9, "a", 80, 180),  # shares 20 characters with row 0
            candidate(2, 0.5, "b", 0, 100),
        ],
        k=3,
        article_decay=1.0,
        overlap_decay=0.3,
    )
    assert [c.row for c, _ in chosen] == [0, 2, 1]
    assert [score for _, score in chosen] == pytest.approx([1.0, 0.5, 0.27])


def test_diversify_lets_other_articles_in():
    many = [candidate(row, 1.0 - row / 100, "a", row * 100, row * 100 + 50) for row in range(5)]
    chosen = diversify([*many, candidate(9, 0.8, "b")], k=3, article_decay=0.7, overlap_decay=1)
    assert [c.row for c, _ in chosen] == [0, 9, 1]
    scores = [score for _, score in chosen]
    assert scores == sorted(scores, reverse=True)


def test_diversify_gives_each_named_group_a_place():
    chosen = diversify(
        [
            candidate(0, 1.0, "a", group="TechCrunch"),
            candidate(1, 0.9, "b"),
            candidate(2, 0.8, "c"),
            candidate(3, 0.2, "d", group="The Verge"),
            candidate(4, 0.1, "e", group="The Verge"),
        ],
        k=3,
        article_decay=1,
        overlap_decay=1,
    )
    assert [c.row for c, _ in chosen] == [0, 1, 3]


def test_named_sources_match_whole_names_and_prefer_the_longest():
    sources = [
        "The Verge",
        "TechCrunch",
        "The Independent",
        "The Independent - Life and Style",
        "BBC",
    ]
    question = "Did TechCrunch and The Independent - Life and Style agree? (not the verger)"
    assert named_sources(question, sources) == ["TechCrunch", "The Independent - Life and Style"]


def test_hybrid_search_over_a_real_index(built_settings, embedder):
    from qa.index import load_index

    index = load_index(built_settings.index)
    assert index.lexical is not None
    hits = ask(Searcher(embedder), index, "How much wheat did Egypt buy in the tender?", 4)
    assert "480,000 tonnes" in hits[0].text
    assert hits[0].lexical == pytest.approx(1.0)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for method in ("bm25", "dense", "rrf"):
        other = ask(
            Searcher(embedder, SearchConfig(method=method)),
            index,
            "How much wheat did Egypt buy in the tender?",
            2,
        )
        assert "480,000 tonnes" in other[0].text, method


def test_diversify_discounts_syndicated_copies():
    chosen = diversify(
        [
            candidate(0, 1.0, "a", twins=frozenset({1})),
            candidate(1, 0.95, "b", twins=frozenset({0})),  # the same story in another outlet
            candidate(2, 0.6, "c"),
        ],
        k=2,
        article_decay=1,
        overlap_decay=0.3,
    )
    assert [c.row for c, _ in chosen] == [0, 2]


def test_near_duplicates_pairs_copies_across_articles():
    from qa.articles import Article
    from qa.chunking import Passage
    from qa.index import Index, IndexManifest
    from qa.vectors import FaissStore

    vectors = np.array([[1, 0, 0], [0.999, 0.0447, 0], [0, 1, 0], [1, 0, 0]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    passages = [
        Passage("a", 0, 0, 5),
        Passage("b", 0, 0, 5),
        Passage("c", 0, 0, 5),
        Passage("a", 1, 6, 9),
    ]
    articles = {i: Article(id=i, title=i, body="text1 text2") for i in "abc"}
    manifest = IndexManifest("m", 3, 3, 4, {}, {}, "now")
    index = Index(manifest, articles, passages, FaissStore(vectors))
    twins = near_duplicates(index, np.arange(4), np.array([1.0, 0.9, 0.8, 0.7]), 0.97)
    # Rows 0 and 3 are alike too, but they are one article's passages: overlap handles those.
    assert twins == {0: {1}, 1: {0, 3}, 3: {1}}


def test_dates_named_reads_the_ways_questions_write_dates():
    question = (
        "Compare the report of December 6, 2023, the one of 6 Dec 2023, the 2023-10-12 piece, "
        "the Sept. 3rd, 2022 note, 12 of October 2023 and the impossible February 30, 2023."
    )
    assert dates_named(question) == {"2023-12-06", "2023-10-12", "2022-09-03"}
    assert dates_named("What happened in 2023 in week 12?") == set()


def test_second_stage_favours_named_outlet_and_date_and_a_sentence_saying_it(embedder):
    from qa.articles import Article

    body = "Ministers met on Tuesday. The talks on grain exports ended without a deal."
    articles = [
        Article(id="wire", title="Grain talks", body=body, source="Wire", date="2023-12-05"),
        Article(id="post", title="Grain talks", body=body, source="The Post", date="2023-12-06"),
        Article(
            id="scattered",
            title="Grain talks",
            body="Grain prices rose. Talks elsewhere ended. Exports fell. No deal on fish.",
            source="Wire",
            date="2023-12-06",
        ),
    ]
    index = memory_index(embedder, articles)
    config = SearchConfig()
    question = "Did The Post report on December 6, 2023 that the grain export talks ended?"
    rows = np.arange(3)
    analysed = Question.analyse(question, index)
    assert analysed.outlets == {"The Post"} and analysed.dates == {"2023-12-06"}
    bonus = second_stage(index, analysed, rows, config.bonuses)
    near = index.lexical.proximity(analysed.weights, analysed.terms, rows)
    closeness = config.sentence_weight * near.sentence + config.phrase_weight * near.phrase
    assert closeness[0] == closeness[1] > closeness[2]  # same body; scattered words
    assert bonus - closeness == pytest.approx(
        [0, config.outlet_weight + config.date_weight, config.date_weight]
    )
    hits = ask(Searcher(embedder), index, question, 3)
    assert [h.article.id for h in hits][0] == "post"
    # Without outlet or date, one sentence holding the question beats scattered words.
    hits = ask(Searcher(embedder), index, "Did the talks on grain exports end without a deal?", 3)
    assert hits[-1].article.id == "scattered"


def test_an_index_built_before_passage_terms_still_searches(embedder):
    from qa.articles import Article

    articles = [
        Article(id="a", title="Grain", body="Grain exports resumed from the port."),
        Article(id="b", title="Rain", body="Rain fell over the coast all week."),
    ]
    index = memory_index(embedder, articles)
    index.lexical.passage_terms = None  # as loaded from a version written before they existed
    hits = ask(Searcher(embedder), index, "Did grain exports resume?", 2)
    assert [h.article.id for h in hits] == ["a", "b"]


def test_best_rows_is_a_stable_sort_cut_short():
    rng = np.random.default_rng(7)
    for size, n in [(50, 10), (50, 50), (50, 80), (1000, 100)]:
        scores = rng.integers(0, 8, size).astype(np.float32)  # many ties, also at the cut
        expected = np.argsort(-scores, kind="stable")[:n]
        assert best_rows(scores, n).tolist() == expected.tolist()
