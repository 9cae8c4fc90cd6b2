"""Validate the hand-made evaluation sets in this folder (standard library only).

    python3 bench/sets/check_sets.py [--corpus FILE] [FILE ...]

Every `*.jsonl` file here must parse as JSON Lines (one object per line). Files with a known name
get their own field checks (see CHECKS); other JSON Lines files are only parsed, and any other file
(README, this script) is skipped. Gold answers are checked against the MultiHop-RAG corpus: every
cited article url must be in it and every answer a verbatim substring of that article's body.
The corpus is `$QA_SHARED_DATA/multihop-rag/corpus_train.json` (default `../shared/data` beside
the checkout), or `--corpus`. Prints counts per set; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SETS = Path(__file__).resolve().parent
REPOSITORY = SETS.parent.parent
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
CORPUS = SHARED_DATA / "multihop-rag" / "corpus_train.json"

Record = dict[str, Any]
Articles = dict[str, Record]


class Report:
    """Problems found in one file, each with its line number."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(f"{self.name}:{line}: {message}")


def read_jsonl(path: Path, report: Report) -> Iterator[tuple[int, Record]]:
    """Yield (line number, object) for each non-blank line; report lines that are not objects."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                report.add(number, "blank line")
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                report.add(number, f"not JSON: {error}")
                continue
            if not isinstance(value, dict):
                report.add(number, "not a JSON object")
                continue
            yield number, value


def check_gold(
    line: int, where: str, url: object, answer: object, articles: Articles, report: Report
) -> bool:
    """The article url is in the corpus and the answer a verbatim, non-empty span of its body."""
    if not isinstance(url, str) or url not in articles:
        report.add(line, f"{where}: article not in the corpus: {url!r}")
        return False
    if not isinstance(answer, str) or not answer.strip():
        report.add(line, f"{where}: answer must be a non-empty string")
        return False
    if answer != answer.strip():
        report.add(line, f"{where}: answer has leading or trailing whitespace")
    if answer not in articles[url]["body"]:
        report.add(line, f"{where}: answer is not a verbatim span of the article: {answer!r}")
        return False
    return True


# conversations.jsonl: follow-up threads (issue 11).
TURN_KINDS = ("first", "follow_up", "topic_change")
THREAD_KEYS = {"id", "turns"}
TURN_KEYS = {"question", "kind", "article", "answer", "also"}


def check_turn(
    line: int, where: str, position: int, turn: object, articles: Articles, report: Report
) -> str | None:
    """Check one turn; return its kind when the turn is usable for counting."""
    if not isinstance(turn, dict):
        report.add(line, f"{where}: a turn must be an object")
        return None
    unknown = set(turn) - TURN_KEYS
    if unknown:
        report.add(line, f"{where}: unknown fields {sorted(unknown)}")
    question = turn.get("question")
    if not isinstance(question, str) or not question.strip():
        report.add(line, f"{where}: question must be a non-empty string")
    kind = turn.get("kind")
    if kind not in TURN_KINDS:
        report.add(line, f"{where}: kind must be one of {TURN_KINDS}, not {kind!r}")
        return None
    if (position == 0) != (kind == "first"):
        report.add(line, f"{where}: kind 'first' is for turn 1 only, and turn 1 must be 'first'")
    check_gold(line, where, turn.get("article"), turn.get("answer"), articles, report)
    also = turn.get("also")
    if also is None:
        return str(kind)
    if not isinstance(also, list) or not also:
        report.add(line, f"{where}: 'also' must be a non-empty list of urls when present")
    else:
        for url in also:
            if url not in articles:
                report.add(line, f"{where}: 'also' url not in the corpus: {url!r}")
            elif url == turn.get("article"):
                report.add(line, f"{where}: 'also' repeats the gold article")
    return str(kind)


def check_conversations(path: Path, articles: Articles, report: Report) -> list[str]:
    kinds: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    ids: set[str] = set()
    threads = with_topic_change = 0
    for line, thread in read_jsonl(path, report):
        threads += 1
        thread_id = thread.get("id")
        if not isinstance(thread_id, str) or not thread_id:
            report.add(line, "id must be a non-empty string")
        elif thread_id in ids:
            report.add(line, f"duplicate id {thread_id!r}")
        else:
            ids.add(thread_id)
        unknown = set(thread) - THREAD_KEYS
        if unknown:
            report.add(line, f"unknown fields {sorted(unknown)}")
        turns = thread.get("turns")
        if not isinstance(turns, list) or not 2 <= len(turns) <= 4:
            report.add(line, "turns must be a list of 2 to 4 turns")
            continue
        thread_kinds = []
        for position, turn in enumerate(turns):
            where = f"{thread_id} turn {position + 1}"
            kind = check_turn(line, where, position, turn, articles, report)
            if kind is not None:
                thread_kinds.append(kind)
                if turn.get("article") in articles:
                    gold[turn["article"]] += 1
        kinds.update(thread_kinds)
        with_topic_change += "topic_change" in thread_kinds
    sources = Counter(articles[url]["source"] for url in gold)
    categories = Counter(articles[url]["category"] for url in gold)
    return [
        f"threads {threads} ({with_topic_change} with a topic change), "
        f"turns {sum(kinds.values())}: "
        + ", ".join(f"{kind} {kinds[kind]}" for kind in TURN_KINDS),
        f"distinct gold articles {len(gold)}, outlets {len(sources)}, categories "
        + ", ".join(f"{name} {count}" for name, count in categories.most_common()),
    ]


Check = Callable[[Path, Articles, Report], list[str]]
CHECKS: dict[str, Check] = {"conversations.jsonl": check_conversations}


def check_file(path: Path, articles: Articles) -> tuple[list[str], list[str]]:
    """Return (summary lines, problems) for one file of the folder."""
    report = Report(path.name)
    check = CHECKS.get(path.name)
    if check is not None:
        summary = check(path, articles, report)
    elif path.suffix == ".jsonl":
        records = sum(1 for _ in read_jsonl(path, report))
        summary = [f"{records} records parsed (no field checks for this file name)"]
    else:
        return [], []
    return summary, report.problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="files to check (default: the folder)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="MultiHop-RAG corpus JSON")
    args = parser.parse_args(argv)
    try:
        corpus = json.loads(args.corpus.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        print(f"cannot read the corpus {args.corpus}: {error}", file=sys.stderr)
        return 1
    articles = {article["url"]: article for article in corpus}
    paths = args.files or sorted(path for path in SETS.iterdir() if path.is_file())
    problems: list[str] = []
    for path in paths:
        summary, found = check_file(path, articles)
        for line in summary:
            print(f"{path.name}: {line}")
        problems.extend(found)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s)" if problems else "all sets pass")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
