"""`qa add` and `qa watch`: articles from files, saved pages, feeds and web addresses into the
corpus folder, each written as <id>.md (`qa.corpus`); `qa watch` keeps polling feeds and indexes
what is new. What cannot be read is named with the reason and skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.settings import Settings


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    from qa.corpus import write_article
    from qa.formats import read_file
    from qa.web import is_url, read_url

    rejected = 0
    written = 0
    for name in args.files:
        path = Path(name)
        if is_url(name):
            scan = read_url(name, fetch_limits(settings))
        elif not path.is_file():
            print(f"rejected {path}: no such file", file=sys.stderr)
            rejected += 1
            continue
        else:
            scan = read_file(path, str(path))
        for problem in scan.problems:
            print(f"rejected {problem}", file=sys.stderr)
            rejected += 1
        for article in scan.articles:
            try:
                target, status = write_article(
                    settings.corpus, article, replace=args.replace, correct=True
                )
            except QAError as error:
                print(f"rejected {name} ({article.id}): {error}", file=sys.stderr)
                rejected += 1
                continue
            written += status != "unchanged"
            print(f"{status} {target}  ({article.title[:70]})")
    print(f"{written} written, {rejected} rejected. Run `qa index` to index new articles.")
    return 1 if rejected else 0


def run_watch(args: argparse.Namespace, settings: Settings) -> int:
    import signal
    import threading

    from qa.watch import Watcher, parse_interval
    from qa.web import is_url

    every = parse_interval(args.every)
    for url in args.feeds:
        if not is_url(url):
            raise QAError(f"{url!r} is not an http(s) address of a feed.")
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        if stop.is_set():  # a second Ctrl+C: stop now (writes and builds are atomic anyway)
            raise KeyboardInterrupt
        print("qa watch: stopping after the step in progress", file=sys.stderr, flush=True)
        stop.set()

    stopping = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, request_stop) for signum in stopping}
    embedder = None

    def index() -> str:
        nonlocal embedder
        from qa.build import build_from_corpus
        from qa.embedding import SentenceTransformerEmbedder

        if embedder is None:
            embedder = SentenceTransformerEmbedder(settings.model, precision=settings.precision)
        return build_from_corpus(settings.corpus, settings.index, embedder, wait=60).headline()

    def report(line: str) -> None:
        print(line, flush=True)

    watcher = Watcher(
        args.feeds,
        settings.corpus,
        every=every,
        limits=fetch_limits(settings),
        index=index,
        stop=stop,
        report=report,
    )
    print(f"Watching {len(watcher.feeds)} feed(s) every {args.every}.", flush=True)
    try:
        watcher.run(once=args.once)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("qa watch: stopped.", flush=True)
    return 0


def fetch_limits(settings: Settings) -> Any:
    from qa.fetch import FetchLimits

    return FetchLimits(timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes)
