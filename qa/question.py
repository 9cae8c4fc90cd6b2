"""A question, analysed once per request: what search and the answer sentence read of it.

`Question.analyse` splits the question into index terms, weighs its topic terms by their
rarity in the index that will answer it (BM25's IDF), and notes the outlets and calendar dates
it names. Search (`qa.search`, `qa.rerank`) and the answer sentence (`qa.grounding`) take the
`Question` as it is, so a question's terms and weights are computed once, in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.answer_types import Asked, asked_for
from qa.filters import Filters
from qa.index import Index
from qa.lexical import terms
from qa.timewords import TimeWords, read_time_words

if TYPE_CHECKING:
    from qa.followup import Thread

# Words that shape a question rather than say what it is about. BM25's stopword list keeps them,
# and in a small index their IDF is high, so "Which organizations does the CSTO have contacts
# with?" picked "... NATO does exactly what is forbidden ..." for its "does".
# fmt: off
QUESTION_WORDS = frozenset((
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how",
    "do", "does", "did", "done", "doing", "has", "have", "had", "having",
    "is", "are", "was", "were", "be", "been", "being", "am",
    "can", "could", "would", "should", "shall", "will", "may", "might", "must",
))
# fmt: on


@dataclass(frozen=True)
class Question:
    text: str
    terms: tuple[str, ...]  # every index term, in order (for BM25 and adjacent pairs)
    weights: dict[str, float]  # topic terms (question words dropped) -> IDF in the index
    outlets: frozenset[str] = frozenset()  # outlets of the index the question names
    dates: frozenset[str] = frozenset()  # calendar dates it names, ISO
    asked: Asked = Asked()  # what it asks for (who, when...; a name, a date...): qa.answer_types
    thread: Thread | None = None  # what a follow-up takes from its conversation (qa.followup)
    when: TimeWords | None = None  # its time words, read on the day it is asked (qa.timewords)
    filters: Filters = Filters()  # the request's hard date and outlet filters (qa.filters)

    @classmethod
    def analyse(
        cls,
        text: str,
        index: Index | None = None,
        *,
        as_of: dt.date | None = None,
        filters: Filters | None = None,
        time_words: bool = True,
    ) -> Question:
        """`text` read against the index that will answer it (its IDF, its outlets); without
        an index every topic term weighs 1. Its time words are read relative to `as_of`
        (default today) unless `time_words` is false, and are not topic words."""
        sources = index.sources if index is not None else []
        outlets = named_sources(text, sources)
        when = None
        if time_words:  # "Business Today", "The Latest" are outlets, not time words
            when = read_time_words(text, as_of or dt.date.today(), ignore=outlets)
        searched = when.without_phrases(text) if when is not None else text
        topic = sorted(set(terms(searched, also_drop=QUESTION_WORDS)))
        lexical = index.lexical if index is not None else None
        weights = lexical.idf(topic) if lexical is not None else dict.fromkeys(topic, 1.0)
        return cls(
            text=text,
            terms=tuple(terms(searched)),
            weights=weights,
            outlets=frozenset(outlets),
            dates=frozenset(dates_named(text)),
            asked=asked_for(text),
            when=when,
            filters=filters or Filters(),
        )

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())


def named_sources(question: str, sources: Sequence[str]) -> list[str]:
    """The outlets among `sources` that the question names, as whole words (case-insensitive)."""
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
