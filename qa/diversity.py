"""Keeping the top k diverse: greedy selection with discounts for what is already chosen.

A candidate loses a little for each passage already chosen from its article, and once if it
shares text with a chosen passage or is a near-identical twin of one (a syndicated copy in
another article). Outlets the question names each get their best passage in first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.index import Index


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


def diversify(
    candidates: Sequence[Candidate], k: int, article_decay: float, overlap_decay: float
) -> list[tuple[Candidate, float]]:
    """Greedy top k: each pick is the best score after discounts for what is already chosen.

    A candidate loses `article_decay` per passage already chosen from its article, and
    `overlap_decay` once if it shares characters with a chosen passage or is a near-identical
    twin of one. Candidates with a `group` (an outlet the question names) come first while
    their group has nothing chosen. Discounts only grow, so the returned (candidate, discounted
    score) pairs are best first.
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
    vectors = index.store.get(best)
    similar = vectors @ vectors.T >= threshold
    articles = [index.passages[row].article_id for row in best.tolist()]
    twins: dict[int, frozenset[int]] = {}
    for i, j in zip(*np.nonzero(np.triu(similar, k=1))):
        if articles[i] != articles[j]:
            a, b = int(best[i]), int(best[j])
            twins[a] = twins.get(a, frozenset()) | {b}
            twins[b] = twins.get(b, frozenset()) | {a}
    return twins


def outlet_groups(index: Index, named: frozenset[str], rows: np.ndarray) -> dict[int, str]:
    """Row -> named outlet, for the candidates from outlets the question names (two or more:
    with one, ranking favours it already)."""
    if len(named) < 2:
        return {}
    groups = {}
    for row in rows.tolist():
        source = index.articles[index.passages[row].article_id].source
        if source in named:
            groups[int(row)] = source
    return groups
