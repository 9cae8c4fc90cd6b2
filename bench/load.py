"""Load test: N concurrent clients for M seconds against a real `qa serve`, with an index
rebuild (one article added) and a hot reload in the middle.

    python -m bench.load [--clients 8] [--seconds 20] [--max-requests 20000] [--workers 1]

The run lasts `--seconds` of load, half before the rebuild and half after it finished, plus
however long the rebuild itself takes (at most 600 s).

It copies the bundled corpus into a temporary folder, builds the index, starts `qa serve` on a
free loopback port, and asks questions from every client until the time or the request budget
runs out (so it always stops by itself). Part way through it adds an article and runs `qa index`
in another process; the server picks the new version up without a restart. It prints the failed
requests (there should be none) and latency percentiles and throughput before the rebuild,
while it runs (until the first answer from the new version), and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
NEW_ARTICLE_NAME = "lighthouse.txt"
NEW_ARTICLE = """Lighthouse keeper rescues three kayakers off the coast of Brittany

2 August 2023

The keeper of the Phare du Petit Minou pulled three kayakers from the water on Tuesday \
evening after their boats capsized in strong currents near Brest.

Based on materials from Ouest-France"""
NEW_ARTICLE_ID = "lighthouse"
NEW_QUESTION = "Who rescued the kayakers near Brest?"
QUESTIONS = [
    "Who does not like the development of the CSTO?",
    "Where was the trilateral agreement signed?",
    "What forces does the CSTO have to respond to crisis situations?",
    NEW_QUESTION,
]


@dataclass(frozen=True)
class Sample:
    """One request: when it started (seconds since the run began), how long it took, and what
    came back."""

    started: float
    seconds: float
    status: int  # 0 when no HTTP answer came back at all
    question: str
    version: str | None = None
    top_article: str | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != 200 or self.error is not None


@dataclass
class LoadRun:
    samples: list[Sample] = field(default_factory=list)
    rebuild_started: float | None = None
    rebuild_finished: float | None = None
    new_version: str | None = None
    seconds: float = 0.0

    @property
    def switched_at(self) -> float | None:
        """When the first request that got the new version started."""
        starts = [s.started for s in self.samples if s.version == self.new_version]
        return min(starts) if starts and self.new_version else None

    def phases(self) -> dict[str, list[Sample]]:
        begin = self.rebuild_started if self.rebuild_started is not None else self.seconds
        switch = self.switched_at if self.switched_at is not None else self.seconds
        return {
            "before": [s for s in self.samples if s.started < begin],
            "during": [s for s in self.samples if begin <= s.started < switch],
            "after": [s for s in self.samples if s.started >= switch],
        }

    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.failed]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def phase_table(run: LoadRun) -> str:
    """The printed table: requests, failures, latency percentiles, throughput per phase."""
    phases = run.phases()
    bounds = {
        "before": (0.0, run.rebuild_started or run.seconds),
        "during": (run.rebuild_started or run.seconds, run.switched_at or run.seconds),
        "after": (run.switched_at or run.seconds, run.seconds),
    }
    lines = [
        "| phase | seconds | requests | failed | p50 ms | p95 ms | p99 ms | requests/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("before", "during", "after"):
        samples = phases[name]
        start, end = bounds[name]
        span = max(end - start, 1e-9)
        latencies = [s.seconds * 1000 for s in samples]
        lines.append(
            f"| {name} | {span:.1f} | {len(samples)} | {sum(s.failed for s in samples)} | "
            f"{percentile(latencies, 0.50):.1f} | {percentile(latencies, 0.95):.1f} | "
            f"{percentile(latencies, 0.99):.1f} | {len(samples) / span:.1f} |"
        )
    return "\n".join(lines)


def ask(connection: http.client.HTTPConnection, question: str) -> tuple[int, dict]:
    body = json.dumps({"question": question, "k": 3})
    connection.request("POST", "/ask", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def run_load(
    port: int,
    *,
    clients: int,
    before: float,
    after: float,
    max_requests: int,
    rebuild: Callable[[], str],
    questions: Sequence[str] = QUESTIONS,
    rebuild_timeout: float = 600.0,
) -> LoadRun:
    """`clients` threads ask questions: `before` seconds, then while `rebuild()` runs (it
    returns the new version), then `after` seconds more. It stops early after `max_requests`
    requests in all, and in any case `rebuild_timeout` seconds past the planned end."""
    run = LoadRun()
    lock = threading.Lock()
    stop = threading.Event()
    begin = time.monotonic()
    hard_deadline = begin + before + after + rebuild_timeout

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        turn = number
        while not stop.is_set() and time.monotonic() < hard_deadline:
            with lock:
                if len(run.samples) >= max_requests:
                    break
            question = questions[turn % len(questions)]
            turn += 1
            started = time.monotonic()
            try:
                status, body = ask(connection, question)
                passages = body.get("passages") or [{}]
                sample = Sample(
                    started - begin,
                    time.monotonic() - started,
                    status,
                    question,
                    version=body.get("index_version"),
                    top_article=passages[0].get("citation", {}).get("article_id"),
                    error=None if status == 200 else json.dumps(body)[:200],
                )
            except (OSError, http.client.HTTPException, ValueError) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                sample = Sample(started - begin, time.monotonic() - started, 0, question,
                                error=repr(error))  # fmt: skip
            with lock:
                run.samples.append(sample)
        connection.close()

    def conductor() -> None:
        try:
            if stop.wait(before):
                return
            run.rebuild_started = time.monotonic() - begin
            run.new_version = rebuild()
            run.rebuild_finished = time.monotonic() - begin
            stop.wait(after)
        finally:
            stop.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    conductor()
    for thread in threads:
        thread.join()
    run.seconds = time.monotonic() - begin
    run.samples.sort(key=lambda s: s.started)
    return run


# --- a real server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(corpus: Path, index: Path, port: int, *, workers: int = 1) -> subprocess.Popen:
    """`qa serve` on loopback, answering within 120 s (the model loads first)."""
    env = {**os.environ, "QA_PORT": str(port), "QA_WORKERS": str(workers),
           "QA_RELOAD_INTERVAL": "0.2", "QA_HOST": "127.0.0.1"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--corpus", str(corpus), "--index", str(index)],
        cwd=REPOSITORY, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"qa serve exited with status {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("qa serve did not answer within 120 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def add_article_and_index(corpus: Path, index: Path) -> str:
    """The rebuild of the benchmark: one new article, `qa index` in its own process."""
    (corpus / NEW_ARTICLE_NAME).write_text(NEW_ARTICLE, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "qa", "index", "--corpus", str(corpus), "--index", str(index)],
        cwd=REPOSITORY, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    target = os.readlink(index / "current")
    return Path(target).name


def check_switch(run: LoadRun) -> list[str]:
    """What went wrong with the reload, if anything: answers must move to the new version,
    never back, and the new article must answer its question from then on."""
    problems = []
    switch = run.switched_at
    if switch is None:
        return [f"no answer came from the new version {run.new_version}"]
    late_old = [s for s in run.samples if s.started > switch + 1.0 and s.version != run.new_version]
    if late_old:
        problems.append(f"{len(late_old)} old-version answers more than 1 s after the switch")
    wrong = [s for s in run.samples if s.version == run.new_version and s.question == NEW_QUESTION
             and s.top_article != NEW_ARTICLE_ID]  # fmt: skip
    if wrong:
        problems.append(f"{len(wrong)} answers from the new version missed the new article")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="qa-load-") as scratch:
        corpus, index = Path(scratch) / "corpus", Path(scratch) / "index"
        shutil.copytree(REPOSITORY / "corpus", corpus)
        (corpus / NEW_ARTICLE_NAME).unlink(missing_ok=True)
        subprocess.run(
            [sys.executable, "-m", "qa", "index", "--corpus", str(corpus), "--index", str(index)],
            cwd=REPOSITORY, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        port = free_port()
        server = start_server(corpus, index, port, workers=args.workers)
        try:
            run = run_load(
                port,
                clients=args.clients,
                before=args.seconds / 2,
                after=args.seconds / 2,
                max_requests=args.max_requests,
                rebuild=lambda: add_article_and_index(corpus, index),
            )
        finally:
            stop_server(server)

    print(f"{args.clients} clients against `qa serve` ({args.workers} worker(s)) for "
          f"{run.seconds:.1f} s, {len(run.samples)} requests")  # fmt: skip
    print(f"rebuild (`qa index`, one article added): {run.rebuild_started:.1f} s to "
          f"{run.rebuild_finished:.1f} s; first answer from the new version at "
          f"{run.switched_at if run.switched_at is not None else float('nan'):.1f} s")  # fmt: skip
    print()
    print(phase_table(run))
    failures = run.failures()
    problems = check_switch(run)
    print()
    print(f"{len(run.samples)} requests, {len(failures)} failed")
    for sample in failures[:20]:
        print(f"  failed at {sample.started:.2f} s: status {sample.status} {sample.error}")
    for problem in problems:
        print(f"  reload: {problem}")
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
