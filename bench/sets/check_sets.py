"""Validate the question sets in bench/sets: one check function per file name.

    python3 bench/sets/check_sets.py [--corpus FILE] [FILE ...]

Standard library only. Without FILE arguments every `*.jsonl` beside this script is checked;
a file whose name has no check in CHECKS is reported as skipped, not failed, so sets written on
other branches can be merged by adding their function to CHECKS. Exits 1 if any check fails.
The corpus is MultiHop-RAG's `corpus_train.json` (default: $QA_SHARED_DATA/multihop-rag/, else
the `shared/data` folder beside the checkout, as the tests find it).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
CORPUS = SHARED_DATA / "multihop-rag" / "corpus_train.json"

Corpus = dict[str, dict[str, str]]  # url -> article


def load_corpus(path: Path) -> Corpus:
    articles = json.loads(path.read_text(encoding="utf-8"))
    return {article["url"]: article for article in articles}


def article_day(article: dict[str, str]) -> date:
    """The article's date: the UTC day of `published_at` ("2023-11-27 08:45:59.000000000Z")."""
    return date.fromisoformat(article["published_at"][:10])


def read_jsonl(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"line {number}: empty line")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(f"line {number}: not JSON ({error})")
            continue
        if not isinstance(row, dict):
            errors.append(f"line {number}: not a JSON object")
            continue
        rows.append(row)
    return rows


def parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# dated.jsonl: questions with relative time words, each asked on a day (`as_of`).

DATED_FIELDS = ("id", "question", "as_of", "time_phrase", "article", "answer", "window")
DATED_OPTIONAL = ("kind", "distractors", "also")
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
DATED_KINDS = WINDOW_KINDS | RECENCY_KINDS | {"developed", "none"}
MAX_ANSWER_CHARS = 160


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def expected_window(kind: str, phrase: str, as_of: date) -> tuple[date, date] | None:
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


def check_dated(path: Path, corpus: Corpus) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    rows = read_jsonl(path, errors)
    ids: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    with_distractors = 0
    articles: set[str] = set()
    as_of_days: list[date] = []
    for row in rows:
        where = f"{row.get('id', '?')}"
        ids[str(row.get("id"))] += 1
        missing = [name for name in DATED_FIELDS if name not in row]
        unknown = [name for name in row if name not in DATED_FIELDS + DATED_OPTIONAL]
        if missing or unknown:
            errors.append(f"{where}: missing fields {missing}, unknown fields {unknown}")
            continue
        if not re.fullmatch(r"d\d{3}", str(row["id"])):
            errors.append(f"{where}: id is not d + three digits")
        question, phrase, answer = row["question"], row["time_phrase"], row["answer"]
        if not isinstance(question, str) or not question.strip():
            errors.append(f"{where}: empty question")
            continue
        as_of = parse_day(row["as_of"])
        if as_of is None:
            errors.append(f"{where}: as_of {row['as_of']!r} is not an ISO date")
            continue
        as_of_days.append(as_of)
        if phrase is not None and (
            not isinstance(phrase, str) or phrase.lower() not in question.lower()
        ):
            errors.append(f"{where}: time_phrase {phrase!r} is not written in the question")
        article = corpus.get(row["article"])
        if article is None:
            errors.append(f"{where}: article {row['article']!r} is not in the corpus")
            continue
        articles.add(row["article"])
        day = article_day(article)
        if not isinstance(answer, str) or not answer.strip():
            errors.append(f"{where}: empty answer")
        elif answer not in article["body"]:
            errors.append(f"{where}: answer is not a verbatim substring of the article body")
        elif len(answer) > MAX_ANSWER_CHARS:
            errors.append(f"{where}: answer longer than {MAX_ANSWER_CHARS} characters")
        if day > as_of:
            errors.append(f"{where}: article dated {day} is after as_of {as_of}")
        window = row["window"]
        span: tuple[date, date] | None = None
        if window is not None:
            days = [parse_day(value) for value in window] if isinstance(window, list) else []
            if len(days) != 2 or days[0] is None or days[1] is None:
                errors.append(f"{where}: window {window!r} is not [start, end] ISO dates")
            else:
                span = (days[0], days[1])
                if not span[0] <= span[1] <= as_of:
                    errors.append(f"{where}: window {window} is not ordered up to as_of")
                if not span[0] <= day <= span[1]:
                    errors.append(f"{where}: article dated {day} is outside window {window}")
        kind = row.get("kind")
        if kind is not None:
            kinds[kind] += 1
            errors.extend(f"{where}: {e}" for e in check_kind(kind, phrase, as_of, span))
        for name in ("distractors", "also"):
            others = row.get(name, [])
            if not isinstance(others, list) or len(set(others)) != len(others):
                errors.append(f"{where}: {name} is not a list of distinct urls")
                continue
            for url in others:
                if url not in corpus or url == row["article"]:
                    errors.append(f"{where}: {name} url {url!r} unknown or the gold article")
                elif name == "also":
                    other_day = article_day(corpus[url])
                    if other_day > as_of or (span and not span[0] <= other_day <= span[1]):
                        errors.append(f"{where}: also {url} is outside the window")
                elif distractor_fits(corpus[url], day, as_of, span, kind):
                    errors.append(f"{where}: distractor {url} fits the date too")
        if row.get("distractors"):
            with_distractors += 1
        also_urls = row.get("also", [])
        if isinstance(also_urls, list) and set(also_urls) & set(row.get("distractors", [])):
            errors.append(f"{where}: a url is both in also and in distractors")
    errors.extend(f"id {name} used {count} times" for name, count in ids.items() if count > 1)
    sources = {corpus[url]["source"] for url in articles}
    total = len(rows)
    notes = [
        f"{total} questions, {with_distractors} with distractors, {len(articles)} distinct "
        f"articles from {len(sources)} outlets",
    ]
    if as_of_days:
        notes.append(f"as_of from {min(as_of_days)} to {max(as_of_days)}")
    notes.append("per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if total and kinds:
        notes.append(f"without time words: {kinds['none']} ({100 * kinds['none'] / total:.0f}%)")
    return errors, notes


def check_kind(
    kind: str, phrase: str | None, as_of: date, span: tuple[date, date] | None
) -> list[str]:
    if kind not in DATED_KINDS:
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
    other: dict[str, str],
    gold_day: date,
    as_of: date,
    span: tuple[date, date] | None,
    kind: str | None,
) -> bool:
    """A distractor must be ruled out by the date: outside the window, or (for "latest" and
    kin) older than the gold article or after as_of. Controls and timelines are not checked."""
    day = article_day(other)
    if span is not None:
        return span[0] <= day <= span[1] and day <= as_of
    if kind in RECENCY_KINDS:
        return gold_day < day <= as_of
    return False


# ---------------------------------------------------------------------------------------------

CHECKS: dict[str, Callable[[Path, Corpus], tuple[list[str], list[str]]]] = {
    "dated.jsonl": check_dated,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="sets to check (default: all)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="corpus_train.json")
    args = parser.parse_args(argv)
    files = args.files or sorted(HERE.glob("*.jsonl"))
    corpus = load_corpus(args.corpus)
    failed = False
    for path in files:
        check = CHECKS.get(path.name)
        if check is None:
            print(f"{path.name}: skipped (no check for this file name)")
            continue
        errors, notes = check(path, corpus)
        status = f"FAILED, {len(errors)} errors" if errors else "ok"
        print(f"{path.name}: {status}")
        for note in notes:
            print(f"  {note}")
        for error in errors:
            print(f"  error: {error}")
        failed = failed or bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
