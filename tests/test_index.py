"""The saved index: round trips, exact search, refusing foreign indexes, incremental builds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.build import build_index
from qa.embedding import normalize
from qa.errors import IndexUnavailable
from qa.index import MANIFEST_FILE, current_version, load_index
from qa.vectors import FaissStore

from .support import FakeEmbedder, articles


def test_flat_store_agrees_with_brute_force_numpy():
    rng = np.random.default_rng(7)
    vectors = normalize(rng.normal(size=(500, 32)))
    queries = normalize(rng.normal(size=(20, 32)))
    scores, ids = FaissStore(vectors).search(queries, 10)
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(
        scores, np.take_along_axis(queries @ vectors.T, expected, 1), rtol=1e-5
    )


def test_save_and_load_round_trip(tmp_path: Path):
    embedder = FakeEmbedder()
    items = articles("a", "b", "c")
    build_index(items, embedder, tmp_path)
    index = load_index(tmp_path, model_id=embedder.model_id)
    assert index.manifest.article_count == 3
    assert index.manifest.passage_count == len(index.passages) == index.store.count()
    assert index.manifest.article_hashes == {a.id: a.content_hash for a in items}
    assert set(index.articles) == {"a", "b", "c"}
    for row, passage in enumerate(index.passages):
        article = index.articles[passage.article_id]
        assert index.passage_text(row) == article.body[passage.start : passage.end]
        vector = index.store.vectors()[row]
        scores, ids = index.store.search(vector, 1)
        assert ids[0][0] == row and scores[0][0] == pytest.approx(1.0, abs=1e-5)


def test_refuses_an_index_from_another_model(tmp_path: Path):
    build_index(articles("a"), FakeEmbedder(), tmp_path)
    with pytest.raises(
        IndexUnavailable, match="built with the model 'test/fake-model'.*qa index --full"
    ):
        load_index(tmp_path, model_id="other/model")


def test_refuses_an_unknown_format(tmp_path: Path):
    build_index(articles("a"), FakeEmbedder(), tmp_path)
    manifest_path = current_version(tmp_path) / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable, match="format version 99.*qa index --full"):
        load_index(tmp_path)


def test_missing_index_says_how_to_build(tmp_path: Path):
    with pytest.raises(IndexUnavailable, match="run `qa index`"):
        load_index(tmp_path / "nothing")


def test_incremental_build_embeds_only_what_changed(tmp_path: Path):
    embedder = FakeEmbedder()
    first = build_index(articles("a", "b", "c"), embedder, tmp_path)
    assert sorted(first.added) == ["a", "b", "c"]
    assert first.passages_embedded == len(embedder.embedded) > 0

    embedder.embedded.clear()
    changed = articles("a", "c") + articles("b", body="New text about something else.")
    changed += articles("d")
    second = build_index(changed, embedder, tmp_path, previous=load_index(tmp_path))
    assert (second.added, second.changed, second.unchanged) == (["d"], ["b"], ["a", "c"])
    assert all(t.startswith(("Title b", "Title d")) for t in embedder.embedded)

    embedder.embedded.clear()
    third = build_index(articles("a", "d"), embedder, tmp_path, previous=load_index(tmp_path))
    assert third.removed == ["b", "c"] and embedder.embedded == []
    index = load_index(tmp_path)
    assert set(index.articles) == {"a", "d"}
    assert {p.article_id for p in index.passages} == {"a", "d"}
    # reused vectors sit on the rows of their passages
    fresh = build_index(articles("a", "d"), FakeEmbedder(), tmp_path / "fresh")
    assert fresh.passages_total == third.passages_total
    np.testing.assert_allclose(
        load_index(tmp_path / "fresh").store.vectors(), index.store.vectors(), atol=1e-6
    )
