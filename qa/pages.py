"""Saved web pages: the article in an HTML page, with its metadata.

trafilatura finds the main text (leaving out navigation, ads, comments and related-story lists)
and the metadata (title, authors, site name, canonical url, from JSON-LD, OpenGraph and the
page's markup); htmldate finds the published date and, when the page gives one, the updated
date. A page with no article in it (a section front, a login page, a file that is not HTML) is
an ArticleError saying why.
"""

from __future__ import annotations

import re
import warnings
from typing import Any
from urllib.parse import urlsplit

from qa.articles import Article, make_article, split_paragraphs, url_id
from qa.errors import ArticleError

MIN_TEXT_CHARS = 150  # fewer characters of sentences: a teaser or a page of links
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_FURNITURE = re.compile(
    r"^(by|published|updated|posted|last (updated|modified)|photo|image|video|listen)\b", re.I
)
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
    trafilatura, load_html = _trafilatura()
    if isinstance(data, bytes) and b"\x00" in data[:8192]:
        raise ArticleError("the file is binary, not an HTML page")
    if not _looks_like_html(data):
        raise ArticleError("not an HTML page")
    document: Any = trafilatura.bare_extraction(  # a Document (as_dict is not asked for)
        data,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,  # layout tables of old sites, odds and score widgets
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    defaults = defaults or {}
    if document is None or not (document.text or "").strip():
        raise ArticleError("no article found in the page")
    tree = load_html(data)
    paragraphs = split_paragraphs(document.text.replace("\n", "\n\n"))
    title = _headline(document.title, tree) or defaults.get("title")
    if not title:
        raise ArticleError("no article found in the page (it has no title)")
    paragraphs = _without_header(paragraphs, title)
    prose = sum(len(p) for p in paragraphs if len(p) >= 80 and _SENTENCE_END.search(p))
    if prose < MIN_TEXT_CHARS:
        raise ArticleError(
            f"no article found in the page (only {prose} characters of sentences: "
            "a page of links or headlines, or too short)"
        )
    page_url = _http_url(document.url) or _http_url(url) or defaults.get("url")
    published, updated = page_dates(tree, url=page_url)
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


def page_dates(tree: Any, *, url: str | None = None) -> tuple[str | None, str | None]:
    """The published date of a parsed page and its updated date (None unless later than
    published). The page's own metadata (OpenGraph, JSON-LD, <time>) wins over a date in its
    url."""
    from htmldate import find_date

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


def _headline(found: str | None, tree: Any) -> str | None:
    """The extractor's title, unless it is one part of the page's <title> and another part,
    of more words, stands on the page as an element of its own: the headline of a site that
    puts its name first ("The Prairie Gazette - Grain elevator fire contained ...")."""
    page_title = _page_title(tree)
    if not page_title or not found:
        return found or page_title
    parts = [p.strip() for p in re.split(r"\s+[-|–—·]\s+", page_title) if p.strip()]
    if _key(found) not in {_key(p) for p in parts}:
        return found  # from the page's metadata or its heading: trusted
    longer = {_key(p): p for p in parts if len(p.split()) > len(found.split())}
    body = tree.find(".//body")
    for element in body.iter() if body is not None and longer else ():
        if not isinstance(element.tag, str):
            continue
        text = element.text_content()
        if len(text) < 300 and _key(text) in longer:
            return longer[_key(text)]
    return found


def _without_header(paragraphs: list[str], title: str) -> list[str]:
    """The text from the story on: without the headline printed again, whatever stood before
    it (a section name, a date), and the byline and date lines right after it."""
    for position, paragraph in enumerate(paragraphs[:6]):
        if _key(paragraph) == _key(title):
            paragraphs = paragraphs[position + 1 :]
            break
    while paragraphs and _is_furniture(paragraphs[0]):
        paragraphs = paragraphs[1:]
    return paragraphs


def _is_furniture(line: str) -> bool:
    """A line of page furniture above a story: a byline, a dateline, a date."""
    if len(line) < 150 and _FURNITURE.match(line):
        return True
    return len(line) < 40 and not _SENTENCE_END.search(line)


def _page_title(tree: Any) -> str | None:
    element = tree.find(".//title") if tree is not None else None
    text = element.text_content() if element is not None else None
    return " ".join(text.split()) if text else None


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def _trafilatura() -> tuple[Any, Any]:
    """trafilatura and its HTML loader, imported when first needed. On import it probes
    urllib3's optional SOCKS support, whose absence urllib3 announces with a DependencyWarning
    (an error where warnings are errors, as in the tests): that one is not ours to show."""
    from urllib3.exceptions import DependencyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DependencyWarning)
        import trafilatura
        from trafilatura.utils import load_html
    return trafilatura, load_html


def _looks_like_html(data: bytes | str) -> bool:
    head = data[:4096].lower() if isinstance(data, str) else data[:4096].lower().decode("latin-1")
    return bool(re.search(r"<(!doctype html|html|head|body|article|p|div|title|meta)\b", head))


def _authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(name.strip() for name in value.split(";") if name.strip())


def _http_url(value: str | None) -> str | None:
    if value and re.match(r"^https?://[^\s/]+\S*$", value.strip()):
        return value.strip()
    return None


def _host(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None
