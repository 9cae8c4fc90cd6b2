"""The vector store: FAISS behind a small interface, so it can be swapped for a server later.

Row `i` of the store is passage `i` of the index (see `qa.index`): the mapping is positional,
set when the index is built and never renumbered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

VECTORS_FILE = "vectors.npy"
FAISS_FILE = "vectors.faiss"


class VectorStore(Protocol):
    dimension: int

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def count(self) -> int: ...

    def vectors(self) -> np.ndarray: ...

    def save(self, folder: Path) -> None: ...


class FaissStore:
    """Exact inner-product search over normalized vectors (so scores are cosine similarity)."""

    kind = "flat"

    def __init__(self, vectors: np.ndarray, index: faiss.Index | None = None) -> None:
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        self.dimension = int(vectors.shape[1])
        self._vectors = vectors
        if index is None:
            index = faiss.IndexFlatIP(self.dimension)
            if len(vectors):
                index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._index = index

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and row ids of the k nearest rows for each query row, best first.

        Fewer than k rows in the store leave trailing ids of -1, which callers drop.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, max(self.count(), 1)))
        scores, ids = self._index.search(queries, k)
        return scores, ids

    def count(self) -> int:
        return int(self._index.ntotal)

    def vectors(self) -> np.ndarray:
        return self._vectors

    def save(self, folder: Path) -> None:
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(self._vectors, dtype=np.float32))
        faiss.write_index(self._index, str(folder / FAISS_FILE))

    @classmethod
    def load(cls, folder: Path, dimension: int, count: int) -> FaissStore:
        """Load and check a saved store; the raw vectors stay memory-mapped from disk."""
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
        index = faiss.read_index(str(folder / FAISS_FILE))
        if vectors.shape != (count, dimension) or index.ntotal != count or index.d != dimension:
            raise ValueError(
                f"vector files hold {vectors.shape} / {index.ntotal}x{index.d}, "
                f"the manifest says {count}x{dimension}"
            )
        return cls(vectors, index)
