"""Running a benchmark: its index built once into the cache, every case asked by every method.

A `Benchmark` names the files it needs, loads them into articles and cases, and scores one
case by asking it through an `Ask`: a function that answers like /ask (`qa.pipeline.answer`)
with one search method. Each metric is averaged over the cases that report it, so a benchmark
can report figures per kind of case (`"temporal:off_hits@10"`, `"follow_up:hits@1"`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from qa import contract, pipeline
from qa.articles import Article
from qa.build import build_index
from qa.chunking import ChunkingConfig, Tokens
from qa.embedding import Embedder
from qa.errors import IndexUnavailable, QAError
from qa.followup import DEFAULT_UNDERSTANDING, FollowUpConfig
from qa.formats import read_file
from qa.index import Index, load_index
from qa.search import SearchConfig, Searcher
from qa.settings import Settings
from qa.stories import STORIES_FILE
from qa.threads import limited_threads

METHODS = ("hybrid", "bm25", "dense", "rrf")
LATENCY_KEYS = ("latency_p50_ms", "latency_p95_ms")


@dataclass(frozen=True)
class EvalFiles:
    """The files `qa eval` was given (each benchmark says which it needs)."""

    corpus: Path | None = None
    queries: Path | None = None
    data: Path | None = None
    off_topic: Path | None = None  # questions nothing answers (`--format short`)


@dataclass(frozen=True)
class Loaded:
    articles: list[Article]
    cases: list[Any]
    key: bytes  # the data's content: the cached index is keyed by it


Ask = Callable[..., pipeline.Answered]  # ask(question, k=..., **request fields)


class Benchmark(Protocol):
    name: str  # the --format value
    needs: tuple[str, ...]  # fields of EvalFiles it reads
    keys: tuple[str, ...]  # its main metrics, in table order
    groups: tuple[str, ...]  # kinds of case it also reports apart ("temporal", "follow_up")

    def load(self, files: EvalFiles) -> Loaded: ...

    def score(self, case: Any, ask: Ask) -> dict[str, float]: ...


@dataclass(frozen=True)
class RunOptions:
    """How cases are asked: the methods compared side by side (the first is reported first),
    the search settings they start from, progress bars, and the cores each question may use
    (`None`: as the process is set; `qa eval` gives one request's share, see `qa.threads`)."""

    methods: Sequence[str] = ("hybrid",)
    config: SearchConfig | None = None
    progress: bool = False
    threads: int | None = None
    settings: Settings = field(default_factory=Settings)
    understanding: FollowUpConfig = DEFAULT_UNDERSTANDING  # how follow-ups are read


def evaluate(
    benchmark: Benchmark,
    files: EvalFiles,
    embedder: Embedder,
    cache_root: Path,
    options: RunOptions = RunOptions(),
) -> dict[str, dict[str, float]]:
    """Metrics per method: each key's mean over the cases reporting it, `queries` (cases) and
    the latency percentiles of single answers."""
    for name in benchmark.needs:
        if getattr(files, name) is None:
            raise QAError(f"qa eval --format {benchmark.name} needs --{name} FILE.")
    loaded = benchmark.load(files)
    # Benchmarks over the same articles share one cached index (`index_name`).
    name = getattr(benchmark, "index_name", benchmark.name)
    index = benchmark_index(
        name, loaded.key, loaded.articles, embedder, cache_root, progress=options.progress
    )
    return run_cases(benchmark, index, embedder, loaded.cases, options)


def run_cases(
    benchmark: Benchmark,
    index: Index,
    embedder: Embedder,
    cases: Sequence[Any],
    options: RunOptions,
) -> dict[str, dict[str, float]]:
    """Ask every case with each method in turn (so machine load falls on all alike)."""
    memo = embedder if isinstance(embedder, MemoEmbedder) else MemoEmbedder(embedder)
    askers = {
        method: _Asker(index, Searcher(memo, _config(method, options.config)), memo, options)
        for method in options.methods
    }
    sums: dict[str, dict[str, float]] = {method: {} for method in options.methods}
    counts: dict[str, dict[str, int]] = {method: {} for method in options.methods}
    with limited_threads(options.threads) if options.threads else contextlib.nullcontext():
        for case in tqdm(cases, desc="Asking", unit="question", disable=not options.progress):
            for method, asker in askers.items():
                for key, value in benchmark.score(case, asker).items():
                    sums[method][key] = sums[method].get(key, 0.0) + value
                    counts[method][key] = counts[method].get(key, 0) + 1
    results = {}
    for method, asker in askers.items():
        # Cases that report the first metric (MultiHop-RAG's null queries do not).
        result = {"queries": float(counts[method].get(benchmark.keys[0], 0))}
        result |= {key: total / counts[method][key] for key, total in sums[method].items()}
        result["latency_p50_ms"] = percentile(asker.latencies, 50)
        result["latency_p95_ms"] = percentile(asker.latencies, 95)
        results[method] = result
    return results


class _Asker:
    """An `Ask` for one method: answers as /ask does and records each answer's latency,
    embedding included (computed once per text and charged to every method that uses it)."""

    def __init__(
        self, index: Index, searcher: Searcher, memo: MemoEmbedder, options: RunOptions
    ) -> None:
        self.index, self.searcher, self.memo = index, searcher, memo
        self.settings = options.settings.replace(max_k=max(options.settings.max_k, 50))
        self.uses_model = searcher.config.method != "bm25"
        self.understanding = options.understanding
        self.latencies: list[float] = []

    def __call__(self, question: str, k: int = 10, **fields: Any) -> pipeline.Answered:
        request = contract.parse(
            contract.AskRequest, {"question": question, "k": k, **fields}, self.settings
        )
        with self.memo.charging() as embedding_ms:
            started = time.perf_counter()
            answered = pipeline.answer(
                self.index, self.searcher, request, self.settings.min_score, self.understanding
            )
            elapsed = (time.perf_counter() - started) * 1000
        self.latencies.append(elapsed - embedding_ms.spent + embedding_ms.charged)
        return answered


class _Charge:
    """The embedding cost of one answer: what computing its texts' vectors costs (`charged`)
    and what was actually spent computing them in this answer (`spent`: 0 on a memo hit)."""

    def __init__(self) -> None:
        self.charged = 0.0
        self.spent = 0.0


class MemoEmbedder:
    """The embedder, remembering each question's vector and what it cost to compute, so every
    method asks the same question for the price of one embedding but is charged its cost."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.max_tokens = embedder.max_tokens
        self._vectors: dict[str, tuple[np.ndarray, float]] = {}
        self._charge = _Charge()

    @contextlib.contextmanager
    def charging(self) -> Iterator[_Charge]:
        self._charge = charge = _Charge()
        yield charge

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        return self.embedder.tokenize(texts)

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.embedder.encode_documents(texts, progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        known = self._vectors.get(text)
        if known is None:
            started = time.perf_counter()
            vector = self.embedder.encode_query(text)
            known = (vector, (time.perf_counter() - started) * 1000)
            self._charge.spent += known[1]
            if len(self._vectors) >= 10_000:
                self._vectors.clear()
            self._vectors[text] = known
        self._charge.charged += known[1]
        return known[0]


def _config(method: str, config: SearchConfig | None) -> SearchConfig:
    base = config or SearchConfig()
    return SearchConfig(**{**asdict(base), "method": method})


def benchmark_index(
    name: str,
    key: bytes,
    articles: list[Article],
    embedder: Embedder,
    cache_root: Path,
    *,
    progress: bool = False,
) -> Index:
    """The index of a benchmark's articles, cached under `cache_root` by the data's content
    (`key`), the model and the chunking."""
    chunking = ChunkingConfig(max_tokens=embedder.max_tokens)
    folder = cache_folder(cache_root, name, key, embedder.model_id, chunking)
    return cached_index(articles, folder, embedder, chunking, progress=progress)


def cache_folder(
    cache_root: Path, name: str, data: bytes, model_id: str, config: ChunkingConfig
) -> Path:
    """Where the index of one benchmark corpus lives: its content, model and chunking decide."""
    digest = hashlib.sha256()
    digest.update(data)
    digest.update(json.dumps([model_id, asdict(config)], sort_keys=True).encode())
    return cache_root / "eval" / f"{name}-{digest.hexdigest()[:16]}"


def cached_index(
    articles: list[Article],
    folder: Path,
    embedder: Embedder,
    config: ChunkingConfig,
    *,
    progress: bool = False,
) -> Index:
    """The index of `articles` in `folder`: loaded when already built and complete, else built."""
    try:
        index = load_index(folder, model_id=embedder.model_id)
    except IndexUnavailable:
        index = None
    if index is not None and _complete(index, articles, config):
        return index
    build_index(articles, embedder, folder, previous=index, config=config, progress=progress)
    return load_index(folder, model_id=embedder.model_id)


def _complete(index: Index, articles: list[Article], config: ChunkingConfig) -> bool:
    return (
        index.manifest.chunking == asdict(config)
        and index.article_hashes() == {a.id: a.content_hash for a in articles}
        and index.lexical is not None
        and index.lexical.passage_terms is not None
        and (index.path is None or (index.path / STORIES_FILE).is_file())  # story groups
    )


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


def report(benchmark: Benchmark, results: dict[str, dict[str, float]]) -> str:
    """The main table, then one per kind of case the benchmark reports apart."""
    first = next(iter(results.values()))
    parts = [
        f"{benchmark.name}: {int(first['queries'])} questions",
        format_table(results, benchmark.keys),
    ]
    for group in benchmark.groups:
        keys = [key for key in first if key.startswith(f"{group}:")]
        if keys:
            grouped = {
                method: {
                    key.split(":", 1)[1]: value for key, value in metrics.items() if key in keys
                }
                for method, metrics in results.items()
            }
            parts += [
                f"\n{group}:",
                format_table(grouped, [k.split(":", 1)[1] for k in keys], latency=False),
            ]
    return "\n".join(parts)


def format_table(
    results: dict[str, dict[str, float]], keys: Sequence[str], *, latency: bool = True
) -> str:
    """A Markdown table: one row per method, one column per metric."""
    columns = [*keys, *(LATENCY_KEYS if latency else ())]
    lines = ["| method | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for method, metrics in results.items():
        cells = [_cell(metrics, column) for column in columns]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(metrics: dict[str, float], column: str) -> str:
    if column not in metrics:
        return ""
    return f"{metrics[column]:.1f}" if column in LATENCY_KEYS else f"{metrics[column]:.3f}"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise QAError(f"Cannot read {path}: {error}") from None


def read_corpus(path: Path) -> tuple[list[Article], dict[str, str]]:
    """A benchmark's articles file: its articles, and their ids by url; an error naming the file
    (and its first problems) when no article can be read from it."""
    scan = read_file(path)
    if not scan.articles:
        problems = "; ".join(str(p) for p in scan.problems[:3])
        raise QAError(f"No articles could be read from {path}: {problems or 'empty'}.")
    return scan.articles, {a.url: a.id for a in scan.articles if a.url}


def read_json_lines(path: Path) -> list[Any]:
    """Every record of a JSON Lines file; a bad line is an error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise QAError(f"Cannot read {path}: {error.strerror}.") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError as error:
                raise QAError(f"{path}, line {number}: not JSON ({error}).") from None
    return records
