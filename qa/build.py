"""Building the index from the corpus folder: incremental by content hash, one build at a time.

Only new or changed articles are chunked and embedded (by a `qa.prepare.Preparer`); unchanged
ones keep their passages and vectors from the live version; removed ones drop out. `full=True`
re-embeds everything. A build that finds nothing added, changed or removed publishes nothing
(the live version is up to date), and a strict build that meets a bad file publishes nothing
either: both are decided before anything is written. The corpus folder is only ever read.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from qa.articles import Article, Problem
from qa.chunking import (
    ChunkingConfig,
    Passage,
)
from qa.corpus import corpus_files, merge_scans
from qa.embedding import Embedder
from qa.errors import IndexBusy, IndexUnavailable
from qa.index import (
    FORMAT_VERSION,
    Index,
    IndexManifest,
    current_version,
    load_index,
    publish_index,
)
from qa.prepare import Preparer, as_preparer
from qa.stories import STORIES_FILE, find_story_groups
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
    version: str = ""  # the live version after the build: the new one, or the one kept
    published: bool = False  # whether this build made `version`
    refused: bool = False  # a strict build that met files it could not read: nothing published
    # Seconds per phase: read, chunk, embed (or prepare, when both ran elsewhere), vectors
    # (FAISS), publish (lexical index, writing, loading back to verify).
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        """Nothing was added, changed or removed since the live version."""
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        kept = f" ({len(self.kept)} kept as last indexed)" if self.kept else ""
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.problems)} skipped{kept}; "
            f"{self.passages_embedded} passages embedded, {self.passages_total} in the index; "
            f"{self.seconds:.1f} s"
        )

    def headline(self) -> str:
        """The closing line: the version this build published, or the one still live."""
        live = f"index version {self.version}" if self.version else "no index"
        if self.published:
            return f"Index version {self.version}: {self.summary()}"
        if self.refused:
            return f"Nothing published (--strict, {len(self.problems)} skipped); {live} is live."
        return f"Up to date: {live} is live; {self.summary()}"

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
    embedder: Embedder | Preparer,
    *,
    full: bool = False,
    config: ChunkingConfig | None = None,
    progress: bool = False,
    wait: float = 0,
    strict: bool = False,
) -> BuildReport:
    """Read the corpus, build what changed, publish a new version. Holds the build lock.

    Publishes nothing when the live version is up to date, or when `strict` and some file could
    not be read (then the report lists the problems and `published` is false).
    """
    started = time.perf_counter()
    lock = build_lock(index_root)
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise IndexBusy(
            f"Another `qa index` is building {index_root}; wait for it to finish "
            "(or pass --wait SECONDS)."
        ) from None
    preparer = as_preparer(embedder)
    try:
        read_started = time.perf_counter()
        files = corpus_files(corpus)
        scan = merge_scans(zip((name for _, name in files), preparer.read(files)))
        read_seconds = time.perf_counter() - read_started
        previous = _previous_index(index_root)
        kept = _kept_despite_problems(previous, scan.articles, scan.problems)
        if strict and scan.problems:
            report = _unpublished(scan.articles + kept, previous)
            report.refused = True
        else:
            report = build_index(
                scan.articles + kept,
                preparer,
                index_root,
                previous=previous,
                reuse=not full,
                config=config,
                progress=progress,
            )
        report.problems = scan.problems
        report.kept = [article.id for article in kept]
        report.phases = {"read": read_seconds, **report.phases}
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def build_index(
    articles: list[Article],
    embedder: Embedder | Preparer,
    index_root: Path,
    *,
    previous: Index | None = None,
    reuse: bool = True,
    config: ChunkingConfig | None = None,
    progress: bool = False,
) -> BuildReport:
    """Build and publish an index of `articles`, reusing the passages and vectors of
    `previous` for articles whose content hash is unchanged (unless `reuse` is false).

    When `previous` can be reused and already holds exactly these articles, nothing is
    published: the report says so (`published` false, `version` the previous one)."""
    preparer = as_preparer(embedder)
    config = config or ChunkingConfig(max_tokens=preparer.max_tokens)
    compatible = reuse and previous is not None and _compatible(previous, preparer, config)
    reusable = previous if compatible else None
    if reusable is not None and _holds_exactly(reusable, articles):
        return _unpublished(articles, reusable)
    report = _compare(articles, previous)
    unchanged = set(report.unchanged)

    plan: list[list[int] | None] = []  # per article: its rows in `previous`, or None: prepare it
    for article in articles:
        if reusable is not None and article.id in unchanged:
            plan.append(reusable.rows_of(article.id))
        else:
            plan.append(None)

    fresh = [article for article, rows in zip(articles, plan) if rows is None]
    started = time.perf_counter()
    new_passages, new_vectors = preparer.prepare(fresh, config, progress=progress)
    report.phases = getattr(preparer, "phases", None) or {"prepare": time.perf_counter() - started}
    passages: list[Passage] = []
    reused_from: list[int] = []  # rows of `previous` ...
    reused_to: list[int] = []  # ... and where they go
    new_to: list[int] = []
    fresh_passages = iter(new_passages)
    for rows in plan:
        if rows is None:
            made = next(fresh_passages)
            new_to.extend(range(len(passages), len(passages) + len(made)))
            passages.extend(made)
        else:
            assert reusable is not None
            reused_from.extend(rows)
            reused_to.extend(range(len(passages), len(passages) + len(rows)))
            passages.extend(reusable.passages[row] for row in rows)
    report.passages_embedded = len(new_to)
    report.passages_total = len(passages)

    matrix = np.zeros((len(passages), preparer.dimension), dtype=np.float32)
    if new_to:
        matrix[new_to] = new_vectors
    del new_vectors  # the matrix holds them now
    if reused_from:
        assert reusable is not None
        matrix[reused_to] = reusable.store.get(np.asarray(reused_from))
    started = time.perf_counter()
    store = FaissStore.build(matrix)  # exact, or approximate for large indexes
    report.phases["vectors"] = time.perf_counter() - started
    started = time.perf_counter()
    stories = find_story_groups(articles)  # over all articles: a new one may copy an old one
    report.stories = len(set(stories.groups.values()))
    report.phases["stories"] = time.perf_counter() - started
    manifest = IndexManifest(
        model_id=preparer.model_id,
        dimension=preparer.dimension,
        article_count=len(articles),
        passage_count=len(passages),
        chunking=asdict(config),
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        store=store.kind,
    )
    started = time.perf_counter()
    published = publish_index(
        index_root,
        manifest=manifest,
        articles=articles,
        passages=passages,
        store=store,
        stories=stories,
    )
    report.phases["publish"] = time.perf_counter() - started
    report.version = published.manifest.version
    report.published = True
    return report


def _compare(articles: list[Article], previous: Index | None) -> BuildReport:
    """A report of which articles are added, changed, unchanged and removed since `previous`."""
    report = BuildReport()
    old_hashes = previous.article_hashes() if previous is not None else {}
    for article in articles:
        previous_hash = old_hashes.get(article.id)
        if previous_hash is None:
            report.added.append(article.id)
        elif previous_hash != article.content_hash:
            report.changed.append(article.id)
        else:
            report.unchanged.append(article.id)
    report.removed = sorted(set(old_hashes) - {article.id for article in articles})
    return report


def _unpublished(articles: list[Article], live: Index | None) -> BuildReport:
    """The report of a build that publishes nothing: what it found, and the version still live."""
    report = _compare(articles, live)
    if live is not None:
        report.version = live.manifest.version
        report.passages_total = len(live.passages)
    return report


def _holds_exactly(index: Index, articles: list[Article]) -> bool:
    """Whether `index` already holds these articles, as they are, from the same files (so a
    new version would be the same), with the BM25 index and the story groups of the current
    format."""
    hashes = {article.id: article.content_hash for article in articles}
    return (
        index.manifest.format_version == FORMAT_VERSION
        and len(hashes) == len(articles)
        and index.article_hashes() == hashes
        and all(index.articles[a.id].path == a.path for a in articles)
        and index.lexical is not None
        and index.lexical.passage_terms is not None
        and index.path is not None
        and (index.path / STORIES_FILE).is_file()
    )


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


def _compatible(previous: Index, embedder: Preparer, config: ChunkingConfig) -> bool:
    return (
        previous.manifest.model_id == embedder.model_id
        and previous.manifest.dimension == embedder.dimension
        and previous.manifest.chunking == asdict(config)
    )
