"""The BM25 index: terms, searchable headers, save and load with an index version."""

from __future__ import annotations

import pytest

from qa.articles import Article
from qa.chunking import Passage
from qa.lexical import LexicalIndex, lexical_text, terms

ARTICLES = [
    Article(
        id="a",
        title="Lions beat Packers",
        body="Detroit won 34-20.",
        source="Sporting News",
        date="2023-11-23T17:00:00+00:00",
    ),
    Article(
        id="b",
        title="Rate decision",
        body="The central bank held rates.",
        source="Reuters",
        date="2023-12-13",
    ),
]
PASSAGES = [Passage("a", 0, 0, len(ARTICLES[0].body)), Passage("b", 0, 0, len(ARTICLES[1].body))]


def test_terms_are_lowercased_stemmed_without_stopwords():
    assert terms("The Lions are winning the games") == ["lion", "win", "game"]


def test_title_source_and_spelled_date_are_searchable():
    text = lexical_text(ARTICLES[0], "Detroit won 34-20.")
    assert "Sporting News" in text and "November 23, 2023" in text and "2023-11-23" in text
    index = LexicalIndex.for_passages(ARTICLES, PASSAGES)
    for question, best in [
        ("What did Sporting News report?", 0),
        ("news from November 2023", 0),
        ("What did Reuters say about rates?", 1),
    ]:
        scores = index.scores(question)
        assert int(scores.argmax()) == best, question


def test_unknown_words_score_nothing():
    index = LexicalIndex.for_passages(ARTICLES, PASSAGES)
    assert index.scores("zzzz qqqq").tolist() == [0.0, 0.0]
    assert index.scores("the of").tolist() == [0.0, 0.0]
    weights = index.idf(["lion", "zzzz"])
    assert weights["lion"] > 0 and weights["zzzz"] == 0.0


def test_save_and_load_round_trip(tmp_path):
    index = LexicalIndex.for_passages(ARTICLES, PASSAGES)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, count=2)
    assert loaded.scores("Detroit rates").tolist() == pytest.approx(
        index.scores("Detroit rates").tolist()
    )
    with pytest.raises(ValueError):
        LexicalIndex.load(tmp_path, count=3)
