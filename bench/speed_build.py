"""(a) Build throughput: `qa index --full` against plain fp32 `SentenceTransformer.encode`.

Both embed the same texts: the passages the project cuts from the same articles, each with its
header. The baseline is only the encode call (chunking is not charged to it); the project's figure
is the whole build as `qa index --full` runs it once the model is loaded: read and parse the
corpus, chunk, embed, build the FAISS index, write and verify the version. The two runs alternate
in one process, so load from other programs on the machine hits both alike.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import MULTIHOP, print_table
from qa.articles import Article
from qa.build import build_from_corpus
from qa.chunking import ChunkingConfig, chunk_article, embedding_text
from qa.corpus import read_corpus
from qa.embedding import SentenceTransformerEmbedder, resolve_model
from qa.index import load_index
from qa.settings import REPOSITORY, Settings


@dataclass
class BuildResult:
    articles: int
    words: int
    passages: int
    baseline_seconds: list[float]
    project_seconds: list[float]
    precision: str
    precision_reason: str
    min_cosine: float
    mean_cosine: float
    phases: list[dict[str, float]]


def write_bench_corpus(folder: Path, articles: int) -> str:
    """Put the first `articles` MultiHop-RAG articles in `folder`; say where they came from."""
    folder.mkdir(parents=True, exist_ok=True)
    source = MULTIHOP / "corpus_train.json"
    if source.exists():
        records = json.loads(source.read_text(encoding="utf-8"))[:articles]
        (folder / "multihop.json").write_text(json.dumps(records), encoding="utf-8")
        return f"MultiHop-RAG corpus_train.json, first {len(records)} articles"
    for path in sorted((REPOSITORY / "corpus").iterdir())[:articles]:
        shutil.copy(path, folder / path.name)
    return "the repository's corpus/ folder (MultiHop-RAG not found)"


def embedding_texts(articles: list[Article], embedder: SentenceTransformerEmbedder) -> list[str]:
    """The texts a build embeds, in index row order."""
    config = ChunkingConfig(max_tokens=embedder.max_tokens)
    return [
        embedding_text(article, passage, config)
        for article in articles
        for passage in chunk_article(article, embedder.tokenize, config)
    ]


def run_build_bench(workdir: Path, settings: Settings, articles: int, repeats: int) -> BuildResult:
    """Alternate the baseline encode and the project's full build `repeats` times each."""
    from sentence_transformers import SentenceTransformer

    corpus = workdir / "corpus"
    index_root = workdir / "index"
    print(f"Build bench over {write_bench_corpus(corpus, articles)}", flush=True)
    embedder = SentenceTransformerEmbedder(settings.model, precision=settings.precision)
    baseline_model = SentenceTransformer(resolve_model(settings.model)[0], device="cpu")
    scanned = read_corpus(corpus).articles
    texts = embedding_texts(scanned, embedder)
    words = sum(len(article.body.split()) for article in scanned)
    baseline_model.encode(texts[:8], batch_size=8)  # first-call costs out of the timings
    embedder.encode_documents(texts[:8])

    baseline_seconds, project_seconds, phases = [], [], []
    baseline = np.zeros((0, embedder.dimension), dtype=np.float32)
    for _ in range(repeats):
        started = time.perf_counter()
        baseline = baseline_model.encode(texts, batch_size=32, normalize_embeddings=True)
        baseline_seconds.append(time.perf_counter() - started)
        report = build_from_corpus(corpus, index_root, embedder, full=True)
        project_seconds.append(report.seconds)
        phases.append(report.phases)
        print(
            f"  baseline {baseline_seconds[-1]:.1f} s, project {project_seconds[-1]:.1f} s",
            flush=True,
        )
    built = np.asarray(load_index(index_root).store.vectors(), dtype=np.float32)
    cosines = np.sum(built * np.asarray(baseline, dtype=np.float32), axis=1)
    return BuildResult(
        articles=len(scanned),
        words=words,
        passages=len(texts),
        baseline_seconds=baseline_seconds,
        project_seconds=project_seconds,
        precision=embedder.precision,
        precision_reason=embedder.precision_reason,
        min_cosine=float(cosines.min()),
        mean_cosine=float(cosines.mean()),
        phases=phases,
    )


def print_build_table(result: BuildResult) -> None:
    baseline = statistics.median(result.baseline_seconds)
    project = statistics.median(result.project_seconds)
    rows = [
        [
            "plain fp32 SentenceTransformer.encode (batch 32)",
            baseline,
            result.passages / baseline,
            result.words / baseline,
            1.0,
        ],
        [
            f"qa index --full ({result.precision})",
            project,
            result.passages / project,
            result.words / project,
            baseline / project,
        ],
    ]
    print_table(
        f"(a) Build throughput: {result.articles} articles, {result.words:,} words, "
        f"{result.passages:,} passages (median of {len(result.project_seconds)} alternating runs)",
        ["path", "seconds", "passages/s", "article words/s", "ratio"],
        rows,
    )
    names = list(result.phases[0]) if result.phases else []
    shares = [[name, statistics.median(p.get(name, 0.0) for p in result.phases)] for name in names]
    total = sum(seconds for _, seconds in shares) or 1.0
    model = sum(seconds for name, seconds in shares if name == "embed")
    print_table(
        "(a) Where `qa index --full` spends its time (median seconds per phase)",
        ["phase", "seconds", "share"],
        [[name, seconds, seconds / total] for name, seconds in shares]
        + [["not the model pass", total - model, (total - model) / total]],
    )
    print(f"Precision: {result.precision} ({result.precision_reason}).")
    print(
        f"Cosine of the index's vectors to the fp32 baseline's, per passage: "
        f"min {result.min_cosine:.6f}, mean {result.mean_cosine:.6f}."
    )
