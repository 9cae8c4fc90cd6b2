"""The text of an index version on disk: its articles and passages in one SQLite file.

A server worker never holds every article body and passage record as Python objects: `Index`
reads them from `store.sqlite` in the version folder when a request needs them. Large stores are
read with ordinary file reads, so the operating system's page cache holds the hot pages once for
every worker (and every index version) on the machine; SQLite keeps only a few megabytes of its
own cache per worker. Small stores (under `MEMORY_MAP_FROM_BYTES`, like small vector files) are
copied into the worker's memory when loaded: a file damaged in place on disk then cannot reach
a running server.

    articles(row, id, title, body, date, source, url, credits, path, authors, updated,
             partial, content_hash)
    passages(row, article, number, start, end)       row = FAISS row; article = articles.row
    sources(name)                                    the distinct outlets, for search

`ArticleStore` is a read-only `Mapping[str, Article]` and `PassageStore` a `Sequence[Passage]`,
so search and answers use them as they used the dict and list they replace. Versions of format
1 kept them in `articles.jsonl` and `passages.jsonl`; `read_text` reads those into memory.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from qa.articles import Article
from qa.chunking import Passage
from qa.vectors import MEMORY_MAP_FROM_BYTES

STORE_FILE = "store.sqlite"
PAGE = 2000  # rows per query when iterating
PASSAGES_CACHED = 16_384  # recently read passages kept per worker (about 3 MB)
ARTICLES_CACHED = 256  # and articles (bodies of a few kB each)

_SCHEMA = """
CREATE TABLE articles (
    row INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, body TEXT NOT NULL,
    date TEXT, source TEXT, url TEXT, credits TEXT NOT NULL, path TEXT NOT NULL,
    authors TEXT NOT NULL, updated TEXT, partial INTEGER NOT NULL, content_hash TEXT NOT NULL
);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, article INTEGER NOT NULL, number INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE TABLE sources (name TEXT PRIMARY KEY);
"""
_ARTICLE_COLUMNS = "id, title, body, date, source, url, credits, path, authors, updated, partial"
ARTICLES_FILE = "articles.jsonl"  # format 1
PASSAGES_FILE = "passages.jsonl"  # format 1


def write_store(folder: Path, articles: Sequence[Article], passages: Iterable[Passage]) -> None:
    """Write `store.sqlite` into a version folder being built (then fsync it)."""
    path = folder / STORE_FILE
    connection = sqlite3.connect(path)
    try:
        connection.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;"
            + _SCHEMA
        )
        rows = {article.id: row for row, article in enumerate(articles)}
        with connection:
            connection.executemany(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        row,
                        a.id,
                        a.title,
                        a.body,
                        a.date,
                        a.source,
                        a.url,
                        json.dumps(list(a.credits), ensure_ascii=False),
                        a.path,
                        json.dumps(list(a.authors), ensure_ascii=False),
                        a.updated,
                        a.partial,
                        a.content_hash,
                    )
                    for row, a in enumerate(articles)
                ),
            )
            connection.executemany(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?)",
                (
                    (row, rows[p.article_id], p.number, p.start, p.end)
                    for row, p in enumerate(passages)
                ),
            )
            connection.executemany(
                "INSERT INTO sources VALUES (?)",
                ((name,) for name in sorted({a.source for a in articles if a.source})),
            )
    finally:
        connection.close()
    with path.open("rb") as written:
        os.fsync(written.fileno())


class Store:
    """One open `store.sqlite`, shared by the threads of a worker (each query under a lock)."""

    def __init__(self, folder: Path) -> None:
        path = folder / STORE_FILE
        size = path.stat().st_size  # FileNotFoundError (an OSError) when it is missing
        self._lock = threading.Lock()
        # Read-only and immutable: no locks, no journal files beside a published version.
        on_disk = sqlite3.connect(
            f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        self._db = on_disk
        try:
            if size < MEMORY_MAP_FROM_BYTES:
                self._db = sqlite3.connect(":memory:", check_same_thread=False)
                on_disk.backup(self._db)
                on_disk.close()
            else:
                self._db.execute("PRAGMA cache_size = -8000")  # 8 MB of SQLite's own cache
            self.article_count = self._one("SELECT count(*) FROM articles")[0]
            self.passage_count = self._one("SELECT count(*) FROM passages")[0]
            self._one(f"SELECT {_ARTICLE_COLUMNS} FROM articles LIMIT 1")  # the columns we read
            # A question looks the same few dozen candidates up several times.
            self.passage = functools.lru_cache(maxsize=PASSAGES_CACHED)(self._passage)
            self.article = functools.lru_cache(maxsize=ARTICLES_CACHED)(self._article)
        except sqlite3.DatabaseError as error:
            on_disk.close()
            self._db.close()
            raise ValueError(f"{STORE_FILE}: {error}") from None

    def close(self) -> None:
        self._db.close()

    def _one(self, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, parameters).fetchone()

    def _all(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def pages(self, sql: str) -> Iterator[Any]:
        """Rows of `sql` (which takes a `row >= ?` lower bound, ordered by row, with a
        `LIMIT`) page by page, without holding the lock between pages."""
        start = 0
        while True:
            rows = self._all(sql, (start, PAGE))
            yield from rows
            if len(rows) < PAGE:
                return
            start = rows[-1][0] + 1

    def _article(self, article_id: str) -> Article | None:
        found = self._one(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return _article(found) if found else None

    def has_article(self, article_id: str) -> bool:
        return self._one("SELECT 1 FROM articles WHERE id = ?", (article_id,)) is not None

    def _passage(self, row: int) -> Passage:
        found = self._one(
            'SELECT a.id, p.number, p.start, p."end" FROM passages p '
            "JOIN articles a ON a.row = p.article WHERE p.row = ?",
            (row,),
        )
        if found is None:
            raise IndexError(f"passage row {row} out of range")
        return Passage(*found)

    def sources(self) -> list[str]:
        return [name for (name,) in self._all("SELECT name FROM sources ORDER BY name")]

    def table(self) -> ArticleTable:
        """Every article's id, date and outlet, and each passage's article, in two queries
        (no bodies, no `Passage` objects: at a million articles this is seconds, not minutes)."""
        with self._lock:
            found = self._db.execute(
                "SELECT row, id, date, source FROM articles ORDER BY row"
            ).fetchall()
            of_passage = np.fromiter(
                (
                    article
                    for (article,) in self._db.execute("SELECT article FROM passages ORDER BY row")
                ),
                dtype=np.int64,
                count=self.passage_count,
            )
        rows = np.fromiter((record[0] for record in found), dtype=np.int64, count=len(found))
        return ArticleTable(
            ids=[record[1] for record in found],
            dates=[record[2] for record in found],
            sources=[record[3] for record in found],
            of_passage=np.searchsorted(rows, of_passage),  # article rows -> list positions
        )

    def article_hashes(self) -> dict[str, str]:
        return dict(self._all("SELECT id, content_hash FROM articles"))


def _article(found: tuple[Any, ...]) -> Article:
    article_id, title, body, date, source, url, credits, path, authors, updated, partial = found
    return Article(
        article_id,
        title,
        body,
        date,
        source,
        url,
        tuple(json.loads(credits)),
        path,
        authors=tuple(json.loads(authors)),
        updated=updated,
        partial=bool(partial),
    )


class ArticleStore(Mapping[str, Article]):
    """The articles of a version by id, read from its store (a read-only mapping)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getitem__(self, article_id: str) -> Article:
        article = self._store.article(article_id) if isinstance(article_id, str) else None
        if article is None:
            raise KeyError(article_id)
        return article

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self._store.has_article(article_id)

    def __iter__(self) -> Iterator[str]:
        for _, article_id in self._store.pages(
            "SELECT row, id FROM articles WHERE row >= ? ORDER BY row LIMIT ?"
        ):
            yield article_id

    def __len__(self) -> int:
        return int(self._store.article_count)

    def values(self) -> ValuesView[Article]:
        return _Values(self)

    def sources(self) -> list[str]:
        """The distinct outlets, sorted (saved at build time, not computed per load)."""
        return self._store.sources()

    def content_hashes(self) -> dict[str, str]:
        return self._store.article_hashes()


class _Values(ValuesView[Article]):
    """All articles in one pass over the table, instead of one query per id."""

    def __init__(self, articles: ArticleStore) -> None:
        super().__init__(articles)
        self._articles = articles

    def __iter__(self) -> Iterator[Article]:
        for found in self._articles._store.pages(
            f"SELECT row, {_ARTICLE_COLUMNS} FROM articles WHERE row >= ? ORDER BY row LIMIT ?"
        ):
            yield _article(found[1:])


class PassageStore(Sequence[Passage]):
    """The passages of a version, row i = vector row i, read from its store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @overload
    def __getitem__(self, row: int) -> Passage: ...

    @overload
    def __getitem__(self, row: slice) -> Sequence[Passage]: ...

    def __getitem__(self, row: int | slice) -> Passage | Sequence[Passage]:
        if isinstance(row, slice):
            return [self[number] for number in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"passage row {row} out of range")
        return self._store.passage(row)

    def __len__(self) -> int:
        return int(self._store.passage_count)

    def __iter__(self) -> Iterator[Passage]:
        for found in self._store.pages(
            'SELECT p.row, a.id, p.number, p.start, p."end" FROM passages p '
            "JOIN articles a ON a.row = p.article WHERE p.row >= ? ORDER BY p.row LIMIT ?"
        ):
            yield Passage(*found[1:])


@dataclass(frozen=True)
class ArticleTable:
    """The few article fields every passage needs for filters and story groups, as columns:
    article n's id, date and outlet, and `of_passage[row]` = the article n of passage `row`."""

    ids: list[str]
    dates: list[str | None]
    sources: list[str | None]
    of_passage: np.ndarray


def article_table(articles: Mapping[str, Article], passages: Sequence[Passage]) -> ArticleTable:
    """The `ArticleTable` of a version: from its store in two queries, or (format 1) from the
    articles and passages in memory."""
    if (
        isinstance(articles, ArticleStore)
        and isinstance(passages, PassageStore)
        and articles._store is passages._store
    ):
        return articles._store.table()
    ids = list(articles)
    position = {article_id: n for n, article_id in enumerate(ids)}
    values = [articles[article_id] for article_id in ids]
    return ArticleTable(
        ids=ids,
        dates=[article.date for article in values],
        sources=[article.source for article in values],
        of_passage=np.fromiter(
            (position[passage.article_id] for passage in passages),
            dtype=np.int64,
            count=len(passages),
        ),
    )


def read_text(folder: Path, format_version: int) -> tuple[Mapping[str, Article], Sequence[Passage]]:
    """The articles and passages of a version: from its store, or (format 1) into memory."""
    if format_version >= 2:
        store = Store(folder)
        return ArticleStore(store), PassageStore(store)
    articles = {
        article.id: article
        for article in (Article.from_record(r) for r in _read_jsonl(folder / ARTICLES_FILE))
    }
    return articles, [Passage(**record) for record in _read_jsonl(folder / PASSAGES_FILE)]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
