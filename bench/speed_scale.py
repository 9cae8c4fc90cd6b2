"""Serving at archive scale: server memory and /ask latency over indexes of 100k and 1M articles.

    python -m bench.speed_scale real --articles 100000 --out /tmp/scale-real
    python -m bench.speed_scale synthetic --articles 1000000 --out /tmp/scale-synthetic
    python -m bench.speed_scale serve --index /tmp/scale-real/index --questions 200

`real`: real text. The MultiHop-RAG articles (indexed first with the real model, or taken from
`--source-index`) are copied until there are `--articles` of them: copy k of an article has its own
id and its date moved 8k days on (beyond story grouping's window), the same title and body, so the
same passages; each passage's vector is the original's plus a little noise (sigma 0.01 per
dimension, cosine about 0.98), normalized. Everything else is the real build: store, BM25 and
passage terms over every passage's real text, the IVF-SQ8 vector store, checksums, loading back.

`synthetic`: generated text and vectors. Each article has `--passages` paragraphs of
`--words` words drawn with MultiHop-RAG's word frequencies, one passage per paragraph; vectors
are clustered (2,000 random centres plus noise). The BM25 index and the passage terms are
computed from the drawn words with numpy, in bm25s's format, instead of by reading the text
back (which takes hours at this size in Python); everything else is the real publishing path.

`serve`: a real `qa serve` (gunicorn, `--workers` workers) over a built index; `--questions`
MultiHop-RAG dev questions over HTTP from one client, then RSS of each worker and PSS
(/proc/PID/smaps_rollup) of the whole server. `profile`: where /ask's time goes, in-process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import bm25s
import numpy as np

from bench.common import MULTIHOP, percentiles_ms, print_table
from bench.speed_serve import HttpClient, Server, load_questions, run_clients
from qa.articles import Article, Scan
from qa.build import build_from_corpus, build_index
from qa.chunking import ChunkingConfig, Passage
from qa.embedding import SentenceTransformerEmbedder
from qa.formats import read_file
from qa.index import IndexManifest, load_index, publish_index
from qa.lexical import K1, B, LexicalIndex, PassageTerms, terms
from qa.settings import Settings
from qa.vectors import FaissStore

NOISE = 0.01
COPY_DAYS = 8


class CopiesPreparer:
    """A `qa.prepare.Preparer` that hands out the passages and (noisy) vectors of the article
    each copy was made from, instead of running the model."""

    def __init__(self, source: Path, seed: int = 0) -> None:
        index = load_index(source)
        self.model_id = index.manifest.model_id
        self.dimension = index.manifest.dimension
        self.max_tokens = int(index.manifest.chunking["max_tokens"])
        self.chunking = ChunkingConfig(**index.manifest.chunking)
        vectors = np.asarray(index.store.vectors(), dtype=np.float32)
        self.rows: dict[str, list[tuple[Passage, np.ndarray]]] = {}
        for row, passage in enumerate(index.passages):
            self.rows.setdefault(passage.article_id, []).append((passage, vectors[row]))
        self.originals = list(index.articles.values())
        self.rng = np.random.default_rng(seed)

    def read(self, files: Sequence[tuple[Path, str]]) -> list[Scan]:
        return [read_file(path, name) for path, name in files]

    def prepare(
        self, articles: Sequence[Article], config: ChunkingConfig, *, progress: bool = False
    ) -> tuple[list[list[Passage]], np.ndarray]:
        passages = []
        for article in articles:
            original = article.id.rsplit("-c", 1)[0]
            passages.append([replace(p, article_id=article.id) for p, _ in self.rows[original]])
        matrix = np.empty((sum(len(p) for p in passages), self.dimension), np.float32)
        row = 0
        for article in articles:  # filled in place: the matrix is the only copy
            made = self.rows[article.id.rsplit("-c", 1)[0]]
            block = np.vstack([v for _, v in made]) if made else matrix[:0]
            block = block + self.rng.normal(0, NOISE, block.shape).astype(np.float32)
            matrix[row : row + len(made)] = block / np.linalg.norm(block, axis=1, keepdims=True)
            row += len(made)
        return passages, matrix


def copies(originals: Sequence[Article], count: int) -> list[Article]:
    """`count` articles: the originals, then numbered copies of them with moved dates."""
    made = []
    for number in range(count):
        article = originals[number % len(originals)]
        k = number // len(originals)
        date = article.date
        if date and k:
            # 8 days per copy: farther apart than story groups reach (qa.stories, 7 days), so
            # the copies are separate articles, as an archive's are, not one giant story
            moved = dt.date.fromisoformat(date[:10]) + dt.timedelta(days=COPY_DAYS * k)
            date = moved.isoformat() + date[10:]
        made.append(replace(article, id=f"{article.id}-c{k}", date=date))
    return made


def make_real(out: Path, articles: int, source: Path | None) -> Path:
    """The real-text index of `articles` copies of MultiHop-RAG; returns the index folder."""
    if source is None:
        source = out / "multihop-index"
        corpus = out / "multihop-corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        shutil.copy(MULTIHOP / "corpus_train.json", corpus / "multihop.json")
        settings = Settings.from_env()
        embedder = SentenceTransformerEmbedder(settings.model, precision=settings.precision)
        print(build_from_corpus(corpus, source, embedder, progress=True).summary(), flush=True)
    preparer = CopiesPreparer(source)
    made = copies(preparer.originals, articles)
    started = time.perf_counter()
    report = build_index(made, preparer, out / "index", config=preparer.chunking, progress=True)
    print(f"{report.summary()}; built in {time.perf_counter() - started:.0f} s", flush=True)
    return out / "index"


# --- synthetic --------------------------------------------------------------------------------


def word_frequencies() -> tuple[list[str], np.ndarray]:
    """The words of MultiHop-RAG (lower-case, two or more word characters) and their shares."""
    counts: Counter[str] = Counter()
    for record in json.loads((MULTIHOP / "corpus_train.json").read_text(encoding="utf-8")):
        counts.update(re.findall(r"(?u)\b\w\w+\b", str(record.get("body", "")).lower()))
    words = [w for w, _ in counts.most_common()]
    shares = np.array([counts[w] for w in words], dtype=np.float64)
    return words, shares / shares.sum()


def make_synthetic(out: Path, articles: int, passages: int, words: int, seed: int = 0) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    vocabulary, shares = word_frequencies()
    term_of_word = [terms(w) for w in vocabulary]  # [] for stopwords, else [stem]
    stems = sorted({t[0] for t in term_of_word if t})
    term_ids = {stem: number for number, stem in enumerate(stems)}
    word_term = np.array([term_ids[t[0]] if t else -1 for t in term_of_word], dtype=np.int32)
    outlets = [f"Outlet {n}" for n in range(50)]
    count = articles * passages
    started = time.perf_counter()

    made_articles: list[Article] = []
    made_passages: list[Passage] = []
    drawn = rng.choice(len(vocabulary), size=(count, words), p=shares).astype(np.int32)
    titles = rng.choice(len(vocabulary), size=(articles, 8), p=shares).astype(np.int32)
    spelled = np.array(vocabulary, dtype=object)
    for number in range(articles):
        paragraphs = [
            " ".join(spelled[drawn[number * passages + p]].tolist()) + "." for p in range(passages)
        ]
        body = "\n\n".join(paragraphs)
        day = dt.date(2020, 1, 1) + dt.timedelta(days=number % 1500)
        made_articles.append(
            Article(
                id=f"synthetic-{number:07d}",
                title=" ".join(vocabulary[w] for w in titles[number]).capitalize(),
                body=body,
                date=day.isoformat(),
                source=outlets[number % len(outlets)],
            )
        )
        offset = 0
        for p, paragraph in enumerate(paragraphs):
            made_passages.append(
                Passage(f"synthetic-{number:07d}", p, offset, offset + len(paragraph))
            )
            offset += len(paragraph) + 2
    print(f"text: {time.perf_counter() - started:.0f} s", flush=True)

    lexical = synthetic_lexical(drawn, titles, passages, word_term, stems)
    del drawn, titles
    print(f"lexical: {time.perf_counter() - started:.0f} s", flush=True)
    vectors = clustered_vectors(rng, count, 384, out)
    print(f"vectors: {time.perf_counter() - started:.0f} s", flush=True)
    store = FaissStore.build(vectors)
    print(f"vector store ({store.kind}): {time.perf_counter() - started:.0f} s", flush=True)
    config = ChunkingConfig()
    manifest = IndexManifest(
        model_id="sentence-transformers/all-MiniLM-L6-v2",
        dimension=384,
        article_count=articles,
        passage_count=count,
        chunking=asdict(config),
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        store=store.kind,
        extra={"synthetic": True},
    )
    published = publish_index(
        out / "index",
        manifest=manifest,
        articles=made_articles,
        passages=made_passages,
        store=store,
        lexical=lexical,
    )
    del published, store, vectors
    (out / "scratch-vectors.npy").unlink()
    print(f"published: {time.perf_counter() - started:.0f} s", flush=True)
    return out / "index"


def synthetic_lexical(
    drawn: np.ndarray,
    titles: np.ndarray,
    passages: int,
    word_term: np.ndarray,
    stems: list[str],
) -> LexicalIndex:
    """BM25 (Lucene, as qa.lexical builds it) and the passage terms of the drawn words."""
    count = len(drawn)
    own = word_term[drawn]  # terms of each passage, -1 for stopwords
    header = np.repeat(word_term[titles], passages, axis=0)
    document = np.hstack([header, own])
    lengths = (document >= 0).sum(axis=1)
    # (term, passage) pairs with their counts: one sort of term * count + passage.
    keep = document >= 0
    keys = document[keep].astype(np.int64) * count
    keys += np.repeat(np.arange(count, dtype=np.int64), lengths)
    del document, keep
    keys.sort()
    pairs, frequency = np.unique(keys, return_counts=True)
    del keys
    term = pairs // count
    passage = pairs % count
    del pairs
    size = len(stems)
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=size), out=indptr[1:])
    holding = np.diff(indptr)
    idf = np.log(1 + (count - holding + 0.5) / (holding + 0.5))
    average = lengths.mean()
    tf = frequency.astype(np.float64)
    data = idf[term] * tf / (K1 * ((1 - B) + B * lengths[passage] / average) + tf)
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
    vocabulary = {stem: number for number, stem in enumerate(stems)}
    vocabulary[""] = size
    retriever.scores = {
        "data": data.astype(np.float32),
        "indices": passage.astype(np.int32),
        "indptr": np.append(indptr, indptr[-1]),  # the empty token's column
        "num_docs": count,
    }
    retriever.vocab_dict = vocabulary
    retriever.unique_token_ids_set = set(vocabulary.values())
    retriever.nonoccurrence_array = None  # Lucene BM25 has none (bm25s sets it in index())
    ids = own[own >= 0].astype(np.int32)
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum((own >= 0).sum(axis=1), out=starts[1:])
    held = PassageTerms(ids, np.zeros(len(ids), dtype=np.uint16), starts)  # one sentence each
    return LexicalIndex(retriever, count, held)


def clustered_vectors(rng: np.random.Generator, count: int, dimension: int, out: Path):
    """Unit vectors around 2,000 random centres (real embeddings cluster by topic), written to
    a memory-mapped scratch file so they never all sit in memory at once."""
    centres = rng.normal(size=(2000, dimension)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    scratch = out / "scratch-vectors.npy"
    vectors = np.lib.format.open_memmap(scratch, "w+", np.float32, (count, dimension))
    for start in range(0, count, 200_000):
        size = min(200_000, count - start)
        block = centres[rng.integers(0, len(centres), size)]
        block = block + rng.normal(0, 0.05, (size, dimension)).astype(np.float32)
        vectors[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    vectors.flush()
    return np.load(scratch, mmap_mode="r")


# --- serving ----------------------------------------------------------------------------------


def serve(index: Path, questions: int, workers: int, threads: int) -> None:
    manifest = load_index(index).manifest
    with tempfile.TemporaryDirectory(prefix="qa-scale-") as temporary:
        server = Server(index, workers, threads, Path(temporary) / "serve.log")
        try:
            ready = server.wait_ready(timeout=1800)
            asked = load_questions(questions + 20)
            run_clients("warm", 1, asked[-20:], lambda: HttpClient(server.port))
            run = run_clients("HTTP", 1, asked[:questions], lambda: HttpClient(server.port))
            memory = server.memory()
        finally:
            server.stop()
    p50, p95, p99 = percentiles_ms(run.latencies)
    print_table(
        f"/ask over HTTP, {manifest.article_count:,} articles, {manifest.passage_count:,} "
        f"passages ({manifest.store}); {workers} workers x {threads} threads, one client",
        ["answers", "errors", "p50 ms", "p95 ms", "p99 ms", "ready s"],
        [[len(run.latencies), run.errors, p50, p95, p99, ready]],
    )
    keys = ("rss", "peak_rss", "pss", "pss_anon", "pss_file")
    rows = [[name, *(m[key] for key in keys)] for name, m in memory]
    total = [float("nan"), float("nan")] + [sum(m[k] for _, m in memory) for k in keys[2:]]
    rows.append(["whole server", *total])
    print_table(
        f"Server memory after the run, {manifest.article_count:,} articles (MB)",
        ["process", "RSS", "peak RSS", "PSS", "PSS anonymous", "PSS of mapped files"],
        rows,
    )
    files = sum(p.stat().st_size for p in (index / "current").resolve().rglob("*"))
    print(f"Index version on disk: {files / 2**30:.2f} GiB.")


def profile(index: Path, questions: int) -> None:
    """Where one /ask's time goes in-process (cProfile, one thread as in a server worker)."""
    import cProfile
    import pstats

    from qa import contract
    from qa.service import QAService
    from qa.threads import limit_threads

    limit_threads(1)
    settings = Settings.from_env(index=index, workers=2, threads=4)
    service = QAService(settings)
    service.warm()
    asked = [
        contract.parse(contract.AskRequest, {"question": q, "k": 5}, settings)
        for q in load_questions(questions)
    ]
    service.ask(asked[0])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for question in asked:
        service.ask(question)
    profiler.disable()
    print(
        f"{questions} questions, {(time.perf_counter() - started) / questions * 1000:.1f} ms "
        "each under the profiler"
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed_scale", description=__doc__)
    parser.add_argument("what", choices=("real", "synthetic", "serve", "profile"))
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--passages", type=int, default=3, help="synthetic: per article")
    parser.add_argument("--words", type=int, default=50, help="synthetic: per passage")
    parser.add_argument("--out", type=Path, help="where to build (real, synthetic)")
    parser.add_argument("--source-index", type=Path, help="real: a built MultiHop-RAG index")
    parser.add_argument("--index", type=Path, help="serve: the index folder")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    if args.what == "serve":
        serve(args.index, args.questions, args.workers, args.threads)
        return 0
    if args.what == "profile":
        profile(args.index, args.questions)
        return 0
    if args.out is None:
        parser.error("--out is required")
    if args.what == "real":
        make_real(args.out, args.articles, args.source_index)
    else:
        make_synthetic(args.out, args.articles, args.passages, args.words)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
