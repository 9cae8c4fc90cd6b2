"""The second stage of search: what BM25 and the dense model both miss, added to the best few.

For each of the best fused candidates:
- `sentence`: the share of the question's weight (IDF of its topic terms) that the passage's
  best single sentence holds (BM25 reads a passage as a bag of words; evidence sits in one
  sentence);
- `pairs`: the share of the question's adjacent term pairs the passage says as pairs;
- `outlet`: the passage's outlet is named in the question;
- `date`: the article's date is named in the question ("December 6, 2023");
- `title`, `typed`: for short questions, the article title holds the question's subject, and
  the passage holds the kind of thing it asks for (`qa.focus`).
- `thread`: for a follow-up, the passage's article was cited earlier in the thread
  (`qa.followup.article_bonus`).
Each is weighted and added to the fused score (weights in `qa.search.SearchConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa import followup
from qa.focus import focus_bonus
from qa.index import Index
from qa.question import Question


@dataclass(frozen=True)
class Bonuses:
    """The weight of each second-stage signal."""

    sentence: float
    pairs: float
    outlet: float
    date: float
    title: float = 0.0
    typed: float = 0.0
    typed_depth: int = 20  # typed spans are looked for in this many best candidates


def second_stage(
    index: Index, question: Question, rows: np.ndarray, weights: Bonuses
) -> np.ndarray:
    """What the second stage adds to the fused score of each of `rows` (passage rows)."""
    bonus = np.zeros(len(rows), dtype=np.float32)
    if index.lexical is not None:
        proximity = index.lexical.proximity(question.weights, question.terms, rows)
        if proximity is not None:
            bonus += weights.sentence * proximity.sentence
            bonus += weights.pairs * proximity.phrase
    if question.outlets or question.dates:
        for i, row in enumerate(rows.tolist()):
            article = index.articles[index.passages[row].article_id]
            if article.source in question.outlets:
                bonus[i] += weights.outlet
            if article.date and article.date[:10] in question.dates:
                bonus[i] += weights.date
    if weights.title or weights.typed:
        bonus += focus_bonus(
            index, question, rows, weights.title, weights.typed, weights.typed_depth
        )
    return bonus + followup.article_bonus(index, question, rows)
