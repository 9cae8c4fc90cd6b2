"""Check the development sets in bench/sets: one check per file name (standard library only).

    python3 bench/sets/check_sets.py [--corpus FILE] [--quiet] [FILE ...]

Without FILE arguments every `*.jsonl` beside this script is checked. Each set's check is in its
own module (conversations.py, dated.py, ...) and is chosen by file name in CHECKS; a file whose
name has none is skipped with a message. Every check parses JSON Lines, checks fields and ids,
looks the gold articles up in the MultiHop-RAG corpus and finds the gold answers verbatim in them,
then prints the set's counts; notes are printed for a person to judge and do not fail the run.
Exits 1 if any set has a problem. The corpus is `$QA_SHARED_DATA/multihop-rag/corpus_train.json`
(default: the `shared/data` folder beside the checkout, where the tests find it), or `--corpus`;
when the default is not there the check is skipped (exit 0).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

if not __package__:  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.sets import conversations, dated, off_topic, short  # noqa: E402
from bench.sets.common import CORPUS, SETS, Articles, Report, load_corpus  # noqa: E402

Check = Callable[[Path, Articles, Report], list[str]]
CHECKS: dict[str, Check] = {
    "conversations.jsonl": conversations.check,
    "dated.jsonl": dated.check,
    "short.jsonl": short.check,
    "off_topic.jsonl": off_topic.check,
}


def check_file(path: Path, articles: Articles, quiet: bool = False) -> bool | None:
    """Check one file and print what was found; None if skipped, else whether it passed."""
    check = CHECKS.get(path.name)
    if check is None:
        print(f"{path.name}: skipped (no check for this file name)")
        return None
    report = Report(path.name)
    try:
        summary = check(path, articles, report)
    except (OSError, UnicodeDecodeError) as error:
        report.at(0).problem(f"cannot read the file: {error}")
        summary = []
    status = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    print(f"{path.name}: {status}" + (f", {len(report.notes)} note(s)" if report.notes else ""))
    for line in summary:
        print(f"  {line}")
    for note in [] if quiet else report.notes:
        print(f"  note {note}")
    for problem in report.problems:
        print(f"  problem {problem}")
    return not report.problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="sets to check (default: all here)")
    parser.add_argument("--corpus", type=Path, help=f"MultiHop-RAG corpus (default: {CORPUS})")
    parser.add_argument("--quiet", action="store_true", help="do not print the notes")
    args = parser.parse_args(argv)
    if args.corpus is None and not CORPUS.exists():
        print(f"skipped: the shared data is not at {CORPUS} (set QA_SHARED_DATA)")
        return 0
    corpus = args.corpus or CORPUS
    try:
        articles = load_corpus(corpus)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read the corpus {corpus}: {error!r}", file=sys.stderr)
        return 1
    results = [
        check_file(path, articles, args.quiet)
        for path in args.files or sorted(SETS.glob("*.jsonl"))
    ]
    failed = results.count(False)
    checked = failed + results.count(True)
    print(
        f"{failed} of {checked} checked sets failed"
        if failed
        else f"all {checked} checked sets pass"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
