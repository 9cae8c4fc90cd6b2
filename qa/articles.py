"""Articles: reading them from files in several formats, and writing them into a corpus folder.

Formats read:
- wire text (the sample's format): a title line, a date line, body paragraphs separated by blank
  lines, then trailing credit lines ("Photo: ...", "Based on materials from TASS", a publisher
  line) that are metadata, not body text;
- Markdown or text starting with a front-matter block (title, date, source, url);
- JSON (one object, or a list of objects) and JSON Lines, with fields title, body (or text or
  content), published_at (or date), source, url;
- saved web pages (.html, .htm: qa.pages) and feeds (RSS, Atom, JSON Feed: qa.feeds).

A body is the article's paragraphs, each with its whitespace collapsed, joined by a blank line.
Passage offsets and the article view both refer to that string.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from dateutil import parser as date_parser

from qa.errors import ArticleError, Conflict

PAGE_SUFFIXES = (".html", ".htm")
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".json", ".jsonl", *PAGE_SUFFIXES, *FEED_SUFFIXES)
MAX_TITLE_CHARS = 1000
PARAGRAPH_SEPARATOR = "\n\n"

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


# --- reading ---------------------------------------------------------------------------------


def read_corpus(folder: Path) -> Scan:
    """Read every article file under `folder`; unreadable ones become problems, not errors."""
    scan = Scan()
    seen: dict[str, str] = {}
    for path in iter_article_files(folder):
        relative = path.relative_to(folder).as_posix()
        file_scan = read_file(path, relative)
        scan.problems.extend(file_scan.problems)
        for article in file_scan.articles:
            if article.id in seen:
                reason = f"article id {article.id!r} is also used by {seen[article.id]}"
                scan.problems.append(Problem(relative, reason))
                continue
            seen[article.id] = relative
            scan.articles.append(article)
    return scan


def iter_article_files(folder: Path) -> Iterator[Path]:
    """Files under `folder` in a stable order, leaving out hidden files and READMEs."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(part.startswith(".") for part in parts) or not path.is_file():
            continue
        if path.stem.upper() == "README":
            continue
        yield path


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
        key = _short_hash(str(record.get("url") or title))
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
    return f"{slug}-{_short_hash(f'{title}|{date}|{url}')[:8]}"


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
    return f"{slug}-{_short_hash(key)[:10]}"


def safe_id(text: str) -> str:
    """A string as a URL- and file-safe article id."""
    cleaned = _ID_UNSAFE.sub("-", text).strip("-.")[:100]
    return cleaned or _short_hash(text)


# --- writing (`qa add`) ----------------------------------------------------------------------


def article_file_text(article: Article) -> str:
    """An article as a Markdown file with front matter: what `qa add` writes."""
    metadata: dict[str, Any] = {"title": article.title}
    for key in ("date", "updated", "source", "url"):
        value = getattr(article, key)
        if value is not None:
            metadata[key] = value
    if article.authors:
        metadata["authors"] = list(article.authors)
    if article.partial:
        metadata["partial"] = True
    if article.credits:
        metadata["credits"] = list(article.credits)
    header = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{header}---\n\n{article.body}\n"


def write_article(
    corpus: Path, article: Article, *, replace: bool = False, correct: bool = False
) -> tuple[Path, str]:
    """Write one article into the corpus as `<id>.md`; returns the path and 'added',
    'replaced', 'corrected' or 'unchanged'. An id already used by another file raises Conflict.

    With `correct` (`qa add`, `qa watch`), the same article again from the same url with other
    text is a correction: it replaces the old one without `replace`, keeps the old date when
    it has none, and gets an updated date (`as_correction`).
    """
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / f"{article.id}.md"
    existing = [p for p in corpus.glob(f"{article.id}.*") if p.suffix.lower() in ARTICLE_SUFFIXES]
    for other in existing:
        if other != target:
            raise Conflict(f"article id {article.id!r} is already used by {other.name}")
    status = "added"
    if target.exists():
        current = read_file(target)
        old = current.articles[0] if current.articles else None
        if correct and old is not None and old.url is not None and old.url == article.url:
            article = as_correction(old, article)
            status = "corrected"
        if old is not None and old.content_hash == article.content_hash:
            return target, "unchanged"
        if status != "corrected" and not replace:
            raise Conflict(
                f"{target.name} already exists with different content (use --replace to overwrite)"
            )
        status = "replaced" if status == "added" else status
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(article_file_text(article), encoding="utf-8")
    except BaseException:  # a full disk, an interrupt: no half-written file left behind
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(target)
    return target, status


def as_correction(old: Article, new: Article) -> Article:
    """`new`, read again from `old`'s url, as what replaces `old`: `old` itself when nothing
    but the updated date differs, or when `new` is only a summary of the full text `old` has;
    `new` as it is when it completes a summary; else `new` with `old`'s date when it has none,
    and updated when the page says so (a later date than `old` had) or else now."""
    from dataclasses import replace

    new = replace(new, date=new.date or old.date)
    if replace(new, updated=None).content_hash == replace(old, updated=None).content_hash:
        return old
    if new.partial and not old.partial:
        return old
    if old.partial and not new.partial:
        return new
    if not new.updated or (old.updated is not None and new.updated <= old.updated):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        new = replace(new, updated=now.isoformat())
    return new


# --- helpers ---------------------------------------------------------------------------------


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


def _clean_optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = _collapse(value)
    return value or None


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _short_hash(text: str) -> str:
    # surrogatepass: ids are derived before make_article refuses text with lone surrogates
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
