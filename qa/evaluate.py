"""`qa eval`: retrieval and answer quality on a benchmark, with the index cached by content hash.

Two formats:

- `multihop-rag`: a corpus JSON list of articles and a queries JSON list whose items carry an
  `evidence_list` of `{title, url, fact}`. Metrics follow the dataset's `BASELINES.md`: the
  official-code "off_" metrics (a gold fact, all whitespace removed, is a substring of a retrieved
  passage), fact coverage, and article coverage.
- `squad`: SQuAD v1.1 JSON; each context becomes an article, each question is asked, and a hit
  is a top passage of the gold context that holds a gold answer text.

The index of a benchmark corpus is built once into the cache folder (`QA_CACHE`), keyed by the
data file's content, the model and the chunking settings, and reused by later runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from qa.articles import Article, make_article, read_file, safe_id
from qa.build import build_index
from qa.chunking import ChunkingConfig, Tokens
from qa.embedding import Embedder
from qa.errors import IndexUnavailable, QAError
from qa.grounding import extract_answer
from qa.index import Index, load_index
from qa.search import Hit, SearchConfig, Searcher
from qa.threads import limited_threads

MULTIHOP_KEYS = (
    "off_hits@4",
    "off_hits@10",
    "off_mrr@10",
    "off_map@10",
    "fact_cov@10",
    "art_cov@10",
    "all_art@10",
)
SQUAD_KEYS = ("recall@1", "recall@5", "recall@20", "mrr@20", "answer_accuracy")
LATENCY_KEYS = ("latency_p50_ms", "latency_p95_ms")
METHODS = ("hybrid", "bm25", "dense", "rrf")


def benchmark_index(
    name: str,
    data_file: Path,
    articles: list[Article],
    embedder: Embedder,
    cache_root: Path,
    *,
    progress: bool = False,
) -> Index:
    """The index of a benchmark's articles, cached under `cache_root` by the data file's
    content, the model and the chunking."""
    chunking = ChunkingConfig(max_tokens=embedder.max_tokens)
    folder = cache_folder(cache_root, name, data_file.read_bytes(), embedder.model_id, chunking)
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
    )


# ---------------------------------------------------------------------------------------------
# Metrics


def _squeeze(text: str) -> str:
    """Text without any whitespace: the official MultiHop-RAG matching rule."""
    return "".join(text.split())


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


@dataclass
class MultihopQuery:
    """One MultiHop-RAG question with its gold evidence, resolved to article ids."""

    question: str
    facts: list[str]  # distinct gold facts, whitespace removed
    articles: set[str]


def multihop_scores(
    query: MultihopQuery, texts: Sequence[str], article_ids: Sequence[str]
) -> dict[str, float]:
    """The per-question metrics of BASELINES.md for one ranked list of passages."""
    squeezed = [_squeeze(t) for t in texts[:10]]
    first_hit = next(
        (r for r, t in enumerate(squeezed, 1) if any(f in t for f in query.facts)), None
    )
    found: set[str] = set()
    average_precision = 0.0
    for rank, text in enumerate(squeezed, start=1):
        new = {f for f in query.facts if f not in found and f in text}
        average_precision += len(new) / rank
        found |= new
    top4 = squeezed[:4]
    return {
        "off_hits@4": float(any(f in t for f in query.facts for t in top4)),
        "off_hits@10": float(first_hit is not None),
        "off_mrr@10": 1.0 / first_hit if first_hit else 0.0,
        "off_map@10": average_precision / min(len(query.facts), 10),
        "fact_cov@10": len(found) / len(query.facts),
        "art_cov@10": len(query.articles & set(article_ids[:10])) / len(query.articles),
        "all_art@10": float(query.articles <= set(article_ids[:10])),
    }


def squad_scores(
    gold_article: str, answers: Sequence[str], hits: Sequence[Hit], answer_texts: Sequence[str]
) -> dict[str, float]:
    """Per-question SQuAD metrics: where the first passage of the gold context holding a gold
    answer ranks, and whether a gold answer lies inside the extracted answer sentences."""
    needles = [_normal(a) for a in answers if a.strip()]
    rank = next(
        (
            r
            for r, hit in enumerate(hits[:20], start=1)
            if hit.article.id == gold_article and any(n in _normal(hit.text) for n in needles)
        ),
        None,
    )
    answer = " ".join(_normal(t) for t in answer_texts)
    return {
        "recall@1": float(rank is not None and rank <= 1),
        "recall@5": float(rank is not None and rank <= 5),
        "recall@20": float(rank is not None),
        "mrr@20": 1.0 / rank if rank else 0.0,
        "answer_accuracy": float(any(n in answer for n in needles)),
    }


def _normal(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Data sets


def load_multihop(corpus: Path, queries: Path) -> tuple[list[Article], list[MultihopQuery]]:
    """The corpus as articles, and every query with a non-empty evidence list."""
    scan = read_file(corpus)
    if not scan.articles:
        problems = "; ".join(str(p) for p in scan.problems[:3])
        raise QAError(f"No articles could be read from {corpus}: {problems or 'empty'}.")
    by_title = {a.title: a.id for a in scan.articles}
    by_url = {a.url: a.id for a in scan.articles if a.url}
    records = _read_json(queries)
    if not isinstance(records, list):
        raise QAError(f"{queries} must hold a JSON list of queries.")
    questions = []
    for record in records:
        evidence = record.get("evidence_list") or [] if isinstance(record, dict) else []
        if not evidence or not str(record.get("query", "")).strip():
            continue
        facts = list(dict.fromkeys(_squeeze(e.get("fact", "")) for e in evidence))
        articles = {
            by_url.get(e.get("url")) or by_title.get(" ".join(str(e.get("title", "")).split()))
            for e in evidence
        }
        questions.append(
            MultihopQuery(record["query"], [f for f in facts if f], {a for a in articles if a})
        )
    questions = [q for q in questions if q.facts and q.articles]
    if not questions:
        raise QAError(f"No query in {queries} has evidence matching the corpus.")
    return scan.articles, questions


@dataclass
class SquadQuestion:
    question: str
    article_id: str
    answers: list[str]


def load_squad(path: Path) -> tuple[list[Article], list[SquadQuestion]]:
    """SQuAD v1.1: each paragraph's context becomes an article titled by its Wikipedia page."""
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise QAError(f"{path} is not SQuAD v1.1 JSON (no 'data' list).")
    articles: list[Article] = []
    questions: list[SquadQuestion] = []
    for number, entry in enumerate(data["data"]):
        title = str(entry.get("title") or f"Article {number + 1}").replace("_", " ")
        for position, paragraph in enumerate(entry.get("paragraphs", [])):
            article_id = f"{safe_id(title)[:60]}-{number}-{position}"
            try:
                article = make_article(
                    article_id=article_id, title=title, body=paragraph["context"]
                )
            except (KeyError, ValueError) as error:
                raise QAError(f"{path}: paragraph {position} of {title!r}: {error}") from None
            articles.append(article)
            for qa in paragraph.get("qas", []):
                answers = [a["text"] for a in qa.get("answers", []) if a.get("text", "").strip()]
                if answers and str(qa.get("question", "")).strip():
                    questions.append(SquadQuestion(qa["question"].strip(), article_id, answers))
    if not questions:
        raise QAError(f"{path} holds no answerable questions.")
    return articles, questions


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise QAError(f"Cannot read {path}: {error}") from None


# ---------------------------------------------------------------------------------------------
# Runs


@dataclass(frozen=True)
class RunOptions:
    """How a benchmark's questions are asked: the methods compared side by side (the first is
    reported first), the search settings they start from, progress bars, and the cores each
    question may use (`None`: as the process is set; `qa eval` gives one request's share, as
    in a `qa serve` worker, see `qa.threads`)."""

    methods: Sequence[str] = ("hybrid",)
    config: SearchConfig | None = None
    progress: bool = False
    threads: int | None = None


class _EncodedOnce:
    """The embedder, except that the question's vector is computed once and shared by every
    method, so a run with several methods costs one embedding per question."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.max_tokens = embedder.max_tokens
        self.vector: np.ndarray | None = None

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        return self.embedder.tokenize(texts)

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.embedder.encode_documents(texts, progress=progress)

    def encode_query(self, text: str) -> np.ndarray:
        assert self.vector is not None
        return self.vector


def run_questions(
    index: Index,
    embedder: Embedder,
    questions: Sequence[Any],
    score: Callable[[Any, list[Hit], list[str]], dict[str, float]],
    k: int,
    options: RunOptions,
) -> dict[str, dict[str, float]]:
    """Ask every question with each method; per method, the mean of each metric and latency
    percentiles. Methods run one after another on each question, so load affects all alike.

    Latency covers what /ask computes: the question's embedding (measured once per question,
    counted for each method that uses it), retrieval, and the answer sentences.
    """
    methods, threads = options.methods, options.threads
    shared = _EncodedOnce(embedder)
    searchers = {method: Searcher(shared, _config(method, options.config)) for method in methods}
    totals: dict[str, dict[str, float]] = {method: {} for method in methods}
    latencies: dict[str, list[float]] = {method: [] for method in methods}
    with limited_threads(threads) if threads else contextlib.nullcontext():
        for question in tqdm(
            questions, desc="Asking", unit="question", disable=not options.progress
        ):
            started = time.perf_counter()
            shared.vector = embedder.encode_query(question.question)
            embedding_ms = (time.perf_counter() - started) * 1000
            for method, searcher in searchers.items():
                started = time.perf_counter()
                hits = searcher.search(index, question.question, k)
                answer = extract_answer(question.question, hits, index.lexical)
                elapsed = (time.perf_counter() - started) * 1000
                latencies[method].append(elapsed + (embedding_ms if method != "bm25" else 0.0))
                for key, value in score(question, hits, [a.text for a in answer]).items():
                    totals[method][key] = totals[method].get(key, 0.0) + value
    results = {}
    for method in methods:
        result = {"queries": float(len(questions))}
        result |= {key: value / len(questions) for key, value in totals[method].items()}
        result["latency_p50_ms"] = percentile(latencies[method], 50)
        result["latency_p95_ms"] = percentile(latencies[method], 95)
        results[method] = result
    return results


def _config(method: str, config: SearchConfig | None) -> SearchConfig:
    base = config or SearchConfig()
    return SearchConfig(**{**asdict(base), "method": method})


def evaluate_multihop(
    corpus: Path,
    queries: Path,
    embedder: Embedder,
    cache_root: Path,
    options: RunOptions = RunOptions(),
) -> dict[str, dict[str, float]]:
    """Metrics per method over every MultiHop-RAG query with evidence (top 10 passages)."""
    articles, questions = load_multihop(corpus, queries)
    index = benchmark_index(
        "multihop-rag", corpus, articles, embedder, cache_root, progress=options.progress
    )

    def score(question: MultihopQuery, hits: list[Hit], _: list[str]) -> dict[str, float]:
        return multihop_scores(question, [h.text for h in hits], [h.article.id for h in hits])

    return run_questions(index, embedder, questions, score, 10, options)


def evaluate_squad(
    data: Path,
    embedder: Embedder,
    cache_root: Path,
    options: RunOptions = RunOptions(),
) -> dict[str, dict[str, float]]:
    """Metrics per method over every SQuAD question (top 20 passages, answer sentences)."""
    articles, questions = load_squad(data)
    index = benchmark_index(
        "squad", data, articles, embedder, cache_root, progress=options.progress
    )

    def score(question: SquadQuestion, hits: list[Hit], answer: list[str]) -> dict[str, float]:
        return squad_scores(question.article_id, question.answers, hits, answer)

    return run_questions(index, embedder, questions, score, 20, options)


def format_table(results: dict[str, dict[str, float]], keys: Sequence[str]) -> str:
    """A Markdown table: one row per method, one column per metric."""
    columns = [*keys, *LATENCY_KEYS]
    lines = [
        "| method | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for method, metrics in results.items():
        cells = [f"{metrics[c]:.1f}" if c in LATENCY_KEYS else f"{metrics[c]:.3f}" for c in columns]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
