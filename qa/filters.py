"""Hard filters on dates and outlets: which passages a request may see at all.

`PassageFacts` holds, for one loaded index version, every passage's article day (as a date
ordinal) and outlet (as a number), computed once when the version loads (`Index.facts`) from
two queries of its store (`qa.store.article_table`: no bodies are read); a request's `Filters` then
become a boolean mask over the passages with a few vectorized comparisons, which search applies
inside BM25 and FAISS (`qa.search`). An article without a date is outside every date filter.
The outlets' article counts and first and last dates (`GET /sources`) come from the same facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.articles import Article
from qa.chunking import Passage
from qa.errors import INVALID_FILTER, BadRequest
from qa.store import ArticleTable, article_table

NO_DAY = -1  # an article without a readable date
NO_OUTLET = -1


@dataclass(frozen=True)
class Filters:
    """What a request limits the search to: article days `since`..`until` (inclusive) and
    outlets (their names as the index spells them); empty means no limit."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None or bool(self.sources)


@dataclass(frozen=True)
class Outlet:
    name: str
    articles: int
    first: dt.date | None
    last: dt.date | None


class PassageFacts:
    """Per passage of one index version: its article's day and outlet, as arrays."""

    def __init__(self, articles: Mapping[str, Article], passages: Sequence[Passage]) -> None:
        table = article_table(articles, passages)
        self.table: ArticleTable = table  # also gives each passage's article (`Index.story_rows`)
        names = sorted({source for source in table.sources if source})
        self.outlets: list[str] = names
        number = {name: i for i, name in enumerate(names)}
        self._number = number
        self._by_name = {" ".join(name.lower().split()): name for name in names}
        article_days = np.fromiter(
            (article_day_ordinal(date) for date in table.dates),
            dtype=np.int32,
            count=len(table.dates),
        )
        article_outlets = np.fromiter(
            (number[source] if source else NO_OUTLET for source in table.sources),
            dtype=np.int32,
            count=len(table.sources),
        )
        self.days = article_days[table.of_passage]
        self.outlet_ids = article_outlets[table.of_passage]
        self._summary = _outlet_summary(table.sources, article_days.tolist(), names)

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """A boolean mask of the passages `filters` allow, or None when it allows all."""
        if not filters.active:
            return None
        mask = np.ones(len(self.days), dtype=bool)
        if filters.since is not None or filters.until is not None:
            mask &= self.days != NO_DAY
        if filters.since is not None:
            mask &= self.days >= filters.since.toordinal()
        if filters.until is not None:
            mask &= self.days <= filters.until.toordinal()
        if filters.sources:
            wanted = [self._number[name] for name in filters.sources]
            mask &= np.isin(self.outlet_ids, np.asarray(wanted, dtype=np.int32))
        return mask

    def outlet_names(self, asked: Sequence[str]) -> tuple[str, ...]:
        """The index's spelling of each outlet asked for (case and spacing ignored), in the
        index's order; an unknown one is a 400 `invalid_filter` naming it."""
        found = []
        for name in asked:
            known = self._by_name.get(" ".join(name.lower().split()))
            if known is None:
                raise BadRequest(
                    f'No outlet named "{name}" in the index; GET /sources lists them.',
                    code=INVALID_FILTER,
                )
            found.append(known)
        return tuple(sorted(set(found), key=self._number.__getitem__))

    def summary(self) -> list[Outlet]:
        """Every outlet with its article count and first and last article day, by name."""
        return self._summary


def article_day_ordinal(date: str | None) -> int:
    """The article's day (the date as the article gives it, before any time) as an ordinal."""
    if not date:
        return NO_DAY
    try:
        return dt.date.fromisoformat(date[:10]).toordinal()
    except ValueError:
        return NO_DAY


def article_day(date: str | None) -> dt.date | None:
    ordinal = article_day_ordinal(date)
    return dt.date.fromordinal(ordinal) if ordinal != NO_DAY else None


def _outlet_summary(
    sources: Sequence[str | None], days: Sequence[int], names: list[str]
) -> list[Outlet]:
    """Article counts and first and last days by outlet, from each article's outlet and day."""
    counts: dict[str, int] = dict.fromkeys(names, 0)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for source, day in zip(sources, days):
        if not source:
            continue
        counts[source] += 1
        if day != NO_DAY:
            first[source] = min(first.get(source, day), day)
            last[source] = max(last.get(source, day), day)
    return [
        Outlet(
            name,
            counts[name],
            dt.date.fromordinal(first[name]) if name in first else None,
            dt.date.fromordinal(last[name]) if name in last else None,
        )
        for name in sorted(names, key=str.lower)
    ]
