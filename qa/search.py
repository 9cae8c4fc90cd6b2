"""Retrieval: the passages of an index most relevant to a question, best first."""

from __future__ import annotations

from dataclasses import dataclass

from qa.articles import Article
from qa.chunking import Passage
from qa.embedding import Embedder
from qa.index import Index


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its score and the article it cites."""

    row: int
    score: float
    passage: Passage
    article: Article

    @property
    def text(self) -> str:
        return self.passage.text(self.article)


class Searcher:
    """Dense search: the question's embedding against every passage's, by cosine similarity."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def search(self, index: Index, question: str, k: int) -> list[Hit]:
        if index.store.count() == 0:
            return []
        query = self.embedder.encode_query(question)
        scores, rows = index.store.search(query, k)
        hits = []
        for score, row in zip(scores[0].tolist(), rows[0].tolist()):
            if row < 0:
                continue
            passage = index.passages[row]
            hits.append(Hit(row, float(score), passage, index.articles[passage.article_id]))
        return hits
