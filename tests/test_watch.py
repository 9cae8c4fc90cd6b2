"""`qa watch`: polling feeds served by a real loopback server, in-process and as a user runs it
(a subprocess stopped with SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from qa.errors import QAError
from qa.fetch import FetchLimits
from qa.index import current_version, load_index
from qa.settings import REPOSITORY
from qa.watch import Watcher, parse_interval, state_path

from .webserver import Route, unused_port, wait_for

PAGES = REPOSITORY / "tests" / "data" / "pages"
QUICK = FetchLimits(timeout=2.0, max_bytes=5_000_000)


def rss(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 feed; an item with "content" carries the full text, else only "summary"."""
    parts = [
        f'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{escape(title)}</title>'
    ]
    for item in items:
        parts.append("<item>")
        for tag in ("title", "link", "guid", "pubDate"):
            if tag in item:
                parts.append(f"<{tag}>{escape(item[tag])}</{tag}>")
        if "summary" in item:
            parts.append(f"<description>{escape(item['summary'])}</description>")
        if "content" in item:
            parts.append(f"<content:encoded>{escape(item['content'])}</content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


STORY = {
    "title": "Volcano erupts near Grindavik for the fourth time",
    "guid": "volcano-4",
    "pubDate": "Sun, 14 Jan 2024 09:00:00 GMT",
    "content": "<p>A volcano on the Reykjanes peninsula erupted for the fourth time since December, sending lava towards the fishing town of Grindavik.</p><p>The town had been evacuated and nobody was hurt, officials said.</p>",
}


def test_parse_interval():
    assert [parse_interval(t) for t in ("30s", "15m", "90", "2 min", "1.5m")] == [
        30,
        900,
        90,
        120,
        90,
    ]
    for bad in ("", "0s", "soon", "10h", "-5"):
        with pytest.raises(QAError):
            parse_interval(bad)


def test_watcher_adds_new_entries_completes_summaries_and_survives_a_down_feed(web, tmp_path):
    corpus = tmp_path / "corpus"
    story_url = web.set("/news/story", Route((PAGES / "wire-agency.html").read_bytes()))
    summary_only = {
        "title": "Panama Canal cuts crossings",
        "link": story_url,
        "guid": "canal",
        "summary": "Fewer ships will cross.",
    }
    feed = web.set(
        "/feed.xml",
        Route(
            rss("Wire Press", [summary_only, {"guid": "x", "summary": "no title"}]),
            "application/rss+xml",
            etag='"1"',
        ),
    )
    down = f"http://127.0.0.1:{unused_port()}/feed.xml"
    lines: list[str] = []
    indexed: list[int] = []
    watcher = Watcher(
        [down, feed],
        corpus,
        every=1,
        limits=QUICK,
        report=lines.append,
        index=lambda: str(indexed.append(1)),
    )
    watcher.run(once=True)
    assert any(line.startswith(f"feed {down}: could not connect") for line in lines), lines
    assert any(line.startswith(f"feed {feed} entry 2: no title") for line in lines), lines
    (written,) = corpus.iterdir()
    text = written.read_text()
    assert "PANAMA CITY (AP)" in text  # the page, fetched because the feed had only a summary
    assert "partial" not in text and "source: Wire Press" in text
    assert indexed == [1]
    state = json.loads(state_path(corpus).read_text())
    assert state_path(corpus).parent == tmp_path  # beside the corpus, not in it
    assert state["feeds"][down]["failures"] == 1 and state["feeds"][feed]["etag"] == '"1"'

    # Nothing new: a conditional request, answered 304; nothing written, nothing indexed.
    lines.clear()
    watcher.run(once=True)
    assert web.requests[-1] == ("/feed.xml", web.requests[-1][1], '"1"')
    assert indexed == [1] and len(list(corpus.iterdir())) == 1

    # A new entry appears, and the feed that was down comes back.
    web.set(
        "/feed.xml",
        Route(rss("Wire Press", [summary_only, STORY]), "application/rss+xml", etag='"2"'),
    )
    watcher.run(once=True)
    assert len(list(corpus.iterdir())) == 2 and indexed == [1, 1]
    assert any(line.startswith("added ") and "Volcano erupts" in line for line in lines)


def test_a_corrected_entry_replaces_its_article(web, tmp_path):
    corpus = tmp_path / "corpus"
    story = {**STORY, "link": "https://news.example/volcano-4"}
    feed = web.set("/feed.xml", Route(rss("Iceland Monitor", [story]), "application/rss+xml"))
    watcher = Watcher([feed], corpus, every=1, limits=QUICK, report=lambda line: None)
    watcher.run(once=True)
    fixed = {**story, "content": story["content"].replace("fourth", "fifth")}
    web.set("/feed.xml", Route(rss("Iceland Monitor", [fixed]), "application/rss+xml"))
    lines: list[str] = []
    watcher.report = lines.append
    watcher.run(once=True)
    (path,) = corpus.iterdir()
    assert "fifth" in path.read_text() and "updated:" in path.read_text()
    assert lines and lines[0].startswith("corrected ")


def test_a_stop_request_ends_the_loop_between_steps(web, tmp_path):
    feed = web.set("/feed.xml", Route(rss("Slow", [STORY]), "application/rss+xml"))
    stop = threading.Event()
    watcher = Watcher(
        [feed], tmp_path / "corpus", every=3600, limits=QUICK, stop=stop, report=lambda line: None
    )
    thread = threading.Thread(target=watcher.run)
    thread.start()
    assert wait_for(
        lambda: (tmp_path / "corpus").exists() and any((tmp_path / "corpus").iterdir()), timeout=30
    )
    stop.set()  # the sleep of an hour is cut short
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_qa_watch_as_a_user_runs_it(web, tmp_path):
    """A new entry reaches the index while `qa watch` runs; a feed that is down does not stop
    it; SIGTERM stops it cleanly with no half-written article."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    feed = web.set("/feed.xml", Route(rss("Iceland Monitor", [STORY]), "application/rss+xml"))
    down = f"http://127.0.0.1:{unused_port()}/rss"
    env = {**os.environ, "QA_FETCH_TIMEOUT": "2", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "qa", "watch", down, feed, "--every", "1s"]
    command += ["--corpus", str(corpus), "--index", str(index)]
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=REPOSITORY, env=env
        )
        try:
            assert wait_for(lambda: _indexed_titles(index) == {STORY["title"]}, timeout=240), (
                log.read_text()
            )
            second = {**STORY, "title": "Lava reaches the outskirts of Grindavik", "guid": "volcano-5",
                      "content": "<p>Lava flowed into the northern outskirts of Grindavik on Sunday afternoon, setting three houses on fire.</p><p>Officials had evacuated the town in the early hours.</p>"}  # fmt: skip
            web.set(
                "/feed.xml", Route(rss("Iceland Monitor", [STORY, second]), "application/rss+xml")
            )
            assert wait_for(lambda: len(_indexed_titles(index)) == 2, timeout=120), log.read_text()
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
    output = log.read_text()
    assert code == 0, output
    assert f"feed {down}: could not connect" in output
    assert "qa watch: stopped." in output
    assert sorted(p.suffix for p in corpus.iterdir()) == [".md", ".md"]  # no .tmp left
    assert not list(corpus.glob(".*"))


def _indexed_titles(index: Path) -> set[str]:
    if current_version(index) is None:
        return set()
    try:
        return {article.title for article in load_index(index).articles.values()}
    except QAError:
        return set()


def test_qa_watch_mistakes_are_one_line(tmp_path, capsys):
    from qa.cli import main

    corpus = ["--corpus", str(tmp_path / "corpus")]
    assert main(["watch", "feed.xml", *corpus]) == 1
    assert capsys.readouterr().err == "qa: error: 'feed.xml' is not an http(s) address of a feed.\n"
    assert main(["watch", "https://example.org/feed", "--every", "soon", *corpus]) == 1
    assert "--every takes seconds or minutes" in capsys.readouterr().err
    assert not (tmp_path / "corpus").exists()
