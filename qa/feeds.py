"""Feeds: RSS 0.9x/1.0/2.0 and Atom (read by feedparser) and JSON Feed (plain JSON), one
article per entry.

An entry becomes an article with its title, date (and updated date), authors, the feed's title
as the source, its link as the url, and its full content; when the feed carries only a summary,
the article is that summary marked `partial` (`qa watch` then fetches the page itself). An entry
that cannot be read (no title, no text, an unreadable date) is reported with its number; the
others are kept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from typing import Any

from qa.articles import Article, Problem, Scan, make_article, parse_date, url_id
from qa.errors import ArticleError
from qa.pages import html_paragraphs

FEED_CONTENT_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
)


@dataclass(frozen=True)
class FeedEntry:
    """One entry as the feed gives it, before it is made an article."""

    key: str  # the entry's id (guid), else its link, else its title: what `qa watch` remembers
    title: str | None
    url: str | None
    date: Any = None  # a string or a datetime
    updated: Any = None
    authors: tuple[str, ...] = ()
    content: str | None = None  # HTML or text: the full article
    summary: str | None = None  # HTML or text


@dataclass
class Feed:
    """A feed's title and its entries, in the feed's order."""

    title: str | None
    entries: list[FeedEntry] = field(default_factory=list)


def read_feed(data: bytes) -> Feed:
    """The entries of an RSS, Atom or JSON feed; ArticleError when `data` is not a feed."""
    if looks_like_json(data):
        return _json_feed(data)
    import feedparser

    parsed = feedparser.parse(io.BytesIO(data))  # a stream: feedparser fetches str urls itself
    if not parsed.get("version") and not parsed.entries:
        error = parsed.get("bozo_exception")
        detail = f" ({_first_line(error)})" if error else ""
        raise ArticleError(f"not a feed (RSS, Atom or JSON Feed){detail}")
    feed = Feed(title=parsed.feed.get("title") or None)
    for entry in parsed.entries:
        content = entry.get("content") or []
        feed.entries.append(
            FeedEntry(
                key=str(entry.get("id") or entry.get("link") or entry.get("title") or ""),
                title=entry.get("title"),
                url=entry.get("link"),
                date=_struct_time(entry.get("published_parsed")) or entry.get("published"),
                # dict.get: feedparser's own get() maps a missing "updated" to "published"
                updated=_struct_time(dict.get(entry, "updated_parsed"))
                or dict.get(entry, "updated"),
                authors=tuple(a.get("name", "") for a in entry.get("authors", []) if a.get("name")),
                content="\n".join(c.get("value", "") for c in content) or None,
                summary=entry.get("summary"),
            )
        )
    return feed


def entry_article(
    entry: FeedEntry, feed: Feed, *, stem: str, path: str = "", number: int | None = None
) -> Article:
    """One entry as an article (ArticleError when it cannot be one). Its id comes from its link
    (`url_id`), so the same story seen again is the same article; else from the feed's `stem`
    and the entry's key."""
    text = entry.content or entry.summary
    partial = not entry.content
    if not entry.title:
        raise ArticleError("no title")
    if not text or not text.strip():
        raise ArticleError("no content or summary")
    url = entry.url if entry.url and entry.url.startswith(("http://", "https://")) else None
    key = entry.key or f"{entry.title}|{number}"
    article_id = url_id(url) if url else f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    date, updated = parse_date(entry.date), parse_date(entry.updated)
    if date is None:  # Atom's <updated> is all some entries have
        date, updated = updated, None
    elif updated is not None and updated <= date:
        updated = None
    return make_article(
        article_id=article_id,
        title=entry.title,
        body=None,
        paragraphs=html_paragraphs(text),
        date=date,
        updated=updated,
        source=feed.title,
        url=url,
        authors=entry.authors,
        partial=partial,
        path=path,
    )


def parse_feed(data: bytes, *, stem: str, path: str = "") -> Scan:
    """A feed file as articles; entries that cannot be read are problems, with their number."""
    feed = read_feed(data)
    scan = Scan()
    if not feed.entries:
        raise ArticleError("the feed has no entries")
    seen: set[str] = set()
    for number, entry in enumerate(feed.entries, start=1):
        try:
            article = entry_article(entry, feed, stem=stem, path=path, number=number)
            if article.id in seen:
                raise ArticleError(f"the same entry again (article id {article.id!r})")
        except ArticleError as error:
            scan.problems.append(Problem(path, str(error), record=number))
            continue
        seen.add(article.id)
        scan.articles.append(article)
    return scan


def looks_like_feed(data: bytes, content_type: str | None = None) -> bool:
    """Whether fetched bytes are a feed rather than a page: by content type, else by sniffing."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in FEED_CONTENT_TYPES:
        return True
    head = data[:2048].lstrip().lower()
    if looks_like_json(data):
        return b"jsonfeed.org/version" in data[:4096]
    if kind in ("text/html", "application/xhtml+xml"):
        return False
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<channel"))


def looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


def _json_feed(data: bytes) -> Feed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1): plain JSON, read directly."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ArticleError("not a feed (invalid JSON)") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise ArticleError("not a feed (a JSON feed names its jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise ArticleError("not a feed (a JSON feed has a list of items)")
    feed = Feed(title=_text(document.get("title")))
    for item in items:
        item = item if isinstance(item, dict) else {}
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        names = [a.get("name") for a in authors if isinstance(a, dict)]
        content = _text(item.get("content_html")) or _text(item.get("content_text"))
        feed.entries.append(
            FeedEntry(
                key=str(item.get("id") or item.get("url") or item.get("title") or ""),
                title=_text(item.get("title")),
                url=_text(item.get("url")),
                date=_text(item.get("date_published")),
                updated=_text(item.get("date_modified")),
                authors=tuple(name for name in names if isinstance(name, str)),
                content=content,
                summary=_text(item.get("summary")),
            )
        )
    return feed


def _struct_time(value: time.struct_time | None) -> dt.datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if value is None:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.timezone.utc)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _first_line(error: Any) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
