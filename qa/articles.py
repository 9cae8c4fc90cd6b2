"""The Article: one news article, its fields checked and normalised, and its id.

Reading articles from files is `qa.formats` (and `qa.pages`, `qa.feeds`); the corpus folder,
read whole and written into, is `qa.corpus`.

A body is the article's paragraphs, each with its whitespace collapsed, joined by a blank line.
Passage offsets and the article view both refer to that string.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from dateutil import parser as date_parser

from qa.errors import ArticleError

MAX_TITLE_CHARS = 1000
PARAGRAPH_SEPARATOR = "\n\n"

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WEB_FIELDS = ("authors", "updated", "partial")


@dataclass(frozen=True)
class Article:
    """One news article, as indexed and as shown to a user."""

    id: str
    title: str
    body: str
    date: str | None = None  # ISO 8601: "2022-06-08" or "2023-11-27T08:45:59+00:00"
    source: str | None = None
    url: str | None = None
    credits: tuple[str, ...] = ()
    path: str = ""  # the file it came from, relative to the corpus folder
    # Fields added with web pages and feeds; records written before them lack them.
    authors: tuple[str, ...] = ()
    updated: str | None = None  # ISO 8601, when the page says it was updated (or corrected)
    partial: bool = False  # only a feed's summary, not the full text

    @property
    def paragraphs(self) -> list[str]:
        return self.body.split(PARAGRAPH_SEPARATOR)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a reader or the index sees changes."""
        fields: list[Any] = [
            self.id, self.title, self.date, self.source, self.url, list(self.credits), self.body
        ]  # fmt: skip
        extra = self._web_fields()
        if extra:  # only then: the hash of an article without them is what it always was
            fields.append(extra)
        payload = json.dumps(fields, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        for name in _WEB_FIELDS:  # written only when set, as records were before they existed
            del record[name]
        record["credits"] = list(self.credits)
        return record | self._web_fields()

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Article:
        return cls(
            **{
                **record,
                "credits": tuple(record.get("credits", ())),
                "authors": tuple(record.get("authors", ())),
            }
        )

    def _web_fields(self) -> dict[str, Any]:
        fields = {"authors": list(self.authors), "updated": self.updated, "partial": self.partial}
        return {name: value for name, value in fields.items() if value}


@dataclass(frozen=True)
class Problem:
    """An article file or record that was skipped, and why."""

    path: str
    reason: str
    record: int | None = None  # 1-based record number inside a JSON or JSON Lines file

    def __str__(self) -> str:
        where = self.path if self.record is None else f"{self.path} (record {self.record})"
        return f"{where}: {self.reason}"


@dataclass
class Scan:
    """The articles read from some files, and the problems met on the way."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def make_article(
    *,
    article_id: str,
    title: Any,
    body: Any,
    date: Any = None,
    source: Any = None,
    url: Any = None,
    credits: Iterable[str] = (),
    path: str = "",
    paragraphs: list[str] | None = None,
    authors: Iterable[str] = (),
    updated: Any = None,
    partial: bool = False,
) -> Article:
    """Validate and normalise fields into an Article, or raise ArticleError saying what is wrong."""
    if not isinstance(title, str) or not title.strip():
        raise ArticleError("no title")
    title = _collapse(title)
    if len(title) > MAX_TITLE_CHARS:
        raise ArticleError(f"the title is longer than {MAX_TITLE_CHARS} characters")
    if paragraphs is None:
        if not isinstance(body, str):
            raise ArticleError("the body must be text")
        paragraphs = split_paragraphs(body)
    credits = tuple(credits)
    authors = tuple(a for a in (_collapse(str(a)) for a in authors) if a)
    for text in (title, *paragraphs, source, url, date, updated, *credits, *authors):
        if isinstance(text, str) and not is_unicode_text(text):
            raise ArticleError("the text has a lone surrogate (such as \\ud800), not Unicode text")
    if not paragraphs:
        raise ArticleError("the body is empty")
    for name, value in (("source", source), ("url", url)):
        if value is not None and not isinstance(value, str):
            raise ArticleError(f"the {name} must be text")
    url = _clean_optional(url)
    if url is not None and not re.match(r"^https?://\S+$", url):
        raise ArticleError(f"the url {url!r} is not an http(s) address")
    return Article(
        id=article_id,
        title=title,
        body=PARAGRAPH_SEPARATOR.join(paragraphs),
        date=parse_date(date),
        source=_clean_optional(source),
        url=url,
        credits=credits,
        path=path,
        authors=authors,
        updated=parse_date(updated),
        partial=bool(partial),
    )


def is_unicode_text(text: str) -> bool:
    """False for strings that cannot be written as UTF-8: JSON's "\\ud800" decodes to one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_date(value: Any) -> str | None:
    """Any reasonable date as ISO 8601 (a date, or a datetime when a time is given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ArticleError(f"unreadable date {value!r}")
    text = value.strip()
    try:
        # Two different defaults expose fields the text did not give (dateutil fills them in).
        first = date_parser.parse(text, default=dt.datetime(2000, 1, 1))
        second = date_parser.parse(text, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        raise ArticleError(f"unreadable date {text!r}") from None
    if first.year != second.year or first.month != second.month or first.day != second.day:
        raise ArticleError(f"incomplete date {text!r} (needs a year, month and day)")
    if ":" not in text:
        return str(first.date().isoformat())
    return str(first.isoformat())


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; whitespace inside one collapses to a space."""
    blocks = re.split(r"\n[ \t\u00a0\r]*\n", text.replace("\r\n", "\n"))
    if len(blocks) == 1:  # no blank lines at all: one paragraph per line
        blocks = text.splitlines()
    return [p for p in (_collapse(block) for block in blocks) if p]


def derived_id(title: str, date: str | None, url: str | None) -> str:
    """A readable, stable id for an article that comes without a file name (POST /articles)."""
    slug = safe_id("-".join(re.findall(r"[a-z0-9]+", title.lower())[:10]))[:60]
    return f"{slug}-{short_hash(f'{title}|{date}|{url}')[:8]}"


def url_id(url: str) -> str:
    """The id of an article read from the web: made from its url alone, so the same page read
    again (a correction, a feed polled twice) is the same article. Tracking parameters,
    fragments, the scheme and a trailing slash do not count."""
    from urllib.parse import urlsplit

    from courlan import normalize_url

    try:
        normal = normalize_url(url, strict=True)
    except ValueError:
        normal = url
    parts = urlsplit(normal)
    host = (parts.hostname or "").removeprefix("www.")
    key = f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")
    last = re.sub(r"\.(s?html?|php|aspx?)$", "", parts.path.lower().rstrip("/").rsplit("/", 1)[-1])
    words = re.findall(r"[a-z0-9]+", last)
    slug = safe_id("-".join([host.replace(".", "-"), *words])[:70])
    return f"{slug}-{short_hash(key)[:10]}"


def safe_id(text: str) -> str:
    """A string as a URL- and file-safe article id."""
    cleaned = _ID_UNSAFE.sub("-", text).strip("-.")[:100]
    return cleaned or short_hash(text)


def _clean_optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = _collapse(value)
    return value or None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def short_hash(text: str) -> str:
    # surrogatepass: ids are derived before make_article refuses text with lone surrogates
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
