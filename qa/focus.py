"""Second-stage signals for short questions, which name little and share few words with the
passage that answers them ("who runs gogoro", "when was X founded"):

- `title`: the share of the question's weight (IDF of its topic terms) that the passage's
  article title holds: a short question is mostly its subject, and news titles name theirs;
- `typed`: the passage holds the kind of thing the question asks for (a date for "when", a name
  for "who", an amount for "how much", `qa.answer_types`) that the question does not say.

`qa.rerank` adds them, weighted, to the best candidates' scores. Titles are read once per
article (cached); typed spans only for the best `typed_depth` candidates.
"""

from __future__ import annotations

import functools

import numpy as np

from qa.index import Index
from qa.lexical import terms
from qa.question import Question
from qa.short_answer import given_words, is_new
from qa.typed_spans import of_kind, spans


@functools.lru_cache(maxsize=65536)
def title_terms(title: str) -> frozenset[str]:
    return frozenset(terms(title))


def focus_bonus(
    index: Index,
    question: Question,
    rows: np.ndarray,
    title_weight: float,
    typed_weight: float,
    typed_depth: int,
) -> np.ndarray:
    """What the title and typed signals add to each of `rows` (best candidates first)."""
    bonus = np.zeros(len(rows), dtype=np.float32)
    total = question.total_weight
    if total <= 0:
        return bonus
    weights = question.weights
    given = given_words(question.text)
    wants = question.asked.wants if question.asked.typed else None
    for i, row in enumerate(rows.tolist()):
        passage = index.passages[row]
        article = index.articles[passage.article_id]
        if title_weight:
            held = title_terms(article.title)
            bonus[i] += title_weight * sum(w for t, w in weights.items() if t in held) / total
        if typed_weight and wants is not None and i < typed_depth:
            text = passage.text(article)
            if any(is_new(span.text, given) for span in of_kind(spans(text), wants)):
                bonus[i] += typed_weight
    return bonus
