"""Saved web pages: the article in an HTML page, with its metadata.

trafilatura finds the main text (leaving out navigation, ads, comments and related-story lists)
and the metadata (title, authors, site name, canonical url, from JSON-LD, OpenGraph and the
page's markup); htmldate finds the published date and, when the page gives one, the updated
date. A page with no article in it (a section front, a login page, a file that is not HTML) is
an ArticleError saying why.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from qa.articles import Article, make_article, split_paragraphs, url_id
from qa.errors import ArticleError

MIN_TEXT_CHARS = 150  # less than this is a teaser or a page of links, not an article
_BLOCK_TAGS = (
    *("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"),
    *("table", "tr", "section", "article", "header", "footer", "figure", "figcaption"),
    *("dl", "dt", "dd"),
)


def parse_page(
    data: bytes | str,
    *,
    url: str | None = None,
    fallback_id: str | None = None,
    path: str = "",
    defaults: dict[str, Any] | None = None,
) -> Article:
    """The article in one HTML page.

    `url` is where the page was fetched from (a saved page has none); the page's canonical url
    wins over it. The id comes from that url (`url_id`), else `fallback_id` (a file's name).
    `defaults` fill in fields the page lacks (a feed entry's title, date or source).
    """
    import trafilatura

    if isinstance(data, bytes) and b"\x00" in data[:8192]:
        raise ArticleError("the file is binary, not an HTML page")
    if not _looks_like_html(data):
        raise ArticleError("not an HTML page")
    document: Any = trafilatura.bare_extraction(  # a Document (as_dict is not asked for)
        data,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    defaults = defaults or {}
    if document is None or not (document.text or "").strip():
        raise ArticleError("no article found in the page")
    title = document.title or defaults.get("title")
    if not title:
        raise ArticleError("no article found in the page (it has no title)")
    paragraphs = split_paragraphs(document.text.replace("\n", "\n\n"))
    if paragraphs and _same_text(paragraphs[0], title):  # the headline, repeated as text
        paragraphs = paragraphs[1:]
    if sum(len(p) for p in paragraphs) < MIN_TEXT_CHARS:
        raise ArticleError(
            f"no article found in the page (only {sum(len(p) for p in paragraphs)} "
            "characters of text)"
        )
    page_url = _http_url(document.url) or _http_url(url) or defaults.get("url")
    published, updated = page_dates(data, url=page_url)
    article_id = url_id(page_url) if page_url else fallback_id
    if not article_id:
        raise ArticleError("the page has no url to name it by")
    source = document.sitename or defaults.get("source") or _host(page_url)
    return make_article(
        article_id=article_id,
        title=title,
        body=None,
        paragraphs=paragraphs,
        date=published or defaults.get("date"),
        updated=updated,
        source=source,
        url=page_url,
        authors=_authors(document.author) or defaults.get("authors", ()),
        path=path,
    )


def page_dates(data: bytes | str, *, url: str | None = None) -> tuple[str | None, str | None]:
    """The published date of a page and its updated date (None unless later than published).

    The page's own metadata (OpenGraph, JSON-LD, <time>) wins over a date in its url."""
    from htmldate import find_date
    from trafilatura.utils import load_html

    tree = load_html(data)
    if tree is None:
        return None, None
    options: dict[str, Any] = {"url": url, "deferred_url_extractor": True}
    published = find_date(tree, original_date=True, extensive_search=True, **options)
    updated = find_date(tree, original_date=False, extensive_search=False, **options)
    if published is None or updated is None or updated <= published:
        updated = None
    return published, updated


def html_paragraphs(fragment: str) -> list[str]:
    """The paragraphs of an HTML fragment (a feed entry's content): block elements and line
    breaks become paragraph breaks; scripts and styles are dropped."""
    import lxml.html
    from lxml import etree

    if not re.search(r"<[a-zA-Z!/]", fragment):  # plain text
        return split_paragraphs(fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return split_paragraphs(fragment)
    for element in root.iter("script", "style", "noscript"):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS, "br"):
        element.tail = "\n\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n\n" + (element.text or "")
    return split_paragraphs(root.text_content())


def _looks_like_html(data: bytes | str) -> bool:
    head = data[:4096].lower() if isinstance(data, str) else data[:4096].lower().decode("latin-1")
    return bool(re.search(r"<(!doctype html|html|head|body|article|p|div|title|meta)\b", head))


def _authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(name.strip() for name in value.split(";") if name.strip())


def _same_text(first: str, second: str) -> bool:
    return re.sub(r"\W+", "", first).lower() == re.sub(r"\W+", "", second).lower()


def _http_url(value: str | None) -> str | None:
    if value and re.match(r"^https?://[^\s/]+\S*$", value.strip()):
        return value.strip()
    return None


def _host(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None
