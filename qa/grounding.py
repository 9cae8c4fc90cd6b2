"""The grounded answer: the sentence(s) of the top passages that best answer the question.

Extractive only: each answer is a span of an article body, cited by its passage number and its
character offsets, so `body[start:end] == text`. A sentence is scored by how much of the
question's weight (BM25 IDF of each question term) it holds, discounted by its passage's rank;
the best sentence is the answer, joined by the next best ones from other passages when they
come close (questions over several articles). No sentence holding enough of the question means
no answer (an empty list), rather than a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.chunking import sentence_spans
from qa.lexical import terms
from qa.question import Question
from qa.search import Hit

ANSWER_PASSAGES = 3  # sentences are taken from this many top passages
RANK_DECAY = 0.85  # weight of a sentence from passage i+1 relative to passage i
MAX_SENTENCES = 2
CLOSE_ENOUGH = 0.85  # a further sentence must score this share of the best one
MIN_COVERAGE = 0.1  # share of the question's weight the best sentence must hold (tuned on dev)


@dataclass(frozen=True)
class AnswerSentence:
    """One extracted sentence: its text, the passage it came from (1-based), its offsets."""

    text: str
    passage: int
    article_id: str
    start: int
    end: int
    score: float


def extract_answer(
    question: Question,
    hits: Sequence[Hit],
    *,
    passages: int = ANSWER_PASSAGES,
    max_sentences: int = MAX_SENTENCES,
) -> list[AnswerSentence]:
    """The answer sentences from the top `passages` hits, best first; [] when none answers."""
    total = question.total_weight
    if not hits or total <= 0:
        return []
    scored = score_sentences(hits[:passages], question.weights, total)
    if not scored or scored[0].score < MIN_COVERAGE:
        return []
    answer = [scored[0]]
    for sentence in scored[1:]:
        if len(answer) >= max_sentences or sentence.score < CLOSE_ENOUGH * scored[0].score:
            break
        if all(sentence.passage != chosen.passage for chosen in answer):
            answer.append(sentence)
    return answer


def score_sentences(
    hits: Sequence[Hit], weights: dict[str, float], total: float
) -> list[AnswerSentence]:
    """Every sentence of the given passages with its score, best first (ties: earlier first).

    A sentence repeated in an overlapping passage is kept once, from the better-ranked passage.
    """
    seen: set[tuple[str, int]] = set()
    scored: list[AnswerSentence] = []
    for rank, hit in enumerate(hits):
        body_offset = hit.passage.start
        text = hit.text
        for start, end in sentence_spans(text):
            key = (hit.article.id, body_offset + start)
            if key in seen:
                continue
            seen.add(key)
            sentence = text[start:end]
            held = set(terms(sentence))
            coverage = sum(weight for term, weight in weights.items() if term in held) / total
            scored.append(
                AnswerSentence(
                    text=sentence,
                    passage=rank + 1,
                    article_id=hit.article.id,
                    start=body_offset + start,
                    end=body_offset + end,
                    score=coverage * RANK_DECAY**rank,
                )
            )
    scored.sort(key=lambda s: (-s.score, s.passage, s.start))
    return scored
