"""Building the index from the corpus folder: incremental by content hash, one build at a time.

Only new or changed articles are chunked and embedded; unchanged ones keep their passages and
vectors from the live version; removed ones drop out. `full=True` re-embeds everything.
The corpus folder is only ever read.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
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
from qa.stories import find_story_groups
from qa.vectors import FaissStore

log = logging.getLogger(__name__)

LOCK_FILE = ".build.lock"


@dataclass
class BuildReport:
    """What a build did; the CLI prints it as the closing summary."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # indexed articles whose file now has problems
    passages_embedded: int = 0
    passages_total: int = 0
    stories: int = 0  # groups of articles that are copies of one story
    seconds: float = 0.0
    version: str = ""

    def summary(self) -> str:
        kept = f" ({len(self.kept)} kept as last indexed)" if self.kept else ""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.problems)} skipped{kept}; "
            f"{self.passages_embedded} passages embedded, {self.passages_total} in the index; "
            f"{self.seconds:.1f} s"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": len(self.unchanged),
            "skipped": [str(problem) for problem in self.problems],
            "passages_embedded": self.passages_embedded,
            "passages_total": self.passages_total,
            "seconds": round(self.seconds, 3),
        }


def build_lock(index_root: Path) -> FileLock:
    """The lock every build holds; released by the OS if its process dies."""
    index_root.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_root / LOCK_FILE))


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
    lock = build_lock(index_root)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise IndexBusy(
            f"Another `qa index` is building {index_root}; wait for it to finish "
            "(or pass --wait SECONDS)."
        ) from None
    try:
        scan = read_corpus(corpus)
        previous = _previous_index(index_root)
        kept = _kept_despite_problems(previous, scan.articles, scan.problems)
        report = build_index(
            scan.articles + kept,
            embedder,
            index_root,
            previous=previous,
            reuse=not full,
            config=config,
            progress=progress,
        )
        report.problems = scan.problems
        report.kept = [article.id for article in kept]
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
    reuse: bool = True,
    config: ChunkingConfig | None = None,
    progress: bool = False,
) -> BuildReport:
    """Build and publish an index of `articles`, reusing the passages and vectors of
    `previous` for articles whose content hash is unchanged (unless `reuse` is false)."""
    config = config or ChunkingConfig(max_tokens=embedder.max_tokens)
    report = BuildReport()
    compatible = reuse and previous is not None and _compatible(previous, embedder, config)
    reusable = previous if compatible else None
    old_hashes = previous.manifest.article_hashes if previous is not None else {}
    old_rows = _rows_by_article(reusable) if reusable is not None else {}

    passages: list[Passage] = []
    vectors: list[np.ndarray | None] = []  # one per passage; None until embedded
    to_embed: list[tuple[int, str]] = []
    for article in tqdm(articles, desc="Chunking", unit="article", disable=not progress):
        previous_hash = old_hashes.get(article.id)
        if previous_hash is None:
            report.added.append(article.id)
        elif previous_hash != article.content_hash:
            report.changed.append(article.id)
        else:
            report.unchanged.append(article.id)
            if reusable is not None:
                rows = old_rows.get(article.id, [])
                passages += [reusable.passages[row] for row in rows]
                if rows:
                    vectors += list(reusable.store.get(np.asarray(rows)))
                continue
        for passage in chunk_article(article, embedder.count_tokens, config):
            to_embed.append((len(passages), embedding_text(article, passage, config)))
            passages.append(passage)
            vectors.append(None)
    report.removed = sorted(set(old_hashes) - {article.id for article in articles})

    if to_embed:
        embedded = embedder.encode_documents([text for _, text in to_embed], progress=progress)
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
    started = time.perf_counter()
    stories = find_story_groups(articles)  # over all articles: a new one may copy an old one
    report.stories = len(set(stories.groups.values()))
    log.debug("Story groups: %d, in %.1f s", report.stories, time.perf_counter() - started)
    manifest = IndexManifest(
        model_id=embedder.model_id,
        dimension=embedder.dimension,
        article_count=len(articles),
        passage_count=len(passages),
        chunking=asdict(config),
        article_hashes={article.id: article.content_hash for article in articles},
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        store=store.kind,
    )
    published = publish_index(
        index_root,
        manifest=manifest,
        articles=articles,
        passages=passages,
        store=store,
        stories=stories,
    )
    report.version = published.manifest.version
    return report


def _kept_despite_problems(
    previous: Index | None, articles: list[Article], problems: list[Problem]
) -> list[Article]:
    """Indexed articles whose file now has problems: they stay as last indexed, not dropped.

    A file that was fine and is now unreadable (half-written, wrong encoding, a bad record) must
    not make its articles vanish from the index; they stay until the file is fixed or removed.
    """
    if previous is None or not problems:
        return []
    troubled = {problem.path for problem in problems}
    present = {article.id for article in articles}
    return [
        article
        for article in previous.articles.values()
        if article.path in troubled and article.id not in present
    ]


def _previous_index(index_root: Path) -> Index | None:
    """The live version, or None when there is none usable (then everything is embedded)."""
    if current_version(index_root) is None:
        return None
    try:
        return load_index(index_root)
    except IndexUnavailable as error:
        log.warning("The live index cannot be reused, so every article is embedded: %s", error)
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
