"""Answer quality on the shared benchmarks: MultiHop-RAG dev and test, and XQuAD-en.

    make bench-quality        (or: .venv/bin/python -m bench.quality)

Prints one Markdown table per data set with BM25-only, dense-only, naive (equal-weight) RRF and
our hybrid rows, all from the same run: each question is asked of every method in turn, so
machine load falls on all rows alike. Indexes are built once into QA_CACHE and reused.
"""

from __future__ import annotations

import sys

from qa import evaluate
from qa.embedding import SentenceTransformerEmbedder
from qa.settings import Settings
from qa.threads import request_threads
from tests.conftest import SHARED_DATA

METHODS = ("bm25", "dense", "rrf", "hybrid")


def main() -> int:
    multihop = SHARED_DATA / "multihop-rag"
    xquad = SHARED_DATA / "xquad-en" / "xquad.en.json"
    if not (multihop / "corpus_train.json").exists() or not xquad.exists():
        print(f"benchmark data not found under {SHARED_DATA} (set QA_SHARED_DATA)")
        return 1
    settings = Settings.from_env()
    embedder = SentenceTransformerEmbedder.from_settings(settings)
    # Each question on one request's share of the cores, as /ask answers it.
    options = evaluate.RunOptions(
        METHODS, progress=True, threads=request_threads(settings.workers, settings.threads)
    )
    for split in ("dev", "test"):
        results = evaluate.evaluate_multihop(
            multihop / "corpus_train.json",
            multihop / f"queries_{split}.json",
            embedder,
            settings.cache,
            options,
        )
        queries = int(results["hybrid"]["queries"])
        print(f"\nMultiHop-RAG {split} ({queries} questions with evidence, top 10 passages)\n")
        print(evaluate.format_table(results, evaluate.MULTIHOP_KEYS), flush=True)
    results = evaluate.evaluate_squad(xquad, embedder, settings.cache, options)
    queries = int(results["hybrid"]["queries"])
    print(f"\nXQuAD-en ({queries} questions, top 20 passages)\n")
    print(evaluate.format_table(results, evaluate.SQUAD_KEYS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
