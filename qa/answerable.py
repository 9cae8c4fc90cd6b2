"""Whether the articles answer a question: a small logistic model over what search and the
answer sentence found, fitted by `bench/answerable.py` on a mix of answerable questions (long
benchmark questions, short news questions, XQuAD) and questions nothing answers (off-topic
and MultiHop-RAG's null queries). Its coefficients are the constants below.

Signals (`Signals`):
- `cosine`: the best cosine similarity between the question and a returned passage;
- `coverage`: the largest share of the question's weight (IDF of its topic terms) that one
  returned passage holds with its title;
- `missing`: the weight share of the heaviest question term that no returned passage holds (a
  near miss names the corpus's people but asks what it never says: "How tall is X?");
- `sentence`: the answer sentence's share of the question's weight (0 without one);
- `typed`: the question asks for a kind of thing (a name, a date...) and the answer sentence
  holds one it does not say; `untyped`: it asks for one and the answer sentence holds none;
- `margin`: how far the best passage's score is above the best of another article, relative;
- `length`: log(1 + the number of topic terms).

The probability is compared with `QA_MIN_SCORE` (a probability, default 0.40); a question of ten
topic terms or more must also have a passage at cosine 0.40 or more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields

from qa.grounding import AnswerSentence
from qa.lexical import terms
from qa.question import Question
from qa.search import Hit

SIGNAL_PASSAGES = 5  # signals are read from this many top passages, whatever k was asked
# Fitted by `python -m bench.answerable` (see bench/README.md, "answerable"); same order as
# the fields of `Signals`.
INTERCEPT = -5.1966
COEFFICIENTS = (2.9409, 1.0894, -0.0970, 1.0488, -0.0573, -0.7633, 1.8210, 1.0443)
# A question naming this many topic terms or more (MultiHop-RAG's long questions) must also come
# close in meaning to a passage: on-topic questions the articles do not answer name as much as
# answered ones, and the best cosine (the first calibration's rule) is what tells them apart.
LONG_QUESTION_TERMS = 10
LONG_MIN_COSINE = 0.40


@dataclass(frozen=True)
class Signals:
    cosine: float
    coverage: float
    missing: float
    sentence: float
    typed: float
    untyped: float
    margin: float
    length: float

    def vector(self) -> tuple[float, ...]:
        return astuple(self)


SIGNALS = tuple(field.name for field in fields(Signals))


def signals(
    question: Question, hits: Sequence[Hit], sentences: Sequence[AnswerSentence]
) -> Signals:
    """What the decision reads of one answer."""
    hits = hits[:SIGNAL_PASSAGES]
    weights, total = question.weights, question.total_weight
    held = [set(terms(hit.text)) | set(terms(hit.article.title)) for hit in hits]
    if total > 0 and held:
        coverage = max(sum(w for t, w in weights.items() if t in h) for h in held) / total
        anywhere = set().union(*held)
        missing = max((w for t, w in weights.items() if t not in anywhere), default=0.0) / total
    else:
        coverage, missing = 0.0, 1.0
    best = sentences[0] if sentences else None
    typed_question = question.asked.typed
    return Signals(
        cosine=max((hit.dense for hit in hits), default=0.0),
        coverage=coverage,
        missing=missing,
        sentence=best.coverage if best else 0.0,
        typed=float(typed_question and best is not None and best.typed),
        untyped=float(typed_question and (best is None or not best.typed)),
        margin=_margin(hits),
        length=math.log1p(len(weights)),
    )


def _margin(hits: Sequence[Hit]) -> float:
    if not hits or hits[0].score <= 0:
        return 0.0
    top = hits[0]
    other = next((h.score for h in hits[1:] if h.article.id != top.article.id), 0.0)
    return max(0.0, min(1.0, (top.score - other) / top.score))


def probability(found: Signals) -> float:
    """The model's probability that the articles answer the question."""
    z = INTERCEPT + sum(c * x for c, x in zip(COEFFICIENTS, found.vector()))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def is_answerable(
    question: Question,
    hits: Sequence[Hit],
    sentences: Sequence[AnswerSentence],
    threshold: float,
) -> bool:
    """The decision: some passage was found, the probability reaches `threshold`, and a long
    question comes close enough in meaning to a passage."""
    if not hits:
        return False
    found = signals(question, hits, sentences)
    if len(question.weights) >= LONG_QUESTION_TERMS and found.cosine < LONG_MIN_COSINE:
        return False
    return probability(found) >= threshold
