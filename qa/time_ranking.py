"""Time in ranking: the question's window and recency as soft preferences, and newest-first.

A window the time words name ("this week") is a strong preference, not a filter: passages that
answer the question (their score so far is at least `answers` times the best candidate's) get
`window` added inside it, and a share of it that halves every `widen_days` days outside it, so
the day before "yesterday" still beats last month, and a window with nothing that answers
changes nothing (the preference widens to every date). "latest" adds `recency` to the answering
passages dated on or before `as_of`, halving every `recency_days` days older than the newest of
them, so the newest evidence comes first whatever today's date is. A question without time words
gets no bonus at all: it is ranked exactly as it would be without this module.

Hard filters (`qa.filters`) are applied before any of this, inside the candidate search.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.filters import NO_DAY, article_day
from qa.timewords import TimeWords

if TYPE_CHECKING:  # search imports this module
    from qa.grounding import AnswerSentence
    from qa.question import Question
    from qa.search import Hit


@dataclass(frozen=True)
class TimeWeights:
    """How strongly time words move a passage (tuned on bench/sets/dated.jsonl only)."""

    window: float = 2.0  # added to answering passages inside the window
    widen_days: float = 1.0  # outside it, the bonus halves every this many days
    recency: float = 1.2  # added to the newest answering passage (not after as_of)
    recency_days: float = 7.0  # and halves every this many days older
    answers: float = 0.5  # share of the best score that makes a candidate one that answers
    recently: float = 0.0  # share of `recency` for "recently", "recent", "currently" alone: none
    # (on dev it cost MultiHop-RAG questions phrased "recently reported by" and gained one dated
    # question of 175; "latest", "newest", "most recent" keep the whole bonus)


def window_mask(
    days: np.ndarray, when: TimeWords | None, allowed: np.ndarray | None
) -> np.ndarray | None:
    """The passages inside the question's window (and the hard filters), for candidates."""
    if when is None or when.window is None:
        return None
    start, end = (day.toordinal() for day in when.window)
    mask = (days >= start) & (days <= end)
    return mask & allowed if allowed is not None else mask


def time_bonus(
    days: np.ndarray,
    when: TimeWords | None,
    scores: np.ndarray,
    weights: TimeWeights,
    named_dates: frozenset[str] = frozenset(),
) -> np.ndarray:
    """What the question's time words add to each candidate: `days` are the candidates' article
    days (ordinals, `NO_DAY` when undated), `scores` their scores so far. A one-day window on a
    full date the question writes ("on December 6, 2023") adds nothing: the second stage's
    date bonus (`qa.rerank`) already favours that day's articles."""
    bonus = np.zeros(len(scores), dtype=np.float32)
    if when is None or (when.window is None and not when.recency) or len(scores) == 0:
        return bonus
    best = float(scores.max())
    answering = (scores >= weights.answers * best) & (days != NO_DAY)
    window = when.window
    if window is not None and window[0] == window[1] and window[0].isoformat() in named_dates:
        window = None
    if window is not None:
        start, end = (day.toordinal() for day in window)
        outside = np.maximum(start - days, 0) + np.maximum(days - end, 0)
        closeness = 0.5 ** (outside / max(weights.widen_days, 1e-6))
        bonus += np.where(answering, weights.window * closeness, 0.0).astype(np.float32)
    if when.recency:
        eligible = answering & (days <= when.as_of.toordinal())
        if eligible.any():
            age = int(days[eligible].max()) - days
            fresh = 0.5 ** (age / max(weights.recency_days, 1e-6))
            weight = weights.recency * (weights.recently if when.only_recently else 1.0)
            bonus += np.where(eligible, weight * fresh, 0.0).astype(np.float32)
    return bonus


def by_date(
    hits: Sequence[Hit], sentences: Sequence[AnswerSentence]
) -> tuple[list[Hit], list[AnswerSentence]]:
    """The same hits newest first (undated last, ties in relevance order), with the answer
    sentences' passage numbers following their passages."""
    order = sorted(
        range(len(hits)),
        key=lambda i: (-(_ordinal(hits[i].article.date)), i),
    )
    new_number = {old + 1: new + 1 for new, old in enumerate(order)}
    renumbered = [dataclasses.replace(s, passage=new_number[s.passage]) for s in sentences]
    return [hits[i] for i in order], renumbered


def _ordinal(date: str | None) -> int:
    day = article_day(date)
    return day.toordinal() if day else NO_DAY


def newest(hits: Sequence[Hit], as_of: dt.date) -> dict[str, Any] | None:
    """The newest article day among the hits and how many days before `as_of` it is."""
    days = [day for day in (article_day(hit.article.date) for hit in hits) if day is not None]
    if not days:
        return None
    latest = max(days)
    return {"date": latest.isoformat(), "days_before_as_of": (as_of - latest).days}


def understood_time(question: Question, hits: Sequence[Hit], as_of: dt.date) -> dict[str, Any]:
    """The time and outlet fields of the answer's `understood` (see `contract.Understood`)."""
    when, filters = question.when, question.filters
    fields: dict[str, Any] = {"sources": list(filters.sources), "as_of": as_of.isoformat()}
    if when is not None and when.window is not None:
        since, until = when.window
        days = [article_day(hit.article.date) for hit in hits]
        fields |= {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "window": "question",
            "widened": bool(hits) and not any(d is not None and since <= d <= until for d in days),
        }
    elif filters.since is not None or filters.until is not None:
        fields |= {
            "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
            "window": "filter",
        }
    if when is not None:
        fields |= {"time_phrase": when.phrase, "recency": when.recency, "timeline": when.timeline}
        if when.recency or when.timeline:
            fields["newest"] = newest(hits, as_of)
    return fields
