"""Rebuilding while serving: incremental embedding, bad files, the lock, atomic publishing,
SIGKILL midway, hot reload under continuous requests, and adding articles over HTTP."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from qa.app import create_app
from qa.build import build_from_corpus, build_lock
from qa.errors import IndexBusy
from qa.index import VERSIONS_DIR, current_version, load_index
from qa.settings import REPOSITORY, Settings
from qa.vectors import FaissStore

from .support import (
    NEW_ARTICLE,
    NEW_QUESTION,
    CountingEmbedder,
    assert_error,
    get_json,
    make_corpus,
    post_json,
    qa_serve,
    snapshot,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        corpus=make_corpus(tmp_path / "corpus"), index=tmp_path / "index", reload_interval=0.1
    )


def test_only_new_and_changed_articles_are_embedded(settings, embedder):
    counting = CountingEmbedder(embedder)
    first = build_from_corpus(settings.corpus, settings.index, counting)
    assert len(first.added) == 3 and first.passages_embedded == len(counting.embedded)

    counting.embedded.clear()
    (settings.corpus / "lighthouse.txt").write_text(NEW_ARTICLE)
    second = build_from_corpus(settings.corpus, settings.index, counting)
    assert (second.added, len(second.unchanged)) == (["lighthouse"], 3)
    assert second.passages_embedded == len(counting.embedded) == 1
    assert counting.embedded[0].startswith("Lighthouse keeper rescues")

    counting.embedded.clear()
    wheat = settings.corpus / "wheat.txt"
    wheat.write_text(wheat.read_text().replace("480,000", "520,000"))
    (settings.corpus / "volcano.md").unlink()
    third = build_from_corpus(settings.corpus, settings.index, counting)
    assert (third.changed, third.removed) == (["wheat"], ["volcano"])
    assert len(counting.embedded) == third.passages_embedded == 1
    assert "520,000" in counting.embedded[0]
    assert "3 unchanged" not in third.summary() and "1 changed, 1 removed" in third.summary()

    counting.embedded.clear()
    full = build_from_corpus(settings.corpus, settings.index, counting, full=True)
    assert full.passages_embedded == full.passages_total == len(counting.embedded)
    index = load_index(settings.index)
    assert set(index.articles) == {"000_4ad6565441a0296c", "wheat", "lighthouse"}


def test_bad_files_are_skipped_and_indexed_articles_are_kept(settings, embedder):
    build_from_corpus(settings.corpus, settings.index, embedder)
    corpus = settings.corpus
    (corpus / "photo.jpg.txt").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "cp1251.txt").write_bytes("Новости\n\n1 May 2020\n\nТекст.".encode("cp1251"))
    (corpus / "untitled.md").write_text("---\ndate: 2023-01-01\n---\n\nBody only.")
    (corpus / "when.md").write_text("---\ntitle: When?\ndate: sometime soon\n---\n\nBody.")
    records = [{"title": "Good record", "body": "A good body."}, {"title": "No body"}]
    (corpus / "batch.json").write_text(json.dumps(records))
    # an indexed article whose file is now damaged stays as it was last indexed
    (corpus / "volcano.md").write_bytes(b"\x00\x00broken")
    before = snapshot(corpus)

    report = build_from_corpus(settings.corpus, settings.index, embedder)
    reasons = {str(problem) for problem in report.problems}
    assert reasons == {
        "photo.jpg.txt: the file is binary, not text",
        "empty.txt: the file is empty",
        "cp1251.txt: the file is not UTF-8 text (bad byte at position 0)",
        "untitled.md: no title",
        "when.md: unreadable date 'sometime soon'",
        "batch.json (record 2): no body (expected a 'body', 'text' or 'content' field)",
        "volcano.md: the file is binary, not text",
    }
    assert report.kept == ["volcano"] and report.removed == []
    index = load_index(settings.index)
    assert {"volcano", "wheat", "000_4ad6565441a0296c"} <= set(index.articles)
    assert any(a.title == "Good record" for a in index.articles.values())
    assert snapshot(corpus) == before  # indexing never touches the corpus


def test_a_second_build_waits_or_says_clearly_that_one_is_running(settings, embedder, capsys):
    lock = build_lock(settings.index)
    with lock:
        with pytest.raises(IndexBusy, match="Another `qa index` is building"):
            build_from_corpus(settings.corpus, settings.index, embedder, wait=0.2)
        from qa.cli import main

        args = ["index", "--corpus", str(settings.corpus), "--index", str(settings.index)]
        assert main(args) == 1
        assert capsys.readouterr().err.startswith("qa: error: Another `qa index` is building")
    assert current_version(settings.index) is None
    build_from_corpus(settings.corpus, settings.index, embedder, wait=5)
    assert current_version(settings.index) is not None


def test_a_failed_write_leaves_the_previous_version_live(settings, embedder, monkeypatch):
    build_from_corpus(settings.corpus, settings.index, embedder)
    live = current_version(settings.index)

    def disk_full(self, folder):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FaissStore, "save", disk_full)
    (settings.corpus / "lighthouse.txt").write_text(NEW_ARTICLE)
    with pytest.raises(OSError, match="No space left"):
        build_from_corpus(settings.corpus, settings.index, embedder)
    assert current_version(settings.index) == live
    assert sorted(p.name for p in (settings.index / VERSIONS_DIR).iterdir()) == [live.name]
    assert "lighthouse" not in load_index(settings.index).articles


def many_articles(folder: Path, count: int) -> None:
    for number in range(count):
        paragraphs = [
            f"Report {number}, part {part}: the city council of town {number} voted on budget "
            f"item {part} after a long debate about roads, schools, water pipes and parks."
            for part in range(12)
        ]
        text = f"Council story {number}\n\n{1 + number % 28} March 2023\n\n" + "\n\n".join(
            paragraphs
        )
        (folder / f"council-{number:03d}.txt").write_text(text)


@pytest.mark.parametrize("stage", ["Chunking", "Batches"])  # progress bars: chunking, embedding
def test_sigkill_midway_leaves_the_previous_index_serving(settings, embedder, stage):
    build_from_corpus(settings.corpus, settings.index, embedder)
    live = current_version(settings.index)
    client = create_app(settings, embedder=embedder).test_client()
    many_articles(settings.corpus, 30)

    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "index", "--full",
         "--corpus", str(settings.corpus), "--index", str(settings.index)],
        cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    seen = b""
    while stage.encode() not in seen and process.poll() is None:
        seen += os.read(process.stderr.fileno(), 4096)
    assert process.poll() is None, "the build ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()

    assert current_version(settings.index) == live
    response = client.post("/ask", json={"question": "How much wheat did Egypt buy?"})
    assert response.status_code == 200
    assert "480,000 tonnes" in response.get_json()["passages"][0]["text"]
    # the lock died with the process: the next build runs and cleans up what was left
    report = build_from_corpus(settings.corpus, settings.index, embedder, wait=5)
    assert load_index(settings.index).manifest.article_count == 33 and report.version
    assert not list((settings.index / VERSIONS_DIR).glob(".*.partial"))


def test_hot_reload_under_continuous_requests(settings, embedder):
    build_from_corpus(settings.corpus, settings.index, embedder)
    app = create_app(settings, embedder=embedder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    versions: dict[str, set[str]] = {}
    results: list[tuple[int, dict]] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set() and len(results) < 2000:
            results.append(post_json(f"{url}/ask", {"question": NEW_QUESTION, "k": 3}))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        time.sleep(0.5)
        old = load_index(settings.index)
        versions[old.manifest.version] = set(old.articles)
        (settings.corpus / "lighthouse.txt").write_text(NEW_ARTICLE)
        build_from_corpus(settings.corpus, settings.index, embedder)
        new = load_index(settings.index)
        versions[new.manifest.version] = set(new.articles)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if results and results[-1][1].get("index_version") == new.manifest.version:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        assert get_json(f"{url}/healthz")[1]["version"] == new.manifest.version
    finally:
        stop.set()
        asker.join()
        server.shutdown()

    assert results and all(status == 200 for status, _ in results), results[-1]
    seen = [body["index_version"] for _, body in results]
    assert seen[0] == old.manifest.version and seen[-1] == new.manifest.version
    for _, body in results:  # no answer mixes versions
        ids = {p["citation"]["article_id"] for p in body["passages"]}
        assert ids <= versions[body["index_version"]]
    assert results[-1][1]["passages"][0]["citation"]["article_id"] == "lighthouse"


def test_qa_serve_with_two_workers_picks_up_a_new_index(settings, embedder):
    build_from_corpus(settings.corpus, settings.index, embedder)
    with qa_serve(settings, QA_RELOAD_INTERVAL="0.2", QA_WORKERS="2") as url:
        old = current_version(settings.index).name
        assert {get_json(f"{url}/healthz")[1]["version"] for _ in range(10)} == {old}
        (settings.corpus / "lighthouse.txt").write_text(NEW_ARTICLE)
        new = build_from_corpus(settings.corpus, settings.index, embedder).version
        time.sleep(1.0)
        seen = set()
        for _ in range(20):
            status, body = post_json(f"{url}/ask", {"question": NEW_QUESTION, "k": 1})
            assert status == 200
            seen.add((body["index_version"], body["passages"][0]["citation"]["article_id"]))
        assert seen == {(new, "lighthouse")}


# --- POST /articles ---------------------------------------------------------------------------

TOKEN = "s3cret-token"
ARTICLE = {
    "title": "Lighthouse keeper rescues three kayakers off Brittany",
    "body": "The keeper of the Phare du Petit Minou pulled three kayakers from the water "
    "near Brest on Tuesday evening.\n\nAll three were unhurt.",
    "date": "2023-08-02",
    "source": "Ouest-France",
    "url": "https://example.org/kayak",
}


@pytest.fixture
def admin_client(settings, embedder):
    build_from_corpus(settings.corpus, settings.index, embedder)
    app = create_app(settings.replace(admin_token=TOKEN), embedder=embedder)
    return app.test_client()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_adding_is_off_without_a_configured_token(settings, embedder):
    client = create_app(settings, embedder=embedder).test_client()
    before = snapshot(settings.corpus)
    response = client.post("/articles", json=ARTICLE, headers=bearer("anything"))
    assert_error(response, 403, "admin_disabled")
    assert snapshot(settings.corpus) == before


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": TOKEN}, 401, "unauthorized"),
        ({"Authorization": "Basic czNjcmV0"}, 401, "unauthorized"),
        ({"Authorization": "Bearer "}, 401, "unauthorized"),
        (bearer("wrong-token"), 403, "forbidden"),
        (bearer(TOKEN + "x"), 403, "forbidden"),
    ],
)
def test_missing_or_wrong_token_writes_nothing(admin_client, settings, headers, status, code):
    before = snapshot(settings.corpus)
    response = admin_client.post("/articles", json=ARTICLE, headers=headers)
    assert_error(response, status, code)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(settings.corpus) == before


def test_adding_an_article_indexes_it(admin_client, settings):
    response = admin_client.post("/articles", json=ARTICLE, headers=bearer(TOKEN))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "added"
    assert body["index"]["added"] == [body["article"]["id"]]
    assert body["index"]["passages_embedded"] == 1
    article_id = body["article"]["id"]
    assert (settings.corpus / f"{article_id}.md").exists()
    answer = admin_client.post("/ask", json={"question": NEW_QUESTION, "k": 1}).get_json()
    assert answer["passages"][0]["citation"]["article_id"] == article_id
    assert answer["index_version"] == body["index"]["version"]
    again = admin_client.post("/articles", json=ARTICLE, headers=bearer(TOKEN))
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    changed = {**ARTICLE, "body": "A different body."}
    assert_error(
        admin_client.post("/articles", json=changed, headers=bearer(TOKEN)), 409, "conflict"
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not an object", "invalid_request"),
        ({**ARTICLE, "title": ""}, "invalid_article"),
        ({k: v for k, v in ARTICLE.items() if k != "title"}, "invalid_article"),
        ({**ARTICLE, "title": 5}, "invalid_article"),
        ({**ARTICLE, "body": "   "}, "invalid_article"),
        ({**ARTICLE, "body": None}, "invalid_article"),
        ({**ARTICLE, "date": "someday"}, "invalid_article"),
        ({**ARTICLE, "date": 20230802}, "invalid_article"),
        ({**ARTICLE, "url": "javascript:alert(1)"}, "invalid_article"),
        ({**ARTICLE, "extra": 1}, "invalid_article"),
    ],
)
def test_invalid_articles_are_400s_and_write_nothing(admin_client, settings, payload, code):
    before = snapshot(settings.corpus)
    assert_error(admin_client.post("/articles", json=payload, headers=bearer(TOKEN)), 400, code)
    assert snapshot(settings.corpus) == before


def test_adding_needs_a_json_body(admin_client):
    response = admin_client.post(
        "/articles", data=b"{oops", headers=bearer(TOKEN), content_type="application/json"
    )
    assert_error(response, 400, "invalid_json")


def test_qa_serve_builds_a_missing_index_then_answers(settings):
    assert current_version(settings.index) is None
    with qa_serve(settings) as url:
        status, body = post_json(f"{url}/ask", {"question": "How much wheat did Egypt buy?"})
        assert status == 200 and "480,000 tonnes" in body["passages"][0]["text"]
