"""What a question asks for, the typed spans of a sentence, and the short answer."""

from __future__ import annotations

import pytest

from qa.answer_types import AMOUNT, DATE, NAME, NUMBER, PLACE, QUOTE, REASON, asked_for
from qa.question import Question
from qa.short_answer import given_words, is_new, short_answer
from qa.typed_spans import spans


@pytest.mark.parametrize(
    ("question", "kind", "wants"),
    [
        ("Who replaced Sam Altman as interim CEO?", "who", NAME),
        ("who runs the company", "who", NAME),
        ("Who is Helen Toner?", "describe", None),
        ("Who are the Mombies?", "describe", None),
        ("Who is the new chief executive?", "who", NAME),
        ("When did the trial begin?", "when", DATE),
        ("In what year did the war end?", "which", DATE),
        ("Where was the agreement signed?", "where", PLACE),
        ("Which town's police station was taken over?", "which", PLACE),
        ("How much did the company pay?", "how_much", AMOUNT),
        ("What is the price of the new phone?", "which", AMOUNT),
        ("How many people were evacuated?", "how_many", NUMBER),
        ("What was the score in the final?", "which", NUMBER),
        ("Which company bought the startup?", "which", NAME),
        ("What band was he in?", "which", NAME),
        ("What is the memoir called?", "which", NAME),
        ("Why did the council cancel the vote?", "why", REASON),
        ("What did the minister say about the plan?", "what", QUOTE),
        ("What killed the fish?", "what", None),
        ("What is photosynthesis?", "describe", None),
        ("Did the team reach the final?", "yes_no", None),
        ("The rate was how many square miles per year?", "how_many", NUMBER),
        ("hello there", "other", None),
    ],
)
def test_what_a_question_asks_for(question, kind, wants):
    asked = asked_for(question)
    assert (asked.kind, asked.wants) == (kind, wants)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(span.kind, span.text) for span in spans(text)]


def test_typed_spans_of_news_sentences():
    assert kinds("He was arrested in December 2022 in the Bahamas, where the firm was based.") == [
        (DATE, "December 2022"),
        (PLACE, "Bahamas"),
    ]
    found = kinds("The startup raised $32 billion (€29 billion), a 15% rise, from 2,000 investors.")
    assert (AMOUNT, "$32 billion") in found and (AMOUNT, "€29 billion") in found
    assert (AMOUNT, "15%") in found and (NUMBER, "2,000") in found
    found = kinds(
        "Co-founder and CEO Horace Luke wants to go big in India, the Dublin-based firm said."
    )
    assert (NAME, "Horace Luke") in found and (PLACE, "India") in found
    assert (PLACE, "Dublin") in found
    assert kinds("They met more than 100 times over seven years.") == [
        (NUMBER, "100 times"),
        (NUMBER, "seven years"),
    ]
    assert (REASON, "because of a knee injury") in kinds(
        "He missed the game because of a knee injury."
    )
    assert (DATE, "Nov. 5") in kinds("The storm peaked on Nov. 5 at 12:40 p.m. EST.")


def test_a_span_is_new_only_when_the_question_does_not_say_it():
    given = given_words("Who did Sam Altman replace?")
    assert not is_new("Altman", given)
    assert not is_new("Sam Altman", given)
    assert is_new("Mira Murati", given)
    assert not is_new("2023", given_words("What happened in 2023?"))


def short_of(question: str, sentence: str) -> str | None:
    found = short_answer(Question.analyse(question), sentence, 0, len(sentence), spans(sentence))
    return found.text if found else None


def test_the_short_answer_is_the_asked_for_thing_when_it_is_clear():
    assert short_of("When was Gogoro founded?", "Gogoro was founded in 2011 in Taipei.") == "2011"
    assert short_of("How much did Egypt buy?", "Egypt bought 480,000 tonnes.") == "480,000 tonnes"
    sentence = "The council approved 4 million euros on Monday, and 2 million in May."
    assert short_of("When was the budget approved?", sentence) is None  # two dates, as near
    # No short answer for a reason, nor (too unreliable by capitalization rules) a name or place.
    assert short_of("Why was he fired?", "He was fired because he lied to the board.") is None
    sentence = "Richard Teng, Binance's former head of regional markets, will be the new CEO."
    assert short_of("Who is Binance's new CEO?", sentence) is None
