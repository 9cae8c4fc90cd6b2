"""Feeds: RSS 0.91, 1.0 and 2.0, Atom and JSON Feed, one article per entry (tests/data/feeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.articles import read_file
from qa.feeds import looks_like_feed
from qa.settings import REPOSITORY

FEEDS = REPOSITORY / "tests" / "data" / "feeds"


def test_rss2_full_content_with_bad_entries_beside_good_ones():
    scan = read_file(FEEDS / "wire-rss2.xml")
    first, second = scan.articles
    assert first.title == "Drought forces Panama Canal to cut daily crossings again"
    assert first.date == "2023-10-31T14:05:00+00:00"
    assert first.source == "Wire Press - Top News"  # the feed's title
    assert first.url == "https://wirepress.example/article/panama-canal-drought-crossings-4f2a91"
    assert first.authors == ("Juan Zamorano",)
    assert first.partial is False  # content:encoded is the full text
    assert (
        first.paragraphs[1]
        == "The canal authority said it would allow 25 ships a day starting Friday, down from 31."
    )
    assert "track()" not in first.body
    assert second.title.startswith("Storm leaves thousands")
    assert [(p.record, p.reason) for p in scan.problems] == [
        (2, "no title"),
        (4, "unreadable date 'the day after tomorrow'"),
    ]
    assert str(scan.problems[0]) == "wire-rss2.xml (record 2): no title"


def test_atom_summaries_are_partial_and_keep_updated_dates():
    scan = read_file(FEEDS / "summaries-atom.xml")
    assert scan.problems == []
    linked, unlinked = scan.articles
    assert linked.partial and unlinked.partial  # only summaries: marked as such
    assert (linked.date, linked.updated) == (
        "2023-09-14T17:45:00+00:00",
        "2023-09-16T08:10:00+00:00",
    )
    assert linked.body.startswith("Scheme linking three market towns")
    assert linked.authors == ("Hannah Oduya",)
    assert unlinked.url is None and unlinked.id.startswith("summaries-atom-")
    assert unlinked.date == "2023-09-10T12:00:00+00:00"  # Atom's <updated> when it has nothing else


def test_rss1_and_rss091():
    (science,) = read_file(FEEDS / "science-rss1.rdf").articles
    assert (science.source, science.date, science.partial) == (
        "Science Notes",
        "2024-10-02T15:00:12+00:00",
        True,
    )
    (old,) = read_file(FEEDS / "old-rss091.xml").articles
    assert (old.title, old.date, old.source) == (
        "Grain elevator fire contained after two days",
        None,
        "Prairie Gazette",
    )


def test_json_feed():
    scan = read_file(FEEDS / "newsletter.json")
    first, second = scan.articles
    assert first.title == "Why the grid can't keep up with the heat pumps"
    assert (first.date, first.updated) == ("2024-01-22T13:01:44+00:00", "2024-01-24T09:00:00+00:00")
    assert first.authors == ("Rachel Koenig",) and first.source == "Power Lines"
    assert not first.partial and len(first.paragraphs) == 2
    assert second.paragraphs == [
        "Transformers take a year to arrive.",
        "Utilities are refurbishing old ones.",
    ]
    assert [(p.record, p.reason) for p in scan.problems] == [(2, "no content or summary")]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("sitemap.xml", b"<?xml version='1.0'?><urlset><url><loc>x</loc></urlset>", "not a feed"),
        (
            "empty.rss",
            b"<rss version='2.0'><channel><title>T</title></channel></rss>",
            "no entries",
        ),
        (
            "bad.json",
            b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}',
            "list of items",
        ),
    ],
)
def test_files_that_are_not_feeds_are_rejected(tmp_path: Path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    scan = read_file(tmp_path / name)
    assert scan.articles == [] and reason in scan.problems[0].reason


def test_feeds_are_told_from_pages():
    assert looks_like_feed(b"<?xml version='1.0'?><rss>", "text/xml")
    assert looks_like_feed(b"<feed xmlns='http://www.w3.org/2005/Atom'>", None)
    assert looks_like_feed(b'{"version": "https://jsonfeed.org/version/1"}', "application/json")
    assert not looks_like_feed(b"<!DOCTYPE html><html>", "text/html")
    assert not looks_like_feed(b'{"title": "x"}', "application/json")
