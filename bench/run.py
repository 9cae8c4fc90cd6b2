"""`make bench`: the speed tables of bench/README.md, measured on this machine now.

    python -m bench.run                      # everything (about 30 minutes on 2 cores)
    python -m bench.run --articles 60        # a shorter build and a smaller /ask index
    python -m bench.run --skip build --index index/   # /ask against an index built before

Tables: (a) build throughput against plain fp32 encoding, (b) /ask latency in-process and over
HTTP at 1 and `--clients` concurrent clients, (c) peak server memory, (d) search time, memory
and recall at `--sizes` passages. Everything runs on loopback in bounded loops, in a temporary
folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from qa.settings import Settings

PARTS = ("build", "serve", "search")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=609, help="MultiHop-RAG articles to index")
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternating runs of each build path"
    )
    parser.add_argument("--questions", type=int, default=200, help="/ask requests per run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the 2nd run")
    parser.add_argument("--workers", type=int, default=None, help="server workers (QA_WORKERS)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (QA_THREADS)")
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated passage counts for the search table",
    )
    parser.add_argument("--search-queries", type=int, default=200, help="queries per size")
    parser.add_argument(
        "--index", type=Path, help="serve this built index instead of the one the build makes"
    )
    parser.add_argument("--skip", action="append", choices=PARTS, default=[], help="leave out")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(workers=args.workers, threads=args.threads)
    print(
        f"# qa bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"QA_PRECISION={settings.precision}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as temporary:
        workdir = Path(temporary)
        index = args.index
        embedder = None
        if "build" not in args.skip:
            from bench.speed_build import print_build_table, run_build_bench

            result = run_build_bench(workdir, settings, args.articles, args.repeats)
            print_build_table(result)
            index = index or workdir / "index"
        if "serve" not in args.skip:
            from bench.speed_build import write_bench_corpus
            from bench.speed_serve import print_serve_tables, questions_label, run_serve_bench
            from qa.build import build_from_corpus
            from qa.embedding import SentenceTransformerEmbedder

            embedder = SentenceTransformerEmbedder.from_settings(settings)  # as /ask embeds
            if index is None:
                write_bench_corpus(workdir / "corpus", args.articles)
                index = workdir / "index"
                build_from_corpus(workdir / "corpus", index, embedder)
            result = run_serve_bench(
                settings,
                index,
                embedder,
                questions=args.questions,
                clients=args.clients,
                workers=settings.workers,
                threads=settings.threads,
                log_folder=workdir,
            )
            print_serve_tables(result, questions_label())
        if "search" not in args.skip:
            from bench.speed_search import print_search_table, run_search_bench

            sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
            rows = run_search_bench(workdir, sizes, args.search_queries)
            print_search_table(rows, args.search_queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
