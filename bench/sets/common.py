"""What the checks of every set share (standard library only): where the corpus is, JSON Lines,
a report of problems and notes, checks of fields, ids, corpus urls and verbatim spans, and the
counts the summaries print. One module per set (conversations.py, dated.py, ...) uses these;
check_sets.py runs them.
"""

from __future__ import annotations

import json
import os
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SETS = Path(__file__).resolve().parent
REPOSITORY = SETS.parents[1]
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
CORPUS = SHARED_DATA / "multihop-rag" / "corpus_train.json"

Record = dict[str, Any]
Articles = dict[str, Record]  # url -> article


def load_corpus(path: Path) -> Articles:
    """MultiHop-RAG's articles by url (OSError, ValueError or KeyError if the file is not one)."""
    return {article["url"]: article for article in json.loads(path.read_text(encoding="utf-8"))}


class Report:
    """What one file's check found: problems fail the run; notes are for a person to judge."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []
        self.notes: list[str] = []

    def at(self, line: int) -> Place:
        """Where to report about one line of the file, or about the whole file when line is 0."""
        return Place(self, f"{self.name}:{line}" if line else self.name)


class Place:
    """A place in a file (a line, a record, a turn of a record) that problems and notes name."""

    def __init__(self, report: Report, where: str) -> None:
        self.report = report
        self.where = where

    def about(self, label: str) -> Place:
        """A narrower place: `dated.jsonl:3: d003`, `conversations.jsonl:9: c009 turn 2`."""
        return Place(self.report, f"{self.where}: {label}")

    def problem(self, message: str) -> None:
        self.report.problems.append(f"{self.where}: {message}")

    def note(self, message: str) -> None:
        self.report.notes.append(f"{self.where}: {message}")


def records(path: Path, report: Report) -> Iterator[tuple[Place, Record]]:
    """Yield (place, object) for each line; report blank lines and lines that are not objects."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            at = report.at(number)
            if not line.strip():
                at.problem("blank line")
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                at.problem(f"not JSON: {error}")
                continue
            if not isinstance(value, dict):
                at.problem("not a JSON object")
                continue
            yield at, value


def check_fields(
    at: Place,
    record: Record,
    text: tuple[str, ...] = (),
    other: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> bool:
    """The `text` fields are non-blank strings without outer whitespace, the `other` fields are
    present, and there are no fields beyond these and the `optional` ones. True if usable."""
    usable = True
    for field in text:
        value = record.get(field)
        if not isinstance(value, str) or not value.strip():
            at.problem(f"{field!r} must be a non-empty string, not {value!r}")
            usable = False
        elif value != value.strip():
            at.problem(f"{field!r} has leading or trailing whitespace")
    missing = [field for field in other if field not in record]
    if missing:
        at.problem(f"missing fields {missing}")
        usable = False
    unknown = set(record) - set(text) - set(other) - set(optional)
    if unknown:
        at.problem(f"unknown fields {sorted(unknown)}")
    return usable


def check_id(at: Place, value: object, prefix: str, seen: set[str]) -> None:
    """Ids are the set's letter and three or more digits (`c001`, `d001`, ...), each used once."""
    if not isinstance(value, str) or not re.fullmatch(rf"{prefix}\d{{3,}}", value):
        at.problem(f"id must look like {prefix}001, not {value!r}")
    elif value in seen:
        at.problem(f"duplicate id {value!r}")
    else:
        seen.add(value)


def check_new_question(at: Place, question: str, seen: dict[str, str]) -> None:
    """No question asked twice in a set (ignoring case); `seen` maps questions to places."""
    key = question.lower()
    if key in seen:
        at.problem(f"same question as {seen[key]}")
    seen.setdefault(key, at.where)


def find_article(
    at: Place, url: object, articles: Articles, what: str = "article"
) -> Record | None:
    """The corpus article at url, or None after reporting that the corpus has none."""
    if isinstance(url, str) and url in articles:
        return articles[url]
    at.problem(f"{what} not in the corpus: {url!r}")
    return None


def check_urls(at: Place, name: str, value: object, gold: str, articles: Articles) -> list[Record]:
    """A list of other articles (`also`, `distractors`): a non-empty list of distinct corpus urls,
    none of them the gold article. Returns the articles found."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(url, str) for url in value)
        or len(set(value)) != len(value)
    ):
        at.problem(f"{name!r} must be a non-empty list of distinct urls, not {value!r}")
        return []
    found = []
    for url in value:
        if url == gold:
            at.problem(f"{name!r} repeats the gold article")
        elif (article := find_article(at, url, articles, f"{name!r} url")) is not None:
            found.append(article)
    return found


def check_span(at: Place, what: str, span: str, text: str, within: str) -> bool:
    """The span is copied verbatim from the text (the article body, the answer's sentence)."""
    if span in text:
        return True
    at.problem(f"{what} is not verbatim in the {within}: {span[:80]!r}")
    return False


def share(counts: Counter[str], order: Iterable[str]) -> str:
    """`first 102 (26%), follow_up 268 (68%), ...` in the given order."""
    total = sum(counts.values()) or 1
    return ", ".join(f"{name} {counts[name]} ({100 * counts[name] / total:.0f}%)" for name in order)


def median_words(questions: list[str]) -> str:
    return (
        f"median {statistics.median(len(q.split()) for q in questions) if questions else 0:g} words"
    )


def gold_articles(urls: Iterable[str], articles: Articles) -> str:
    """Distinct articles, their outlets and categories, for a summary line."""
    distinct = set(urls)
    outlets = Counter(articles[url]["source"] for url in distinct)
    categories = Counter(articles[url]["category"] for url in distinct)
    return (
        f"distinct gold articles {len(distinct)}, outlets {len(outlets)}, categories "
        + ", ".join(f"{name} {count}" for name, count in categories.most_common())
    )
