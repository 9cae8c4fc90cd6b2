"""Building the index from the corpus folder: incremental by content hash, one build at a time.

Only new or changed articles are chunked and embedded; unchanged ones keep their passages and
vectors from the live version; removed ones drop out. `full=True` re-embeds everything.
The corpus folder is only ever read.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from qa.articles import Article, Problem, read_corpus
from qa.chunking import ChunkingConfig, Passage, chunk_article, embedding_text
from qa.embedding import Embedder
from qa.errors import IndexBusy, IndexUnavailable
from qa.index import Index, IndexManifest, current_version, load_index, publish_index
from qa.vectors import FaissStore

LOCK_FILE = ".build.lock"


@dataclass
class BuildReport:
    """What a build did; the CLI prints it as the closing summary."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    passages_embedded: int = 0
    passages_total: int = 0
    seconds: float = 0.0
    version: str = ""
    published: bool = False

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.problems)} skipped; "
            f"{self.passages_embedded} passages embedded, {self.passages_total} in the index; "
            f"{self.seconds:.1f} s"
        )


def build_from_corpus(
    corpus: Path,
    index_root: Path,
    embedder: Embedder,
    *,
    full: bool = False,
    config: ChunkingConfig | None = None,
    progress: bool = False,
    wait: float = 0,
) -> BuildReport:
    """Read the corpus, build what changed, publish a new version. Holds the build lock."""
    started = time.perf_counter()
    index_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_root / LOCK_FILE))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise IndexBusy(
            f"Another `qa index` is building {index_root}; wait for it to finish."
        ) from None
    try:
        scan = read_corpus(corpus)
        previous = None if full else _previous_index(index_root, embedder.model_id)
        report = build_index(
            scan.articles, embedder, index_root, previous=previous, config=config, progress=progress
        )
        report.problems = scan.problems
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def build_index(
    articles: list[Article],
    embedder: Embedder,
    index_root: Path,
    *,
    previous: Index | None = None,
    config: ChunkingConfig | None = None,
    progress: bool = False,
    on_embed: Callable[[int], None] | None = None,
) -> BuildReport:
    """Build and publish an index of `articles`, reusing `previous` where nothing changed."""
    config = config or ChunkingConfig(max_tokens=embedder.max_tokens)
    report = BuildReport()
    reusable = (
        previous if previous is not None and _compatible(previous, embedder, config) else None
    )
    old_hashes = reusable.manifest.article_hashes if reusable else {}
    old_rows = _rows_by_article(reusable) if reusable else {}

    passages: list[Passage] = []
    vectors: list[np.ndarray | None] = []  # per passage; None until embedded
    to_embed: list[tuple[int, str]] = []
    for article in tqdm(articles, desc="Chunking", unit="article", disable=not progress):
        previous_hash = old_hashes.get(article.id)
        if previous_hash == article.content_hash and reusable is not None:
            report.unchanged.append(article.id)
            for row in old_rows.get(article.id, []):
                passages.append(reusable.passages[row])
                vectors.append(reusable.store.vectors()[row])
            continue
        (report.changed if previous_hash else report.added).append(article.id)
        for passage in chunk_article(article, embedder.count_tokens, config):
            to_embed.append((len(passages), embedding_text(article, passage, config)))
            passages.append(passage)
            vectors.append(None)
    current_ids = {a.id for a in articles}
    report.removed = sorted(set(old_hashes) - current_ids)
    if previous is not None and reusable is None:  # other model or chunking: all counts as changed
        report.changed = [a.id for a in articles if a.id in previous.manifest.article_hashes]
        report.added = [a.id for a in articles if a.id not in previous.manifest.article_hashes]
        report.removed = sorted(set(previous.manifest.article_hashes) - current_ids)

    if to_embed:
        embedded = embedder.encode_documents([text for _, text in to_embed], progress=progress)
        if on_embed is not None:
            on_embed(len(to_embed))
        for (position, _), vector in zip(to_embed, embedded):
            vectors[position] = vector
    report.passages_embedded = len(to_embed)
    report.passages_total = len(passages)

    matrix = (
        np.vstack([v for v in vectors if v is not None]).astype(np.float32)
        if passages
        else np.zeros((0, embedder.dimension), dtype=np.float32)
    )
    store = FaissStore.build(matrix)  # exact, or approximate for large indexes
    manifest = IndexManifest(
        model_id=embedder.model_id,
        dimension=embedder.dimension,
        article_count=len(articles),
        passage_count=len(passages),
        chunking=asdict(config),
        article_hashes={a.id: a.content_hash for a in articles},
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        store=store.kind,
    )
    published = publish_index(
        index_root,
        manifest=manifest,
        articles=articles,
        passages=passages,
        store=store,
    )
    report.version = published.manifest.version
    report.published = True
    return report


def _previous_index(index_root: Path, model_id: str) -> Index | None:
    """The live version to reuse, or None when there is none usable (then all is rebuilt)."""
    if current_version(index_root) is None:
        return None
    try:
        return load_index(index_root, model_id=None)
    except IndexUnavailable:
        return None


def _compatible(previous: Index, embedder: Embedder, config: ChunkingConfig) -> bool:
    return (
        previous.manifest.model_id == embedder.model_id
        and previous.manifest.dimension == embedder.dimension
        and previous.manifest.chunking == asdict(config)
    )


def _rows_by_article(index: Index) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for row, passage in enumerate(index.passages):
        rows.setdefault(passage.article_id, []).append(row)
    return rows
