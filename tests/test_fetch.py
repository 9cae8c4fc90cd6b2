"""Pages and feeds fetched from a real HTTP server on 127.0.0.1 (no mocked fetcher): the ways a
server fails, and `qa add URL...` as a user runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.cli import main
from qa.errors import FetchError
from qa.fetch import USER_AGENT, FetchLimits, fetch
from qa.settings import REPOSITORY

from .webserver import MB, Route, unused_port

PAGES = REPOSITORY / "tests" / "data" / "pages"
FEEDS = REPOSITORY / "tests" / "data" / "feeds"
QUICK = FetchLimits(timeout=1.0, max_bytes=1 * MB, max_redirects=5)


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_a_page_is_fetched_with_a_clear_user_agent(web):
    url = web.set("/story", Route(page("wire-agency.html")))
    fetched = fetch(url, QUICK)
    assert (fetched.status, fetched.final_url) == (200, url)
    assert fetched.data == page("wire-agency.html")
    assert web.requests[-1][1] == USER_AGENT and "qa-news" in USER_AGENT


def test_redirects_are_followed_a_few_times(web):
    web.set("/old", Route(status=301, headers={"Location": "/story"}))
    url = web.set("/story", Route(page("wire-agency.html")))
    assert fetch(web.url("/old"), QUICK).final_url == url
    for hop in range(7):
        web.set(f"/hop{hop}", Route(status=302, headers={"Location": f"/hop{hop + 1}"}))
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(web.url("/hop0"), QUICK)


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(page("wire-agency.html"), delay=5), "timed out"),
        (Route(b"<html>gone</html>", status=404), "HTTP 404"),
        (Route(b"\x89PNG\r\n\x1a\n", content_type="image/png"), "content type image/png"),
        (Route(stream_bytes=50 * MB), "larger than the limit of 1,048,576 bytes"),
    ],
    ids=["slow", "404", "not-html", "50MB"],
)
def test_failures_are_errors_that_say_why(web, route, message):
    url = web.set("/x", route)
    with pytest.raises(FetchError, match=re.escape(message)):
        fetch(url, QUICK)


def test_a_redirect_loop_is_named(web):
    web.set("/a", Route(status=302, headers={"Location": "/b"}))
    web.set("/b", Route(status=302, headers={"Location": "/a"}))
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(web.url("/a"), QUICK)


def test_unreachable_and_malformed_addresses():
    with pytest.raises(FetchError, match="could not connect .*connection refused"):
        fetch(f"http://127.0.0.1:{unused_port()}/feed", QUICK)
    for bad in ("ftp://example.org/x", "http://[::1/x", "http://host:99999/"):
        with pytest.raises(FetchError, match="address"):
            fetch(bad, QUICK)


def test_conditional_requests_get_not_modified(web):
    url = web.set("/feed", Route(FEEDS.joinpath("wire-rss2.xml").read_bytes(), etag='"v1"'))
    first = fetch(url, QUICK)
    assert first.etag == '"v1"'
    again = fetch(url, QUICK, etag=first.etag)
    assert again.not_modified and again.data == b""


def test_qa_add_urls_reports_each_failure_on_its_own_line(web, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_FETCH_TIMEOUT", "1")
    monkeypatch.setenv("QA_FETCH_MAX_BYTES", str(1 * MB))
    corpus = tmp_path / "corpus"
    good_page = web.set("/story", Route(page("tech-site.html")))
    good_feed = web.set(
        "/feed.xml", Route((FEEDS / "wire-rss2.xml").read_bytes(), "application/rss+xml")
    )
    failing = [
        web.set("/missing", Route(b"", status=404)),
        web.set("/slow", Route(page("tech-site.html"), delay=5)),
        web.set("/huge", Route(stream_bytes=50 * MB)),
        web.set("/logo.png", Route(b"\x89PNG", content_type="image/png")),
        web.set("/links", Route(page("not-article-section-front.html"))),
    ]
    web.set("/loop", Route(status=302, headers={"Location": "/loop"}))
    failing.append(web.url("/loop"))
    assert main(["add", good_page, *failing, good_feed, "--corpus", str(corpus)]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    for url in failing:
        assert sum(line.startswith(f"rejected {url}: ") for line in lines) == 1, (url, err)
    assert f"rejected {good_feed} (record 2): no title" in err  # the feed's bad entries
    assert "3 written, 8 rejected" in out
    written = sorted(p.name for p in corpus.iterdir())
    assert len(written) == 3 and all(name.endswith(".md") for name in written)
    assert any(name.startswith("thecircuit-example-") for name in written)


def test_a_page_added_again_with_changed_text_is_a_correction(web, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    url = web.set("/story", Route(page("wire-agency.html")))
    assert main(["add", url, "--corpus", str(corpus)]) == 0
    (path,) = corpus.iterdir()
    assert "updated:" not in path.read_text()
    corrected = page("wire-agency.html").replace(b"25 ships a day", b"24 ships a day")
    web.set("/story", Route(corrected))
    assert main(["add", url, "--corpus", str(corpus)]) == 0
    assert "corrected " in capsys.readouterr().out
    (same,) = corpus.iterdir()
    text = same.read_text()
    assert same == path and "24 ships a day" in text
    assert re.search(r"^updated: '?\d{4}-\d\d-\d\dT", text, re.M)  # when it was seen changed
    assert "date: '2023-10-31'" in text  # the published date stays
    assert main(["add", url, "--corpus", str(corpus)]) == 0
    assert "unchanged " in capsys.readouterr().out


def test_files_and_urls_mix(web, tmp_path: Path, capsys):
    corpus = tmp_path / "corpus"
    url = web.set(
        "/feed.json", Route((FEEDS / "newsletter.json").read_bytes(), "application/feed+json")
    )
    assert main(["add", str(PAGES / "amp-page.html"), url, "--corpus", str(corpus)]) == 1
    assert "3 written, 1 rejected" in capsys.readouterr().out


def test_a_full_page_completes_a_summary_and_a_summary_never_replaces_a_full_text(tmp_path):
    from dataclasses import replace

    from qa.articles import read_file, write_article

    (full,) = read_file(PAGES / "wire-agency.html").articles
    summary = replace(full, body="The canal will allow fewer ships.", partial=True, updated=None)
    target, status = write_article(tmp_path, summary, correct=True)
    assert status == "added"
    assert write_article(tmp_path, full, correct=True)[1] == "corrected"
    completed = read_file(target).articles[0]
    assert not completed.partial and completed.updated is None  # completed, not corrected
    assert write_article(tmp_path, summary, correct=True)[1] == "unchanged"
    assert "PANAMA CITY" in target.read_text()
