"""Time words in a question, read relative to the day it is asked (`as_of`).

"this week", "yesterday", "on Sunday", "in March", "on November 5", "in 2023", "last month",
"3 days ago", "since Friday": a date window, inclusive, never reaching past `as_of`.
"latest", "most recent", "newest", "recently", "so far": a preference for the newest evidence.
"how has X developed", "over the years": a question about a story's course (a timeline).

Rules find the phrases and compute the relative windows (weeks start on Monday, "this week"
ends at `as_of`, a weekday is the latest one before `as_of`); dateparser resolves what is
written as a calendar date or a month ("November 5", "5th of Nov.", "March", "a year ago") to
the latest such day not after `as_of`, so "in March" asked in February means last year's March.
The phrases are returned with their character spans, so search can keep them out of the
question's topic words ("week" is not what "this week" is about). bench/sets/README.md gives the
conventions, and docs/answers.md lists every phrase understood.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import dateparser

Window = tuple[dt.date, dt.date]
# Phrases that name the day ("on Sunday", "in October", "November 5", "in 2021") stay topic
# words: articles say them of the event too. Relative ones ("this week", "latest") do not.
CALENDAR_NAMES = frozenset(("weekday", "month_name", "explicit_date", "year"))

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|"
    "september|sept|sep|october|oct|november|nov|december|dec"
)
_MONTH = rf"(?:{MONTHS})\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_WEEKDAY = "|".join(WEEKDAYS)
_PART = r"(?:\s+(?:night|morning|afternoon|evening))?"
_NUMBER = (
    r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|a\s+couple\s+of)"
)
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a few": 3, "a couple of": 2,
}  # fmt: skip


@dataclass(frozen=True)
class TimeWords:
    """What a question's time words mean on `as_of`: a window, a recency preference, or a
    question about a story's course. `spans` are the character ranges of the relative and recency
    phrases, which search keeps out of the topic words ("week" is not what "this week" is
    about); `phrase` is the one shown to a person."""

    as_of: dt.date
    phrase: str | None = None  # the time words as written (the window's, else the first found)
    kind: str | None = None  # "this_week", "weekday", "month_name", "latest", ... (docs/answers.md)
    window: Window | None = None
    recency: bool = False
    timeline: bool = False
    spans: tuple[tuple[int, int], ...] = ()
    only_recently: bool = False  # the recency words are only "recently", "recent", "currently"

    def without_phrases(self, text: str) -> str:
        """`text` with the time phrases blanked out (offsets of the rest unchanged)."""
        for start, end in self.spans:
            text = text[:start] + " " * (end - start) + text[end:]
        return text


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    kind: str
    window: Window | None = None
    recency: bool = False
    timeline: bool = False
    point: dt.date | None = None  # the exact day "since ..." counts from, if not window[0]


_SINCE_BEFORE = re.compile(r"\bsince\b[^.?!,;:]{0,60}$", re.IGNORECASE)


def read_time_words(text: str, as_of: dt.date, ignore: Sequence[str] = ()) -> TimeWords:
    """The time words of `text` read on `as_of` (no phrase found: an empty `TimeWords`), except
    inside the names `ignore` lists (outlets such as "Business Today")."""
    read = text
    for name in ignore:
        for match in re.finditer(re.escape(name), read, re.IGNORECASE):
            read = read[: match.start()] + "_" * len(name) + read[match.end() :]
    found: list[_Found] = []
    for reader in _READERS:
        for item in reader(read, as_of):
            if not any(item.start < f.end and f.start < item.end for f in found):
                found.append(item)
    if not found:
        return TimeWords(as_of)
    found.sort(key=lambda f: f.start)
    windows = [f for f in found if f.window is not None]
    recent = [f for f in found if f.recency]
    timeline = [f for f in found if f.timeline]
    spans = [(f.start, f.end) for f in found if not f.timeline and f.kind not in CALENDAR_NAMES]
    phrase_start = phrase_end = 0
    window = None
    periods = {f.window for f in windows}
    if len(periods) > 1 and all(f.kind in CALENDAR_NAMES for f in windows):
        # Several dates ("between the report of October 12 and that of December 6"): no one
        # window; the dates named still favour their articles (qa.rerank).
        windows = []
    if windows:
        # A date and a period ("last Tuesday", "this week"): the narrowest is the most specific.
        chosen = min(windows, key=lambda f: (f.window[1] - f.window[0]).days if f.window else 0)
        assert chosen.window is not None
        phrase_start, phrase_end, window = chosen.start, chosen.end, chosen.window
        since = _SINCE_BEFORE.search(text, 0, chosen.start)
        if since:  # "since Friday", "since Altman was fired on Friday": from then up to as_of
            window = (chosen.point or window[0], max(chosen.point or window[0], as_of))
            phrase_start = since.start()
            spans.append((since.start(), since.start() + len("since")))
        kind = "since" if since else chosen.kind
    elif recent or timeline:
        chosen = (recent or timeline)[0]
        phrase_start, phrase_end, kind = chosen.start, chosen.end, chosen.kind
    else:
        return TimeWords(as_of, kind="dates", spans=tuple(sorted(spans)))
    return TimeWords(
        as_of=as_of,
        phrase=text[phrase_start:phrase_end],
        kind=kind,
        window=window,
        recency=bool(recent),
        timeline=bool(timeline),
        spans=tuple(sorted(spans)),
        only_recently=bool(recent) and all(f.kind == "recently" for f in recent),
    )


# ---- Windows counted from as_of ------------------------------------------------------------

_RELATIVE = re.compile(
    r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night|"
    r"(?:earlier\s+)?this\s+week|(?:the\s+)?(?:past|last)\s+(?:seven|7)\s+days|"
    r"(?:the\s+)?past\s+week|last\s+week|the\s+week\s+before|"
    r"(?:this|last|over\s+the|the)\s+weekend|"
    r"(?:earlier\s+)?this\s+month|last\s+month|(?:the\s+)?past\s+month|"
    r"(?:so\s+far\s+)?this\s+year(?:\s+so\s+far)?|(?:of\s+)?the\s+year\s+so\s+far|"
    r"year\s+to\s+date|last\s+year)\b",
    re.IGNORECASE,
)


def _relative(text: str, as_of: dt.date) -> list[_Found]:
    """ "today", "yesterday", "this week", "last month", "this year", "the past week"..."""
    found = []
    for match in _RELATIVE.finditer(text):
        words = " ".join(match.group(0).lower().split())
        kind, window = _relative_window(words, as_of)
        found.append(_Found(match.start(), match.end(), kind, window))
    return found


def _relative_window(words: str, as_of: dt.date) -> tuple[str, Window]:
    """The kind and window of one relative phrase (lower case, single spaces)."""
    monday = _day(as_of, -as_of.weekday())
    first = as_of.replace(day=1)
    if (
        words in ("today", "tonight")
        or words.startswith("this ")
        and words.endswith(("morning", "afternoon", "evening"))
    ):
        return "today", (as_of, as_of)
    if words in ("yesterday", "last night"):
        return "yesterday", (_day(as_of, -1), _day(as_of, -1))
    if words.endswith("this week"):
        return "this_week", (monday, as_of)
    if words.endswith(("days", "past week")):
        return "past_week", (_day(as_of, -6), as_of)
    if words in ("last week", "the week before"):
        return "last_week", (_day(monday, -7), _day(monday, -1))
    if words.endswith("weekend"):  # the latest Saturday and Sunday, cut at as_of
        saturday = _day(as_of, -((as_of.weekday() - 5) % 7))
        return "weekend", (saturday, min(_day(saturday, 1), as_of))
    if words.endswith("this month"):
        return "this_month", (first, as_of)
    if words == "last month":
        end = _day(first, -1)
        return "last_month", (end.replace(day=1), end)
    if words.endswith("past month"):
        return "past_month", (_day(as_of, -30), as_of)
    if words == "last year":
        return "last_year", (dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31))
    kind = "so_far" if "so far" in words or words == "year to date" else "this_year"
    return kind, (dt.date(as_of.year, 1, 1), as_of)


def _day(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


_WEEKDAY_PHRASE = re.compile(
    rf"\b(?:(?P<lead>on|last|this|past)\s+(?P<a>{_WEEKDAY}){_PART}\b|"
    rf"(?P<b>{_WEEKDAY})['’]s?(?=\s)|"
    rf"(?P<c>{_WEEKDAY}){_PART}(?=\s*(?:[?.!,;]|$)))",
    re.IGNORECASE,
)


def _weekdays(text: str, as_of: dt.date) -> list[_Found]:
    """ "on Sunday", "last Tuesday", "Sunday's", "on Monday night", a weekday ending a clause:
    the latest such day strictly before as_of ("this Monday" may be as_of itself). A weekday
    naming something ("Sunday Night Football", "the Thursday night game") is not a date."""
    found = []
    for match in _WEEKDAY_PHRASE.finditer(text):
        name = (match.group("a") or match.group("b") or match.group("c")).lower()
        back = (as_of.weekday() - WEEKDAYS.index(name)) % 7
        if back == 0 and (match.group("lead") or "").lower() != "this":
            back = 7
        day = _day(as_of, -back)
        found.append(_Found(match.start(), match.end(), "weekday", (day, day)))
    return found


_AGO = re.compile(rf"\b(?P<n>{_NUMBER})\s+(?P<unit>day|week|month|year)s?\s+ago\b", re.IGNORECASE)


def _ago(text: str, as_of: dt.date) -> list[_Found]:
    """ "3 days ago" (that day), "two weeks ago" (that week), "a month ago" (that month), "a
    year ago" (that year); after "since", from that very day."""
    found = []
    for match in _AGO.finditer(text):
        raw = " ".join(match.group("n").lower().split())
        count = _NUMBERS[raw] if raw in _NUMBERS else int(raw)
        unit = match.group("unit").lower()
        point = _back(as_of, count, unit)
        if unit == "day":
            start = end = point
        elif unit == "week":
            start = _day(point, -point.weekday())
            end = _day(start, 6)
        elif unit == "month":
            start = point.replace(day=1)
            end = _month_end(start)
        else:
            start, end = dt.date(point.year, 1, 1), dt.date(point.year, 12, 31)
        found.append(
            _Found(match.start(), match.end(), "ago", (start, min(end, as_of)), point=point)
        )
    return found


def _back(as_of: dt.date, count: int, unit: str) -> dt.date:
    """The day `count` units before as_of (the 31st clamped to a shorter month's end)."""
    if unit in ("day", "week"):
        return _day(as_of, -count * (7 if unit == "week" else 1))
    months = as_of.year * 12 + as_of.month - 1 - count * (12 if unit == "year" else 1)
    first = dt.date(months // 12, months % 12 + 1, 1)
    return first.replace(day=min(as_of.day, _month_end(first).day))


# ---- Calendar dates and months (dateparser resolves the year) ---------------------------------

_CALENDAR = re.compile(
    rf"(?:\bon\s+)?(?:the\s+)?(?P<date>\b\d{{4}}-\d{{2}}-\d{{2}}\b|"
    rf"\b(?P<m1>{_MONTH})\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?|"
    rf"\b{_DAY}\s+(?:of\s+)?(?P<m2>{_MONTH})(?:,?\s+{_YEAR}\b)?)",
    re.IGNORECASE,
)
_MONTH_PHRASE = re.compile(
    r"\b(?P<lead>in|during|throughout|through|since|of|early|late|mid|last|this)\s+"
    rf"(?:early\s+|late\s+|mid-?)?(?P<date>(?P<m>{_MONTH})(?:\s+(?P<y>{_YEAR}))?)\b",
    re.IGNORECASE,
)
_YEAR_PHRASE = re.compile(
    rf"\b(?:in|during|throughout|so\s+far\s+in)\s+(?P<y>{_YEAR})\b", re.IGNORECASE
)


def _calendar_dates(text: str, as_of: dt.date) -> list[_Found]:
    """ "on November 5", "5th of November", "Nov. 5, 2023", "2023-11-05": that day, in the
    latest year that does not put it after as_of when no year is written."""
    found = []
    for match in _CALENDAR.finditer(text):
        month = match.group("m1") or match.group("m2")
        if month and not _is_month(month):
            continue
        day = _resolve(match.group("date"), as_of)
        if day is not None:
            found.append(_Found(match.start(), match.end(), "explicit_date", (day, day)))
    return found


def _months(text: str, as_of: dt.date) -> list[_Found]:
    """ "in March" (this year's, or last year's when March has not begun), "last March",
    "in March 2023"; "in 2023": the month or year, cut at as_of."""
    found = []
    for match in _MONTH_PHRASE.finditer(text):
        if not _is_month(match.group("m")):
            continue
        start = _resolve(match.group("date"), as_of)
        if start is None:
            continue
        start = start.replace(day=1)
        last = match.group("lead").lower() == "last" and not match.group("y")
        if last and start.month == as_of.month:  # "last November", asked in November
            start = start.replace(year=start.year - 1)
        found.append(
            _Found(match.start(), match.end(), "month_name", _cut(start, _month_end(start), as_of))
        )
    for match in _YEAR_PHRASE.finditer(text):
        year = int(match.group("y"))
        window = _cut(dt.date(year, 1, 1), dt.date(year, 12, 31), as_of)
        found.append(_Found(match.start(), match.end(), "year", window))
    return found


def _cut(start: dt.date, end: dt.date, as_of: dt.date) -> Window:
    """A period up to as_of when it has begun by then (a later one is left whole)."""
    return (start, min(end, as_of)) if start <= as_of else (start, end)


def _is_month(word: str) -> bool:
    """ "May" is a month, "may" a verb; short forms ("Mar", "Dec.") count when capitalized."""
    bare = word.rstrip(".")
    if bare.lower() == "may":
        return bare[0] == "M"
    return len(bare) > 3 or bare[0].isupper()


@functools.lru_cache(maxsize=1024)  # dateparser takes milliseconds; questions repeat dates
def _resolve(written: str, as_of: dt.date) -> dt.date | None:
    """A written date ("November 5", "March 2023") as the latest matching day not after
    as_of (dateparser); None when it is not a real date (February 30)."""
    settings = {
        "RELATIVE_BASE": dt.datetime.combine(as_of, dt.time()),
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(written, languages=["en"], settings=settings)
    return parsed.date() if parsed is not None else None


def _month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


# ---- Recency and the course of a story ------------------------------------------------------

_RECENCY = re.compile(
    r"\b(?:(?:the\s+)?latest(?:\s+(?:on|news\s+on|about|from|with))?|(?:the\s+)?most\s+recent|"
    r"newest|recent(?:ly)?|lately|currently|right\s+now|"
    r"so\s+far(?:\s+this\s+(?:season|tournament|campaign))?)\b",
    re.IGNORECASE,
)
_RECENCY_KINDS = {"latest": "latest", "most": "most_recent", "newest": "newest", "so": "so_far"}
_TIMELINE = re.compile(
    r"\b(?:developed|evolved|unfolded|progressed|over\s+time|over\s+the\s+(?:years|months|weeks)"
    r"|timeline|developments)\b",  # not "the development of X"
    re.IGNORECASE,
)


def _recency(text: str, as_of: dt.date) -> list[_Found]:
    found = []
    for match in _RECENCY.finditer(text):
        words = match.group(0).lower().split()
        head = words[1] if words[0] == "the" else words[0]
        kind = _RECENCY_KINDS.get(head, "recently")
        found.append(_Found(match.start(), match.end(), kind, recency=True))
    return found


def _timeline(text: str, as_of: dt.date) -> list[_Found]:
    return [
        _Found(match.start(), match.end(), "developed", timeline=True)
        for match in _TIMELINE.finditer(text)
    ]


# Most specific first: a span taken by one reader is not read again by the next.
_READERS = (_calendar_dates, _ago, _relative, _months, _weekdays, _recency, _timeline)
