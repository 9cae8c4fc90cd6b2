"""conversations.jsonl: follow-up threads of 2 to 4 turns (issue 11), one thread a line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.sets import common

TURN_KINDS = ("first", "follow_up", "topic_change")
TURN_FIELDS = ("question", "kind", "article", "answer")


def check_turn(
    at: common.Place, position: int, turn: object, articles: common.Articles
) -> str | None:
    """Check one turn; return its kind when the turn is usable for counting."""
    if not isinstance(turn, dict):
        at.problem("a turn must be an object")
        return None
    if not common.check_fields(at, turn, text=TURN_FIELDS, optional=("also",)):
        return None
    kind = turn["kind"]
    if kind not in TURN_KINDS:
        at.problem(f"kind must be one of {TURN_KINDS}, not {kind!r}")
        return None
    if (position == 0) != (kind == "first"):
        at.problem("kind 'first' is for turn 1 only, and turn 1 must be 'first'")
    article = common.find_article(at, turn["article"], articles)
    if article is not None:
        common.check_span(at, "answer", turn["answer"], article["body"], "article")
    if "also" in turn:
        common.check_urls(at, "also", turn["also"], turn["article"], articles)
    return str(kind)


def check(path: Path, articles: common.Articles, report: common.Report) -> list[str]:
    kinds: Counter[str] = Counter()
    questions: dict[str, list[str]] = {kind: [] for kind in TURN_KINDS}
    gold: list[str] = []
    ids: set[str] = set()
    threads = with_topic_change = 0
    for at, thread in common.records(path, report):
        threads += 1
        common.check_id(at, thread.get("id"), "c", ids)
        if not common.check_fields(at, thread, other=("id", "turns")):
            continue
        turns = thread["turns"]
        if not isinstance(turns, list) or not 2 <= len(turns) <= 4:
            at.problem("turns must be a list of 2 to 4 turns")
            continue
        thread_kinds = []
        for position, turn in enumerate(turns):
            where = at.about(f"{thread['id']} turn {position + 1}")
            kind = check_turn(where, position, turn, articles)
            if kind is not None:
                thread_kinds.append(kind)
                questions[kind].append(turn["question"])
                if turn["article"] in articles:
                    gold.append(turn["article"])
        kinds.update(thread_kinds)
        with_topic_change += "topic_change" in thread_kinds
    return [
        f"threads {threads} ({with_topic_change} with a topic change), "
        f"turns {sum(kinds.values())}: {common.share(kinds, TURN_KINDS)}",
        "question length: "
        + ", ".join(f"{kind} {common.median_words(questions[kind])}" for kind in TURN_KINDS),
        common.gold_articles(gold, articles),
    ]
