"""The lexical index: BM25 (bm25s, Lucene variant) over each passage with its article's header.

On news, exact names, numbers and outlets decide whether a passage answers, and all-MiniLM-L6-v2
blurs them; BM25 keeps them. Each passage is indexed with its article's title, source and date
(ISO and spelled out, "November 27, 2023", as questions write dates), so those are searchable.
Words are lower-cased, English stopwords dropped and the rest Snowball-stemmed (PyStemmer).

Beside BM25 the folder keeps every passage's terms in reading order, as vocabulary ids with the
sentence each belongs to (`PassageTerms`), so the second stage of search can ask "does one
sentence hold most of the question?" and "does the passage say the question's word pairs?"
without tokenizing passages while a question waits.

The index is saved in the index version folder (`lexical/`), row i = passage i, like FAISS.
Rebuilding it over all passages is cheap (about four seconds for 8,000 passages), so every build
makes it afresh rather than patching it.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import functools
import logging
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from qa.articles import Article
from qa.chunking import Passage, sentence_spans
from qa.vectors import MEMORY_MAP_FROM_BYTES  # larger term files are mapped, like vectors

# bm25s sets its own logger to DEBUG when imported, so "Building index from IDs objects" reached
# the terminal at every build; only its warnings are worth a line.
logging.getLogger("bm25s").setLevel(logging.WARNING)

LEXICAL_DIR = "lexical"
SENTENCES_CACHED = 100_000  # sentences whose terms a build remembers (overlaps, boilerplate)
TEXTS_CACHED = 8192  # texts whose terms `terms` remembers (questions' candidate sentences)
TERM_FILES = ("term_ids.npy", "term_sentences.npy", "term_starts.npy")
K1 = 1.5
B = 0.75
# bm25s's own word pattern and English stopwords, so questions and passages split alike.
_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN)
_STEMMER = Stemmer.Stemmer("english")
_STEMMER_LOCK = threading.Lock()  # PyStemmer objects are not thread-safe


def terms(text: str, also_drop: frozenset[str] = frozenset()) -> list[str]:
    """A text as index terms: lower-cased words, English stopwords (and `also_drop`) dropped,
    Snowball-stemmed."""
    return list(_recent_terms(text, also_drop))


# The candidates' sentences and titles of one question come back in the next ones on the same
# topic: the terms of the last few thousand texts are kept (a few MB).
@functools.lru_cache(maxsize=TEXTS_CACHED)
def _recent_terms(text: str, also_drop: frozenset[str]) -> tuple[str, ...]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and w not in also_drop]
    with _STEMMER_LOCK:
        return tuple(_STEMMER.stemWords(words))


class _TermIds:
    """`terms`, as ids of a vocabulary that grows with new terms, for building an index: each
    distinct word is checked against the stopwords and stemmed once."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self._words: dict[str, int] = {}  # lower-cased word -> term id, or -1 for a stopword
        self._stemmer = Stemmer.Stemmer("english")  # this builder's own: no lock needed

    def __call__(self, text: str) -> list[int]:
        found = []
        for word in _WORD.findall(text.lower()):
            term = self._words.get(word)
            if term is None:
                term = -1
                if word not in _STOPWORDS:
                    stem = self._stemmer.stemWord(word)
                    term = self.vocabulary.setdefault(stem, len(self.vocabulary))
                self._words[word] = term
            if term >= 0:
                found.append(term)
        return found


def _within(
    spans: list[tuple[int, int]], ends: list[int], start: int, end: int
) -> list[tuple[int, int]]:
    """The body's sentences (`spans`, ending at `ends`) inside a passage [start, end), cut at
    its edges (a passage made of pieces of one over-long sentence holds a part of it)."""
    first = bisect.bisect_right(ends, start)
    inside = []
    for sentence_start, sentence_end in spans[first:]:
        if sentence_start >= end:
            break
        inside.append((max(sentence_start, start), min(sentence_end, end)))
    return inside


def lexical_text(article: Article, passage_text: str) -> str:
    """What BM25 reads for a passage: title, source, dates, then the passage itself."""
    parts = [article.title, article.source or "", _spelled_date(article.date), passage_text]
    return "\n".join(part for part in parts if part)


def _spelled_date(date: str | None) -> str:
    if not date:
        return ""
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        return date
    return f"{date[:10]} {day.strftime('%B')} {day.day}, {day.year}"


@dataclass(frozen=True)
class PassageTerms:
    """Every passage's terms in reading order, as BM25 vocabulary ids, sentence by sentence.

    Passage i's terms are `ids[starts[i]:starts[i + 1]]`; `sentences` gives the number of the
    sentence (within its passage) each term comes from. Header terms are not included: these
    describe what the passage itself says.
    """

    ids: np.ndarray  # int32
    sentences: np.ndarray  # uint16
    starts: np.ndarray  # int64, one more than there are passages

    def save(self, folder: Path) -> None:
        for name, values in zip(TERM_FILES, (self.ids, self.sentences, self.starts)):
            np.save(folder / name, values)

    @classmethod
    def load(cls, folder: Path, count: int) -> PassageTerms | None:
        """The saved terms, or None in folders written before they existed."""
        paths = [folder / name for name in TERM_FILES]
        if not all(path.is_file() for path in paths):
            return None
        arrays = [
            np.load(path, mmap_mode="r" if path.stat().st_size >= MEMORY_MAP_FROM_BYTES else None)
            for path in paths
        ]
        loaded = cls(*arrays)
        if len(loaded.starts) != count + 1 or len(loaded.ids) != len(loaded.sentences):
            raise ValueError(
                f"the passage terms hold {len(loaded.starts) - 1} passages, not {count}"
            )
        return loaded


@dataclass(frozen=True)
class Proximity:
    """How closely each of some passages says the question (each value in [0, 1])."""

    sentence: np.ndarray  # share of the question's weight held by the passage's best sentence
    phrase: np.ndarray  # share of the question's adjacent word pairs the passage says as pairs


class LexicalIndex:
    """BM25 scores of every passage for a question; row i is passage i of the index."""

    def __init__(
        self, retriever: bm25s.BM25, count: int, passage_terms: PassageTerms | None = None
    ) -> None:
        self._retriever = retriever
        self.count = count
        self.passage_terms = passage_terms  # None in versions built before it existed

    @classmethod
    def for_passages(
        cls, articles: Sequence[Article] | Mapping[str, Article], passages: Sequence[Passage]
    ) -> LexicalIndex:
        """Index every passage of an index version: BM25 over it with its article's header
        (`lexical_text`), and its own terms sentence by sentence for `proximity`.

        Each text is read into terms once: a body is split into sentences once (a passage's
        sentences are the body's inside it), a sentence repeated by overlapping passages and an
        article's header repeated by all its passages are split into terms once, each distinct
        word is stemmed once, and BM25 gets those term ids rather than the texts."""
        by_id = articles if isinstance(articles, Mapping) else {a.id: a for a in articles}
        retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
        if not passages:
            return cls(retriever, 0)
        terms_of = _TermIds()
        current = ""
        header: list[int] = []
        spans: list[tuple[int, int]] = []
        ends: list[int] = []
        sentences: dict[str, list[int]] = {}  # recent sentences' terms, by their text
        # Compact arrays, not lists of Python ints: a million passages hold 200 million terms.
        documents: list[array.array[int]] = []
        ids = array.array("i")
        numbers = array.array("H")
        starts = array.array("q", [0])
        for passage in passages:
            article = by_id[passage.article_id]
            if article.id != current:  # passages come article by article
                current = article.id
                if len(sentences) > SENTENCES_CACHED:
                    sentences.clear()
                header = terms_of(lexical_text(article, ""))
                spans = sentence_spans(article.body)
                ends = [sentence_end for _, sentence_end in spans]
            document = array.array("i", header)
            for number, (start, end) in enumerate(_within(spans, ends, passage.start, passage.end)):
                text = article.body[start:end]
                found = sentences.get(text)
                if found is None:
                    found = sentences[text] = terms_of(text)
                document.extend(found)
                numbers.extend([min(number, 65535)] * len(found))
            ids.extend(document[len(header) :])
            starts.append(len(ids))
            documents.append(document)
        vocabulary = terms_of.vocabulary
        if not vocabulary:  # not one word in any passage or header
            vocabulary[""] = 0
        retriever.index((documents, vocabulary), show_progress=False)
        held = PassageTerms(
            np.frombuffer(ids, dtype=np.int32).copy(),
            np.frombuffer(numbers, dtype=np.uint16).copy(),
            np.frombuffer(starts, dtype=np.int64).copy(),
        )
        return cls(retriever, len(passages), held)

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term (0 for terms no passage holds)."""
        vocabulary = self._retriever.vocab_dict
        starts = self._retriever.scores["indptr"] if self.count else None
        weights = {}
        for term in terms:
            column = vocabulary.get(term)
            if column is None or starts is None:
                weights[term] = 0.0
                continue
            frequency = int(starts[column + 1] - starts[column])  # passages holding the term
            weights[term] = math.log(1 + (self.count - frequency + 0.5) / (frequency + 0.5))
        return weights

    def proximity(
        self,
        weights: Mapping[str, float],
        words: Sequence[str],
        rows: Sequence[int] | np.ndarray,
    ) -> Proximity | None:
        """For each passage row: how much of the total `weights` (term -> weight) its best
        sentence holds, and what share of the adjacent pairs of `words` (terms in order) it says
        as pairs. None without saved passage terms (versions built before they existed)."""
        held = self.passage_terms
        if held is None or self.count == 0 or len(rows) == 0:
            return None
        vocabulary = self._retriever.vocab_dict
        ids = {
            vocabulary[term]: weight
            for term, weight in weights.items()
            if term in vocabulary and weight > 0
        }
        numbered = [vocabulary.get(term, -1) for term in words]
        pairs = {(a, b) for a, b in zip(numbered, numbered[1:]) if a >= 0 and b >= 0}
        # The terms of the given rows, concatenated; `owner` says which row each comes from.
        chosen = np.asarray(rows, dtype=np.int64)
        starts, ends = held.starts[chosen], held.starts[chosen + 1]
        owner = np.repeat(np.arange(len(chosen)), ends - starts)
        positions = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)])
        held_ids = np.asarray(held.ids[positions], dtype=np.int64)
        sentences = np.asarray(held.sentences[positions], dtype=np.int64)
        return Proximity(
            _best_sentence_share(ids, owner, sentences, held_ids, len(chosen)),
            _pair_share(pairs, owner, held_ids, len(chosen), len(vocabulary) + 1),
        )

    def terms_held(self, rows: Sequence[int], words: Iterable[str]) -> set[str]:
        """Which of `words` (index terms) the passages of `rows` say (in their own text)."""
        held = self.passage_terms
        vocabulary = self._retriever.vocab_dict
        wanted = {vocabulary[w]: w for w in words if w in vocabulary}
        if held is None or not wanted or len(rows) == 0:
            return set()
        chosen = np.asarray(rows, dtype=np.int64)
        ids = np.concatenate([held.ids[held.starts[r] : held.starts[r + 1]] for r in chosen])
        found = np.intersect1d(ids, np.fromiter(wanted, dtype=np.int64, count=len(wanted)))
        return {wanted[int(i)] for i in found}

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """The BM25 score of every passage for these terms (float32, one per row; zeros when
        nothing matches)."""
        tokens = [t for t in words if t in self._retriever.vocab_dict]
        if not tokens or self.count == 0:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def save(self, folder: Path) -> None:
        target = folder / LEXICAL_DIR
        target.mkdir(exist_ok=True)
        if self.count:
            self._retriever.save(str(target), show_progress=False)
        if self.passage_terms is not None:
            self.passage_terms.save(target)

    @classmethod
    def load(cls, folder: Path, count: int) -> LexicalIndex:
        """Load the saved index of a version folder holding `count` passages."""
        target = folder / LEXICAL_DIR
        if not target.is_dir():
            raise ValueError(f"no lexical index in {folder}")
        if count == 0:
            return cls(bm25s.BM25(method="lucene", k1=K1, b=B), 0)
        # Large score matrices stay on disk, shared by every worker through the page cache.
        scores = target / "data.csc.index.npy"
        large = scores.is_file() and scores.stat().st_size >= MEMORY_MAP_FROM_BYTES
        retriever = bm25s.BM25.load(str(target), mmap=large)
        documents = int(retriever.scores["num_docs"])
        if documents != count:
            raise ValueError(f"the lexical index holds {documents} passages, not {count}")
        return cls(retriever, count, PassageTerms.load(target, count))


def _best_sentence_share(
    weights: dict[int, float], owner: np.ndarray, sentences: np.ndarray, ids: np.ndarray, count: int
) -> np.ndarray:
    """Per row: the largest share of the total question weight that one sentence holds."""
    best = np.zeros(count, dtype=np.float32)
    total = sum(weights.values())
    if total <= 0:
        return best
    question_ids = np.array(sorted(weights), dtype=np.int64)
    shares = np.array([weights[i] for i in question_ids.tolist()]) / total
    matched = np.isin(ids, question_ids)
    # One key per (row, sentence, question term), so a term counts once however often the
    # sentence says it; the term's rank among the question's terms is the key's last digit.
    terms_held = len(question_ids)
    sentence_keys = owner[matched] * 65536 + sentences[matched]
    keys = np.unique(sentence_keys * terms_held + np.searchsorted(question_ids, ids[matched]))
    if len(keys) == 0:
        return best
    sentence_of, which = np.unique(keys // terms_held, return_inverse=True)
    per_sentence = np.bincount(which, weights=shares[keys % terms_held])
    np.maximum.at(best, sentence_of // 65536, per_sentence.astype(np.float32))
    return best


def _pair_share(
    pairs: set[tuple[int, int]], owner: np.ndarray, ids: np.ndarray, count: int, size: int
) -> np.ndarray:
    """Per row: the share of the question's adjacent term pairs found adjacent in the row."""
    if not pairs or len(ids) < 2:
        return np.zeros(count, dtype=np.float32)
    codes = ids[:-1] * size + ids[1:]
    wanted = np.array([a * size + b for a, b in pairs], dtype=np.int64)
    said = np.isin(codes, wanted) & (owner[:-1] == owner[1:])
    # One key per (row, question pair), however often the row says the pair.
    found = np.unique(
        owner[:-1][said] * len(wanted) + np.searchsorted(np.sort(wanted), codes[said])
    )
    return (np.bincount(found // len(wanted), minlength=count) / len(pairs)).astype(np.float32)
