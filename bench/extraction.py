"""Extraction of saved pages measured against the truth written beside them.

    python -m bench.extraction            # the table, and the share of pages right
    python -m bench.extraction --check    # and exit 1 below the floors (FLOORS; the tests run it)

tests/data/pages/ holds pages written in the layouts of different outlets, and expected.json
the truth for each: title, published date, the story's first words (after an optional
standfirst), the updated date when the page states a later one, authors and source where
checked, and text from the page's furniture (comments, related stories, ads, banners) that must
not reach the body; pages that hold no article must be rejected. A page counts as right when its
title, date and body start are all right (a rejected non-article counts as right).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from qa.articles import Article
from qa.formats import read_file
from qa.settings import REPOSITORY

PAGES = REPOSITORY / "tests" / "data" / "pages"
# What `--check` requires: this many pages at least, and these shares of them right.
FLOORS = {"pages": 25, "right": 0.95, "clean": 0.90}


@dataclass
class PageResult:
    name: str
    title: bool = False
    date: bool = False
    body_start: bool = False
    clean: bool = False  # none of the furniture's text in the body
    extra: list[str] = field(default_factory=list)  # other checked fields that are wrong
    note: str = ""

    @property
    def right(self) -> bool:
        return self.title and self.date and self.body_start


def check(path: Path, truth: dict | None) -> PageResult:
    result = PageResult(path.name)
    scan = read_file(path)
    if truth is None:  # not an article: must be rejected
        ok = not scan.articles and bool(scan.problems)
        result.title = result.date = result.body_start = result.clean = ok
        result.note = scan.problems[0].reason if scan.problems else "accepted"
        return result
    if not scan.articles:
        result.note = scan.problems[0].reason if scan.problems else "nothing read"
        return result
    article = scan.articles[0]
    result.title = article.title == truth["title"]
    result.date = article.date == truth["date"]
    result.body_start = starts_story(article, truth)
    result.clean = not [junk for junk in truth.get("junk", []) if junk in article.body]
    if article.updated != truth.get("updated"):  # none unless the page states a later one
        result.extra.append("updated")
    for name in ("source", "url"):
        if name in truth and getattr(article, name) != truth[name]:
            result.extra.append(name)
    if "authors" in truth and list(article.authors) != truth["authors"]:
        result.extra.append("authors")
    if not result.right:
        result.note = f"{article.title!r} {article.date} {article.body[:60]!r}"
    return result


def starts_story(article: Article, truth: dict) -> bool:
    """The body starts with the story, or with one of its allowed standfirsts and then it."""
    paragraphs = article.paragraphs
    while paragraphs and any(paragraphs[0].startswith(s) for s in truth.get("standfirst", [])):
        paragraphs = paragraphs[1:]
    return bool(paragraphs) and paragraphs[0].startswith(truth["body_start"])


def measure() -> tuple[list[PageResult], dict[str, float]]:
    expected = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    results = [check(PAGES / name, truth) for name, truth in expected.items() if name[0] != "_"]
    seconds = time.perf_counter() - started
    count = len(results)
    figures = {
        "pages": count,
        "right": sum(r.right for r in results) / count,
        "title": sum(r.title for r in results) / count,
        "date": sum(r.date for r in results) / count,
        "body_start": sum(r.body_start for r in results) / count,
        "clean": sum(r.clean for r in results) / count,
        "other_fields": sum(not r.extra for r in results) / count,
        "ms_per_page": 1000 * seconds / count,
    }
    return results, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a figure is below its floor: "
        + ", ".join(f"{name} {floor}" for name, floor in FLOORS.items()),
    )
    args = parser.parse_args(argv)
    results, figures = measure()
    print("| page | title | date | body start | no furniture | other fields wrong | note |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        marks = [("yes" if ok else "**no**") for ok in (r.title, r.date, r.body_start, r.clean)]
        print(f"| {r.name} | {' | '.join(marks)} | {', '.join(r.extra)} | {r.note[:80]} |")
    print()
    held = [r for r in results if r.name.startswith("heldout-")]
    if held:
        right = sum(r.right for r in held)
        print(f"held-out pages (written after the rules were settled): {right} of {len(held)}")
    print(
        f"{figures['pages']} pages: title, date and body start right for {figures['right']:.1%}"
        f" (title {figures['title']:.1%}, date {figures['date']:.1%}, body start"
        f" {figures['body_start']:.1%}); no furniture in the body {figures['clean']:.1%};"
        f" updated, source, url and authors right where checked {figures['other_fields']:.1%};"
        f" {figures['ms_per_page']:.0f} ms a page"
    )
    below = [name for name, floor in FLOORS.items() if figures[name] < floor]
    if args.check and below:
        print(f"below the floor: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
