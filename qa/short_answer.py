"""The short answer: the date, amount or number inside the answer sentence that the question
asks for ("When was Gogoro founded?" -> "2011"), only when it is clear which one. Names and
places are found too (`short_answer` can pick them) but are not given: see `SHORT_KINDS`.

Candidates are the sentence's typed spans (`qa.typed_spans`) of the asked-for kind that the
question does not already say. One candidate is the answer; among several, the one nearest the
words the sentence shares with the question, when it is clearly nearer than the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answer_types import AMOUNT, DATE, NAME, NUMBER, PLACE
from qa.lexical import terms
from qa.question import Question
from qa.typed_spans import Span, of_kind

CLEARLY_NEARER = 0.3  # the nearest candidate's distance must be at most this share of the next
# The kinds given as short answers. Names and places are found by capitalization rules, and on
# the dev questions the one picked was right for 19% of "who" and 36% of "where" questions (dates
# 70%, amounts and numbers 57%): too often wrong to stand in large type above the sentence.
SHORT_KINDS = (DATE, AMOUNT, NUMBER)
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Short:
    """A short answer: `body[start:end] == text` once shifted into body offsets."""

    text: str
    start: int
    end: int

    def shifted(self, offset: int) -> Short:
        return Short(self.text, self.start + offset, self.end + offset)


def given_words(question: str) -> frozenset[str]:
    """The question's words, lower-cased, for telling what a span adds to it."""
    return frozenset(token.lower() for token in _TOKEN.findall(question))


def is_new(span_text: str, given: frozenset[str]) -> bool:
    """Whether a span says something the question does not: no word of a name in the question
    ("Altman" when it asks about "Sam Altman"), a number or date not in it."""
    tokens = [token.lower() for token in _TOKEN.findall(span_text)]
    if not tokens:
        return False
    numbers = [token for token in tokens if token[:1].isdigit()]
    if numbers:  # "34 million subscribers" is new to "how many subscribers", "2023" is not
        return not all(token in given for token in numbers)
    if any(token[:1].isalpha() for token in tokens):
        content = [t for t in tokens if t[:1].isalpha() and len(t) > 2] or tokens
        return not any(token in given for token in content)
    return not all(token in given for token in tokens)


def short_answer(
    question: Question, text: str, start: int, end: int, found: list[Span]
) -> Short | None:
    """The short answer inside `text[start:end]` (offsets in `text`), or None when the question
    asks for no name, place, date, amount or number, or it is not clear which span answers."""
    asked = question.asked
    if asked.wants not in SHORT_KINDS:
        return None
    if asked.kind == "which" and asked.focus and asked.focus.endswith("s"):
        return None  # "which organizations...": a list, not one name
    given = given_words(question.text)
    candidates = [s for s in of_kind(found, asked.wants) if is_new(s.text, given)]
    if asked.wants == NAME:  # a place is a name only when nothing else is
        people = [s for s in candidates if s.kind != PLACE]
        candidates = people or candidates
    if not candidates:
        return None
    if len(candidates) > 1:
        anchors = _anchors(question, text, start, end)
        if not anchors:
            return None
        ranked = sorted(candidates, key=lambda s: _distance(s, anchors))
        nearest, runner_up = _distance(ranked[0], anchors), _distance(ranked[1], anchors)
        if nearest > CLEARLY_NEARER * runner_up:
            return None
        candidates = ranked
    chosen = candidates[0]
    return Short(text[chosen.start : chosen.end], chosen.start, chosen.end)


def _anchors(question: Question, text: str, start: int, end: int) -> list[int]:
    """Where, in `text[start:end]`, the sentence says the question's topic words."""
    wanted = set(question.weights)
    return [
        start + match.start()
        for match in re.finditer(r"[^\W_][\w'’\-]*", text[start:end])
        if set(terms(match.group())) & wanted
    ]


def _distance(span: Span, anchors: list[int]) -> int:
    return min(
        0 if span.start <= at < span.end else min(abs(at - span.start), abs(at - span.end))
        for at in anchors
    )
