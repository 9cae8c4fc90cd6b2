"""Tune hybrid search on MultiHop-RAG's dev queries only: one row per configuration.

    .venv/bin/python -m bench.tune [NAME=VALUE ...]

Query embeddings are computed once and reused across configurations, so a grid is cheap; the
index is the one `qa eval` caches. Figures are retrieval metrics over the top 10 passages.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import asdict, fields

import numpy as np

from qa import evaluate
from qa.embedding import SentenceTransformerEmbedder
from qa.search import SearchConfig, Searcher
from qa.settings import Settings
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA / "multihop-rag"


class MemoEmbedder:
    """The real embedder, with each question's vector computed once."""

    def __init__(self, embedder: SentenceTransformerEmbedder) -> None:
        self._embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.max_tokens = embedder.max_tokens
        self._memo: dict[str, np.ndarray] = {}

    def tokenize(self, texts):  # type: ignore[no-untyped-def]
        return self._embedder.tokenize(texts)

    def encode_documents(self, texts, *, progress=False):  # type: ignore[no-untyped-def]
        return self._embedder.encode_documents(texts, progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self._memo:
            self._memo[text] = self._embedder.encode_query(text)
        return self._memo[text]


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
    settings = Settings.from_env()
    embedder = MemoEmbedder(SentenceTransformerEmbedder(precision="fp32"))
    corpus = DATA / "corpus_train.json"
    articles, questions = evaluate.load_multihop(corpus, DATA / "queries_dev.json")
    index = evaluate.benchmark_index(
        "multihop-rag", corpus, articles, embedder, settings.cache, progress=True
    )
    keys = ("off_hits@4", "off_hits@10", "off_mrr@10", "fact_cov@10", "art_cov@10", "all_art@10")
    default = asdict(SearchConfig())
    print("| config | " + " | ".join(keys) + " |")
    for config in grid(arguments):
        searcher = Searcher(embedder, config)
        totals = dict.fromkeys(keys, 0.0)
        for question in questions:
            hits = searcher.search(index, question.question, 10)
            scores = evaluate.multihop_scores(
                question, [h.text for h in hits], [h.article.id for h in hits]
            )
            for key in keys:
                totals[key] += scores[key]
        changed = {k: v for k, v in asdict(config).items() if v != default[k]}
        cells = " | ".join(f"{totals[k] / len(questions):.3f}" for k in keys)
        print(f"| {changed or 'defaults'} | {cells} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
