"""The corpus folder: every article in it read at once (what an index build reads), and
articles written into it (`qa add`, `qa watch`, POST /articles), corrections included.

Indexing only reads the folder; only these writers change it, one file per article, written
whole or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from qa.articles import Article, Problem, Scan
from qa.errors import Conflict
from qa.formats import ARTICLE_SUFFIXES, read_file


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
    new = dataclasses.replace(new, date=new.date or old.date)
    unchanged = dataclasses.replace(new, updated=None), dataclasses.replace(old, updated=None)
    if unchanged[0].content_hash == unchanged[1].content_hash:
        return old
    if new.partial and not old.partial:
        return old
    if old.partial and not new.partial:
        return new
    if not new.updated or (old.updated is not None and new.updated <= old.updated):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        new = dataclasses.replace(new, updated=now.isoformat())
    return new
