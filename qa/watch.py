"""`qa watch`: poll feeds, write their new entries into the corpus, index them incrementally.

Each poll fetches every feed with a conditional request (ETag, Last-Modified), reads the entries
it has not seen (or whose content changed: a correction), completes an entry that is only a
summary from its page, writes each as `<id>.md` (atomically: a stop never leaves half an
article), and then runs an incremental build, so a running `qa serve` answers from them within
its reload interval. A feed that fails is reported on one line and tried again at the next poll;
the others go on. What has been seen is kept in a small JSON state file beside the corpus
folder (`<corpus>.watch.json`), written atomically after each feed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.articles import write_article
from qa.errors import ArticleError, Conflict, FetchError, QAError
from qa.feeds import FeedEntry, entry_article, read_feed
from qa.fetch import FetchLimits, fetch
from qa.web import complete, feed_stem

STATE_SUFFIX = ".watch.json"
MAX_SEEN = 5000  # entry keys remembered per feed; feeds carry far fewer at a time
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?)?\s*$", re.I)


def parse_interval(text: str) -> float:
    """'30s', '15m' or a plain number of seconds, as seconds (at least 1)."""
    match = _INTERVAL.match(text)
    if not match:
        raise QAError(f"--every takes seconds or minutes, such as 30s or 15m, not {text!r}.")
    seconds = float(match.group(1)) * (60 if (match.group(2) or "s")[0].lower() == "m" else 1)
    if seconds < 1:
        raise QAError("--every must be at least 1 second.")
    return seconds


def state_path(corpus: Path) -> Path:
    """Beside the corpus folder, not in it: the folder holds articles only."""
    corpus = corpus.absolute()
    return corpus.parent / f"{corpus.name}{STATE_SUFFIX}"


@dataclass
class FeedState:
    """What is remembered of one feed between polls."""

    etag: str | None = None
    last_modified: str | None = None
    seen: dict[str, str] = field(default_factory=dict)  # entry key -> fingerprint of its content
    failures: int = 0  # polls failed in a row
    last_error: str | None = None


@dataclass
class WatchState:
    """Every watched feed's state, in the state file."""

    path: Path
    feeds: dict[str, FeedState] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> WatchState:
        """The saved state; an unreadable file starts afresh (entries are then seen again and
        come out "unchanged", so nothing is added twice)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            feeds = {url: FeedState(**saved) for url, saved in data.get("feeds", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            feeds = {}
        return cls(path, feeds)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        data = {"feeds": {url: asdict(state) for url, state in self.feeds.items()}}
        temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)


class Watcher:
    """Polls `feeds` every `every` seconds until `stop` is set.

    `index` is called after a poll that wrote articles (an incremental build); `report` gets
    one line per event (article added, feed failed, index built)."""

    def __init__(
        self,
        feeds: list[str],
        corpus: Path,
        *,
        every: float,
        limits: FetchLimits,
        index: Callable[[], str] | None = None,
        stop: threading.Event | None = None,
        report: Callable[[str], None] = print,
    ) -> None:
        self.feeds = list(dict.fromkeys(feeds))
        self.corpus = corpus
        self.every = every
        self.limits = limits
        self.index = index
        self.stop = stop or threading.Event()
        self.report = report
        self.state = WatchState.load(state_path(corpus))
        self._unindexed = False  # written articles not yet in a published index

    def run(self, *, once: bool = False) -> None:
        """Poll until stopped (or once). A stop request waits for the step in progress."""
        while not self.stop.is_set():
            self._unindexed |= self.poll() > 0
            if self._unindexed and self.index is not None and not self.stop.is_set():
                try:
                    self.report(self.index())
                    self._unindexed = False
                except QAError as error:
                    self.report(f"indexing failed, retrying after the next poll: {error}")
            if once:
                return
            self.stop.wait(self.every)

    def poll(self) -> int:
        """Poll every feed once; returns how many articles were written."""
        written = 0
        for url in self.feeds:
            if self.stop.is_set():
                break
            state = self.state.feeds.setdefault(url, FeedState())
            try:
                written += self._poll_feed(url, state)
                state.failures, state.last_error = 0, None
            except (FetchError, ArticleError) as error:
                state.failures += 1
                state.last_error = str(error)
                failed = f"failed {state.failures}x; tried again next poll"
                self.report(f"feed {url}: {error} ({failed})")
            self.state.save()
        return written

    def _poll_feed(self, url: str, state: FeedState) -> int:
        fetched = fetch(url, self.limits, etag=state.etag, last_modified=state.last_modified)
        if fetched.not_modified:
            return 0
        feed = read_feed(fetched.data)
        written = 0
        for number, entry in enumerate(feed.entries, start=1):
            if self.stop.is_set():
                break
            key, fingerprint = entry.key or f"#{number}", _fingerprint(entry)
            if state.seen.get(key) == fingerprint:
                continue
            try:
                article = entry_article(entry, feed, stem=feed_stem(url), number=number)
                article = complete(article, self.limits)
                target, status = write_article(self.corpus, article, correct=True)
            except (ArticleError, Conflict) as error:
                self.report(f"feed {url} entry {number}: {error}")
            else:
                if status != "unchanged":
                    written += 1
                    self.report(f"{status} {target.name}  ({article.title[:70]})")
            state.seen.pop(key, None)  # re-inserted last: the oldest keys are dropped first
            state.seen[key] = fingerprint
        for old in list(state.seen)[: max(0, len(state.seen) - MAX_SEEN)]:
            del state.seen[old]
        if not self.stop.is_set():  # all read: the next poll may ask "only if changed"
            state.etag, state.last_modified = fetched.etag, fetched.last_modified
        return written


def _fingerprint(entry: FeedEntry) -> str:
    """Changes when the feed changes what an entry says (a corrected entry is read again)."""
    parts = [entry.title, entry.url, str(entry.updated), entry.content, entry.summary]
    return hashlib.sha1(json.dumps(parts, default=str).encode("utf-8")).hexdigest()[:16]
