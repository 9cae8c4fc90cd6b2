"""Retrieval: the passages of an index most relevant to a question, best first.

Hybrid search in two stages.

1. BM25 (`qa.lexical`) and the dense model each propose a pool of candidates; every candidate is
   scored by both (BM25 over all passages costs about a millisecond, a dense score is one dot
   product) and the two min-max normalized scores are mixed.
2. The best `rerank_depth` of them are rescored with what both miss: whether one sentence of the
   passage holds most of the question (BM25 reads a passage as a bag of words), whether it says
   the question's word pairs as pairs, whether its outlet and its date are named in the
   question ("the report from The Age on December 6, 2023").

A greedy selection then keeps the top k diverse: a passage that overlaps one already chosen, or
comes from an article that already has passages in the list, is discounted, and each outlet the
question names gets its best passage in. All weights were tuned on MultiHop-RAG's dev queries
only (see bench/README.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.articles import Article
from qa.chunking import Passage
from qa.embedding import Embedder
from qa.index import Index


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
    article_decay: float = 0.97  # factor per passage already chosen from the same article
    overlap_decay: float = 0.9  # factor for a passage sharing text with one already chosen
    cover_sources: bool = True  # outlets named in the question each get their best passage in
    twin_similarity: float = 0.97  # cosine above which passages of two articles are copies
    twin_pool: int = 50  # near-copies are looked for among this many best candidates


@dataclass(frozen=True)
class Candidate:
    """A passage competing for a place in the top k."""

    row: int
    score: float
    article_id: str
    start: int
    end: int
    group: str | None = None  # the named outlet it stands for, if any
    twins: frozenset[int] = frozenset()  # rows of near-identical passages in other articles


def fuse(
    lexical: np.ndarray, dense: np.ndarray, lexical_weight: float, dense_weight: float
) -> np.ndarray:
    """Weighted sum of min-max normalized scores over the same candidates (each in [0, 1])."""
    return lexical_weight * _min_max(lexical) + dense_weight * _min_max(dense)


def _min_max(scores: np.ndarray) -> np.ndarray:
    if scores.size == 0:
        return scores.astype(np.float32)
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-9:
        return np.ones_like(scores, dtype=np.float32) if high > 0 else np.zeros_like(scores)
    return ((scores - low) / (high - low)).astype(np.float32)


def best_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """The rows of the `n` highest scores, best first, ties in row order: what
    `np.argsort(-scores, kind="stable")[:n]` gives, without sorting every row."""
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest score
    above = np.flatnonzero(scores > kth)
    rows = np.concatenate([above, np.flatnonzero(scores == kth)[: n - len(above)]])
    return rows[np.argsort(-scores[rows], kind="stable")]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60
) -> dict[int, float]:
    """Weighted RRF: sum over lists of weight / (k + rank), rank counted from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def diversify(
    candidates: Sequence[Candidate], k: int, article_decay: float, overlap_decay: float
) -> list[tuple[Candidate, float]]:
    """Greedy top k: each pick is the best score after discounts for what is already chosen.

    A candidate loses `article_decay` per passage already chosen from its article, and
    `overlap_decay` once if it shares characters with a chosen passage or is a near-identical
    twin of one (a syndicated copy in another article). Candidates with a
    `group` (an outlet the question names) come first while their group has nothing chosen.
    Discounts only grow, so the returned (candidate, discounted score) pairs are best first.
    """
    count = len(candidates)
    scores = np.array([c.score for c in candidates], dtype=np.float64)
    starts = np.array([c.start for c in candidates])
    ends = np.array([c.end for c in candidates])
    article_ids = {a: i for i, a in enumerate(dict.fromkeys(c.article_id for c in candidates))}
    articles = np.array([article_ids[c.article_id] for c in candidates])
    groups = [c.group for c in candidates]
    chosen_per_article = np.zeros(count)  # passages already chosen from each candidate's article
    overlapping = np.zeros(count, dtype=bool)  # shares text with, or copies, a chosen passage
    available = np.ones(count, dtype=bool)
    groups_left = {g for g in groups if g is not None}
    chosen: list[tuple[Candidate, float]] = []
    while available.any() and len(chosen) < k:
        discounted = scores * article_decay**chosen_per_article
        discounted = np.where(overlapping, discounted * overlap_decay, discounted)
        first = available & np.array([g in groups_left for g in groups], dtype=bool)
        eligible = np.flatnonzero(first if first.any() else available)
        best = int(eligible[np.argmax(discounted[eligible])])  # ties: the earlier candidate
        pick = candidates[best]
        chosen.append((pick, float(discounted[best])))
        available[best] = False
        groups_left.discard(pick.group)
        same = articles == articles[best]
        chosen_per_article[same] += 1
        overlapping |= same & (starts < pick.end) & (pick.start < ends)
        overlapping |= np.array([pick.row in c.twins for c in candidates], dtype=bool)
    # A group pick may outrank a better-scored one; keep the list ordered by its own scores.
    chosen.sort(key=lambda pair: -pair[1])
    return chosen


def near_duplicates(
    index: Index, rows: np.ndarray, scores: np.ndarray, threshold: float, pool: int = 50
) -> dict[int, frozenset[int]]:
    """Row -> rows of other articles whose passage vector is nearly the same (syndicated
    copies), among the `pool` best-scored candidates."""
    if len(rows) < 2:
        return {}
    best = rows[np.argsort(-scores, kind="stable")[:pool]]
    vectors = np.asarray(index.store.vectors()[best], dtype=np.float32)
    similar = vectors @ vectors.T >= threshold
    articles = [index.passages[row].article_id for row in best.tolist()]
    twins: dict[int, frozenset[int]] = {}
    for i, j in zip(*np.nonzero(np.triu(similar, k=1))):
        if articles[i] != articles[j]:
            a, b = int(best[i]), int(best[j])
            twins[a] = twins.get(a, frozenset()) | {b}
            twins[b] = twins.get(b, frozenset()) | {a}
    return twins


def named_sources(question: str, sources: Sequence[str]) -> list[str]:
    """The outlets of the index that the question names, as whole words (case-insensitive)."""
    lowered = question.lower()
    found = []
    for source in sources:
        name = source.lower().strip()
        if len(name) < 3 or name not in lowered:  # the cheap test first
            continue
        if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", lowered):
            found.append(source)
    # "The Independent - Life and Style" also contains "The Independent": keep the longest.
    return [s for s in found if not any(s != o and s.lower() in o.lower() for o in found)]


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"  # "December", "Dec."
_DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),  # 2023-12-06
    (re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH}),?\s+(\d{{4}})\b", re.I),
        "dmy",
    ),
)


def dates_named(question: str) -> set[str]:
    """The calendar dates a question names, as ISO strings: "December 6, 2023", "6 Dec 2023",
    "2023-12-06" all give "2023-12-06". Impossible dates (February 30) are ignored."""
    found = set()
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(question):
            if order == "ymd":
                year, month, day = match.groups()
                text, form = f"{year}-{month}-{day}", "%Y-%m-%d"
            else:
                first, second, year = match.groups()
                month, day = (first, second) if order == "mdy" else (second, first)
                text, form = f"{day} {month.rstrip('.')[:3]} {year}", "%d %b %Y"
            try:
                found.add(dt.datetime.strptime(text, form).date().isoformat())
            except ValueError:
                continue
    return found


class Searcher:
    """Hybrid search: BM25 and dense candidates, fused and diversified (see module doc)."""

    def __init__(self, embedder: Embedder, config: SearchConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or SearchConfig()

    def search(self, index: Index, question: str, k: int) -> list[Hit]:
        """The k best passages for `question`, best first."""
        count = index.store.count()
        if count == 0:
            return []
        config = self.config
        if config.method == "bm25" or (config.method != "dense" and index.lexical is None):
            if index.lexical is None:
                return self._dense_only(index, question, k)
            return self._lexical_only(index, question, k)
        if config.method == "dense":
            return self._dense_only(index, question, k)
        if config.method == "rrf":
            return self._rrf(index, question, k)
        query = self.embedder.encode_query(question)
        _, dense_rows = index.store.search(query, min(config.pool, count))
        rows = [int(r) for r in dense_rows[0] if r >= 0]
        lexical_all = None
        if index.lexical is not None:
            lexical_all = index.lexical.scores(question)
            rows += [int(r) for r in best_rows(lexical_all, config.pool) if lexical_all[r] > 0]
        candidates_rows = np.array(sorted(set(rows)), dtype=np.int64)
        dense = index.store.vectors()[candidates_rows] @ query
        if lexical_all is not None:
            best = float(lexical_all.max())
            lexical = (
                lexical_all[candidates_rows] / best if best > 0 else lexical_all[candidates_rows]
            )
            fused = fuse(lexical, dense, config.lexical_weight, config.dense_weight)
        else:
            lexical = np.zeros_like(dense)
            fused = _min_max(dense)
        # Stage 2 over the best candidates; the others cannot reach the top k anyway.
        best_first = np.argsort(-fused, kind="stable")[: max(config.rerank_depth, 2 * k)]
        candidates_rows, dense, lexical = (
            candidates_rows[best_first],
            dense[best_first],
            lexical[best_first],
        )
        outlets = set(named_sources(question, index.sources))
        fused = fused[best_first] + self._second_stage(index, question, candidates_rows, outlets)
        by_row = {
            int(row): (float(d), float(s)) for row, d, s in zip(candidates_rows, dense, lexical)
        }
        groups = self._groups(index, outlets, candidates_rows)
        twins = near_duplicates(
            index, candidates_rows, fused, config.twin_similarity, config.twin_pool
        )
        candidates = [
            Candidate(
                int(row),
                float(score),
                index.passages[row].article_id,
                index.passages[row].start,
                index.passages[row].end,
                groups.get(int(row)),
                twins.get(int(row), frozenset()),
            )
            for row, score in zip(candidates_rows, fused)
        ]
        hits = []
        for candidate, score in diversify(
            candidates, k, config.article_decay, config.overlap_decay
        ):
            passage = index.passages[candidate.row]
            dense_score, lexical_score = by_row[candidate.row]
            hits.append(
                Hit(
                    candidate.row,
                    score,
                    passage,
                    index.articles[passage.article_id],
                    dense=dense_score,
                    lexical=lexical_score,
                )
            )
        return hits

    def _second_stage(
        self, index: Index, question: str, rows: np.ndarray, outlets: set[str]
    ) -> np.ndarray:
        """What stage 2 adds to each candidate's fused score (see the module doc); `outlets`
        are the ones the question names."""
        config = self.config
        bonus = np.zeros(len(rows), dtype=np.float32)
        proximity = index.lexical.proximity(question, rows) if index.lexical is not None else None
        if proximity is not None:
            bonus += config.sentence_weight * proximity.sentence
            bonus += config.phrase_weight * proximity.phrase
        dates = dates_named(question)
        if outlets or dates:
            for i, row in enumerate(rows.tolist()):
                article = index.articles[index.passages[row].article_id]
                if article.source in outlets:
                    bonus[i] += config.outlet_weight
                if article.date and article.date[:10] in dates:
                    bonus[i] += config.date_weight
        return bonus

    def _hit(self, index: Index, row: int, score: float, **scores: float) -> Hit:
        passage = index.passages[row]
        return Hit(row, score, passage, index.articles[passage.article_id], **scores)

    def _dense_only(self, index: Index, question: str, k: int) -> list[Hit]:
        scores, rows = index.store.search(self.embedder.encode_query(question), k)
        return [
            self._hit(index, int(row), float(score), dense=float(score))
            for score, row in zip(scores[0], rows[0])
            if row >= 0
        ]

    def _lexical_only(self, index: Index, question: str, k: int) -> list[Hit]:
        assert index.lexical is not None
        scores = index.lexical.scores(question)
        rows = np.argsort(-scores, kind="stable")[:k]
        best = float(scores.max()) or 1.0
        return [
            self._hit(index, int(r), float(scores[r]), lexical=float(scores[r]) / best)
            for r in rows
            if scores[r] > 0
        ]

    def _rrf(self, index: Index, question: str, k: int) -> list[Hit]:
        pool = self.config.pool
        dense = [h.row for h in self._dense_only(index, question, pool)]
        lexical = [h.row for h in self._lexical_only(index, question, pool)]
        fused = reciprocal_rank_fusion([lexical, dense], [1.0, 1.0])
        best = sorted(fused.items(), key=lambda item: -item[1])[:k]
        return [self._hit(index, row, score) for row, score in best]

    def _groups(self, index: Index, named: set[str], rows: np.ndarray) -> dict[int, str]:
        """Row -> named outlet, for the candidates from outlets the question names."""
        if not self.config.cover_sources or len(named) < 2:  # one: ranking favours it already
            return {}
        groups = {}
        for row in rows.tolist():
            source = index.articles[index.passages[row].article_id].source
            if source in named:
                groups[int(row)] = source
        return groups
