"""Time words read relative to the day a question is asked (qa.timewords)."""

from __future__ import annotations

import datetime as dt

import pytest

from qa.timewords import read_time_words

D = dt.date
THURSDAY = D(2023, 11, 16)  # a Thursday in the middle of November 2023


def window(question: str, as_of: dt.date = THURSDAY) -> tuple[str, str] | None:
    found = read_time_words(question, as_of).window
    return (found[0].isoformat(), found[1].isoformat()) if found else None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened today?", ("2023-11-16", "2023-11-16")),
        ("Who won tonight?", ("2023-11-16", "2023-11-16")),
        ("What did the Fed say yesterday?", ("2023-11-15", "2023-11-15")),
        ("Who scored last night?", ("2023-11-15", "2023-11-15")),
        ("What happened this week with the strike?", ("2023-11-13", "2023-11-16")),
        ("What happened earlier this week?", ("2023-11-13", "2023-11-16")),
        ("How did the Chiefs game end last week?", ("2023-11-06", "2023-11-12")),
        ("What happened in the past week?", ("2023-11-10", "2023-11-16")),
        ("Who won over the weekend?", ("2023-11-11", "2023-11-12")),
        ("Who was fired this month?", ("2023-11-01", "2023-11-16")),
        ("How did Spotify do last month?", ("2023-10-01", "2023-10-31")),
        ("What was the top app this year?", ("2023-01-01", "2023-11-16")),
        ("How many jobs were cut so far this year?", ("2023-01-01", "2023-11-16")),
        ("What were the best films of the year so far?", ("2023-01-01", "2023-11-16")),
        ("What happened last year?", ("2022-01-01", "2022-12-31")),
        ("Who won on Sunday?", ("2023-11-12", "2023-11-12")),
        ("Who caught the winning touchdown in Sunday's night game?", ("2023-11-12", "2023-11-12")),
        ("How did Dobbs play on Monday night?", ("2023-11-13", "2023-11-13")),
        ("Which crypto boss pleaded guilty last Tuesday?", ("2023-11-14", "2023-11-14")),
        ("What did Ten Hag say on Thursday?", ("2023-11-09", "2023-11-09")),  # never as_of
        ("What happened this Thursday?", ("2023-11-16", "2023-11-16")),
        ("How did the Eagles do Sunday night?", ("2023-11-12", "2023-11-12")),
        ("What did the Fed say in March?", ("2023-03-01", "2023-03-31")),
        ("Who was the star witness in October?", ("2023-10-01", "2023-10-31")),
        ("What happened in November?", ("2023-11-01", "2023-11-16")),  # cut at as_of
        ("What happened in December?", ("2022-12-01", "2022-12-31")),  # not begun: last year's
        ("What happened last November?", ("2022-11-01", "2022-11-30")),
        ("What happened in March 2021?", ("2021-03-01", "2021-03-31")),
        ("Who won the Bills game on November 5?", ("2023-11-05", "2023-11-05")),
        ("What did EU lawmakers agree on December 9?", ("2022-12-09", "2022-12-09")),
        ("What happened on the 5th of November?", ("2023-11-05", "2023-11-05")),
        ("What happened on Nov. 5th?", ("2023-11-05", "2023-11-05")),
        ("What happened on 2023-10-02?", ("2023-10-02", "2023-10-02")),
        ("What happened on October 2, 2022?", ("2022-10-02", "2022-10-02")),
        ("How much was paid in 2021?", ("2021-01-01", "2021-12-31")),
        ("How much was paid in 2023?", ("2023-01-01", "2023-11-16")),
        ("What happened 3 days ago?", ("2023-11-13", "2023-11-13")),
        ("What happened two weeks ago?", ("2023-10-30", "2023-11-05")),
        ("How has it developed since Friday?", ("2023-11-10", "2023-11-16")),
        ("How has ChatGPT changed since it launched a year ago?", ("2022-11-16", "2023-11-16")),
    ],
)
def test_windows_relative_to_as_of(question, expected):
    assert window(question) == expected


def test_week_boundaries():
    monday, sunday = D(2023, 11, 13), D(2023, 11, 19)
    assert window("this week", monday) == ("2023-11-13", "2023-11-13")  # weeks start Monday
    assert window("this week", sunday) == ("2023-11-13", "2023-11-19")
    assert window("last week", monday) == ("2023-11-06", "2023-11-12")
    assert window("last week", sunday) == ("2023-11-06", "2023-11-12")
    assert window("on Monday", monday) == ("2023-11-06", "2023-11-06")  # strictly before
    assert window("on Sunday", monday) == ("2023-11-12", "2023-11-12")
    assert window("yesterday", D(2024, 3, 1)) == ("2024-02-29", "2024-02-29")
    assert window("last month", D(2024, 1, 10)) == ("2023-12-01", "2023-12-31")
    assert window("this weekend", D(2023, 11, 18)) == ("2023-11-18", "2023-11-18")  # Saturday


def test_months_and_dates_that_have_not_come_yet_are_last_years():
    february = D(2024, 2, 10)
    assert window("in March", february) == ("2023-03-01", "2023-03-31")
    assert window("in February", february) == ("2024-02-01", "2024-02-10")
    assert window("on March 3", february) == ("2023-03-03", "2023-03-03")
    assert window("on February 29", D(2023, 12, 1)) == ("2020-02-29", "2020-02-29")
    assert window("on February 30", february) is None  # not a date


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Latest on the OpenAI board?", "latest"),
        ("What's the latest on Taylor Swift?", "latest"),
        ("What is the most recent on the AI Act?", "most_recent"),
        ("What was the newest MacBook review verdict?", "newest"),
        ("Why were Everton docked points recently?", "recently"),
        ("What showed up during the recent solar storm?", "recently"),
        ("Who is Man United's top scorer so far this season?", "so_far"),
    ],
)
def test_recency_words(question, kind):
    found = read_time_words(question, THURSDAY)
    assert (found.recency, found.window, found.kind) == (True, None, kind)


def test_what_is_not_a_time_phrase():
    for question in (
        "Who won Sunday Night Football?",
        "How did the Thursday night game go?",
        "Who may win the title?",
        "What did the 2023 World Cup final show?",
        "Which company signed the trilateral agreement?",
        "What is the Monday night game about?",
    ):
        found = read_time_words(question, THURSDAY)
        assert (found.window, found.recency, found.spans) == (None, False, ()), question


def test_phrases_and_their_spans():
    question = "Who won Sunday Night Football on Sunday?"
    found = read_time_words(question, THURSDAY)
    assert found.phrase == "on Sunday"
    # Calendar names stay topic words (articles say "on Sunday" of the game too) ...
    assert found.spans == ()
    # ... relative words do not ("latest" is not what the question is about).
    latest = read_time_words("What's the latest on Ohtani?", THURSDAY)
    assert latest.without_phrases("What's the latest on Ohtani?").split() == ["What's", "Ohtani?"]


def test_the_narrowest_window_wins_and_since_runs_to_as_of():
    found = read_time_words("What did he say last Tuesday, earlier this week?", THURSDAY)
    assert (found.phrase, found.window) == ("last Tuesday", (D(2023, 11, 14), D(2023, 11, 14)))
    since = read_time_words(
        "How has the story developed since Altman was fired on Friday?", THURSDAY
    )
    assert since.window == (D(2023, 11, 10), THURSDAY)
    assert since.phrase == "since Altman was fired on Friday"
    assert since.timeline


def test_timeline_questions():
    found = read_time_words("How has the Michigan sign-stealing saga developed?", THURSDAY)
    assert (found.timeline, found.window, found.recency) == (True, None, False)
    assert found.spans == ()  # "developed" stays a topic word
    latest = read_time_words("What are the latest developments in the strike?", THURSDAY)
    assert latest.timeline and latest.recency
    # a noun about growth is not a question about a story's course
    noun = read_time_words("Who does not like the development of the CSTO?", THURSDAY)
    assert (noun.timeline, noun.phrase, noun.window, noun.recency) == (False, None, None, False)
