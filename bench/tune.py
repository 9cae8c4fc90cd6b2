"""Tune hybrid search on MultiHop-RAG's dev queries only: one row per configuration.

    .venv/bin/python -m bench.tune [--keys KEY,KEY] [NAME=VALUE ...]

`--keys` picks other columns of `qa eval`'s figures, per question type too
(`temporal:off_mrr@10`, `null:rejected`).

Questions are asked as /ask answers them (`qa.evals`), their embeddings computed once and reused
across configurations, so a grid is cheap; the index is the one `qa eval` caches. Figures are
retrieval metrics over the top 10 passages.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import asdict, fields

from bench.common import SHARED_DATA
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.multihop import MULTIHOP
from qa.evals.runner import EvalFiles, MemoEmbedder, RunOptions, benchmark_index, run_cases
from qa.search import SearchConfig
from qa.settings import Settings

KEYS = ("off_hits@4", "off_hits@10", "off_mrr@10", "fact_cov@10", "art_cov@10", "all_art@10")

DATA = SHARED_DATA / "multihop-rag"


def grid(arguments: list[str]) -> list[SearchConfig]:
    """NAME=V1,V2 arguments -> every combination over SearchConfig's defaults."""
    kinds = {f.name: type(getattr(SearchConfig(), f.name)) for f in fields(SearchConfig)}
    axes = []
    for argument in arguments:
        name, values = argument.split("=", 1)
        kind = kinds[name]
        parse = (lambda v: v.lower() in ("1", "true", "yes")) if kind is bool else kind
        axes.append([(name, parse(v)) for v in values.split(",")])
    return [SearchConfig(**dict(combo)) for combo in itertools.product(*axes)] or [SearchConfig()]


def main(arguments: list[str]) -> None:
    keys: tuple[str, ...] = KEYS
    if arguments[:1] == ["--keys"]:
        keys, arguments = tuple(arguments[1].split(",")), arguments[2:]
    settings = Settings.from_env()
    model = SentenceTransformerEmbedder(precision="fp32")
    embedder = MemoEmbedder(model)
    files = EvalFiles(DATA / "corpus_train.json", DATA / "queries_dev.json")
    loaded = MULTIHOP.load(files)
    # Built by the model itself, as `qa eval` builds it (word pieces embedded directly).
    index = benchmark_index(
        MULTIHOP.name, loaded.key, loaded.articles, model, settings.cache, progress=True
    )
    default = asdict(SearchConfig())
    print("| config | " + " | ".join(keys) + " |")
    for config in grid(arguments):
        options = RunOptions(("hybrid",), config=config, settings=settings)
        metrics = run_cases(MULTIHOP, index, embedder, loaded.cases, options)["hybrid"]
        changed = {k: v for k, v in asdict(config).items() if v != default[k]}
        cells = " | ".join(f"{metrics[k]:.3f}" for k in keys)
        print(f"| {changed or 'defaults'} | {cells} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
