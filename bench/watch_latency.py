"""How long a new feed entry takes to reach a running server's answers through `qa watch`.

    python -m bench.watch_latency [--every 30s] [--entries 3]

Starts, all on 127.0.0.1 and in a temporary folder that is removed: a feed server, `qa serve`
over a one-article corpus, and `qa watch FEED --every ...`. Then, for each of `--entries` new
entries, publishes it in the feed and asks `/ask` a question only it answers, every half second,
until an answer cites it; prints the seconds from publishing to that answer. The worst case is
the poll interval plus an incremental build plus the server's reload interval.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from qa.settings import REPOSITORY

SAMPLE = REPOSITORY / "corpus" / "000_4ad6565441a0296c.txt"
TOPICS = [  # an entry each, and a question only it answers
    ("Glacier", "The Okjokull glacier lost 40 metres of ice in one summer.",
     "How much ice did the Okjokull glacier lose in one summer?"),
    ("Lighthouse", "The Skerry lighthouse keeper logs the weather three times a day.",
     "How often does the Skerry lighthouse keeper log the weather?"),
    ("Orchard", "The Bramley orchard in Kent harvested a record 900 tonnes of apples.",
     "How many tonnes of apples did the Bramley orchard harvest?"),
    ("Tramway", "The city tramway carried 12 million passengers in its first year.",
     "How many passengers did the city tramway carry in its first year?"),
    ("Observatory", "The mountain observatory recorded 310 clear nights this year.",
     "How many clear nights did the mountain observatory record?"),
]  # fmt: skip


def feed(entries: list[tuple[str, str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{name} report</title><guid>{name}</guid>"
        f"<link>https://bench.example/{name.lower()}</link>"
        f"<description>{text} Officials confirmed the figures on Monday.</description></item>"
        for name, text, _ in entries
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>{items}'
        "</channel></rss>"
    ).encode()


class FeedServer:
    """The feed on loopback, served from memory; `body` may be replaced while it runs."""

    def __init__(self) -> None:
        owner = self
        self.body = b""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ask(port: int, question: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/ask",
        data=json.dumps({"question": question, "k": 3}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def cited(port: int, question: str, title: str) -> bool:
    try:
        answer = ask(port, question)
    except OSError:
        return False
    return any(p["citation"]["title"] == title for p in answer.get("passages", []))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(condition, timeout: float) -> float | None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", default="30s", help="qa watch's poll interval")
    parser.add_argument("--entries", type=int, default=3, help="new entries to time (up to 4)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="qa-watch-bench-"))
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    shutil.copy(SAMPLE, corpus / SAMPLE.name)
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    paths = ["--corpus", str(corpus), "--index", str(index)]
    processes: list[subprocess.Popen] = []
    web = FeedServer()
    try:
        published = [TOPICS[0]]
        web.body = feed(published)
        log = (root / "serve.log").open("w")
        serve = [sys.executable, "-m", "qa", "serve", "--port", str(port), "--workers", "1"]
        processes.append(
            subprocess.Popen([*serve, *paths], stdout=log, stderr=log, env=env, cwd=root)
        )
        watch = [sys.executable, "-m", "qa", "watch", web.url, "--every", args.every]
        processes.append(
            subprocess.Popen([*watch, *paths], stdout=log, stderr=log, env=env, cwd=root)
        )
        if wait(lambda: cited(port, TOPICS[0][2], "Glacier report"), 600) is None:
            raise SystemExit(f"the first entry never reached the server; see {root}/serve.log")
        print(f"qa watch --every {args.every}: seconds from publishing to an answer citing it")
        for entry in TOPICS[1 : 1 + args.entries]:
            published.append(entry)
            web.body = feed(published)
            name, _, question = entry
            seconds = wait(lambda q=question, n=name: cited(port, q, f"{n} report"), 300)
            shown = f"{seconds:.1f} s" if seconds is not None else "not within 300 s"
            print(f"  {name}: {shown}", flush=True)
    finally:
        web.close()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
