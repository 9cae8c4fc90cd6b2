"""bench/sets/dated.jsonl is valid, and its checker applies the documented time-word conventions."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bench.sets import check_sets

from .conftest import MULTIHOP_CORPUS, shared_data_or_skip

DATED = check_sets.HERE / "dated.jsonl"


@pytest.mark.parametrize(
    ("kind", "phrase", "as_of", "expected"),
    [
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
    ],
)
def test_window_conventions(kind, phrase, as_of, expected):
    window = check_sets.expected_window(kind, phrase, date.fromisoformat(as_of))
    assert window == tuple(date.fromisoformat(day) for day in expected)


def test_a_weekday_asked_on_that_weekday_has_no_window():
    assert check_sets.expected_window("weekday", "on Sunday", date(2023, 10, 1)) is None


def test_the_checker_reports_each_kind_of_mistake(tmp_path):
    corpus = {
        "u1": {
            "url": "u1",
            "published_at": "2023-11-27 08:45:59.000000000Z",
            "body": "Bears win 12-10.",
            "source": "A",
        },
        "u2": {
            "url": "u2",
            "published_at": "2023-11-28 08:45:59.000000000Z",
            "body": "Other news.",
            "source": "B",
        },
    }
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
    bad = [
        {**good, "id": "d002", "answer": "Bears won"},  # not verbatim
        {**good, "id": "d003", "window": ["2023-11-28", "2023-11-28"]},  # excludes the article
        {**good, "id": "d004", "kind": "this_week", "time_phrase": "Monday"},  # wrong convention
        {**good, "id": "d005", "as_of": "2023-11-26"},  # asked before the article
        {**good, "id": "d006", "article": "u3"},  # not in the corpus
        {**good, "id": "d007", "time_phrase": "last night"},  # not written in the question
        {
            **good,
            "id": "d008",
            "kind": "this_week",
            "time_phrase": "this week",
            "question": "Who won this week?",
            "window": ["2023-11-27", "2023-11-29"],
        },  # the distractor (2023-11-28) fits the window too
    ]
    path = tmp_path / "dated.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in [good, *bad]) + "{not json\n")
    errors, _ = check_sets.check_dated(path, corpus)
    assert not [e for e in errors if e.startswith("d001:")]
    for row in bad:
        assert [e for e in errors if e.startswith(f"{row['id']}:")], row["id"]
    assert any("not JSON" in e for e in errors)


def test_unknown_set_files_are_skipped(tmp_path, capsys):
    other = tmp_path / "conversations.jsonl"
    other.write_text("{}\n")
    corpus = tmp_path / "corpus.json"
    corpus.write_text("[]")
    assert check_sets.main([str(other), "--corpus", str(corpus)]) == 0
    assert "skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_the_dated_set_is_valid():
    corpus = check_sets.load_corpus(shared_data_or_skip(MULTIHOP_CORPUS))
    errors, notes = check_sets.check_dated(DATED, corpus)
    assert errors == []
    rows = [json.loads(line) for line in DATED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 120
    with_distractors = [row for row in rows if row.get("distractors")]
    assert 2 * len(with_distractors) >= len(rows)
