"""The lexical index: BM25 (bm25s, Lucene variant) over each passage with its article's header.

On news, exact names, numbers and outlets decide whether a passage answers, and all-MiniLM-L6-v2
blurs them; BM25 keeps them. Each passage is indexed with its article's title, source and date
(ISO and spelled out, "November 27, 2023", as questions write dates), so those are searchable.
Words are lower-cased, English stopwords dropped and the rest Snowball-stemmed (PyStemmer).

The index is saved in the index version folder (`lexical/`), row i = passage i, like FAISS.
Rebuilding it over all passages is cheap (about a second for 8,000 passages), so every build
makes it afresh rather than patching it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from qa.articles import Article
from qa.chunking import Passage

LEXICAL_DIR = "lexical"
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
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and w not in also_drop]
    with _STEMMER_LOCK:
        return list(_STEMMER.stemWords(words))


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


class LexicalIndex:
    """BM25 scores of every passage for a question; row i is passage i of the index."""

    def __init__(self, retriever: bm25s.BM25, count: int) -> None:
        self._retriever = retriever
        self.count = count

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index `texts` (from `lexical_text`), one per passage, in row order."""
        stemmer = Stemmer.Stemmer("english")
        retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
        if texts:
            tokens = bm25s.tokenize(
                list(texts), stopwords="en", stemmer=stemmer, show_progress=False
            )
            retriever.index(tokens, show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def for_passages(cls, articles: Sequence[Article], passages: Sequence[Passage]) -> LexicalIndex:
        """Index every passage of an index version, with its article's header."""
        by_id = {article.id: article for article in articles}
        return cls.build(
            [lexical_text(by_id[p.article_id], p.text(by_id[p.article_id])) for p in passages]
        )

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

    def scores(self, question: str) -> np.ndarray:
        """The BM25 score of every passage (float32, one per row; zeros when nothing matches)."""
        tokens = [t for t in terms(question) if t in self._retriever.vocab_dict]
        if not tokens or self.count == 0:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def save(self, folder: Path) -> None:
        target = folder / LEXICAL_DIR
        target.mkdir(exist_ok=True)
        if self.count:
            self._retriever.save(str(target), show_progress=False)

    @classmethod
    def load(cls, folder: Path, count: int) -> LexicalIndex:
        """Load the saved index of a version folder holding `count` passages."""
        target = folder / LEXICAL_DIR
        if not target.is_dir():
            raise ValueError(f"no lexical index in {folder}")
        if count == 0:
            return cls(bm25s.BM25(method="lucene", k1=K1, b=B), 0)
        retriever = bm25s.BM25.load(str(target), mmap=False)
        documents = int(retriever.scores["num_docs"])
        if documents != count:
            raise ValueError(f"the lexical index holds {documents} passages, not {count}")
        return cls(retriever, count)
