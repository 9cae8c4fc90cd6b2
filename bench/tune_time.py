"""Tune the reading of time words on bench/sets/dated.jsonl only: one row per configuration.

    .venv/bin/python -m bench.tune_time [--variant NAME ...] [NAME=VALUE ...]

NAME=V1,V2 sets SearchConfig fields (the time weights: window_weight, window_widen_days,
recency_weight, recency_days, answers_share) over their defaults, every combination. Variants
change how the question is read, for the comparisons in bench/README.md:

- `ignore`: no time words read at all (what the service did before them);
- `keep_words`: time words read, but left among the topic words (BM25 matches "week");
- `strip`: every time phrase kept out of the topic words, calendar names too;
- `keep_names` (the default, what /ask does): only the relative words ("this week", "latest")
  kept out of the topic words, calendar names (weekdays, months, dates, years) left in.

Questions are asked as /ask answers them (`qa.evals.dated`), on the index `qa eval` caches.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from bench.common import MULTIHOP
from bench.tune import grid
from qa import question as question_module
from qa import timewords
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.dated import DATED
from qa.evals.runner import EvalFiles, MemoEmbedder, RunOptions, benchmark_index, run_cases
from qa.search import SearchConfig
from qa.settings import REPOSITORY, Settings

SET = REPOSITORY / "bench" / "sets" / "dated.jsonl"
KEYS = ("recall@1", "recall@5", "recall@1_today", "recall@5_today", "recall@1_2weeks")
RECENCY = ("latest", "most_recent", "newest", "recently")
GROUPS = ("window", "recency", "none")  # the kinds of time phrase (bench/sets/README.md), grouped


def group_of(kind: str) -> str:
    return "recency" if kind in RECENCY else "none" if kind == "none" else "window"


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Read questions the `name` way for the duration (see the module's docstring)."""
    original = question_module.read_time_words

    def reader(text: str, as_of: dt.date, ignore: Sequence[str] = ()) -> timewords.TimeWords:
        read = original(text, as_of, ignore)
        if name == "ignore":
            return timewords.TimeWords(as_of)
        if name == "keep_words":
            return dataclasses.replace(read, spans=())
        if name == "strip":
            found = [f for each in timewords._READERS for f in each(text, as_of)]
            named = [(f.start, f.end) for f in found if f.kind in timewords.CALENDAR_NAMES]
            kept = [s for s in named if not any(s[0] < o[1] and o[0] < s[1] for o in read.spans)]
            return dataclasses.replace(read, spans=tuple(sorted([*read.spans, *kept])))
        return read

    question_module.read_time_words = reader  # type: ignore[assignment]
    try:
        yield
    finally:
        question_module.read_time_words = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", action="append", help="ignore, keep_words, strip, keep_names")
    parser.add_argument("--queries", default=str(SET), help="the dated questions (JSON Lines)")
    parser.add_argument("settings", nargs="*", help="NAME=V1,V2 over SearchConfig")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = MemoEmbedder(SentenceTransformerEmbedder(precision="fp32"))
    files = EvalFiles(MULTIHOP / "corpus_train.json", Path(args.queries))
    loaded = DATED.load(files)
    index = benchmark_index(
        DATED.index_name, loaded.key, loaded.articles, embedder, settings.cache, progress=True
    )
    default = asdict(SearchConfig())
    columns = [*KEYS, *(f"{group}@1" for group in GROUPS)]
    print("| variant | config | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for name in args.variant or ["keep_names"]:
        for config in grid(args.settings):
            options = RunOptions(("hybrid",), config=config, settings=settings)
            with variant(name):
                metrics = run_cases(DATED, index, embedder, loaded.cases, options)["hybrid"]
            for group in GROUPS:
                counted = [c for c in loaded.cases if group_of(c.kind) == group]
                metrics[f"{group}@1"] = sum(
                    metrics.get(f"{c.kind}:recall@1", 0.0) for c in counted
                ) / max(len(counted), 1)
            changed = {k: v for k, v in asdict(config).items() if v != default[k]}
            cells = " | ".join(f"{metrics[k]:.3f}" for k in columns)
            print(f"| {name} | {changed or 'defaults'} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
