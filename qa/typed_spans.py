"""The spans of a sentence that can answer a typed question: names, places, dates, amounts,
numbers and reason clauses, each with its character offsets.

Rules over news English, because no tagger installable from PyPI does this without downloading a
model (docs/architecture.md, "Why no named-entity or number tagger"): dates by month and weekday
names, years, times and relative words; amounts by currency marks and words, percentages and scale
words; numbers as digits or number words; names as runs of capitalized words (a sentence's first
word only when it is not a common word); places as names in a place context ("in", "at", "from",
"-based") or known as countries and major cities; reasons from the word that introduces them
("because", "due to").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bm25s.stopwords import STOPWORDS_EN

from qa.answer_types import AMOUNT, DATE, NAME, NUMBER, PLACE, QUOTE, REASON
from qa.places import is_known_place


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Span:
    """A typed span of a text: `text[start:end]`."""

    kind: str
    start: int
    end: int
    text: str


_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?<![\d$£€.,])(?:1[5-9]|20)\d\d(?:s)?(?![\d%,.]\d|%)"
_DATES = re.compile(
    "|".join(
        (
            rf"\b(?:(?:early|mid|late)[- ])?{_MONTH}"
            rf"(?:\s+\d{{1,2}}(?!\d)(?:st|nd|rd|th)?)?(?:,?\s+{_YEAR})?",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?",
            rf"\b{_WEEKDAY}(?:,?\s+{_MONTH}\s+\d{{1,2}})?",
            r"\b\d{4}-\d\d-\d\d\b",
            rf"\b(?:(?:early|mid|late)[- ])?{_YEAR}",
            r"\b(?:today|yesterday|tomorrow|tonight|last night|this morning)\b",
            r"\b(?:last|next|this|earlier this|later this)\s+"
            r"(?:week|weekend|month|year|season|spring|summer|fall|autumn|winter|decade)\b",
            r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|several)\s+"
            r"(?:days?|weeks?|months?|years?|decades?)\s+ago\b",
            r"\b\d{1,2}(?::\d\d)?\s*(?:a\.m\.|p\.m\.|am\b|pm\b)(?:\s+[A-Z]{2,4}\b)?",
            r"\b(?:Q[1-4]|(?:first|second|third|fourth) quarter)\b",
        )
    )
)
_SCALE = r"(?:\s?(?:million|billion|trillion|bn|mn|m|k|thousand)\b)?"
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_CURRENCY_WORDS = (
    r"(?:dollars?|euros?|pounds?|yen|yuan|rupees?|francs?|kronor|krona|pesos?|shekels?|rubles?)"
)
_AMOUNTS = re.compile(
    "|".join(
        (
            rf"(?:(?:US|A|C|NZ|HK|S)?\$|\$US|€|£|¥|₹|Rs\.?\s?|NIS\s|R\$)\s?{_NUMBER}{_SCALE}",
            rf"\b{_NUMBER}{_SCALE}\s?(?:[A-Z][a-z]+\s)?{_CURRENCY_WORDS}\b",
            rf"\b{_NUMBER}\s?(?:%|percent\b|per cent\b|percentage points?\b)",
            r"\b(?:half|a third|a quarter|two-thirds|three-quarters)\b",
        )
    )
)
_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|a hundred|a thousand|a dozen|dozens|hundreds|thousands|millions)"
)
# Units a count or measure is given in: "480,000 tonnes", "7.4 inches", "seven years".
_UNIT = (
    r"(?:[- ](?:tonnes|tons|barrels|miles|kilometres|kilometers|km|metres|meters|feet|inches|"
    r"pounds|kilograms|kg|acres|hectares|people|times|years|months|weeks|days|hours|minutes|"
    r"seconds|points|goals|votes|seats|games|matches|wins|runs|yards|users|subscribers|"
    r"employees|jobs|cases|deaths|degrees|mph|gigabytes|GB|TB)\b)?"
)
_NUMBERS = re.compile(
    "|".join(
        (
            r"\b\d{1,3}-\d{1,3}\b",  # a score or record: 5-1, 24-0
            rf"(?<![\w$£€.]){_NUMBER}(?:st|nd|rd|th)?{_SCALE}{_UNIT}",
            rf"\b{_NUMBER_WORDS}(?:[- ]{_NUMBER_WORDS})*\b{_UNIT}",
        )
    ),
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(?:because(?: of)?|due to|owing to|thanks to|as a result of|in order to|so that|"
    r"in response to|after|amid|following|citing|over concerns?|for allegedly|since)\b",
    re.IGNORECASE,
)
# A capitalized word: "McRae", "D'Anthony", "Díaz-Marín", "U.S.", "AC", "49ers".
_CAPITALIZED = r"(?:[A-Z][\w'’]*(?:-(?:[a-z]{1,2}-)?[A-Z\d][\w'’]*)*(?:\.[A-Z]\.?)*|\d+[A-Za-z]+)"
_CONNECTOR = r"(?:of|de|del|della|da|van|von|der|den|la|le|du|bin|al|&|y)"
_NAMES = re.compile(rf"{_CAPITALIZED}(?:\s+(?:{_CONNECTOR}\s+){{0,2}}{_CAPITALIZED})*")
_NOT_NAMES = _words("""
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday mr mrs ms dr prof sir
    i i'm i've i'd i'll ceo cfo coo cto""")
_COMMON = (
    frozenset(STOPWORDS_EN)
    | _words("""according also although however meanwhile yet still instead despite while when where
    what who why how this that these those there here then now today yesterday after before
    since during earlier later many most some several such his her their its our your my
    yes no last next first one two three four five six seven eight nine ten he she it they
    we you him them us me""")
    | _NOT_NAMES
)
_QUOTES = re.compile(r"“[^”]{3,}”|\"[^\"]{3,}\"")
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|at|from|near|outside|across|to|into|toward|towards|around|throughout)"
    r"(?:\s+the)?\s+)$",
    re.IGNORECASE,
)
_PLACE_AFTER = re.compile(r"^-based\b")


def spans(text: str) -> list[Span]:
    """Every typed span of `text`, in reading order (a date's digits are not also a number)."""
    found: list[Span] = []
    taken = bytearray(len(text))

    def add(kind: str, start: int, end: int) -> None:
        if end > start and not any(taken[start:end]):
            found.append(Span(kind, start, end, text[start:end]))
            taken[start:end] = b"\x01" * (end - start)

    for match in _QUOTES.finditer(text):
        if " " in match.group():
            found.append(Span(QUOTE, *match.span(), match.group()))  # may hold other spans
    for match in _AMOUNTS.finditer(text):
        add(AMOUNT, *match.span())
    for match in _DATES.finditer(text):
        add(DATE, *match.span())
    for match in _NUMBERS.finditer(text):
        add(NUMBER, *match.span())
    for start, end in names(text):
        kind = PLACE if _is_place(text, start, end) else NAME
        add(kind, start, end)
    for match in _REASON.finditer(text):
        add(REASON, match.start(), _clause_end(text, match.end()))
    found.sort(key=lambda span: span.start)
    return found


def names(text: str) -> list[tuple[int, int]]:
    """Runs of capitalized words, without a leading common word ("The", "After") and without
    trailing connectors."""
    found = []
    for match in _NAMES.finditer(text):
        start, end = match.span()
        words = list(re.finditer(r"\S+", text[start:end]))
        while words and _strip(words[0].group()).lower() in _COMMON:
            words.pop(0)
        while words and (
            re.fullmatch(_CONNECTOR, words[-1].group(), re.IGNORECASE)
            or _strip(words[-1].group()).lower() in _NOT_NAMES
        ):
            words.pop()
        if not words:
            continue
        first, last = words[0], words[-1]
        span_start = start + first.start()
        span_end = start + last.start() + len(_strip_end(last.group()))
        compound = text[span_end : span_end + 1] == "-" and not _PLACE_AFTER.match(
            text[span_end : span_end + 7]
        )
        if span_end <= span_start or compound:
            continue  # "Middle-aged": a compound word, not a name
        lone = len(words) == 1 and _sentence_start(text, span_start)
        if lone and not is_known_place(text[span_start:span_end]):
            continue  # "Similarly": one capital at a sentence start says nothing

        found.append((span_start, span_end))
    return found


def _sentence_start(text: str, at: int) -> bool:
    before = text[max(0, at - 3) : at].rstrip(" \"“‘'(")
    return not before or before[-1] in ".!?:\n"


def _strip(word: str) -> str:
    return word.strip(".,;:!?\"'“”‘’()[]").removesuffix("'s").removesuffix("’s")


def _strip_end(word: str) -> str:
    return re.sub(r"(?:['’]s?)?[.,;:!?\"“”‘’()\[\]]*$", "", word) or word


def _is_place(text: str, start: int, end: int) -> bool:
    if is_known_place(text[start:end]):
        return True
    if _PLACE_AFTER.match(text[end : end + 7]):
        return True
    return bool(_PLACE_BEFORE.search(text[max(0, start - 20) : start]))


def _clause_end(text: str, at: int) -> int:
    """Where the clause starting at `at` ends: the next ";", ",", or sentence end, at least a
    few words on."""
    match = re.compile(r"[;.!?]|,\s(?=(?:and|but|which|while|who)\b)").search(text, at)
    return match.start() if match else len(text.rstrip())


def of_kind(found: list[Span], wants: str) -> list[Span]:
    """The spans that answer a question wanting `wants`: names also count as places when a
    question asks where (not every place is known), amounts as numbers, numbers as amounts
    when they carry a scale, dates only as dates."""
    if wants == PLACE:
        return [s for s in found if s.kind == PLACE] or [s for s in found if s.kind == NAME]
    if wants == NUMBER:
        return [s for s in found if s.kind in (NUMBER, AMOUNT)]
    if wants == AMOUNT:
        return [s for s in found if s.kind == AMOUNT] or [s for s in found if s.kind == NUMBER]
    if wants == NAME:
        return [s for s in found if s.kind in (NAME, PLACE)]
    return [s for s in found if s.kind == wants]
