"""Reading article files: one file's articles, in any of the formats `qa add` takes.

- wire text (the sample's format): a title line, a date line, body paragraphs separated by blank
  lines, then trailing credit lines ("Photo: ...", "Based on materials from TASS", a publisher
  line) that are metadata, not body text;
- Markdown or text starting with a front-matter block (title, date, source, url);
- JSON (one object, or a list of objects) and JSON Lines, with fields title, body (or text or
  content), published_at (or date), source, url;
- saved web pages (.html, .htm: qa.pages) and feeds (RSS, Atom, JSON Feed: qa.feeds).

A file that cannot be read, or a record of it, is a `Problem` naming it, never an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from qa.articles import (
    Article,
    Problem,
    Scan,
    make_article,
    parse_date,
    safe_id,
    short_hash,
    split_paragraphs,
)
from qa.errors import ArticleError

PAGE_SUFFIXES = (".html", ".htm")
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".json", ".jsonl", *PAGE_SUFFIXES, *FEED_SUFFIXES)

_BODY_FIELDS = ("body", "text", "content")
_DATE_FIELDS = ("published_at", "date", "published")
_SOURCE_CREDIT = re.compile(
    r"^(?:based on (?:materials|reports?) (?:from|of|by)|source|sources|via)\s*[:\-]?\s*(.+)$",
    re.IGNORECASE,
)
_CREDIT_PREFIX = re.compile(
    r"^(?:photo|photos|image|images|picture|video|illustration|cover|credit|credits|"
    r"editor|edited by|author|translated by|translation)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*$")


def read_file(path: Path, name: str | None = None) -> Scan:
    """Read the articles one file holds. Never raises for bad content: it reports a Problem."""
    name = name or path.name
    scan = Scan()
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        scan.problems.append(
            Problem(name, f"unsupported file type (expected {', '.join(ARTICLE_SUFFIXES)})")
        )
        return scan
    if suffix in PAGE_SUFFIXES or suffix in FEED_SUFFIXES:
        return _read_web_file(path, name)
    try:
        text = decode(path.read_bytes())
        stem = safe_id(path.stem)
        if suffix == ".json":
            records, single = _json_records(text)
            if single and _is_json_feed(records[0][1]):
                return _read_web_file(path, name)
        elif suffix == ".jsonl":
            records, single = _json_lines_records(text), False
        else:
            scan.articles.append(parse_text(text, article_id=stem, path=name))
            return scan
    except (ArticleError, OSError) as error:
        scan.problems.append(Problem(name, _reason(error)))
        return scan
    keys: set[str] = set()
    for number, record in records:
        try:
            if isinstance(record, ArticleError):
                raise record
            article = parse_record(record, stem=stem, path=name, single=single)
            if article.id in keys:
                raise ArticleError(f"duplicate article id {article.id!r} in this file")
            keys.add(article.id)
            scan.articles.append(article)
        except ArticleError as error:
            scan.problems.append(Problem(name, _reason(error), record=number))
    return scan


def decode(data: bytes) -> str:
    """Bytes of an article file as text; binary or non-UTF-8 content is an ArticleError."""
    if not data.strip():
        raise ArticleError("the file is empty")
    if b"\x00" in data[:8192]:
        raise ArticleError("the file is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleError(
            f"the file is not UTF-8 text (bad byte at position {error.start})"
        ) from None


def parse_text(text: str, *, article_id: str, path: str = "") -> Article:
    """A text or Markdown article: front matter when it starts with '---', else wire format."""
    if text.lstrip("\ufeff").startswith("---"):
        return _parse_front_matter(text, article_id=article_id, path=path)
    return _parse_wire(text, article_id=article_id, path=path)


def parse_record(record: Any, *, stem: str, path: str = "", single: bool = False) -> Article:
    """One JSON object as an article. Its id is the file's stem plus the record's key."""
    if not isinstance(record, dict):
        raise ArticleError(f"expected a JSON object, got {type(record).__name__}")
    body = _first(record, _BODY_FIELDS)
    if body is None:
        raise ArticleError("no body (expected a 'body', 'text' or 'content' field)")
    title = record.get("title")
    if "id" in record and record["id"] not in (None, ""):
        key = safe_id(str(record["id"]))
    else:
        key = short_hash(str(record.get("url") or title))
    article_id = stem if single else f"{stem}-{key}"
    return make_article(
        article_id=article_id,
        title=title,
        body=body,
        date=_first(record, _DATE_FIELDS),
        source=record.get("source"),
        url=record.get("url"),
        path=path,
    )


def _read_web_file(path: Path, name: str) -> Scan:
    """A saved page (one article) or a feed (one per entry), read by qa.pages or qa.feeds."""
    from qa import feeds, pages  # imported when needed: the extractors take a while to load

    try:
        data = path.read_bytes()
        if not data.strip():
            raise ArticleError("the file is empty")
        if path.suffix.lower() in PAGE_SUFFIXES:
            return Scan([pages.parse_page(data, fallback_id=safe_id(path.stem), path=name)])
        return feeds.parse_feed(data, stem=safe_id(path.stem), path=name)
    except (ArticleError, OSError) as error:
        return Scan(problems=[Problem(name, _reason(error))])


def _is_json_feed(record: Any) -> bool:
    version = record.get("version") if isinstance(record, dict) else None
    return isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")


def _parse_wire(text: str, *, article_id: str, path: str) -> Article:
    blocks = split_paragraphs(text)
    if not blocks:
        raise ArticleError("the file is empty")
    if len(blocks) < 3:
        raise ArticleError("expected a title line, a date line and a body")
    title, date_line, rest = blocks[0], blocks[1], blocks[2:]
    try:
        date = parse_date(date_line)
    except ArticleError:
        raise ArticleError(f"the second line {date_line[:60]!r} is not a date") from None
    credits: list[str] = []
    while rest and _is_credit(rest[-1]):
        credits.insert(0, rest.pop())
    source = _source_from_credits(credits)
    return make_article(
        article_id=article_id,
        title=title,
        body=None,
        paragraphs=rest,
        date=date,
        source=source,
        credits=credits,
        path=path,
    )


def _is_credit(line: str) -> bool:
    """A trailing line that credits rather than reports: 'Photo: ...', 'Based on materials
    from TASS', or a short publisher line with no sentence ending, such as 'GSV "Russia"'."""
    if _SOURCE_CREDIT.match(line) or _CREDIT_PREFIX.match(line):
        return len(line) <= 300
    return len(line) <= 80 and not _SENTENCE_END.search(line)


def _source_from_credits(credits: list[str]) -> str | None:
    for line in credits:
        match = _SOURCE_CREDIT.match(line)
        if match:
            return match.group(1).strip().rstrip(".")
    publishers = [c for c in credits if not _CREDIT_PREFIX.match(c)]
    return publishers[0] if publishers else None


def _parse_front_matter(text: str, *, article_id: str, path: str) -> Article:
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as error:
        raise ArticleError(f"the front matter is not valid YAML ({_first_line(error)})") from None
    meta = post.metadata
    credits = meta.get("credits") or []
    if not isinstance(credits, list) or not all(isinstance(c, str) for c in credits):
        raise ArticleError("credits must be a list of text lines")
    date = _first(meta, _DATE_FIELDS)
    authors = meta.get("authors") or []
    authors = [authors] if isinstance(authors, str) else authors
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise ArticleError("authors must be a list of names")
    return make_article(
        article_id=safe_id(str(meta["id"])) if meta.get("id") else article_id,
        title=meta.get("title"),
        body=post.content,
        date=date,
        source=meta.get("source"),
        url=meta.get("url"),
        credits=credits,
        path=path,
        authors=authors,
        updated=meta.get("updated"),
        partial=meta.get("partial") is True,
    )


def _json_records(text: str) -> tuple[list[tuple[int, Any]], bool]:
    """The records of a JSON file, and whether it holds a single object (not a list)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArticleError(f"not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise ArticleError("not valid JSON (nested too deeply)") from None
    if isinstance(data, dict):
        return [(1, data)], True
    if isinstance(data, list):
        if not data:
            raise ArticleError("the JSON list is empty")
        return list(enumerate(data, start=1)), False
    raise ArticleError("expected a JSON object or a list of objects")


def _json_lines_records(text: str) -> list[tuple[int, Any]]:
    records: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            records.append((number, ArticleError(f"not valid JSON ({error.msg})")))
        except RecursionError:
            records.append((number, ArticleError("not valid JSON (nested too deeply)")))
    return records


def _first(mapping: dict[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        if mapping.get(name) not in (None, ""):
            return mapping[name]
    return None


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
