"""Articles from addresses on the web: a URL fetched (qa.fetch) and read as a page (qa.pages) or
a feed (qa.feeds); a feed entry that carries only a summary completed from its page."""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import urlsplit

from qa.articles import Article, Problem, Scan, safe_id
from qa.errors import ArticleError, FetchError
from qa.feeds import looks_like_feed, parse_feed
from qa.fetch import Fetched, FetchLimits, fetch
from qa.pages import parse_page

log = logging.getLogger(__name__)


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def read_url(url: str, limits: FetchLimits | None = None) -> Scan:
    """The articles at `url`: one for a page, one per entry for a feed. Nothing is raised: a
    failure is a Problem named by the url."""
    try:
        return read_fetched(fetch(url, limits))
    except (FetchError, ArticleError) as error:
        return Scan(problems=[Problem(url, str(error))])


def read_fetched(fetched: Fetched) -> Scan:
    """A fetched response as articles (ArticleError when it holds none)."""
    if looks_like_feed(fetched.data, fetched.content_type):
        return parse_feed(fetched.data, stem=feed_stem(fetched.url), path=fetched.url)
    kind = (fetched.content_type or "").split(";")[0].strip().lower()
    if kind.endswith("json"):
        raise ArticleError("not a web page or a feed (JSON that is not a JSON Feed)")
    return Scan([parse_page(fetched.data, url=fetched.final_url, path=fetched.url)])


def complete(article: Article, limits: FetchLimits | None = None) -> Article:
    """A feed entry that is only a summary, completed from its page when that can be read
    (keeping the entry's id, so polling again finds the same article); else the summary as it
    is, still marked partial."""
    if not article.partial or not article.url:
        return article
    defaults = {"title": article.title, "date": article.date, "source": article.source}
    try:
        fetched = fetch(article.url, limits)
        page = parse_page(fetched.data, url=fetched.final_url, defaults=defaults)
    except (FetchError, ArticleError) as error:
        log.warning("%s: keeping the feed's summary (%s)", article.url, error)
        return article
    return replace(
        page,
        id=article.id,
        date=page.date or article.date,
        source=article.source or page.source,
        authors=page.authors or article.authors,
    )


def feed_stem(url: str) -> str:
    """What ids of a feed's entries without links start with: the feed's host and path."""
    parts = urlsplit(url)
    return safe_id(f"{parts.hostname or 'feed'}{parts.path}")[:60]
