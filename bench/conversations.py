"""Follow-up questions on the development threads: quality per way of asking, and /ask latency
with a history of three turns against the same questions without one.

    .venv/bin/python -m bench.conversations                          # the table and latency
    .venv/bin/python -m bench.conversations --grid carried_weight=0.3,0.5 article_weight=0.4,0.8
    .venv/bin/python -m bench.conversations --rounds 0                # quality only
    .venv/bin/python -m bench.conversations --no-quality              # latency only

Quality is `qa eval --format conversations` (qa.evals.conversations) over MultiHop-RAG's corpus
and bench/sets/conversations.jsonl, one row per `FollowUpConfig` (tune on this set only). The
latency part answers, through the app's /ask (Flask's test client, in-process, one request's
share of the cores as a `qa serve` worker), the fourth turn of every four-turn thread with the
three earlier turns as the page sends them, and the same question without a history,
alternating, `--rounds` times over.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import asdict, fields
from pathlib import Path

from bench.common import MULTIHOP, percentiles_ms
from qa.app import create_app
from qa.chat import history_turn
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.conversations import CONVERSATIONS, ConversationTurn
from qa.evals.runner import EvalFiles, MemoEmbedder, RunOptions, benchmark_index, run_cases
from qa.followup import FollowUpConfig
from qa.settings import REPOSITORY, Settings
from qa.threads import limited_threads, request_threads

SET = REPOSITORY / "bench" / "sets" / "conversations.jsonl"
COLUMNS = (
    *(f"follow_up:{way}_hits@1" for way in ("alone", "pasted", "history", "page")),
    *(f"follow_up:{way}_hits@5" for way in ("alone", "pasted", "history", "page")),
    *(f"topic_change:{way}_hits@5" for way in ("alone", "history", "page")),
    "follow_up:understood_as_follow_up",
    "topic_change:understood_as_follow_up",
    "first:hits@1",
    "first:hits@5",
)


def grid(arguments: list[str]) -> list[FollowUpConfig]:
    """NAME=V1,V2 arguments -> every combination over FollowUpConfig's defaults."""
    kinds = {f.name: type(getattr(FollowUpConfig(), f.name)) for f in fields(FollowUpConfig)}
    axes = []
    for argument in arguments:
        name, values = argument.split("=", 1)
        axes.append([(name, kinds[name](v)) for v in values.split(",")])
    return [FollowUpConfig(**dict(combo)) for combo in itertools.product(*axes)]


def quality(index, embedder, cases, settings: Settings, configs: list[FollowUpConfig]) -> None:
    default = asdict(FollowUpConfig())
    short = [c.replace("follow_up:", "fu:").replace("topic_change:", "tc:") for c in COLUMNS]
    print("| config | " + " | ".join(short) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for config in configs:
        options = RunOptions(("hybrid",), settings=settings, understanding=config)
        metrics = run_cases(CONVERSATIONS, index, embedder, cases, options)["hybrid"]
        changed = {k: v for k, v in asdict(config).items() if v != default[k]}
        cells = " | ".join(f"{metrics.get(c, float('nan')):.3f}" for c in COLUMNS)
        print(f"| {changed or 'defaults'} | {cells} |", flush=True)


def latency(folder: Path, settings: Settings, cases: list[ConversationTurn], rounds: int) -> None:
    app = create_app(settings.replace(index=folder), embedder=None)
    client = app.test_client()
    threads = [c for c in cases if c.number == 3]
    # The three earlier turns as the page sends them: replayed once, the answers kept.
    histories = []
    for case in threads:
        history: list[dict] = []
        for turn in case.turns[:3]:
            answer = client.post("/ask", json={"question": turn.question, "history": history})
            history.append(history_turn(turn.question, answer.get_json()))
        histories.append((case.turn.question, history))
    timings: dict[str, list[float]] = {"without": [], "with": []}
    for round_number in range(rounds):
        for number, (question, history) in enumerate(histories):
            ways = [("without", []), ("with", history)]
            if (number + round_number) % 2:
                ways.reverse()
            for name, sent in ways:
                started = time.perf_counter()
                response = client.post("/ask", json={"question": question, "history": sent})
                timings[name].append(time.perf_counter() - started)
                assert response.status_code == 200, response.get_json()
    without, with_history = percentiles_ms(timings["without"]), percentiles_ms(timings["with"])
    print(
        f"\n/ask in-process, {len(histories)} fourth turns x {rounds} rounds, alternating:\n"
        "| history | answers | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|"
    )
    for name, figures in (("none", without), ("3 turns", with_history)):
        count = len(timings["without" if name == "none" else "with"])
        print(f"| {name} | {count} | " + " | ".join(f"{f:.1f}" for f in figures) + " |")
    print(f"p50 ratio: {with_history[0] / without[0]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=Path, default=SET, help="the threads (JSON Lines)")
    parser.add_argument("--rounds", type=int, default=3, help="latency rounds (0: none)")
    parser.add_argument("--grid", nargs="*", default=[], metavar="NAME=V1,V2")
    parser.add_argument("--no-quality", action="store_true", help="the latency part only")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = MemoEmbedder(SentenceTransformerEmbedder.from_settings(settings))
    files = EvalFiles(corpus=MULTIHOP / "corpus_train.json", queries=args.queries)
    loaded = CONVERSATIONS.load(files)
    index = benchmark_index(
        CONVERSATIONS.index_name, loaded.key, loaded.articles, embedder, settings.cache
    )
    with limited_threads(request_threads(settings.workers, settings.threads)):
        if not args.no_quality:
            configs = grid(args.grid) or [FollowUpConfig()]
            quality(index, embedder, loaded.cases, settings, configs)
        if args.rounds > 0:
            assert index.path is not None
            latency(index.path.parent.parent, settings, loaded.cases, args.rounds)


if __name__ == "__main__":
    main()
