"""A built index on disk: versioned folders with a manifest, and the live one behind a link.

    index/
      current -> versions/20261129T101500Z-3fa2     (switched atomically when a build is done)
      versions/20261129T101500Z-3fa2/
        manifest.json    model id, dimension, counts, chunking, build time, and the sha256 of
                         every other file (a damaged file is caught on load)
        store.sqlite     the articles as parsed, with their content hashes, and the passages:
                         row i = FAISS row i, article and character offsets in the body
                         (qa.store; read from disk on demand, not held by each worker)
        vectors.npy      normalized float32 embeddings, row i = passage i
        vectors.faiss    the FAISS index over them
        lexical/         the BM25 index over them (qa.lexical), made afresh at each publish
        stories.json     which articles are copies of one story (qa.stories), found at each
                         publish; versions built before it have none

A build writes a whole new version beside the live one, loads it back to verify it, and only
then points `current` at it, so an interrupted or failed build leaves the previous version live.
A server follows `current` with `qa.live.LiveIndex`.

Versions of format 1 (before `store.sqlite`: `articles.jsonl` and `passages.jsonl`, the content
hashes in the manifest) are still read, into memory as then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.articles import Article
from qa.chunking import ChunkingConfig, Passage
from qa.errors import IndexUnavailable
from qa.filters import PassageFacts
from qa.lexical import LEXICAL_DIR, LexicalIndex
from qa.store import ArticleStore, read_text, write_store
from qa.stories import STORIES_FILE, StoryGroups
from qa.vectors import FaissStore, VectorStore

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)  # 1: articles and passages in JSON Lines, read into memory
MANIFEST_FILE = "manifest.json"
CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
CHECKSUM_KEY = "checksum"  # the manifest's own sha256, over its other fields
KEEP_VERSIONS = 3  # the live one and two before it; older ones are removed after a publish


@dataclass(frozen=True)
class IndexManifest:
    """What a saved index version holds and how it was made."""

    model_id: str
    dimension: int
    article_count: int
    passage_count: int
    chunking: dict[str, Any]
    built_at: str
    article_hashes: dict[str, str] = field(default_factory=dict)  # format 1 only (now in the store)
    version: str = ""
    store: str = "flat"
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256, checked on load

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexManifest:
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass
class Index:
    """One loaded index version: immutable once made, shared by all requests that use it."""

    manifest: IndexManifest
    articles: Mapping[str, Article]  # read-only; an `ArticleStore` reading from disk
    passages: Sequence[Passage]  # row i = vector row i; a `PassageStore` reading from disk
    store: VectorStore
    path: Path | None = None
    lexical: LexicalIndex | None = None  # None in versions built before it existed
    stories: StoryGroups = field(default_factory=StoryGroups)  # empty before it existed

    def story_of(self, article_id: str) -> str | None:
        """The story group of an article (the id of its first published article), or None when
        no other article is a copy of it (qa.stories). An answer cites one article of a group
        and lists the others as its `copies`."""
        return self.stories.story_of(article_id)

    def copies(self, article_id: str) -> list[Article]:
        """The other articles of an article's story group, first published first ([] when it
        has none): the `copies` of its citations and of `GET /articles/<id>`."""
        group = self.stories.story_of(article_id)
        if group is None:
            return []
        return [
            self.articles[member]
            for member in self.stories.members(group)
            if member != article_id and member in self.articles
        ]

    @cached_property
    def story_rows(self) -> np.ndarray | None:
        """Row -> its article's story group as a number (-1: no copies), made once per loaded
        version for search; None when no article has copies."""
        table = self.facts.table
        of_article = self.stories.numbers(table.ids)
        return None if of_article is None else of_article[table.of_passage]

    @cached_property
    def sources(self) -> list[str]:
        """The distinct outlets of the articles, sorted (questions may name them)."""
        if isinstance(self.articles, ArticleStore):
            return self.articles.sources()
        return sorted({a.source for a in self.articles.values() if a.source})

    def article_hashes(self) -> dict[str, str]:
        """Article id -> content hash, for incremental builds."""
        if isinstance(self.articles, ArticleStore):
            return self.articles.content_hashes()
        return dict(self.manifest.article_hashes)

    @cached_property
    def facts(self) -> PassageFacts:
        """Each passage's article day and outlet as arrays (date and outlet filters)."""
        return PassageFacts(self.articles, self.passages)

    def article_numbers(self, rows: np.ndarray | list[int]) -> list[int]:
        """The article of each passage row as a number (equal numbers: the same article),
        from the table made at load, without reading the passages."""
        numbers: list[int] = self.facts.table.of_passage[np.asarray(rows, dtype=np.int64)].tolist()
        return numbers

    def rows_of(self, article_id: str) -> list[int]:
        """The passage rows of an article, in order; [] when the index does not hold it."""
        number = self._article_number.get(article_id)
        if number is None:
            return []
        order, bounds = self._rows_by_article
        rows: list[int] = order[bounds[number] : bounds[number + 1]].tolist()
        return rows

    @cached_property
    def _article_number(self) -> dict[str, int]:
        return {article_id: n for n, article_id in enumerate(self.facts.table.ids)}

    @cached_property
    def _rows_by_article(self) -> tuple[np.ndarray, np.ndarray]:
        """Passage rows ordered by article, and where each article's rows start in that order."""
        of_passage = self.facts.table.of_passage
        order = np.argsort(of_passage, kind="stable")
        bounds = np.searchsorted(of_passage[order], np.arange(len(self.facts.table.ids) + 1))
        return order, bounds

    def passage_text(self, row: int) -> str:
        passage = self.passages[row]
        return passage.text(self.articles[passage.article_id])

    @property
    def chunking(self) -> ChunkingConfig:
        return ChunkingConfig(**self.manifest.chunking)


def rebuild_hint(index_root: Path) -> str:
    return f"run `qa index --full --index {index_root}` to rebuild it"


def current_version(index_root: Path) -> Path | None:
    """The live version's folder, or None when nothing has been published yet."""
    link = index_root / CURRENT_LINK
    if not link.is_symlink() and not link.exists():
        return None
    target = (index_root / os.readlink(link)) if link.is_symlink() else link
    return target if target.is_dir() else None


def load_index(index_root: Path, model_id: str | None = None) -> Index:
    """Load the live version; IndexUnavailable (with how to fix it) when there is none usable."""
    folder = current_version(index_root)
    if folder is None:
        raise IndexUnavailable(
            f"No index has been built in {index_root} yet: run `qa index` to build one."
        )
    return load_version(folder, model_id=model_id, index_root=index_root)


def load_version(
    folder: Path, *, model_id: str | None = None, index_root: Path | None = None
) -> Index:
    """Load one version folder, refusing one from another model or an unknown format."""
    hint = rebuild_hint(index_root or folder.parent.parent)
    try:
        manifest_data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexUnavailable(
            f"The index in {folder} has no readable manifest ({error}); {hint}."
        ) from None
    if (
        not isinstance(manifest_data, dict)
        or manifest_data.get("format_version") not in READABLE_FORMATS
    ):
        found = manifest_data.get("format_version") if isinstance(manifest_data, dict) else None
        raise IndexUnavailable(
            f"The index in {folder} has format version {found!r}, this program reads "
            f"{FORMAT_VERSION}; {hint}."
        )
    if CHECKSUM_KEY in manifest_data and manifest_data[CHECKSUM_KEY] != _manifest_checksum(
        manifest_data
    ):
        raise IndexUnavailable(f"The index manifest in {folder} has been altered; {hint}.")
    try:
        manifest = IndexManifest.from_json(manifest_data)
    except TypeError as error:
        raise IndexUnavailable(
            f"The index manifest in {folder} is incomplete ({error}); {hint}."
        ) from None
    if model_id is not None and manifest.model_id != model_id:
        raise IndexUnavailable(
            f"The index in {folder} was built with the model {manifest.model_id!r}, but the "
            f"configured model is {model_id!r}; {hint} (or set QA_MODEL={manifest.model_id})."
        )
    _verify_checksums(folder, manifest, hint)
    try:
        articles, passages = read_text(folder, manifest.format_version)
        store = FaissStore.load(
            folder, manifest.dimension, manifest.passage_count, kind=manifest.store
        )
        lexical = (
            LexicalIndex.load(folder, manifest.passage_count)
            if (folder / LEXICAL_DIR).is_dir()
            else None
        )
        stories = (
            StoryGroups.from_json(json.loads((folder / STORIES_FILE).read_text(encoding="utf-8")))
            if (folder / STORIES_FILE).is_file()
            else StoryGroups()
        )
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, AttributeError) as error:
        raise IndexUnavailable(f"The index in {folder} is damaged ({error}); {hint}.") from None
    if len(articles) != manifest.article_count or len(passages) != manifest.passage_count:
        raise IndexUnavailable(f"The index in {folder} does not match its manifest; {hint}.")
    # The store's passages reference articles by row (a foreign key); format 1 by id.
    if isinstance(passages, list) and any(p.article_id not in articles for p in passages):
        raise IndexUnavailable(f"The index in {folder} cites unknown articles; {hint}.")
    return Index(manifest, articles, passages, store, path=folder, lexical=lexical, stories=stories)


def publish_index(
    index_root: Path,
    *,
    manifest: IndexManifest,
    articles: list[Article],
    passages: list[Passage],
    store: VectorStore,
    lexical: LexicalIndex | None = None,
    stories: StoryGroups | None = None,
) -> Index:
    """Write a new version, verify it loads, then switch `current` to it atomically.

    The lexical index is made from the passages unless one made elsewhere is given."""
    versions = index_root / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    version = (
        dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(2)
    )
    staging = versions / f".{version}.partial"
    final = versions / version
    manifest = IndexManifest(**{**asdict(manifest), "version": version})
    try:
        staging.mkdir()
        write_store(staging, articles, passages)
        store.save(staging)
        (lexical or LexicalIndex.for_passages(articles, passages)).save(staging)
        if stories is not None:
            _write_json(staging / STORIES_FILE, stories.to_json())
        manifest = IndexManifest(**{**asdict(manifest), "files": _checksums(staging)})
        manifest_data = asdict(manifest)
        manifest_data[CHECKSUM_KEY] = _manifest_checksum(manifest_data)
        _write_json(staging / MANIFEST_FILE, manifest_data)
        _fsync_folder(staging)
        staging.rename(final)
        loaded = load_version(final, model_id=manifest.model_id, index_root=index_root)
        _switch_current(index_root, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if current_version(index_root) != final:
            shutil.rmtree(final, ignore_errors=True)
        raise
    _remove_old_versions(index_root, keep=final)
    return loaded


def _checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file of a version but the manifest, which lists them."""
    return {
        path.relative_to(folder).as_posix(): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE
    }


def _manifest_checksum(data: dict[str, Any]) -> str:
    fields = {key: value for key, value in data.items() if key != CHECKSUM_KEY}
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _verify_checksums(folder: Path, manifest: IndexManifest, hint: str) -> None:
    """A truncated or altered file is refused before anything parses it (older indexes list no
    checksums and are loaded as they are)."""
    for name, expected in manifest.files.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:  # only files inside it
            raise IndexUnavailable(f"The index manifest in {folder} is damaged; {hint}.")
        try:
            actual = _sha256(folder / name)
        except OSError as error:
            raise IndexUnavailable(
                f"The index in {folder} is damaged ({name}: {error.strerror}); {hint}."
            ) from None
        if actual != expected:
            raise IndexUnavailable(
                f"The index in {folder} is damaged ({name} has changed since it was built); {hint}."
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _switch_current(index_root: Path, target: Path) -> None:
    link = index_root / CURRENT_LINK
    temporary = index_root / f".{CURRENT_LINK}.{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(target, index_root), temporary)
    os.replace(temporary, link)  # atomic on POSIX: readers see the old or the new link
    _fsync_folder(index_root)


def _remove_old_versions(index_root: Path, keep: Path) -> None:
    versions = index_root / VERSIONS_DIR
    finished = sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in finished[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in versions.glob(".*.partial"):  # from builds that were killed
        shutil.rmtree(leftover, ignore_errors=True)


def _write_json(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
