"""short.jsonl: short answerable news questions (issue 13), each with its article, the shortest
answer span and the sentence holding it, both verbatim."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bench.sets import common

FIELDS = ("question", "article", "answer", "sentence", "type")
ANSWER_TYPES = (
    "who",
    "what",
    "which",
    "when",
    "where",
    "how_much",
    "how_many",
    "why",
    "describe",
    "yes_no",
)
# The answer-type mix issue 13 asks for is given per group.
TYPE_GROUPS = {
    "who": ("who",),
    "what/which": ("what", "which"),
    "when": ("when",),
    "where": ("where",),
    "how much/many": ("how_much", "how_many"),
    "why": ("why",),
    "describe/yes-no": ("describe", "yes_no"),
}
# Two adjacent sentences: a lowercase word or number, a sentence end, a space, a capital
# ("... now. He"); abbreviations and initials ("Mr. Irrelevant", "John J. Ray") do not count.
SENTENCE_JOIN = re.compile(r"[a-z0-9]{3,}[.!?][\"'\u201d\u2019)]*\s+[\"'\u201c\u2018(]?[A-Z]")


def check(path: Path, articles: common.Articles, report: common.Report) -> list[str]:
    ids: set[str] = set()
    questions: dict[str, str] = {}
    types: Counter[str] = Counter()
    gold: list[str] = []
    asked: list[str] = []
    joined = 0
    for at, record in common.records(path, report):
        common.check_id(at, record.get("id"), "s", ids)
        if not common.check_fields(at, record, FIELDS, other=("id",)):
            continue
        common.check_new_question(at, record["question"], questions)
        asked.append(record["question"])
        answer, sentence, kind = record["answer"], record["sentence"], record["type"]
        if kind not in ANSWER_TYPES:
            at.problem(f"type must be one of {ANSWER_TYPES}, not {kind!r}")
        else:
            types[kind] += 1
        article = common.find_article(at, record["article"], articles)
        if article is None:
            continue
        gold.append(record["article"])
        common.check_span(at, "sentence", sentence, article["body"], "article")
        if common.check_span(at, "answer", answer, sentence, "sentence") and answer == sentence:
            at.problem("answer is the whole sentence; give the shortest span")
        joined += bool(SENTENCE_JOIN.search(sentence.rstrip()))
    lengths = [len(question.split()) for question in asked]
    total = sum(types.values()) or 1
    groups = ", ".join(
        f"{group} {100 * sum(types[name] for name in members) / total:.0f}%"
        for group, members in TYPE_GROUPS.items()
    )
    return [
        f"{len(lengths)} questions, {sum(1 for n in lengths if 3 <= n <= 10)} of 3-10 words "
        f"({common.median_words(asked)}); "
        f"{joined} answer sentences span two sentences",
        "types: " + common.share(types, ANSWER_TYPES),
        "groups: " + groups,
        common.gold_articles(gold, articles),
    ]
