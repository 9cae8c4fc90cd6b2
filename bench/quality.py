"""Answer quality on the shared benchmarks: MultiHop-RAG dev and test, and XQuAD-en.

    make bench-quality        (or: .venv/bin/python -m bench.quality)

Prints one Markdown table per data set with BM25-only, dense-only, naive (equal-weight) RRF and
our hybrid rows, all from the same run: each question is asked of every method in turn, so
machine load falls on all rows alike. Indexes are built once into QA_CACHE and reused.
"""

from __future__ import annotations

import sys

from bench.common import SHARED_DATA
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.multihop import MULTIHOP
from qa.evals.runner import EvalFiles, RunOptions, evaluate, report
from qa.evals.squad import SQUAD
from qa.settings import Settings
from qa.threads import request_threads

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
    options = RunOptions(
        METHODS,
        progress=True,
        threads=request_threads(settings.workers, settings.threads),
        settings=settings,
    )
    for split in ("dev", "test"):
        files = EvalFiles(multihop / "corpus_train.json", multihop / f"queries_{split}.json")
        results = evaluate(MULTIHOP, files, embedder, settings.cache, options)
        print(f"\nMultiHop-RAG {split} (top 10 passages)\n")
        print(report(MULTIHOP, results), flush=True)
    results = evaluate(SQUAD, EvalFiles(data=xquad), embedder, settings.cache, options)
    print("\nXQuAD-en (top 20 passages)\n")
    print(report(SQUAD, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
