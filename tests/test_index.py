"""The saved index: round trips, exact search, refusing foreign indexes, incremental builds."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from qa.build import build_index
from qa.embedding import normalize
from qa.errors import IndexUnavailable
from qa.index import MANIFEST_FILE, VERSIONS_DIR, current_version, load_index
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
    assert index.article_hashes() == {a.id: a.content_hash for a in items}
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


def test_a_build_with_nothing_new_publishes_nothing(tmp_path: Path):
    embedder = FakeEmbedder()
    first = build_index(articles("a", "b"), embedder, tmp_path)
    assert first.published and first.version == current_version(tmp_path).name
    embedder.embedded.clear()

    again = build_index(articles("b", "a"), embedder, tmp_path, previous=load_index(tmp_path))
    assert not again.published and again.up_to_date and embedder.embedded == []
    assert again.version == first.version == current_version(tmp_path).name
    assert (again.unchanged, again.passages_total) == (["b", "a"], first.passages_total)
    assert [p.name for p in (tmp_path / VERSIONS_DIR).iterdir()] == [first.version]

    # the same article from another file is published (the index cites its file), unembedded
    moved = [dataclasses.replace(article, path="elsewhere.json") for article in articles("a", "b")]
    third = build_index(moved, embedder, tmp_path, previous=load_index(tmp_path))
    assert third.published and third.version != first.version and embedder.embedded == []
    # asked not to reuse (`qa index --full`), a build always publishes
    fourth = build_index(moved, embedder, tmp_path, previous=load_index(tmp_path), reuse=False)
    assert fourth.published and fourth.version != third.version and embedder.embedded


def test_articles_and_passages_are_read_from_the_version_on_disk(tmp_path: Path, monkeypatch):
    """The store behaves as the dict and list it replaced, and a large one stays on disk."""
    import qa.store

    items = articles("a", "b", "c", body="One sentence here. " * 300)
    build_index(items, FakeEmbedder(), tmp_path)
    for on_disk in (False, True):
        if on_disk:  # as for stores over the memory threshold: read with pread, not copied
            monkeypatch.setattr(qa.store, "MEMORY_MAP_FROM_BYTES", 0)
        index = load_index(tmp_path)
        assert isinstance(index.articles, Mapping) and isinstance(index.passages, Sequence)
        assert len(index.articles) == 3 and list(index.articles) == ["a", "b", "c"]
        assert [a.id for a in index.articles.values()] == ["a", "b", "c"]
        assert index.articles["b"] == items[1] and index.articles.get("zz") is None
        assert "a" in index.articles and "zz" not in index.articles and 5 not in index.articles
        passages = list(index.passages)
        assert len(passages) == len(index.passages) > 3
        assert index.passages[-1] == passages[-1] and index.passages[1:3] == passages[1:3]
        assert [p.article_id for p in passages] == sorted(p.article_id for p in passages)
        with pytest.raises(IndexError):
            index.passages[len(passages)]
        with pytest.raises(KeyError):
            index.articles["zz"]
        assert index.sources == [] and index.article_hashes()["a"] == items[0].content_hash


def test_an_index_of_the_previous_format_is_still_read(tmp_path: Path):
    """Format 1 (articles and passages in JSON Lines, hashes in the manifest) loads as before."""
    from dataclasses import asdict

    from qa import index as index_module

    items = articles("a", "b")
    build_index(items, FakeEmbedder(), tmp_path)
    folder = current_version(tmp_path)
    loaded = load_index(tmp_path)
    passages = list(loaded.passages)
    (folder / "store.sqlite").unlink()
    with (folder / "articles.jsonl").open("w") as out:
        out.writelines(json.dumps(a.to_record()) + "\n" for a in items)
    with (folder / "passages.jsonl").open("w") as out:
        out.writelines(json.dumps(asdict(p)) + "\n" for p in passages)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest.pop("checksum")
    manifest["format_version"] = 1
    manifest["article_hashes"] = {a.id: a.content_hash for a in items}
    manifest["files"] = index_module._checksums(folder)
    manifest["checksum"] = index_module._manifest_checksum(manifest)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))

    old = load_index(tmp_path)
    assert isinstance(old.articles, dict) and old.passages == passages
    assert old.article_hashes() == {a.id: a.content_hash for a in items}
    # an incremental build over it reuses everything and writes the current format
    embedder = FakeEmbedder()
    report = build_index(items, embedder, tmp_path, previous=old)
    assert report.unchanged == ["a", "b"] and embedder.embedded == []
    assert load_index(tmp_path).manifest.format_version == 2
