"""(e) /ask latency with date and outlet filters against the same questions without them.

    .venv/bin/python -m bench.speed_filters [--index DIR] [--queries FILE] [--rounds N]

Each dated question (bench/sets/dated.jsonl, with its `as_of`) is asked in-process through the
Flask test client four ways in turn, the order rotating from one question to the next so that
machine load falls on every way alike: no filter; `since`/`until` the two weeks before `as_of`;
`sources` the three largest outlets; both. Questions are embedded and searched on one core, as
in a `qa serve` worker. Without `--index` it serves the MultiHop-RAG index that `qa eval`
caches (built on first use).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

from bench.common import MULTIHOP, percentiles_ms, print_table
from qa.app import create_app
from qa.embedding import SentenceTransformerEmbedder
from qa.settings import REPOSITORY, Settings
from qa.threads import limited_threads

QUESTIONS = REPOSITORY / "bench" / "sets" / "dated.jsonl"
WAYS = ("no filter", "since/until (2 weeks)", "sources (3 outlets)", "both")


def benchmark_index_root(settings: Settings, embedder: SentenceTransformerEmbedder) -> Path:
    """The folder of the MultiHop-RAG index `qa eval` caches (built when missing)."""
    from qa.evals.multihop import MULTIHOP as BENCHMARK
    from qa.evals.runner import EvalFiles, benchmark_index

    loaded = BENCHMARK.load(
        EvalFiles(MULTIHOP / "corpus_train.json", MULTIHOP / "queries_dev.json")
    )
    index = benchmark_index(
        BENCHMARK.name, loaded.key, loaded.articles, embedder, settings.cache, progress=True
    )
    assert index.path is not None
    return index.path.parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="an index folder (default: MultiHop-RAG's)")
    parser.add_argument("--queries", type=Path, default=QUESTIONS, help="dated questions")
    parser.add_argument("--rounds", type=int, default=2, help="times each question is asked")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    embedder = SentenceTransformerEmbedder.from_settings(settings)  # as /ask embeds
    root = args.index or benchmark_index_root(settings, embedder)
    app = create_app(settings.replace(index=root), embedder=embedder)
    client = app.test_client()
    outlets = sorted(client.get("/sources").get_json()["sources"], key=lambda o: -o["articles"])[:3]
    names = [outlet["name"] for outlet in outlets]
    records = [json.loads(line) for line in args.queries.read_text().splitlines() if line.strip()]
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    client.post("/ask", json={"question": "warm up"})
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f}; {len(records)} questions x {args.rounds} rounds; "
        f"outlets: {', '.join(names)}",
        flush=True,
    )
    with limited_threads(1):
        for number, record in enumerate(records * args.rounds):
            as_of = dt.date.fromisoformat(record["as_of"])
            window = {
                "since": (as_of - dt.timedelta(days=14)).isoformat(),
                "until": as_of.isoformat(),
            }
            bodies = {
                WAYS[0]: {},
                WAYS[1]: window,
                WAYS[2]: {"sources": names},
                WAYS[3]: {**window, "sources": names},
            }
            for shift in range(len(WAYS)):
                way = WAYS[(number + shift) % len(WAYS)]
                body = {"question": record["question"], "as_of": as_of.isoformat(), **bodies[way]}
                started = time.perf_counter()
                response = client.post("/ask", json=body)
                times[way].append(time.perf_counter() - started)
                assert response.status_code == 200, response.get_json()
    base = percentiles_ms(times[WAYS[0]])[0]
    rows = []
    for way in WAYS:
        p50, p95, p99 = percentiles_ms(times[way])
        rows.append(
            [
                way,
                str(len(times[way])),
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{p99:.1f}",
                f"{p50 / base:.2f}",
            ]
        )
    print_table(
        "(e) /ask with filters, in-process, one core",
        ["request", "asked", "p50 ms", "p95 ms", "p99 ms", "p50 vs no filter"],
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
