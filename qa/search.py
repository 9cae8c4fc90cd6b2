"""Retrieval: the passages of an index most relevant to a question, best first.

Hybrid search in three steps, each in its own module:

1. Candidates (here): BM25 (`qa.lexical`) and the dense model each propose a pool; every
   candidate is scored by both (BM25 over all passages costs about a millisecond, a dense
   score is one dot product) and the two min-max normalized scores are mixed (`qa.fusion`).
2. The best `rerank_depth` candidates get the second stage's bonuses (`qa.rerank`): one sentence
   holding most of the question, its word pairs said as pairs, a named outlet or date.
3. A greedy selection keeps the top k diverse (`qa.diversity`), citing one copy of a story
   that several outlets printed (`qa.stories`) and listing the others on its hit.

All weights were tuned on MultiHop-RAG's dev queries only (see bench/README.md). The methods
"bm25", "dense" and "rrf" are the baselines `qa eval` compares with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa import followup
from qa.articles import Article
from qa.chunking import Passage
from qa.diversity import (
    Candidate,
    citable,
    diversify,
    near_duplicates,
    outlet_groups,
    story_window,
)
from qa.embedding import Embedder
from qa.fusion import best_rows, fuse, reciprocal_rank_fusion
from qa.index import Index
from qa.question import Question
from qa.rerank import Bonuses, second_stage
from qa.time_ranking import TimeWeights, time_bonus, window_mask


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its score and the article it cites.

    `score` is the fused score with the second stage's bonuses, after the diversity discount
    (what the list is ordered by);
    `dense` is the cosine similarity of the question and the passage, `lexical` the BM25 score
    divided by the best BM25 score of any passage for this question.
    """

    row: int
    score: float
    passage: Passage
    article: Article
    dense: float = 0.0
    lexical: float = 0.0
    copies: tuple[Article, ...] = ()  # the other articles of its article's story group

    @property
    def text(self) -> str:
        return self.passage.text(self.article)


@dataclass(frozen=True)
class SearchConfig:
    """The knobs of hybrid search; the defaults are the ones tuned on the dev queries."""

    method: str = "hybrid"  # or "bm25", "dense", "rrf" (equal-weight RRF): baselines for `qa eval`
    pool: int = 100  # candidates taken from each of BM25 and the dense index
    lexical_weight: float = 0.8  # weight of the min-max normalized BM25 score
    dense_weight: float = 0.3  # weight of the min-max normalized cosine similarity
    rerank_depth: int = 60  # this many best candidates (at least 2k) go through the second stage
    sentence_weight: float = 1.6  # share of the question's weight held by the best sentence
    phrase_weight: float = 2.3  # share of the question's adjacent word pairs said as pairs
    outlet_weight: float = 0.8  # the passage's outlet is named in the question
    date_weight: float = 0.9  # the passage's article date is named in the question
    title_weight: float = 0.0  # share of the question's weight its article title holds
    typed_weight: float = 0.0  # the passage holds the asked-for kind of thing (qa.focus)
    article_decay: float = 0.97  # factor per passage already chosen from the same article
    overlap_decay: float = 0.9  # factor for a passage sharing text with one already chosen
    cover_sources: bool = True  # outlets named in the question each get their best passage in
    twin_similarity: float = 0.97  # cosine above which passages of two articles are copies
    twin_pool: int = 50  # near-copies are looked for among this many best candidates
    one_copy_per_story: bool = True  # cite one article of a story group (qa.stories)
    window_weight: float = TimeWeights.window  # the question's time words (qa.time_ranking)
    window_widen_days: float = TimeWeights.widen_days
    recency_weight: float = TimeWeights.recency
    recency_days: float = TimeWeights.recency_days
    answers_share: float = TimeWeights.answers
    recently_share: float = TimeWeights.recently

    @property
    def bonuses(self) -> Bonuses:
        return Bonuses(
            self.sentence_weight,
            self.phrase_weight,
            self.outlet_weight,
            self.date_weight,
            self.title_weight,
            self.typed_weight,
        )

    @property
    def time(self) -> TimeWeights:
        return TimeWeights(
            self.window_weight,
            self.window_widen_days,
            self.recency_weight,
            self.recency_days,
            self.answers_share,
            self.recently_share,
        )


class Searcher:
    """Hybrid search: BM25 and dense candidates, fused, rescored and diversified."""

    def __init__(self, embedder: Embedder, config: SearchConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or SearchConfig()

    def search(self, index: Index, question: Question, k: int) -> list[Hit]:
        """The k best passages for `question`, best first; none outside its filters."""
        if index.store.count() == 0:
            return []
        allowed = index.facts.allowed(question.filters)  # None: every passage
        if allowed is not None and not allowed.any():
            return []
        method = self.config.method
        if method == "dense" or index.lexical is None:
            return self._dense_only(index, question, k, allowed)
        if method == "bm25":
            return self._lexical_only(index, question, k, allowed)
        if method == "rrf":
            return self._rrf(index, question, k, allowed)
        return self._hybrid(index, question, k, allowed)

    def _hybrid(
        self, index: Index, question: Question, k: int, allowed: np.ndarray | None
    ) -> list[Hit]:
        config = self.config
        assert index.lexical is not None
        query = self.embedder.encode_query(followup.dense_text(question))
        lexical_all = _masked(followup.lexical_scores(index, question), allowed)
        rows = self._candidates(index, query, lexical_all, allowed)
        rows |= {r for r in followup.thread_rows(index, question) if allowed is None or allowed[r]}
        window = window_mask(index.facts.days, question.when, allowed)
        if window is not None and window.any():  # the window's best, however far down overall
            rows |= self._candidates(index, query, _masked(lexical_all, window), window)
        stories = index.story_rows if config.one_copy_per_story else None
        depth = max(config.rerank_depth, 2 * k)
        if stories is not None:
            rows = self._past_copies(index, query, lexical_all, rows, stories, depth, allowed)
        candidate_rows = np.array(sorted(rows), dtype=np.int64)
        dense = index.store.get(candidate_rows) @ query
        best_lexical = float(lexical_all.max())
        lexical = lexical_all[candidate_rows] / (best_lexical if best_lexical > 0 else 1.0)
        fused = fuse(lexical, dense, config.lexical_weight, config.dense_weight)
        fused += followup.article_bonus(index, question, candidate_rows)  # so they reach the cut
        days = index.facts.days[candidate_rows]
        # The second stage over the best candidates; the others cannot reach the top k anyway.
        first = fused + time_bonus(days, question.when, fused, config.time, question.dates)
        order = np.argsort(-first, kind="stable")
        keep = order[:depth]
        if stories is not None:  # copies of a story take one place between them
            articles = index.article_numbers(candidate_rows)
            kept = story_window(order.tolist(), stories[candidate_rows].tolist(), articles, depth)
            keep = np.array(kept, dtype=np.int64)
        candidate_rows, dense, lexical = candidate_rows[keep], dense[keep], lexical[keep]
        fused = fused[keep] + second_stage(index, question, candidate_rows, config.bonuses)
        fused += time_bonus(days[keep], question.when, fused, config.time, question.dates)
        groups = (
            outlet_groups(index, question.outlets, candidate_rows) if config.cover_sources else {}
        )
        twins = near_duplicates(
            index, candidate_rows, fused, config.twin_similarity, config.twin_pool
        )
        candidates = []
        for row, score in zip(candidate_rows.tolist(), fused.tolist()):
            passage = index.passages[row]
            candidates.append(
                Candidate(
                    row,
                    score,
                    passage.article_id,
                    passage.start,
                    passage.end,
                    groups.get(row),
                    twins.get(row, frozenset()),
                    int(stories[row]) if stories is not None else -1,
                )
            )
        position = {row: i for i, row in enumerate(candidate_rows.tolist())}
        hits = []
        for candidate, score in diversify(
            candidates, k, config.article_decay, config.overlap_decay
        ):
            i = position[candidate.row]
            hits.append(
                self._hit(
                    index, candidate.row, score, dense=float(dense[i]), lexical=float(lexical[i])
                )
            )
        return hits

    def _past_copies(
        self,
        index: Index,
        query: np.ndarray,
        lexical_all: np.ndarray,
        rows: set[int],
        stories: np.ndarray,
        depth: int,
        allowed: np.ndarray | None,
    ) -> set[int]:
        """`rows`, with more candidates from deeper in both pools while copies of one story,
        which are cited once, leave fewer than `depth` candidates that can be cited together."""
        pool, count = self.config.pool, index.store.count()
        while pool < count:
            ordered = sorted(rows)
            articles = index.article_numbers(ordered)
            if citable(stories[ordered].tolist(), articles) >= depth:
                break
            pool *= 2
            _, dense_rows = index.store.search(query, min(pool, count), allowed)
            rows = rows | {int(r) for r in dense_rows[0] if r >= 0}
            rows |= {int(r) for r in best_rows(lexical_all, pool) if lexical_all[r] > 0}
        return rows

    def _candidates(
        self,
        index: Index,
        query: np.ndarray,
        lexical: np.ndarray,
        allowed: np.ndarray | None,
    ) -> set[int]:
        """The best `pool` rows by the dense model and by BM25 (within `allowed`)."""
        pool = self.config.pool
        _, dense_rows = index.store.search(query, min(pool, index.store.count()), allowed)
        rows = {int(r) for r in dense_rows[0] if r >= 0}
        return rows | {int(r) for r in best_rows(lexical, pool) if lexical[r] > 0}

    def _hit(self, index: Index, row: int, score: float, **scores: float) -> Hit:
        passage = index.passages[row]
        article = index.articles[passage.article_id]
        copies = tuple(index.copies(article.id))
        return Hit(row, score, passage, article, copies=copies, **scores)

    def _dense_only(
        self, index: Index, question: Question, k: int, allowed: np.ndarray | None = None
    ) -> list[Hit]:
        query = self.embedder.encode_query(followup.dense_text(question))
        scores, rows = index.store.search(query, k, allowed)
        return [
            self._hit(index, int(row), float(score), dense=float(score))
            for score, row in zip(scores[0], rows[0])
            if row >= 0
        ]

    def _lexical_only(
        self, index: Index, question: Question, k: int, allowed: np.ndarray | None = None
    ) -> list[Hit]:
        assert index.lexical is not None
        scores = _masked(followup.lexical_scores(index, question), allowed)
        best = float(scores.max()) or 1.0
        return [
            self._hit(index, int(r), float(scores[r]), lexical=float(scores[r]) / best)
            for r in best_rows(scores, k)
            if scores[r] > 0
        ]

    def _rrf(
        self, index: Index, question: Question, k: int, allowed: np.ndarray | None = None
    ) -> list[Hit]:
        pool = self.config.pool
        dense = [h.row for h in self._dense_only(index, question, pool, allowed)]
        lexical = [h.row for h in self._lexical_only(index, question, pool, allowed)]
        fused = reciprocal_rank_fusion([lexical, dense], [1.0, 1.0])
        best = sorted(fused.items(), key=lambda item: -item[1])[:k]
        return [self._hit(index, row, score) for row, score in best]


def _masked(scores: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """BM25 scores with the rows outside `allowed` at zero (never candidates)."""
    return scores if allowed is None else np.where(allowed, scores, np.float32(0))
