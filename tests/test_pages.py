"""Saved web pages: the article, its metadata, and pages that hold none (tests/data/pages)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from qa.articles import Article, url_id
from qa.corpus import write_article
from qa.formats import read_file
from qa.pages import html_paragraphs

from .support import PAGES, run_bench


def test_extraction_of_saved_pages_is_right_for_at_least_95_percent():
    # bench.extraction --check: at least 25 pages, title, date and body start right for 95%
    # of them, and no furniture in the body of 90% (exit 1 otherwise; its table names the pages).
    result = run_bench("extraction", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    pages = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    count = sum(not name.startswith("_") for name in pages)
    assert f"{count} pages: title, date and body start right for" in result.stdout


def test_a_page_gives_its_metadata():
    (article,) = read_file(PAGES / "quality-daily-comments.html").articles
    assert article.title == "Council approves plan to turn disused railway into 12-mile cycle path"
    assert (article.date, article.updated) == ("2023-09-14", "2023-09-16")
    assert article.authors == ("Hannah Oduya",)
    assert article.source == "The Meridian"
    url = "https://meridian.example/society/2023/sep/14/council-approves-railway-cycle-path"
    assert article.url == url
    assert article.id == url_id(url)  # the same page saved twice is the same article
    assert "Brilliant news" not in article.body  # a reader's comment
    assert "Most viewed" not in article.body  # a related-stories list
    assert article.body.endswith("Construction is due to start next spring.")


def test_a_saved_page_without_a_url_is_named_by_its_file(tmp_path: Path):
    page = tmp_path / "fire.htm"
    page.write_bytes((PAGES / "legacy-tables.html").read_bytes())  # Latin-1, no canonical url
    (article,) = read_file(page).articles
    assert (article.id, article.url) == ("fire", None)
    assert "Millbrook" in article.body


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.4\x00\x00binary", "binary"),
        (b"just some words, no markup at all", "not an HTML page"),
        (b"", "empty"),
        ((PAGES / "not-article-section-front.html").read_bytes(), "no article found"),
    ],
)
def test_pages_without_an_article_are_rejected_by_name(tmp_path: Path, content, reason):
    (tmp_path / "page.html").write_bytes(content)
    scan = read_file(tmp_path / "page.html")
    assert scan.articles == []
    (problem,) = scan.problems
    assert problem.path == "page.html" and reason in problem.reason


def test_pages_in_a_folder_are_read_with_the_rest(tmp_path: Path):
    from qa.corpus import read_corpus

    (tmp_path / "saved").mkdir()
    for name in ("wire-agency.html", "tech-site.html", "not-article-login.html"):
        (tmp_path / "saved" / name).write_bytes((PAGES / name).read_bytes())
    scan = read_corpus(tmp_path)
    assert len(scan.articles) == 2
    assert [p.path for p in scan.problems] == ["saved/not-article-login.html"]


def test_new_fields_survive_the_corpus_file_and_old_records_still_load(tmp_path: Path):
    (article,) = read_file(PAGES / "microdata-regional.html").articles
    target, status = write_article(tmp_path, article)
    assert status == "added" and target.suffix == ".md"
    text = target.read_text()
    assert "updated: '2023-11-23'" in text and "authors:\n- Fiona MacLeod" in text
    again = read_file(target).articles[0]
    assert again.content_hash == article.content_hash
    assert (again.updated, again.authors) == ("2023-11-23", ("Fiona MacLeod",))
    # A record written before these fields existed loads, and keeps its content hash.
    old = {"id": "a", "title": "T", "body": "B.", "date": None, "source": None, "url": None}
    old |= {"credits": [], "path": "a.md"}
    loaded = Article.from_record(old)
    assert loaded.to_record() == old  # nothing new is written for an article without them
    assert loaded.content_hash == _old_content_hash(loaded)
    partial = replace(loaded, partial=True)
    assert partial.to_record()["partial"] is True
    assert partial.content_hash != loaded.content_hash


def _old_content_hash(article: Article) -> str:
    """Article.content_hash as it was before authors, updated and partial existed."""
    import hashlib

    payload = json.dumps(
        [article.id, article.title, article.date, article.source, article.url, [], article.body],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def test_html_fragments_become_paragraphs():
    html = "<p>One <b>bold</b> line.</p><div>Two<br>Three</div><script>x()</script><ul><li>Four</li></ul>"
    assert html_paragraphs(html) == ["One bold line.", "Two", "Three", "Four"]
    assert html_paragraphs("Plain text.\n\nSecond.") == ["Plain text.", "Second."]


def test_url_ids_ignore_tracking_fragments_and_schemes():
    base = url_id("https://www.example.org/news/storm-hits-coast")
    assert base.startswith("example-org-storm-hits-coast-")
    for same in (
        "http://www.example.org/news/storm-hits-coast/",
        "https://WWW.example.org/news/storm-hits-coast?utm_source=feed#comments",
    ):
        assert url_id(same) == base
    assert url_id("https://www.example.org/news/storm-hits-coast?page=2") != base
