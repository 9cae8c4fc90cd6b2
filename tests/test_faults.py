"""A damaged index on disk: each file of the live version truncated or altered.

A fresh service answers 503 with how to fix it, a running one keeps the version it has, the CLI
prints one line (no traceback), `qa index` recovers by rebuilding, and the corpus is untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qa.embedding
from qa.app import create_app
from qa.build import build_from_corpus
from qa.cli import main
from qa.index import current_version, load_index
from qa.settings import REPOSITORY, Settings

from .support import NEW_ARTICLE, assert_error, make_corpus, snapshot

FILES = ["vectors.faiss", "vectors.npy", "passages.jsonl", "articles.jsonl", "manifest.json"]
QUESTION = "How much wheat did Egypt buy?"


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_bytes(path: Path) -> None:
    """Change a few bytes in the middle: the file keeps its size and often still parses."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for offset in range(middle, min(middle + 4, len(data))):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


DAMAGES = {"truncated": truncate, "altered": flip_bytes}


@pytest.fixture(scope="module")
def template(tmp_path_factory, embedder) -> Path:
    root = tmp_path_factory.mktemp("faults")
    build_from_corpus(make_corpus(root / "corpus"), root / "index", embedder)
    return root


@pytest.fixture
def settings(template, tmp_path) -> Settings:
    """A private copy of a built corpus and index (the `current` link is relative)."""
    shutil.copytree(template, tmp_path / "copy", symlinks=True)
    root = tmp_path / "copy"
    return Settings(corpus=root / "corpus", index=root / "index", reload_interval=0.05)


@pytest.fixture
def real_embedder_for_the_cli(monkeypatch, embedder):
    """`qa index` in-process with the session's model instead of loading another copy."""
    monkeypatch.setattr(qa.embedding, "SentenceTransformerEmbedder", lambda *a, **k: embedder)


def cli_args(settings: Settings) -> list[str]:
    return ["--index", str(settings.index)]


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("name", FILES)
def test_a_damaged_live_index(
    settings, embedder, capsys, caplog, real_embedder_for_the_cli, name, damage
):
    running = create_app(settings, embedder=embedder).test_client()
    assert running.post("/ask", json={"question": QUESTION}).status_code == 200
    corpus_before = snapshot(settings.corpus)
    DAMAGES[damage](current_version(settings.index) / name)

    # a fresh service refuses, and says how to fix it
    fresh = create_app(settings, embedder=embedder).test_client()
    body = assert_error(fresh.post("/ask", json={"question": QUESTION}), 503, "index_unavailable")
    assert "qa index --full" in body["error"]["message"]
    assert_error(fresh.get("/healthz"), 503, "index_unavailable")

    # a running service keeps the version it has loaded
    answer = running.post("/ask", json={"question": QUESTION})
    assert answer.status_code == 200
    assert "480,000 tonnes" in answer.get_json()["passages"][0]["text"]

    # the CLI: one line, no traceback
    capsys.readouterr()
    assert main(["ask", QUESTION, *cli_args(settings)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("qa: error: The index ")
    assert "qa index --full" in error

    # `qa index` rebuilds from scratch, and never touches the corpus
    index_args = ["index", "--corpus", str(settings.corpus), *cli_args(settings)]
    assert main(index_args) == 0
    output = capsys.readouterr()
    assert "cannot be reused, so every article is embedded" in caplog.text
    assert "Traceback" not in output.err and "3 added" in output.out
    assert load_index(settings.index).manifest.article_count == 3
    assert fresh.post("/ask", json={"question": QUESTION}).status_code == 200
    assert snapshot(settings.corpus) == corpus_before


def test_a_new_version_damaged_before_the_reload_is_not_taken(settings, embedder):
    client = create_app(settings, embedder=embedder).test_client()
    old = client.get("/healthz").get_json()["version"]
    (settings.corpus / "lighthouse.txt").write_text(NEW_ARTICLE)
    new = build_from_corpus(settings.corpus, settings.index, embedder).version
    flip_bytes(current_version(settings.index) / "vectors.npy")
    for _ in range(3):
        response = client.post("/ask", json={"question": QUESTION})
        assert response.status_code == 200 and response.get_json()["index_version"] == old
    assert new != old
    assert client.get("/healthz").get_json()["version"] == old


def test_the_real_command_prints_one_line(settings):
    """Out of process too: `qa ask` and `qa index` on a damaged index print no traceback."""
    truncate(current_version(settings.index) / "vectors.faiss")
    env = {**os.environ, "QA_INDEX": str(settings.index), "QA_CORPUS": str(settings.corpus)}
    asked = subprocess.run(
        [sys.executable, "-m", "qa", "ask", QUESTION],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert asked.returncode == 1 and asked.stdout == ""
    assert asked.stderr.startswith("qa: error: The index in") and asked.stderr.count("\n") == 1
    assert "vectors.faiss" in asked.stderr and "qa index --full" in asked.stderr


def test_a_full_disk_during_post_articles_adds_nothing(settings, embedder, monkeypatch):
    import errno

    from qa.vectors import FaissStore

    client = create_app(settings.replace(admin_token="t"), embedder=embedder).test_client()
    live = client.get("/healthz").get_json()["version"]
    corpus_before = snapshot(settings.corpus)

    def disk_full(self, folder):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FaissStore, "save", disk_full)
    article = {"title": "Kayakers rescued", "body": "A keeper pulled three kayakers out."}
    response = client.post("/articles", json=article, headers={"Authorization": "Bearer t"})
    body = assert_error(response, 503, "index_write_failed")
    assert "No space left on device" in body["error"]["message"]
    assert snapshot(settings.corpus) == corpus_before
    assert current_version(settings.index).name == live
    assert client.post("/ask", json={"question": QUESTION}).status_code == 200


def test_a_full_disk_during_qa_index_is_one_line(
    settings, capsys, monkeypatch, real_embedder_for_the_cli
):
    import errno

    from qa.vectors import FaissStore

    live = current_version(settings.index)
    (settings.corpus / "lighthouse.txt").write_text(NEW_ARTICLE)
    corpus_before = snapshot(settings.corpus)

    def disk_full(self, folder):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "vectors.npy"))

    monkeypatch.setattr(FaissStore, "save", disk_full)
    capsys.readouterr()
    assert main(["index", "--corpus", str(settings.corpus), *cli_args(settings)]) == 1
    error = capsys.readouterr().err
    last = error.rstrip("\n").split("\n")[-1]  # after the progress bars
    assert last.startswith("qa: error: No space left on device (") and "Traceback" not in error
    assert current_version(settings.index) == live
    assert snapshot(settings.corpus) == corpus_before
