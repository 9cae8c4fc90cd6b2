"""The BM25 index: terms, searchable headers, save and load with an index version."""

from __future__ import annotations

import pytest

from qa.articles import Article
from qa.chunking import Passage
from qa.lexical import LexicalIndex, lexical_text, terms
from qa.question import QUESTION_WORDS

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


def scores_of(index: LexicalIndex, question: str):
    return index.scores(terms(question))


def proximity_of(index: LexicalIndex, question: str, rows: list[int]):
    """As the second stage asks: the question's topic terms weighed by IDF, all its terms."""
    weights = index.idf(sorted(set(terms(question, also_drop=QUESTION_WORDS))))
    return index.proximity(weights, terms(question), rows)


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
        scores = scores_of(index, question)
        assert int(scores.argmax()) == best, question


def test_unknown_words_score_nothing():
    index = LexicalIndex.for_passages(ARTICLES, PASSAGES)
    assert scores_of(index, "zzzz qqqq").tolist() == [0.0, 0.0]
    assert scores_of(index, "the of").tolist() == [0.0, 0.0]
    weights = index.idf(["lion", "zzzz"])
    assert weights["lion"] > 0 and weights["zzzz"] == 0.0


def test_save_and_load_round_trip(tmp_path):
    index = LexicalIndex.for_passages(ARTICLES, PASSAGES)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, count=2)
    assert scores_of(loaded, "Detroit rates").tolist() == pytest.approx(
        scores_of(index, "Detroit rates").tolist()
    )
    with pytest.raises(ValueError):
        LexicalIndex.load(tmp_path, count=3)


PROXIMITY_ARTICLES = [
    Article(
        id="close",
        title="Harbour",
        body="The port of Odessa reopened for grain ships. Traffic was light.",
    ),
    Article(
        id="scattered",
        title="Harbour",
        body="The port was quiet. Odessa waited. Grain stayed in silos. Ships idled.",
    ),
    Article(id="other", title="Weather", body="Rain fell over the coast all week."),
]


def proximity_index() -> LexicalIndex:
    passages = [Passage(a.id, 0, 0, len(a.body)) for a in PROXIMITY_ARTICLES]
    return LexicalIndex.for_passages(PROXIMITY_ARTICLES, passages)


def test_proximity_prefers_one_sentence_saying_the_question():
    index = proximity_index()
    # Both passages hold every topic word; only the first holds them in one sentence.
    near = proximity_of(index, "When did the port of Odessa reopen for grain ships?", [0, 1, 2])
    assert near is not None
    assert near.sentence[0] == pytest.approx(1.0)
    assert 0 < near.sentence[1] < 0.5  # its best sentence holds one of five topic words
    assert near.sentence[2] == 0.0
    # Word pairs: "port odessa", "odessa reopen", "reopen grain", "grain ship" (+ question words)
    assert near.phrase[0] > near.phrase[1] == 0.0
    # Rows are read in the order given.
    assert proximity_of(index, "port of Odessa", [1, 0]).sentence.tolist() == pytest.approx(
        [0.5, 1.0]
    )


def test_proximity_of_unknown_words_is_zero_and_old_indexes_have_none(tmp_path):
    index = proximity_index()
    nothing = proximity_of(index, "zzzz qqqq", [0, 1])
    assert nothing is not None
    assert nothing.sentence.tolist() == [0.0, 0.0] and nothing.phrase.tolist() == [0.0, 0.0]
    # Versions built before passage terms existed load without them: no proximity, no error.
    index.save(tmp_path)
    for name in ("term_ids.npy", "term_sentences.npy", "term_starts.npy"):
        (tmp_path / "lexical" / name).unlink()
    old = LexicalIndex.load(tmp_path, count=3)
    assert old.passage_terms is None and proximity_of(old, "port", [0]) is None


def test_passage_terms_survive_save_and_load(tmp_path):
    index = proximity_index()
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, count=3)
    question = "When did the port of Odessa reopen for grain ships?"
    before, after = (
        proximity_of(index, question, [0, 1, 2]),
        proximity_of(loaded, question, [0, 1, 2]),
    )
    assert before is not None and after is not None
    assert after.sentence.tolist() == before.sentence.tolist()
    assert after.phrase.tolist() == before.phrase.tolist()
