"""The vector store: FAISS behind a small interface, so it can be swapped for a server later.

Row `i` of the store is passage `i` of the index (see `qa.index`): the mapping is positional,
set when the index is built and never renumbered.

Two kinds of FAISS index, chosen by size (`choose_kind`):

- `flat`: exact inner-product search. Up to `APPROXIMATE_FROM` passages (200,000) it answers in a
  few milliseconds, so there is nothing to gain from approximating.
- `ivf_sq8`: from `APPROXIMATE_FROM` passages on, an inverted file (about sqrt(n) k-means
  lists) over 8-bit scalar-quantized codes, a quarter of the memory of float32. Each search
  takes `RERANK_FACTOR` times more candidates than asked and re-scores them exactly against the
  float32 rows of `vectors.npy`, which undoes the quantization error. A loaded store reads those
  rows with `pread`, so they stay in the page cache and out of the server's memory (through a
  memory map, the kernel's read-around mapped most of the file into every worker). How many
  lists a search visits (`nprobe`) is calibrated at build time until recall@10 against exact
  search is at least `TARGET_RECALL` on a sample of the rows, and is saved in the FAISS file.

Saved indexes over `MEMORY_MAP_FROM_BYTES` are opened memory-mapped (flat codes, or the inverted
lists of `ivf_sq8`), so several server workers share one copy of the vectors in the page cache
instead of each holding its own; smaller ones are read into each worker's memory.
"""

from __future__ import annotations

import logging
import math
import os
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

log = logging.getLogger(__name__)

VECTORS_FILE = "vectors.npy"
FAISS_FILE = "vectors.faiss"

APPROXIMATE_FROM = 200_000  # passages; below this an exact search takes a few ms
TARGET_RECALL = 0.97  # calibrated on the index's own rows, above the 0.95 promised
RERANK_FACTOR = 4  # candidates fetched per wanted result, re-scored exactly
CALIBRATION_QUERIES = 200
TRAINING_SAMPLE_PER_LIST = 64  # k-means sees at most this many rows per list
RECALL_AT = 10
# Vector files from this size on are memory-mapped (shared by all workers through the page
# cache); smaller ones are read into memory, where damage to the file on disk cannot reach a
# running server (a mapped file truncated in place ends the process with SIGBUS). Builds never
# change a published file in place: each build writes a new version folder.
MEMORY_MAP_FROM_BYTES = 64 * 2**20  # about 40,000 passages of 384 dimensions


class VectorStore(Protocol):
    dimension: int
    kind: str

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def count(self) -> int: ...

    def get(self, rows: np.ndarray) -> np.ndarray: ...

    def save(self, folder: Path) -> None: ...


def choose_kind(count: int, approximate_from: int = APPROXIMATE_FROM) -> str:
    """`flat` (exact) below `approximate_from` passages, else `ivf_sq8`."""
    return "ivf_sq8" if count >= approximate_from else "flat"


class FaissStore:
    """Inner-product search over normalized vectors (so scores are cosine similarity)."""

    def __init__(
        self,
        vectors: np.ndarray,
        index: faiss.Index | None = None,
        kind: str = "flat",
        rows: RowReader | None = None,
    ) -> None:
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        self.dimension = int(vectors.shape[1])
        self._vectors = vectors
        self._rows = rows  # where re-ranking reads rows from; else from `vectors`
        self.kind = kind
        if index is None:
            index = faiss.IndexFlatIP(self.dimension)
            if len(vectors):
                index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, approximate_from: int | None = None) -> FaissStore:
        """The store that suits this many vectors (see `choose_kind`)."""
        if approximate_from is None:
            approximate_from = APPROXIMATE_FROM
        kind = choose_kind(len(vectors), approximate_from)
        if kind == "flat":
            return cls(vectors)
        return cls(vectors, _build_ivf_sq8(vectors), kind="ivf_sq8")

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and row ids of the k nearest rows for each query row, best first.

        `allowed`, a boolean mask over the rows, limits the search to those rows (inside FAISS,
        with an ID selector). Fewer than k rows in the store (or allowed) leave trailing ids of
        -1, which callers drop.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if allowed is not None:
            return self._search_allowed(queries, k, allowed)
        k = max(1, min(k, max(self.count(), 1)))
        if self.kind == "flat":
            scores, ids = self._index.search(queries, k)
            return scores, ids
        _, candidates = self._index.search(queries, min(k * RERANK_FACTOR, self.count()))
        return _rerank(self._rows or self._vectors, queries, candidates, k)

    def _search_allowed(
        self, queries: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The search within `allowed`. Exact stores find every allowed row; an IVF store may
        find fewer within its calibrated lists when few rows are allowed, so it visits more
        lists (up to all of them) until it has every allowed row or k of them."""
        available = int(np.count_nonzero(allowed))
        k = max(1, min(k, available))
        if available == 0:
            empty = np.full((len(queries), k), -1, dtype=np.int64)
            return np.full((len(queries), k), -np.inf, dtype=np.float32), empty
        bitmap = np.packbits(allowed.astype(bool, copy=False), bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        if self.kind == "flat":
            exact = faiss.SearchParameters()
            exact.sel = selector
            scores, ids = self._index.search(queries, k, params=exact)
            return scores, ids
        lists = faiss.extract_index_ivf(self._index)
        nprobe = lists.nprobe
        while True:
            parameters = faiss.SearchParametersIVF()
            parameters.sel, parameters.nprobe = selector, nprobe
            _, candidates = self._index.search(
                queries, min(k * RERANK_FACTOR, available), params=parameters
            )
            found = (candidates >= 0).sum(axis=1)
            if found.min() >= k or nprobe >= lists.nlist:
                return _rerank(self._rows or self._vectors, queries, candidates, k)
            nprobe = min(nprobe * 4, lists.nlist)

    def count(self) -> int:
        return int(self._index.ntotal)

    def get(self, rows: np.ndarray) -> np.ndarray:
        """The float32 vectors of these rows, in the order given. Rows of a memory-mapped file
        are read with `pread`: indexing the map itself makes the kernel map the pages around
        each row into the process too, and over many questions most of the file ends up
        counted in every worker."""
        source = self._rows if self._rows is not None else self._vectors
        return np.asarray(source[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def vectors(self) -> np.ndarray | RowReader:
        """Every row, for saving and for tests (a memory-mapped file's rows by `pread`)."""
        return self._rows if self._rows is not None else self._vectors

    def save(self, folder: Path) -> None:
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(self._vectors, dtype=np.float32))
        faiss.write_index(self._index, str(folder / FAISS_FILE))

    @classmethod
    def load(cls, folder: Path, dimension: int, count: int, kind: str = "flat") -> FaissStore:
        """Load and check a saved store; large vector files stay memory-mapped from disk."""
        if kind not in ("flat", "ivf_sq8"):
            raise ValueError(f"unknown vector store kind {kind!r}")
        large = (folder / VECTORS_FILE).stat().st_size >= MEMORY_MAP_FROM_BYTES
        mapped = large or kind != "flat"  # approximate stores read rows with pread, never copy
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r" if mapped else None)
        # Memory-mapped flat codes, or inverted lists, are shared by every process that opens
        # the same file (FAISS reads mapped lists as read-only `OnDiskInvertedLists`).
        flags = 0
        if large:
            mmap_flag = faiss.IO_FLAG_MMAP_IFC if kind == "flat" else faiss.IO_FLAG_MMAP
            flags = mmap_flag | faiss.IO_FLAG_READ_ONLY
        index = faiss.read_index(str(folder / FAISS_FILE), flags)
        if vectors.shape != (count, dimension) or index.ntotal != count or index.d != dimension:
            raise ValueError(
                f"vector files hold {vectors.shape} / {index.ntotal}x{index.d}, "
                f"the manifest says {count}x{dimension}"
            )
        rows = RowReader(folder / VECTORS_FILE, vectors) if mapped else None
        return cls(vectors, index, kind=kind, rows=rows)


class RowReader:
    """Chosen rows of a saved `.npy` matrix, read with `pread` instead of through a memory map."""

    def __init__(self, path: Path, mapped: np.memmap) -> None:
        self.shape = mapped.shape
        self.dtype = mapped.dtype
        self._offset = int(mapped.offset)
        self._row_bytes = int(mapped.shape[1]) * mapped.dtype.itemsize
        self._descriptor = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._descriptor)

    def __len__(self) -> int:
        return int(self.shape[0])

    def __getitem__(self, rows: int | slice | Sequence[int] | np.ndarray) -> np.ndarray:
        """Rows as a new array (one row for an int), like indexing the matrix would give."""
        if isinstance(rows, (int, np.integer)):
            single: np.ndarray = self[np.array([int(rows)])][0]
            return single
        if isinstance(rows, slice):
            rows = np.arange(*rows.indices(self.shape[0]))
        wanted = np.asarray(rows, dtype=np.int64)
        wanted = np.where(wanted < 0, wanted + self.shape[0], wanted)
        if len(wanted) and (wanted.min() < 0 or wanted.max() >= self.shape[0]):
            raise IndexError("vector row out of range")
        out = np.empty((len(wanted), self.shape[1]), dtype=self.dtype)
        for number, row in enumerate(wanted.tolist()):
            data = os.pread(self._descriptor, self._row_bytes, self._offset + row * self._row_bytes)
            if len(data) != self._row_bytes:
                raise OSError(f"the vector file ended before row {row}")
            out[number] = np.frombuffer(data, dtype=self.dtype)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Every row (for tools and tests that want the whole matrix)."""
        whole = self[slice(None)]
        return whole if dtype is None else whole.astype(dtype)


def _build_ivf_sq8(vectors: np.ndarray) -> faiss.Index:
    """An IVF index over 8-bit codes, with `nprobe` calibrated to reach `TARGET_RECALL`."""
    count, dimension = vectors.shape
    lists = max(1, min(int(math.sqrt(count)), count // 39))  # FAISS wants >= 39 rows a list
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    rng = np.random.default_rng(0)
    sample_size = min(count, lists * TRAINING_SAMPLE_PER_LIST)
    sample = np.sort(rng.choice(count, size=sample_size, replace=False))
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for start in range(0, count, 100_000):  # in slices, so a memory-mapped input stays small
        index.add(np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32))
    index.nprobe = _calibrate_nprobe(index, vectors, rng)
    log.info("IVF-SQ8 index: %d lists, nprobe %d", lists, index.nprobe)
    return index


def _calibrate_nprobe(index: faiss.IndexIVF, vectors: np.ndarray, rng: np.random.Generator) -> int:
    """The smallest power-of-two nprobe whose leave-one-out recall@10 reaches TARGET_RECALL."""
    count = len(vectors)
    rows = np.sort(rng.choice(count, size=min(CALIBRATION_QUERIES, count), replace=False))
    queries = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    want = min(RECALL_AT, count - 1)
    truth = exact_search(vectors, queries, want + 1)[1]
    nprobe = 1
    while True:
        index.nprobe = nprobe
        _, candidates = index.search(queries, min((want + 1) * RERANK_FACTOR, count))
        found = _rerank(vectors, queries, candidates, want + 1)[1]
        if recall(found, truth, want, exclude=rows) >= TARGET_RECALL or nprobe >= index.nlist:
            return min(nprobe, index.nlist)
        nprobe *= 2


def _rerank(
    vectors: np.ndarray | RowReader, queries: np.ndarray, candidates: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact scores of each query's candidate rows; the best k of them, best first."""
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    ids = np.full((len(queries), k), -1, dtype=np.int64)
    for query_number, (query, rows) in enumerate(zip(queries, candidates)):
        rows = rows[rows >= 0]
        exact = np.asarray(vectors[np.sort(rows)], dtype=np.float32) @ query
        order = np.argsort(-exact, kind="stable")[:k]
        found = np.sort(rows)[order]
        scores[query_number, : len(found)] = exact[order]
        ids[query_number, : len(found)] = found
    return scores, ids


def exact_search(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k by inner product, in slices so memory-mapped vectors stay small."""
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), 100_000):
        block = np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32)
        block_scores, block_ids = faiss.knn(
            queries, block, min(k, len(block)), faiss.METRIC_INNER_PRODUCT
        )
        best_scores = np.hstack([best_scores, block_scores])
        best_ids = np.hstack([best_ids, block_ids + start])
        keep = np.argsort(-best_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
    return best_scores, best_ids


def recall(
    found: np.ndarray, truth: np.ndarray, k: int, exclude: np.ndarray | None = None
) -> float:
    """Mean share of each query's true top-k that the search found in its top-k.

    `exclude[i]`, when given, is query i's own row (leave-one-out queries), dropped from both.
    """
    hits = 0
    for number, (got, want) in enumerate(zip(found, truth)):
        skip = {int(exclude[number])} if exclude is not None else set()
        want_set = [int(row) for row in want if int(row) not in skip][:k]
        got_list = [int(row) for row in got if int(row) not in skip and row >= 0][:k]
        hits += len(set(got_list).intersection(want_set))
    return hits / (k * len(truth))
