"""Keeping the top k diverse: greedy selection with discounts for what is already chosen.

A candidate loses a little for each passage already chosen from its article, and once if it
shares text with a chosen passage or is a near-identical twin of one (a passage of another
article with nearly the same vector). Articles that are copies of one story (a story group,
`qa.stories`) are cited once: when a passage of one copy is chosen, the other copies drop out,
and their places go to other stories. Outlets the question names each get their best passage
in first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
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
    story: int = -1  # its article's story group (-1: the article has no copies)


def diversify(
    candidates: Sequence[Candidate], k: int, article_decay: float, overlap_decay: float
) -> list[tuple[Candidate, float]]:
    """Greedy top k: each pick is the best score after discounts for what is already chosen.

    A candidate loses `article_decay` per passage already chosen from its article, and
    `overlap_decay` once if it shares characters with a chosen passage or is a near-identical
    twin of one. Once a passage is chosen, candidates of the other articles of its `story` are
    not taken: one copy of a story is cited (the one whose passage is picked first, that is,
    scores best: the outlet or date a question names makes its copy score best), and the
    places go to other stories. Candidates with a `group` (an outlet the question names) come
    first while their group has nothing chosen. Discounts only grow, so the returned
    (candidate, discounted score) pairs are best first.
    """
    count = len(candidates)
    scores = np.array([c.score for c in candidates], dtype=np.float64)
    starts = np.array([c.start for c in candidates])
    ends = np.array([c.end for c in candidates])
    article_ids = {a: i for i, a in enumerate(dict.fromkeys(c.article_id for c in candidates))}
    articles = np.array([article_ids[c.article_id] for c in candidates])
    groups = [c.group for c in candidates]
    stories = np.array([c.story for c in candidates])
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
        if pick.story >= 0:  # the other copies of its story are not cited
            available &= ~((stories == pick.story) & ~same)
    # A group pick may outrank a better-scored one; keep the list ordered by its own scores.
    chosen.sort(key=lambda pair: -pair[1])
    return chosen


def story_window(
    order: Sequence[int], stories: Sequence[int], articles: Sequence[Hashable], depth: int
) -> list[int]:
    """The first `depth` candidates of `order` (positions, best first) that can be cited
    together, and among them the copies of their stories from other articles: a copy takes no
    place, since one copy of a story is cited, but it stays, as a later stage may prefer it
    (the copy from an outlet the question names). Without stories, `order[:depth]`."""
    kept: list[int] = []
    standing: dict[int, Hashable] = {}  # story -> the best-placed article of it so far
    places = 0
    for position in order:
        story, article = stories[position], articles[position]
        if story < 0 or standing.setdefault(story, article) == article:
            if places == depth:
                break
            places += 1
        kept.append(position)
    return kept


def citable(stories: Sequence[int], articles: Sequence[Hashable]) -> int:
    """How many of these candidates can be cited together: all of those whose article has no
    copies, and for each story, those of its article that has the most."""
    free = sum(1 for story in stories if story < 0)
    per_copy = Counter((s, a) for s, a in zip(stories, articles) if s >= 0)
    most: dict[int, int] = {}
    for (story, _), count in per_copy.items():
        most[story] = max(most.get(story, 0), count)
    return free + sum(most.values())


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
    articles = index.article_numbers(best)
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
