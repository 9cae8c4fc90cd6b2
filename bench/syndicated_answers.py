"""Answers over a syndicated corpus: how often does an answer's top 5 hold two copies of a story?

    python -m bench.syndicated_answers            # also: python -m bench.syndication --answers

The corpus: all of MultiHop-RAG's articles with the copies and follow-ups that bench.syndication
makes of each half (its dev and test sets together). Its index is cached under QA_CACHE, the
originals' passages and vectors taken from the MultiHop-RAG index `qa eval` caches, so only the
copies are embedded. The questions: MultiHop-RAG's dev queries, asked as /ask answers them
(`qa.pipeline`, ten passages), with copies handled four ways: one copy per story and the vector
twin discount (what /ask does), each alone, and neither.

Per way: the share of answers whose top 5 (and top 10) passages come from two articles of one
story, by the set's truth (so copies the grouping missed count too), and retrieval on this
corpus: the official MultiHop-RAG hit and MRR metrics (a gold fact found in a copy counts: it is
the same text), fact coverage, and story coverage (the gold articles' stories cited, by any copy).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from dataclasses import dataclass
from typing import Any

from bench.syndication import CORPUS, SHARED, SyndicationSet, build_set
from qa.build import build_index
from qa.chunking import ChunkingConfig
from qa.embedding import Embedder, SentenceTransformerEmbedder
from qa.evals.multihop import MULTIHOP, MultihopQuery, multihop_scores
from qa.evals.runner import (
    Ask,
    EvalFiles,
    RunOptions,
    benchmark_index,
    cache_folder,
    cached_index,
    run_cases,
)
from qa.index import Index, current_version
from qa.search import SearchConfig
from qa.settings import Settings

QUERIES = SHARED / "multihop-rag" / "queries_dev.json"
WAYS = {
    "one copy per story + twin discount (/ask)": SearchConfig(),
    "one copy per story only": SearchConfig(twin_similarity=1.01),
    "twin discount only (before)": SearchConfig(one_copy_per_story=False),
    "neither": SearchConfig(one_copy_per_story=False, twin_similarity=1.01),
}
KEYS = (
    "two_copies@5",
    "two_copies@10",
    "off_hits@4",
    "off_hits@10",
    "off_mrr@10",
    "fact_cov@10",
    "story_cov@10",
)


def syndicated_corpus() -> SyndicationSet:
    """Both halves' sets together: every MultiHop-RAG article, its copies and follow-ups."""
    dev, test = build_set("dev"), build_set("test")
    return SyndicationSet(
        dev.articles + test.articles, dev.groups | test.groups, dev.kinds | test.kinds
    )


@dataclass(frozen=True)
class CopiesInAnswers:
    """A benchmark for `run_cases`: each question's ten passages, checked for copies."""

    stories: dict[str, str]  # article id -> its story, for every article of the corpus
    name: str = "syndicated"
    keys: tuple[str, ...] = KEYS
    groups: tuple[str, ...] = ()

    def score(self, case: MultihopQuery, ask: Ask) -> dict[str, float]:
        hits = ask(case.question, k=10).hits
        ids = [hit.article.id for hit in hits]
        scores = {"two_copies@5": self.copies(ids[:5]), "two_copies@10": self.copies(ids)}
        if not case.facts:  # a null query: only the copies are checked
            return scores
        found = multihop_scores(case, [hit.text for hit in hits], ids)
        scores |= {key: found[key] for key in KEYS if key in found}
        gold = {self.stories[a] for a in case.articles}
        scores["story_cov@10"] = len(gold & {self.stories[a] for a in ids}) / len(gold)
        return scores

    def copies(self, ids: list[str]) -> float:
        """1 when two of these articles are copies of one story."""
        articles = set(ids)
        return float(len({self.stories[a] for a in articles}) < len(articles))


def syndicated_index(data: SyndicationSet, embedder: Embedder, cache_root: Any) -> Index:
    chunking = ChunkingConfig(max_tokens=embedder.max_tokens)
    digest = hashlib.sha256("".join(sorted(a.content_hash for a in data.articles)).encode())
    folder = cache_folder(cache_root, "syndicated", digest.digest(), embedder.model_id, chunking)
    if current_version(folder) is None:  # the originals' vectors from MultiHop-RAG's index
        base = MULTIHOP.load(EvalFiles(CORPUS, QUERIES))
        previous = benchmark_index(
            MULTIHOP.name, base.key, base.articles, embedder, cache_root, progress=True
        )
        build_index(data.articles, embedder, folder, previous=previous, config=chunking)
    return cached_index(data.articles, folder, embedder, chunking, progress=True)


def main(arguments: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="ask only the first N questions")
    args = parser.parse_args(arguments)
    if not CORPUS.exists():
        raise SystemExit(f"MultiHop-RAG not found at {CORPUS} (set QA_SHARED_DATA)")
    settings = Settings.from_env()
    embedder = SentenceTransformerEmbedder.from_settings(settings)
    data = syndicated_corpus()
    index = syndicated_index(data, embedder, settings.cache)
    found = sum(1 for a in data.articles if index.story_of(a.id) is not None)
    print(
        f"{len(data.articles)} articles, {len(set(data.groups.values()))} stories, "
        f"{found} articles in {len(set(index.stories.groups.values()))} groups found"
    )
    cases = MULTIHOP.load(EvalFiles(CORPUS, QUERIES)).cases
    cases = cases[: args.limit] if args.limit else cases
    benchmark = CopiesInAnswers(data.groups)
    print(f"{len(cases)} questions of {QUERIES.name}, ten passages each\n")
    print("| copies handled by | " + " | ".join(KEYS) + " | p50 ms |")
    print("|---|" + "---|" * (len(KEYS) + 1))
    for way, config in WAYS.items():
        started = time.perf_counter()
        options = RunOptions(("hybrid",), config=config, progress=True, settings=settings)
        metrics = run_cases(benchmark, index, embedder, cases, options)["hybrid"]
        cells = " | ".join(f"{metrics.get(key, float('nan')):.3f}" for key in KEYS)
        print(f"| {way} | {cells} | {metrics['latency_p50_ms']:.0f} |", flush=True)
        print(
            f"  ({time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
