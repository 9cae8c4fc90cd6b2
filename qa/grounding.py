"""The grounded answer: the sentence(s) of the top passages that best answer the question.

Extractive only: each answer is a span of an article body, cited by its passage number and its
character offsets, so `body[start:end] == text`. A sentence is scored by
- how much of the question's weight (BM25 IDF of each question term) it holds, and a share of
  what its neighbours hold (the answer often sits beside the sentence that names the subject);
- whether it holds the kind of thing the question asks for (`qa.answer_types`: a name for
  "who", a date for "when"...) that the question does not already say, or, for "who is X?",
  a description of X; for "why", a reason clause;
- how much it adds to the question's own words (a sentence that only repeats them loses);
discounted by its passage's rank. The best sentence is the answer, joined by the next best ones
from other passages when they come close (questions over several articles); a sentence is
joined with its neighbour when the answer runs across them, and loses leading list marks and
orphan quote marks. No sentence holding enough of the question means no answer (an empty
list), rather than a guess. The short answer inside it is `qa.short_answer`'s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.answer_types import REASON
from qa.chunking import sentence_spans
from qa.lexical import terms
from qa.question import Question
from qa.search import Hit
from qa.short_answer import Short, given_words, is_new, short_answer
from qa.typed_spans import Span, of_kind, spans

ANSWER_PASSAGES = 3  # sentences are taken from this many top passages
RANK_DECAY = 0.85  # weight of a sentence from passage i+1 relative to passage i
MAX_SENTENCES = 2
# A follow-up asks for something new: a sentence the thread's answers already showed the person
# keeps this share of its score, so it answers only when nothing else does.
ALREADY_SAID = 0.3
CLOSE_ENOUGH = 0.6  # a further sentence must score this share of the best one (tuned on dev)
MIN_COVERAGE = 0.1  # share of the question's weight the best sentence must hold (tuned on dev)
CONTEXT_WEIGHT = 0.3  # share of a neighbour sentence's coverage a sentence is credited with
TYPE_WEIGHT = 0.35  # holds the asked-for kind of thing, new to the question
NOVELTY_WEIGHT = 0.1  # adds words of its own (full credit from NOVEL_TERMS new terms)
NOVEL_TERMS = 4
SHORT_SENTENCE = 50  # characters: a sentence this short leans on the one before it
# A sentence without the asked-for thing (or answering an untyped question) this short or
# shorter (characters) is given with the next: the answer often follows the sentence that names
# the subject ("...wrote his last statement. The statement was in Latin, apart from...").
FOLLOW_UP = 400
# A sentence opening with one of these continues the one before it.
_CONTINUES = re.compile(
    r"^[\"“‘']?(?:He|She|It|They|This|That|These|Those|His|Her|Its|Their|Yes|No|But|And|So|"
    r"Also|However|Instead|More specifically|Both|The two|There)\b"
)
_LIST_MARK = re.compile(r"^(?:[-–—•*·▪►]+|\d{1,2}[.)]|\([a-z0-9]\))\s+")
_DESCRIBED = r"(?:,\s+(?:the|a|an|who|whose|[a-z]+['’]s)\b|\s+(?:is|was|are|were)\s+(?:a|an|the)\b)"


@dataclass(frozen=True)
class AnswerSentence:
    """One extracted sentence (or two adjacent ones): its text, the passage it came from
    (1-based), its offsets in the article body, its score, and what went into it."""

    text: str
    passage: int
    article_id: str
    start: int
    end: int
    score: float
    coverage: float = 0.0  # share of the question's weight it holds, with its context
    typed: bool = False  # holds the asked-for kind of thing, new to the question
    short: Short | None = None  # the short answer inside it, when confident


@dataclass
class _Candidate:
    rank: int
    hit: Hit
    index: int  # the sentence's number in its passage
    bounds: list[tuple[int, int]]  # every sentence of the passage (passage offsets)
    coverages: list[float]
    found: list[Span]  # typed spans of the whole passage text
    typed: list[Span] = field(default_factory=list)
    score: float = 0.0

    @property
    def start(self) -> int:
        return self.bounds[self.index][0]

    @property
    def end(self) -> int:
        return self.bounds[self.index][1]


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
    scored = score_sentences(question, hits[:passages])
    if not scored or _coverage(scored[0]) < MIN_COVERAGE:
        return []
    answer = [scored[0]]
    for candidate in scored[1:]:
        if len(answer) >= max_sentences or candidate.score < CLOSE_ENOUGH * scored[0].score:
            break
        if all(candidate.rank != chosen.rank for chosen in answer):
            answer.append(candidate)
    return [_finish(question, candidate) for candidate in answer]


def score_sentences(question: Question, hits: Sequence[Hit]) -> list[_Candidate]:
    """Every sentence of the given passages with its score, best first (ties: earlier first).

    A sentence repeated in an overlapping passage is kept once, from the better-ranked passage.
    """
    weights = _sentence_weights(question)
    total = sum(weights.values()) or 1.0
    asked = question.asked
    given = given_words(question.text)
    question_terms = set(question.terms)
    thread = question.thread
    said = " ".join(_squeezed(answer) for answer in thread.said) if thread is not None else ""
    seen: set[tuple[str, int]] = set()
    scored: list[_Candidate] = []
    for rank, hit in enumerate(hits):
        text = hit.text
        bounds = list(_sentences(text))
        held = [set(terms(text[start:end])) for start, end in bounds]
        coverages = [sum(w for t, w in weights.items() if t in h) / total for h in held]
        found = list(_typed(text)) if asked.wants else []
        for i, (start, end) in enumerate(bounds):
            key = (hit.article.id, hit.passage.start + start)
            if key in seen:
                continue
            seen.add(key)
            candidate = _Candidate(rank, hit, i, bounds, coverages, found)
            inside = [s for s in found if s.start >= start and s.end <= end]
            if asked.wants:
                candidate.typed = [s for s in of_kind(inside, asked.wants) if is_new(s.text, given)]
            bonus = TYPE_WEIGHT * bool(candidate.typed)
            if asked.kind == "describe" and _describes(text[start:end], question.text):
                bonus += TYPE_WEIGHT
            novel = len(held[i] - question_terms)
            bonus += NOVELTY_WEIGHT * min(novel, NOVEL_TERMS) / NOVEL_TERMS
            own = _coverage(candidate)
            candidate.score = (own + bonus * (own > 0)) * RANK_DECAY**rank
            if said and _squeezed(text[start:end]) in said:
                candidate.score *= ALREADY_SAID
            scored.append(candidate)
    scored.sort(key=lambda c: (-c.score, c.rank, c.start))
    return scored


@functools.lru_cache(maxsize=2048)  # the best passages come back for questions on one topic
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


@functools.lru_cache(maxsize=2048)
def _typed(text: str) -> tuple[Span, ...]:
    return tuple(spans(text))


def _coverage(candidate: _Candidate) -> float:
    i, coverages = candidate.index, candidate.coverages
    before = coverages[i - 1] if i else 0.0
    after = coverages[i + 1] if i + 1 < len(coverages) else 0.0
    return coverages[i] + CONTEXT_WEIGHT * max(before, after)


def _describes(sentence: str, question: str) -> bool:
    """Whether the sentence describes a name the question asks about ("X, the director of...",
    "X is a ...")."""
    capitals = [w for w in re.findall(r"[^\W\d_][\w'’\-]*", question) if w[:1].isupper()][1:]
    if not capitals:
        return False
    name = re.escape(capitals[-1])
    return re.search(name + _DESCRIBED, sentence) is not None


def _sentence_weights(question: Question) -> dict[str, float]:
    """The term weights sentences are scored by. A follow-up's own words pick its sentence
    ("And the SCO?" wants the sentence about the SCO, not the one that holds the most of the
    thread's names); only a question with no words of its own ("Why?") is scored by the
    thread's words it carries."""
    thread = question.thread
    if thread is None:
        return question.weights
    carried = set(thread.carried_terms)
    own = {term: weight for term, weight in question.weights.items() if term not in carried}
    return own if sum(own.values()) > 0 else question.weights


def _squeezed(text: str) -> str:
    """`text` with its runs of white space as one space, for comparing sentences."""
    return " ".join(text.split())


def _finish(question: Question, candidate: _Candidate) -> AnswerSentence:
    """The chosen sentence as an answer: joined with a neighbour when the answer runs across
    them, trimmed of list marks and orphan quotes, with its short answer."""
    text = candidate.hit.text
    first = last = candidate.index
    bounds, coverages = candidate.bounds, candidate.coverages
    sentence = text[candidate.start : candidate.end]
    leans = len(sentence) < SHORT_SENTENCE or _CONTINUES.match(sentence)
    if first > 0 and coverages[first - 1] > coverages[first] and leans:
        first -= 1
    if last + 1 < len(bounds):
        following = text[bounds[last + 1][0] : bounds[last + 1][1]]
        wanted = question.asked.wants
        if sentence.rstrip().endswith(":") or len(sentence) <= FOLLOW_UP and not candidate.typed:
            last += 1
        elif wanted and wanted != REASON and not candidate.typed and _CONTINUES.match(following):
            given = given_words(question.text)
            low, high = bounds[last + 1]
            inside = [s for s in candidate.found if s.start >= low and s.end <= high]
            if any(is_new(s.text, given) for s in of_kind(inside, wanted)):
                last += 1
    start, end = _trimmed(text, bounds[first][0], bounds[last][1])
    inside = [s for s in candidate.found if s.start >= start and s.end <= end]
    short = short_answer(question, text, start, end, inside)
    offset = candidate.hit.passage.start
    return AnswerSentence(
        text=text[start:end],
        passage=candidate.rank + 1,
        article_id=candidate.hit.article.id,
        start=offset + start,
        end=offset + end,
        score=candidate.score,
        coverage=_coverage(candidate),
        typed=bool(candidate.typed),
        short=short.shifted(offset) if short else None,
    )


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without a leading list mark ("- ", "3. ") or a quote mark with no partner."""
    mark = _LIST_MARK.match(text[start:end])
    if mark and mark.end() < end - start:
        start += mark.end()
    span = text[start:end]
    if span.startswith("“") and span.count("“") > span.count("”"):
        start += 1
    elif span.endswith("”") and span.count("”") > span.count("“"):
        end -= 1
    span = text[start:end]
    if span.startswith("‘") and "’" not in span:
        start += 1
    if span.count('"') % 2 == 1:
        if span.startswith('"'):
            start += 1
        elif span.endswith('"'):
            end -= 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
