"""dated.jsonl: questions with relative time words (issue 12), each asked on a day (`as_of`).

The windows are re-derived from the time-word conventions of bench/sets/README.md
(`expected_window`) and compared; distractors must be ruled out by the date.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from bench.sets import common

TEXT_FIELDS = ("question", "article", "answer")
OTHER_FIELDS = ("id", "as_of", "time_phrase", "window")
OPTIONAL_FIELDS = ("kind", "distractors", "also")
WEEKDAYS = [name.lower() for name in calendar.day_name]  # monday .. sunday
MONTHS = [name.lower() for name in calendar.month_name]  # "", january .. december
RECENCY_KINDS = {"latest", "most_recent", "newest", "recently"}
WINDOW_KINDS = {
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "weekday",
    "this_month",
    "last_month",
    "month_name",
    "explicit_date",
    "so_far",
}
KINDS = WINDOW_KINDS | RECENCY_KINDS | {"developed", "none"}
MAX_ANSWER_CHARS = 160

Window = tuple[date, date]


def article_day(article: common.Record) -> date:
    """The article's date: the UTC day of `published_at` ("2023-11-27 08:45:59.000000000Z")."""
    return date.fromisoformat(article["published_at"][:10])


def parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def expected_window(kind: str, phrase: str, as_of: date) -> Window | None:
    """The window our conventions give a time phrase; None where the kind has no fixed rule.

    Weeks start on Monday. "this week"/"this month" end at as_of; "last week" is the previous
    Monday..Sunday; a weekday ("on Sunday", "last Tuesday") is the latest such day before as_of
    (none when as_of is that weekday: ambiguous); a month name is that month of as_of's year (the
    year before if the month has not begun yet), cut at as_of; an explicit "November 21" is that
    day, of the latest year that does not put it after as_of.
    """
    text = phrase.lower()
    monday = as_of - timedelta(days=as_of.weekday())
    if kind == "today":
        return as_of, as_of
    if kind == "yesterday":
        return as_of - timedelta(days=1), as_of - timedelta(days=1)
    if kind == "this_week":
        return monday, as_of
    if kind == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if kind == "this_month":
        return as_of.replace(day=1), as_of
    if kind == "last_month":
        end = as_of.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if kind == "weekday":
        names = [n for n in WEEKDAYS if n in text]
        if len(names) != 1:
            return None
        back = (as_of.weekday() - WEEKDAYS.index(names[0])) % 7
        if back == 0:  # "on Sunday" asked on a Sunday: today or a week ago? Not in the set.
            return None
        day = as_of - timedelta(days=back)
        return day, day
    if kind in ("month_name", "explicit_date"):
        found = [(i, n) for i, n in enumerate(MONTHS) if n and re.search(rf"\b{n}\b", text)]
        if len(found) != 1:
            return None
        month = found[0][0]
        year = as_of.year if month <= as_of.month else as_of.year - 1
        if kind == "month_name":
            start = date(year, month, 1)
            return start, min(month_end(start), as_of)
        number = re.search(rf"{found[0][1]}\s+(\d{{1,2}})\b", text)
        if not number:
            return None
        day = date(year, month, int(number.group(1)))
        if day > as_of:
            day = date(year - 1, month, int(number.group(1)))
        return day, day
    return None


def check_kind(kind: object, phrase: str | None, as_of: date, span: Window | None) -> list[str]:
    """The kind is known, agrees with the time phrase, and the window follows its convention."""
    if not isinstance(kind, str) or kind not in KINDS:
        return [f"unknown kind {kind!r}"]
    if (kind == "none") != (phrase is None):
        return [f"kind {kind} with time_phrase {phrase!r}"]
    if (kind in RECENCY_KINDS or kind == "none") and span is not None:
        return [f"kind {kind} must have window null"]
    if kind in WINDOW_KINDS and span is None:
        return [f"kind {kind} needs a window"]
    if kind in WINDOW_KINDS and kind != "so_far":
        expected = expected_window(kind, phrase or "", as_of)
        if expected is None:
            return [f"cannot read the {kind} in {phrase!r}"]
        if span != expected:
            return [f"window {span} differs from the convention for {phrase!r}: {expected}"]
    if kind == "so_far" and span is not None and span[1] != as_of:
        return ["a so-far window must end at as_of"]
    return []


def distractor_fits(
    other: common.Record, gold_day: date, as_of: date, span: Window | None, kind: object
) -> bool:
    """A distractor must be ruled out by the date: outside the window, or (for "latest" and
    kin) older than the gold article or after as_of. Controls and timelines are not checked."""
    day = article_day(other)
    if span is not None:
        return span[0] <= day <= span[1] and day <= as_of
    if kind in RECENCY_KINDS:
        return gold_day < day <= as_of
    return False


def read_window(at: common.Place, window: object, day: date, as_of: date) -> Window | None:
    """The [start, end] window, ordered, ending by as_of and holding the gold article's day."""
    if window is None:
        return None
    days = [parse_day(value) for value in window] if isinstance(window, list) else []
    if len(days) != 2 or days[0] is None or days[1] is None:
        at.problem(f"window {window!r} is not [start, end] ISO dates")
        return None
    span = (days[0], days[1])
    if not span[0] <= span[1] <= as_of:
        at.problem(f"window {window} is not ordered up to as_of")
    if not span[0] <= day <= span[1]:
        at.problem(f"article dated {day} is outside window {window}")
    return span


def check_row(
    at: common.Place, row: common.Record, articles: common.Articles
) -> tuple[date, common.Record] | None:
    """Check one question; return its as_of and gold article when both are usable."""
    question, phrase, answer = row["question"], row["time_phrase"], row["answer"]
    as_of = parse_day(row["as_of"])
    if as_of is None:
        at.problem(f"as_of {row['as_of']!r} is not an ISO date")
        return None
    if phrase is not None and (
        not isinstance(phrase, str) or phrase.lower() not in question.lower()
    ):
        at.problem(f"time_phrase {phrase!r} is not written in the question")
        phrase = str(phrase)
    article = common.find_article(at, row["article"], articles)
    if article is None:
        return None
    if common.check_span(at, "answer", answer, article["body"], "article") and (
        len(answer) > MAX_ANSWER_CHARS
    ):
        at.problem(f"answer longer than {MAX_ANSWER_CHARS} characters")
    day = article_day(article)
    if day > as_of:
        at.problem(f"article dated {day} is after as_of {as_of}")
    span = read_window(at, row["window"], day, as_of)
    kind = row.get("kind")
    if kind is not None:
        for message in check_kind(kind, phrase, as_of, span):
            at.problem(message)
    others = {
        name: common.check_urls(at, name, row[name], row["article"], articles)
        for name in ("distractors", "also")
        if name in row
    }
    for other in others.get("also", []):
        other_day = article_day(other)
        if other_day > as_of or (span and not span[0] <= other_day <= span[1]):
            at.problem(f"also {other['url']} is outside the window")
    for other in others.get("distractors", []):
        if distractor_fits(other, day, as_of, span, kind):
            at.problem(f"distractor {other['url']} fits the date too")
    urls = {name: {other["url"] for other in found} for name, found in others.items()}
    if urls.get("also", set()) & urls.get("distractors", set()):
        at.problem("a url is both in also and in distractors")
    return as_of, article


def check(path: Path, articles: common.Articles, report: common.Report) -> list[str]:
    ids: set[str] = set()
    kinds: Counter[str] = Counter()
    gold: list[str] = []
    as_of_days: list[date] = []
    total = with_distractors = 0
    for at, row in common.records(path, report):
        total += 1
        common.check_id(at, row.get("id"), "d", ids)
        where = at.about(str(row.get("id", "?")))
        if not common.check_fields(where, row, TEXT_FIELDS, OTHER_FIELDS, OPTIONAL_FIELDS):
            continue
        if row.get("kind") is not None:
            kinds[str(row["kind"])] += 1
        with_distractors += bool(row.get("distractors"))
        checked = check_row(where, row, articles)
        if checked is not None:
            as_of_days.append(checked[0])
            gold.append(checked[1]["url"])
    summary = [f"{total} questions, {with_distractors} with distractors"]
    if as_of_days:
        summary.append(f"as_of from {min(as_of_days)} to {max(as_of_days)}")
    summary.append("per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if total and kinds:
        summary.append(f"without time words: {kinds['none']} ({100 * kinds['none'] / total:.0f}%)")
    summary.append(common.gold_articles(gold, articles))
    return summary
