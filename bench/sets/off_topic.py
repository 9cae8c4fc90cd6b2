"""off_topic.jsonl: questions the corpus does not answer (issue 13), general or near misses.

The capitalized names each question contains are looked up in the corpus titles and bodies;
names the corpus contains are reported as notes for a person to judge, not as problems.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bench.sets import common

FIELDS = ("question", "kind")
KINDS = ("general", "near_miss")
NEAR_MISS_SHARE = 0.40
# Capitalized words that are not names: question words, articles, pronouns, months, weekdays.
NOT_NAMES = frozenset(
    re.findall(
        r"\w+",
        """A An The I Is Are Was Were Do Does Did Can Could Will Would Should Has Have Had How What
    When Where Which Who Whom Whose Why In On At Of For To And Or If My Me We Our You Your It
    Its This That These Those Tell Please Any Best Good Long Much Many Old Next Last Today
    Tomorrow Yesterday January February March April May June July August September October
    November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday""",
    )
)
CONNECTORS = frozenset({"of", "de", "da", "di", "la", "van", "von", "ten", "the", "and", "&"})
NAME = re.compile(
    r"[A-Z][\w'’&.-]*(?:\s+(?:(?:of|de|da|di|la|van|von|ten|the|and|&)\s+)?[A-Z][\w'’&.-]*)*"
)


def names(question: str) -> list[str]:
    """Runs of capitalized words in a question, without leading question words."""
    runs: list[list[str]] = []
    for match in NAME.finditer(question):
        run: list[str] = []
        for token in match.group(0).rstrip("?.!").split():
            base = re.sub(r"['’]s$", "", token)
            run.append(base)
            if base != token:  # a possessive ends the name: "Apple's Vision Pro"
                runs.append(run)
                run = []
        runs.append(run)
    found = []
    for tokens in runs:
        while tokens and tokens[0] in NOT_NAMES:
            tokens.pop(0)
        while tokens and tokens[-1] in NOT_NAMES | CONNECTORS:
            tokens.pop()
        if tokens:
            found.append(" ".join(tokens))
    return found


def containing(name: str, texts: list[str]) -> set[int]:
    """The texts in which the name stands as a whole word (a quick substring test first)."""
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    return {number for number, text in enumerate(texts) if name in text and word.search(text)}


def note_known_names(
    at: common.Place, kind: str, question: str, texts: list[str]
) -> tuple[bool, bool]:
    """Note the question's names that the corpus contains; say whether it has any, and all."""
    hits = {name: containing(name, texts) for name in names(question)}
    known = sorted(name for name, found in hits.items() if found)
    if not known:
        return False, False
    both = len(set.intersection(*(hits[name] for name in known)))
    listed = ", ".join(f"{name} ({len(hits[name])})" for name in known)
    at.note(
        f"{kind}: {question!r}: names in the corpus: {listed}; articles with all of them: {both}"
    )
    return True, len(known) == len(hits)


def check(path: Path, articles: common.Articles, report: common.Report) -> list[str]:
    texts = [f"{article['title']}\n{article['body']}" for article in articles.values()]
    ids: set[str] = set()
    questions: dict[str, str] = {}
    kinds: Counter[str] = Counter()
    asked: list[str] = []
    with_known_names = together = 0
    for at, record in common.records(path, report):
        common.check_id(at, record.get("id"), "o", ids)
        if not common.check_fields(at, record, FIELDS, other=("id",)):
            continue
        question, kind = record["question"], record["kind"]
        common.check_new_question(at, question, questions)
        asked.append(question)
        if kind not in KINDS:
            at.problem(f"kind must be one of {KINDS}, not {kind!r}")
        else:
            kinds[kind] += 1
        named, all_named = note_known_names(at, kind, question, texts)
        with_known_names += named
        together += all_named
    total = sum(kinds.values())
    if total and kinds["near_miss"] / total < NEAR_MISS_SHARE:
        report.at(0).problem(f"near_miss is {kinds['near_miss']} of {total}, below 40%")
    return [
        f"{len(asked)} questions: {common.share(kinds, KINDS)}; {common.median_words(asked)}",
        f"{with_known_names} name a corpus entity ({together} with every name in the corpus); "
        "see the notes, which are for a person to "
        "judge, not failures",
    ]
