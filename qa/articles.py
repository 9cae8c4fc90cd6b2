"""Articles: reading them from files in several formats, and writing them into a corpus folder.

Formats read:
- wire text (the sample's format): a title line, a date line, body paragraphs separated by blank
  lines, then trailing credit lines ("Photo: ...", "Based on materials from TASS", a publisher
  line) that are metadata, not body text;
- Markdown or text starting with a front-matter block (title, date, source, url);
- JSON (one object, or a list of objects) and JSON Lines, with fields title, body (or text or
  content), published_at (or date), source, url.

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

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".json", ".jsonl")
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

    @property
    def paragraphs(self) -> list[str]:
        return self.body.split(PARAGRAPH_SEPARATOR)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a reader or the index sees changes."""
        payload = json.dumps(
            [self.id, self.title, self.date, self.source, self.url, list(self.credits), self.body],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["credits"] = list(self.credits)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Article:
        return cls(**{**record, "credits": tuple(record.get("credits", ()))})


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
    return merge_scans(
        (relative, read_file(path, relative)) for path, relative in corpus_files(folder)
    )


def corpus_files(folder: Path) -> list[tuple[Path, str]]:
    """The article files under `folder` with their names relative to it, in reading order."""
    return [(path, path.relative_to(folder).as_posix()) for path in iter_article_files(folder)]


def merge_scans(scans: Iterable[tuple[str, Scan]]) -> Scan:
    """The scans of a corpus's files (name, scan), in order, as one: an article id used by an
    earlier file makes a later article with that id a problem."""
    scan = Scan()
    seen: dict[str, str] = {}
    for relative, file_scan in scans:
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
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        scan.problems.append(
            Problem(name, f"unsupported file type (expected {', '.join(ARTICLE_SUFFIXES)})")
        )
        return scan
    try:
        text = decode(path.read_bytes())
        stem = safe_id(path.stem)
        suffix = path.suffix.lower()
        if suffix == ".json":
            records, single = _json_records(text)
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
    for text in (title, *paragraphs, source, url, date, *credits):
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
        return first.date().isoformat()
    return first.isoformat()


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


def safe_id(text: str) -> str:
    """A string as a URL- and file-safe article id."""
    cleaned = _ID_UNSAFE.sub("-", text).strip("-.")[:100]
    return cleaned or _short_hash(text)


# --- writing (`qa add`) ----------------------------------------------------------------------


def article_file_text(article: Article) -> str:
    """An article as a Markdown file with front matter: what `qa add` writes."""
    metadata: dict[str, Any] = {"title": article.title}
    for key in ("date", "source", "url"):
        value = getattr(article, key)
        if value is not None:
            metadata[key] = value
    if article.credits:
        metadata["credits"] = list(article.credits)
    header = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{header}---\n\n{article.body}\n"


def write_article(corpus: Path, article: Article, *, replace: bool = False) -> tuple[Path, str]:
    """Write one article into the corpus as `<id>.md`; returns the path and 'added',
    'replaced' or 'unchanged'. An id already used by another file raises Conflict."""
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / f"{article.id}.md"
    existing = [p for p in corpus.glob(f"{article.id}.*") if p.suffix.lower() in ARTICLE_SUFFIXES]
    for other in existing:
        if other != target:
            raise Conflict(f"article id {article.id!r} is already used by {other.name}")
    text = article_file_text(article)
    if target.exists():
        current = read_file(target)
        if current.articles and current.articles[0].content_hash == article.content_hash:
            return target, "unchanged"
        if not replace:
            raise Conflict(
                f"{target.name} already exists with different content (use --replace to overwrite)"
            )
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    status = "replaced" if target.exists() else "added"
    temporary.replace(target)
    return target, status


# --- helpers ---------------------------------------------------------------------------------


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
    return make_article(
        article_id=safe_id(str(meta["id"])) if meta.get("id") else article_id,
        title=meta.get("title"),
        body=post.content,
        date=date,
        source=meta.get("source"),
        url=meta.get("url"),
        credits=credits,
        path=path,
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
