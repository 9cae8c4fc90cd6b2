"""The vector store: exact search, the automatic approximate index and its recall, round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qa.vectors
from qa import vectors as vectors_module
from qa.build import build_index
from qa.embedding import normalize
from qa.index import load_index
from qa.vectors import FaissStore, choose_kind, exact_search, recall

from .support import FakeEmbedder, articles


def random_unit_vectors(count: int, dimension: int, seed: int) -> np.ndarray:
    return normalize(np.random.default_rng(seed).normal(size=(count, dimension)))


def test_choose_kind_switches_at_the_documented_size():
    assert choose_kind(vectors_module.APPROXIMATE_FROM - 1) == "flat"
    assert choose_kind(vectors_module.APPROXIMATE_FROM) == "ivf_sq8"
    assert FaissStore.build(random_unit_vectors(50, 8, seed=1)).kind == "flat"


def test_recall_counts_shared_rows_and_leaves_out_the_query_row():
    truth = np.array([[0, 1, 2], [3, 4, 5]])
    assert recall(np.array([[0, 1, 2], [3, 4, 5]]), truth, 3) == 1.0
    assert recall(np.array([[0, 9, 2], [3, 4, -1]]), truth, 3) == pytest.approx(4 / 6)
    # Query 0 is row 0 itself: only rows 1 and 2 count.
    assert recall(np.array([[0, 1, 2]]), np.array([[0, 1, 2]]), 2, exclude=np.array([0])) == 1.0


@pytest.fixture(scope="module")
def approximate_store() -> tuple[FaissStore, np.ndarray]:
    vectors = random_unit_vectors(3000, 64, seed=3)
    return FaissStore.build(vectors, approximate_from=1000), vectors


def test_approximate_index_keeps_recall_against_exact_search(approximate_store):
    store, vectors = approximate_store
    assert store.kind == "ivf_sq8"
    queries = random_unit_vectors(100, 64, seed=4)
    scores, ids = store.search(queries, 10)
    truth_scores, truth = exact_search(vectors, queries, 10)
    assert recall(ids, truth, 10) >= 0.95
    # Scores are re-ranked exactly: each is the true cosine of the row it names, best first.
    np.testing.assert_allclose(
        scores, np.sum(vectors[ids] * queries[:, None, :], axis=2), rtol=1e-5
    )
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_approximate_index_round_trips(approximate_store, tmp_path: Path):
    store, vectors = approximate_store
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path, 64, len(vectors), kind="ivf_sq8")
    queries = random_unit_vectors(20, 64, seed=5)
    np.testing.assert_array_equal(loaded.search(queries, 10)[1], store.search(queries, 10)[1])


@pytest.mark.parametrize("threshold", [0, 10**12])
def test_flat_store_loads_mapped_when_large_and_searches_the_same(
    tmp_path: Path, monkeypatch, threshold
):
    monkeypatch.setattr(qa.vectors, "MEMORY_MAP_FROM_BYTES", threshold)
    vectors = random_unit_vectors(400, 32, seed=6)
    store = FaissStore.build(vectors)
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path, 32, 400)
    queries = random_unit_vectors(10, 32, seed=7)
    np.testing.assert_array_equal(loaded.search(queries, 5)[1], store.search(queries, 5)[1])
    assert isinstance(loaded.vectors(), np.memmap) == (threshold == 0)


def test_unknown_store_kind_is_refused(tmp_path: Path):
    FaissStore.build(random_unit_vectors(10, 8, seed=8)).save(tmp_path)
    with pytest.raises(ValueError, match="unknown vector store kind"):
        FaissStore.load(tmp_path, 8, 10, kind="hnsw")


def test_build_records_the_approximate_store_in_the_manifest(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(vectors_module, "APPROXIMATE_FROM", 2)
    embedder = FakeEmbedder()
    build_index(articles("a", "b", "c"), embedder, tmp_path)
    index = load_index(tmp_path)
    assert index.manifest.store == "ivf_sq8"
    assert index.store.kind == "ivf_sq8"
    assert index.store.search(index.store.get(np.array([1]))[0], 1)[1][0][0] == 1
