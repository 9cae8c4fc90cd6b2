"""bench/sets/check_sets.py: the committed sets pass; each kind of mistake in each set is
reported, not passed; dated.jsonl's windows follow the documented time-word conventions.

The check runs as it is documented, `python3 bench/sets/check_sets.py [FILE ...] --corpus FILE`:
problems and notes are read from what it prints, and it must exit 1 exactly when a set has a
problem. The tests on the committed sets need the shared MultiHop-RAG corpus and skip without
it; the others use a corpus of made-up articles.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.settings import REPOSITORY

from .support import MULTIHOP_CORPUS, shared_data_or_skip

SETS = REPOSITORY / "bench" / "sets"
SCRIPT = SETS / "check_sets.py"
SET_FILES = sorted(path.name for path in SETS.glob("*.jsonl"))
ARTICLES = {
    "u1": {
        "url": "u1",
        "title": "Bears beat Vikings",
        "published_at": "2023-11-27 08:45:59.000000000Z",
        "body": "Bears win 12-10. Justin Fields threw for 217 yards.",
        "source": "A",
        "category": "sports",
    },
    "u2": {
        "url": "u2",
        "title": "Other news",
        "published_at": "2023-11-28 08:45:59.000000000Z",
        "body": "Other news.",
        "source": "B",
        "category": "business",
    },
    "u3": {
        "url": "u3",
        "title": "A late story",
        "published_at": "2023-12-20 10:00:00.000000000Z",
        "body": "A late story about Acme Rockets.",
        "source": "B",
        "category": "technology",
    },
}


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def write_set(folder: Path, name: str, rows: Sequence[object], extra: str = "") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + extra, encoding="utf-8")
    return path


@dataclass
class Checked:
    """What the check printed of one file."""

    status: str  # "ok", "3 problem(s)", ...
    problems: list[str]
    notes: list[str]


def check(path: Path, articles: dict[str, dict[str, str]] = ARTICLES) -> Checked:
    """The check of one set file against a made-up corpus, as the command prints it."""
    corpus = path.parent / "corpus.json"
    corpus.write_text(json.dumps(list(articles.values())), encoding="utf-8")
    result = run_script(str(path), "--corpus", str(corpus))
    lines = result.stdout.splitlines()
    (status,) = [line.split(": ", 1)[1] for line in lines if line.startswith(f"{path.name}: ")]
    problems = [line.removeprefix("  problem ") for line in lines if line.startswith("  problem ")]
    notes = [line.removeprefix("  note ") for line in lines if line.startswith("  note ")]
    assert result.returncode == (1 if problems else 0), result.stdout + result.stderr
    return Checked(status, problems, notes)


def assert_reported(problems: list[str], *expected: str) -> None:
    for text in expected:
        assert any(text in problem for problem in problems), (text, problems)


# ---------------------------------------------------------------------------------------------
# The committed sets, with the shared corpus.


@pytest.mark.slow
def test_the_committed_sets_pass() -> None:
    corpus = shared_data_or_skip(MULTIHOP_CORPUS)
    result = run_script("--corpus", str(corpus))
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SET_FILES:
        assert f"{name}: ok" in result.stdout
    assert "threads 102 (25 with a topic change)" in result.stdout
    assert "175 questions, 132 with distractors" in result.stdout
    assert "291 questions, 283 of 3-10 words" in result.stdout
    assert "113 questions: general 54 (48%), near_miss 59 (52%)" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", SET_FILES)
def test_a_broken_copy_of_a_committed_set_fails(tmp_path: Path, name: str) -> None:
    corpus = shared_data_or_skip(MULTIHOP_CORPUS)
    lines = (SETS / name).read_text(encoding="utf-8").splitlines(keepends=True)
    copy = tmp_path / name
    copy.write_text("".join(lines) + lines[0] + "{not json\n", encoding="utf-8")
    result = run_script(str(copy), "--corpus", str(corpus))
    assert result.returncode == 1
    assert f"{name}:{len(lines) + 1}: duplicate id" in result.stdout
    assert f"{name}:{len(lines) + 2}: not JSON" in result.stdout


# ---------------------------------------------------------------------------------------------
# The command: no shared data, unknown files.


def test_without_the_shared_data_the_check_is_skipped(tmp_path: Path) -> None:
    result = run_script(env={"QA_SHARED_DATA": str(tmp_path / "absent")})
    assert result.returncode == 0
    assert "skipped: the shared data is not at" in result.stdout


def test_unknown_set_files_are_skipped(tmp_path: Path) -> None:
    other = write_set(tmp_path, "other.jsonl", [{}])
    assert check(other).status == "skipped (no check for this file name)"


# ---------------------------------------------------------------------------------------------
# conversations.jsonl


def test_broken_conversations_are_reported(tmp_path: Path) -> None:
    first = {"question": "Who won?", "kind": "first", "article": "u1", "answer": "Bears win"}
    threads = [
        {
            "id": "c001",
            "turns": [
                first,
                {
                    "question": "By how much?",
                    "kind": "follow_up",
                    "article": "u1",
                    "answer": "12-10",
                },
            ],
        },
        {
            "id": "c002",
            "turns": [
                {**first, "answer": "not in the body"},
                {"question": "and?", "kind": "first", "article": "https://nowhere", "answer": "a"},
                {"question": "More?", "kind": "aside", "article": "u1", "answer": "Bears"},
                {**first, "kind": "topic_change", "also": ["u1"]},
            ],
        },
        {"id": "c002", "turns": [first]},
        {"id": "x3", "turns": [first, {**first, "kind": "follow_up", "mood": "curious"}]},
    ]
    path = write_set(tmp_path, "conversations.jsonl", threads, "not json\n")
    problems = check(path).problems
    assert not [p for p in problems if ":1:" in p]
    assert_reported(
        problems,
        "c002 turn 1: answer is not verbatim in the article",
        "c002 turn 2: kind 'first' is for turn 1 only",
        "c002 turn 2: article not in the corpus",
        "c002 turn 3: kind must be one of",
        "c002 turn 4: 'also' repeats the gold article",
        ":3: duplicate id 'c002'",
        ":3: turns must be a list of 2 to 4 turns",
        ":4: id must look like c001",
        ":4: x3 turn 2: unknown fields ['mood']",
        "conversations.jsonl:5: not JSON",
    )


# ---------------------------------------------------------------------------------------------
# dated.jsonl


# (kind, time phrase, as_of, the window the conventions give it)
CONVENTIONS = [
    ("today", "today", "2023-11-30", ("2023-11-30", "2023-11-30")),
    ("yesterday", "last night", "2023-11-01", ("2023-10-31", "2023-10-31")),
    # Weeks start on Monday and "this week" ends at as_of (a Thursday here).
    ("this_week", "this week", "2023-11-30", ("2023-11-27", "2023-11-30")),
    ("last_week", "last week", "2023-12-06", ("2023-11-27", "2023-12-03")),
    ("weekday", "on Sunday", "2023-10-03", ("2023-10-01", "2023-10-01")),
    ("weekday", "last Tuesday", "2023-11-23", ("2023-11-21", "2023-11-21")),
    ("this_month", "this month", "2023-11-20", ("2023-11-01", "2023-11-20")),
    ("last_month", "last month", "2023-12-04", ("2023-11-01", "2023-11-30")),
    ("month_name", "in October", "2023-12-10", ("2023-10-01", "2023-10-31")),
    ("month_name", "in December", "2023-12-20", ("2023-12-01", "2023-12-20")),
    ("month_name", "in December", "2024-01-05", ("2023-12-01", "2023-12-31")),
    ("explicit_date", "on November 5", "2023-11-08", ("2023-11-05", "2023-11-05")),
    ("explicit_date", "on December 30", "2024-01-02", ("2023-12-30", "2023-12-30")),
]


def window_rows(shift: int) -> tuple[list[dict[str, object]], dict[str, dict[str, str]]]:
    """A dated question for each convention, its window's start moved `shift` days earlier,
    and a corpus with each question's article on the first day of its convention's window."""
    rows, articles = [], dict(ARTICLES)
    for number, (kind, phrase, as_of, (start, end)) in enumerate(CONVENTIONS, start=1):
        url = f"w{number}"
        articles[url] = {
            "url": url,
            "title": f"Story {number}",
            "published_at": f"{start} 08:00:00.000000000Z",
            "body": f"Story {number} happened.",
            "source": "A",
            "category": "news",
        }
        moved = dt.date.fromisoformat(start) - dt.timedelta(days=shift)
        rows.append(
            {
                "id": f"d{number:03}",
                "question": f"What happened {phrase} in story {number}?",
                "as_of": as_of,
                "time_phrase": phrase,
                "kind": kind,
                "article": url,
                "answer": f"Story {number} happened",
                "window": [moved.isoformat(), end],
            }
        )
    return rows, articles


def test_windows_that_follow_the_conventions_pass(tmp_path: Path) -> None:
    rows, articles = window_rows(shift=0)
    checked = check(write_set(tmp_path, "dated.jsonl", rows), articles)
    assert (checked.status, checked.problems) == ("ok", [])


def test_windows_off_the_conventions_are_reported(tmp_path: Path) -> None:
    rows, articles = window_rows(shift=1)
    # "on Sunday" asked on a Sunday: this one or a week ago? No convention, so not in the set.
    sunday = {**rows[0], "id": "d099", "question": "What happened on Sunday?"}
    sunday |= {"time_phrase": "on Sunday", "kind": "weekday", "as_of": "2023-10-01"}
    sunday |= {"article": "w99", "answer": "Story 99", "window": ["2023-09-24", "2023-09-24"]}
    articles["w99"] = {**articles["w1"], "url": "w99", "body": "Story 99 happened."}
    articles["w99"]["published_at"] = "2023-09-24 08:00:00.000000000Z"
    problems = check(write_set(tmp_path, "dated.jsonl", [*rows, sunday]), articles).problems
    for row in rows:
        reported = [p for p in problems if f": {row['id']}: " in p]
        assert len(reported) == 1 and "differs from the convention" in reported[0], reported
    assert_reported(problems, ": d099: cannot read the weekday in 'on Sunday'")


def test_broken_dated_questions_are_reported(tmp_path: Path) -> None:
    good = {
        "id": "d001",
        "question": "Who won on Monday night?",
        "as_of": "2023-11-29",
        "time_phrase": "on Monday night",
        "kind": "weekday",
        "article": "u1",
        "answer": "Bears win 12-10",
        "window": ["2023-11-27", "2023-11-27"],
        "distractors": ["u2"],
    }
    bad = {
        "d002": ({**good, "answer": "Bears won"}, "answer is not verbatim"),
        "d003": ({**good, "window": ["2023-11-28", "2023-11-28"]}, "outside window"),
        "d004": (
            {**good, "kind": "this_week", "time_phrase": "Monday"},
            "differs from the convention",
        ),
        "d005": ({**good, "as_of": "2023-11-26"}, "is after as_of"),
        "d006": ({**good, "article": "u9"}, "article not in the corpus"),
        "d007": ({**good, "time_phrase": "last night"}, "is not written in the question"),
        "d008": (
            {
                **good,
                "kind": "this_week",
                "time_phrase": "this week",
                "question": "Who won this week?",
                "window": ["2023-11-27", "2023-11-29"],
            },
            "distractor u2 fits the date too",
        ),
        "d009": ({**good, "also": ["u3"]}, "also u3 is outside the window"),
        "d010": ({**good, "kind": "latest"}, "kind latest must have window null"),
        "d011": (
            {**good, "distractors": ["u2", "u2"]},
            "must be a non-empty list of distinct urls",
        ),
        "d012": ({**good, "also": ["u2"]}, "a url is both in also and in distractors"),
    }
    rows = [good, *({**row, "id": name} for name, (row, _) in bad.items())]
    path = write_set(tmp_path, "dated.jsonl", rows, "{not json\n")
    problems = check(path).problems
    assert not [p for p in problems if ": d001:" in p]
    for name, (_, message) in bad.items():
        assert any(f": {name}: " in p and message in p for p in problems), (name, problems)
    assert_reported(problems, f"dated.jsonl:{len(rows) + 1}: not JSON")


# ---------------------------------------------------------------------------------------------
# short.jsonl and off_topic.jsonl


def test_broken_short_questions_are_reported(tmp_path: Path) -> None:
    good = {
        "id": "s001",
        "question": "Who won?",
        "article": "u1",
        "answer": "Bears",
        "sentence": "Bears win 12-10.",
        "type": "who",
    }
    rows = [
        good,
        {**good, "id": "s002", "question": "q2", "answer": "Vikings"},
        {**good, "id": "s003", "question": "q3", "sentence": "Bears won 12-10."},
        {**good, "id": "s004", "question": "q4", "answer": "Bears win 12-10."},
        {**good, "id": "s005", "question": "q5", "type": "how"},
        {**good, "id": "s006", "question": "q6", "article": "u9"},
        {**good, "id": "s007", "question": "WHO WON?"},
        {**good, "question": "q8"},
        {**good, "id": "s009", "question": "q9", "answer": " Bears", "source": "x"},
    ]
    problems = check(write_set(tmp_path, "short.jsonl", rows, "\n")).problems
    assert not [p for p in problems if ":1:" in p]
    assert_reported(
        problems,
        ":2: answer is not verbatim in the sentence",
        ":3: sentence is not verbatim in the article",
        ":4: answer is the whole sentence",
        ":5: type must be one of",
        ":6: article not in the corpus",
        ":7: same question as short.jsonl:1",
        ":8: duplicate id 's001'",
        ":9: 'answer' has leading or trailing whitespace",
        ":9: unknown fields ['source']",
        ":10: blank line",
    )


def test_broken_off_topic_questions_are_reported(tmp_path: Path) -> None:
    rows = [
        {"id": "o001", "question": "How do I unclog a kitchen sink?", "kind": "general"},
        {"id": "o002", "question": "Who runs Acme Rockets?", "kind": "near_miss"},
        {"id": "o003", "question": "Is it raining?", "kind": "maybe"},
        {"id": "o004", "question": "how do i unclog a kitchen sink?", "kind": "general"},
        {"id": "o005", "kind": "general"},
    ]
    report = check(write_set(tmp_path, "off_topic.jsonl", rows))
    assert_reported(
        report.problems,
        ":3: kind must be one of",
        ":4: same question as off_topic.jsonl:1",
        ":5: 'question' must be a non-empty string",
        "off_topic.jsonl: near_miss is 1 of 3, below 40%",
    )
    # A name the corpus contains is a note for a person, not a problem.
    assert report.notes == [
        "off_topic.jsonl:2: near_miss: 'Who runs Acme Rockets?': names in the corpus: "
        "Acme Rockets (1); articles with all of them: 1"
    ]
    assert not [p for p in report.problems if ":2:" in p]
