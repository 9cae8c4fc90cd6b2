"""(b) /ask latency in-process and over HTTP at 1 and N concurrent clients; (c) server memory.

In-process requests go through the Flask test client (parsing, search, JSON; no sockets). HTTP
requests go to a real `qa serve` (gunicorn) started on loopback for the run, each client thread
on its own keep-alive connection. Every client sends distinct questions in a bounded loop, and
the server is stopped at the end. Latency is per request; throughput is requests over wall time.
Nothing here depends on how /ask searches, so the numbers can be taken again after any change.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bench.common import MULTIHOP, children, memory_mb, percentiles_ms, print_table
from qa.settings import REPOSITORY, Settings

FALLBACK_QUESTIONS = (
    "Who does not like the development of the CSTO?",
    "Where was the trilateral agreement signed?",
    "What did Lavrov say about NATO?",
    "Which countries are members of the CSTO?",
)


def questions_label() -> str:
    """What the /ask tables measured with, for their titles: the bench falls back to a few
    sample questions when the MultiHop-RAG data is not found, and must say so."""
    if (MULTIHOP / "queries_dev.json").exists():
        return "MultiHop-RAG dev questions"
    return (
        f"the {len(FALLBACK_QUESTIONS)} sample questions, repeated (no MultiHop-RAG data under "
        f"{MULTIHOP}; set QA_SHARED_DATA)"
    )


def load_questions(count: int) -> list[str]:
    """Distinct MultiHop-RAG dev questions (the repository's own few when it is absent)."""
    source = MULTIHOP / "queries_dev.json"
    if source.exists():
        questions = [item["query"] for item in json.loads(source.read_text(encoding="utf-8"))]
    else:
        questions = list(FALLBACK_QUESTIONS)
    return [questions[number % len(questions)] for number in range(count)]


class Client(Protocol):
    def ask(self, question: str) -> bool: ...

    def close(self) -> None: ...


@dataclass
class LoadRun:
    """One measured run: where, how many concurrent clients, and what came back."""

    where: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def run_clients(
    where: str, clients: int, questions: Sequence[str], make_client: Callable[[], Client]
) -> LoadRun:
    """Send every question once, spread over `clients` threads; each thread has its own client."""
    run = LoadRun(where, clients)
    lock = threading.Lock()
    shares = [questions[number::clients] for number in range(clients)]

    def client(share: Sequence[str]) -> None:
        asker = make_client()
        try:
            for question in share:
                started = time.perf_counter()
                try:
                    ok = asker.ask(question)
                except (OSError, http.client.HTTPException):
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        run.latencies.append(elapsed)
                    else:
                        run.errors += 1
        finally:
            asker.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, shares))
    run.seconds = time.perf_counter() - started
    return run


class InProcessClient:
    """Asks through the Flask test client: the whole app, no sockets."""

    def __init__(self, app) -> None:
        self.client = app.test_client()

    def ask(self, question: str) -> bool:
        return self.client.post("/ask", json={"question": question}).status_code == 200

    def close(self) -> None:
        pass


class HttpClient:
    """Asks over one keep-alive HTTP connection to a server on loopback."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def ask(self, question: str) -> bool:
        body = json.dumps({"question": question})
        self.connection.request("POST", "/ask", body, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        response.read()
        return response.status == 200

    def close(self) -> None:
        self.connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A real `qa serve` on loopback, started for a benchmark and stopped by it."""

    def __init__(self, index: Path, workers: int, threads: int, log: Path) -> None:
        self.port = free_port()
        self.log = log
        environment = {
            **os.environ,
            "QA_INDEX": str(index),
            "QA_CORPUS": str(index.parent / "corpus"),
            "QA_WORKERS": str(workers),
            "QA_THREADS": str(threads),
            "QA_PORT": str(self.port),
            "QA_HOST": "127.0.0.1",
        }
        self.started = time.perf_counter()
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "qa", "serve"],
                env=environment,
                cwd=REPOSITORY,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.workers = workers

    def wait_ready(self, timeout: float = 300) -> float:
        """Seconds until every worker is up and /healthz answers (the index has loaded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qa serve exited; see {self.log}")
            if len(children(self.process.pid)) >= self.workers and self._healthy():
                return time.perf_counter() - self.started
            time.sleep(0.2)
        raise RuntimeError(f"qa serve was not ready within {timeout} s; see {self.log}")

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def memory(self) -> list[tuple[str, dict[str, float]]]:
        """Memory of the gunicorn arbiter and each worker."""
        processes = [("arbiter", self.process.pid)]
        processes += [(f"worker {n}", pid) for n, pid in enumerate(children(self.process.pid), 1)]
        return [(name, memory_mb(pid)) for name, pid in processes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class ServeResult:
    runs: list[LoadRun]
    first_request_ms: float
    ready_seconds: float
    memory: list[tuple[str, dict[str, float]]]
    passages: int
    workers: int
    threads: int


def run_serve_bench(
    settings: Settings,
    index: Path,
    embedder,
    questions: int,
    clients: int,
    workers: int,
    threads: int,
    log_folder: Path,
) -> ServeResult:
    """In-process runs, then the same over HTTP against a real server, then its memory."""
    import faiss
    import torch

    from qa.app import create_app
    from qa.index import load_index
    from qa.threads import request_threads

    asked = load_questions(questions * 2)
    passages = load_index(index).manifest.passage_count
    runs = []
    cores = request_threads(workers, threads)  # as each server worker does
    torch.set_num_threads(cores)
    faiss.omp_set_num_threads(cores)
    app = create_app(settings.replace(index=index), embedder=embedder)
    app.test_client().post("/ask", json={"question": "warm up"})
    for count in (1, clients):
        runs.append(
            run_clients("in-process", count, asked[:questions], lambda: InProcessClient(app))
        )
    server = Server(index, workers, threads, log_folder / "serve.log")
    try:
        ready = server.wait_ready()
        first = run_clients("first", 1, asked[-1:], lambda: HttpClient(server.port))
        for count in (1, clients):
            batch = asked[questions:] if count == 1 else asked[:questions]
            runs.append(run_clients("HTTP", count, batch, lambda: HttpClient(server.port)))
        memory = server.memory()
    finally:
        server.stop()
    return ServeResult(
        runs=runs,
        first_request_ms=first.latencies[0] * 1000 if first.latencies else float("nan"),
        ready_seconds=ready,
        memory=memory,
        passages=passages,
        workers=workers,
        threads=threads,
    )


def print_serve_tables(result: ServeResult, title: str) -> None:
    rows = []
    single = {run.where: run.throughput for run in result.runs if run.clients == 1}
    for run in result.runs:
        p50, p95, p99 = percentiles_ms(run.latencies)
        rows.append(
            [
                run.where,
                run.clients,
                len(run.latencies),
                run.errors,
                p50,
                p95,
                p99,
                run.throughput,
                run.throughput / single[run.where] if single.get(run.where) else float("nan"),
            ]
        )
    print_table(
        f"(b) /ask latency, {title}: {result.passages:,} passages; server: "
        f"{result.workers} worker(s) x {result.threads} threads",
        [
            "where",
            "clients",
            "answers",
            "errors",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "req/s",
            "vs 1 client",
        ],
        rows,
    )
    print(
        f"Server ready (workers warmed, index loaded) {result.ready_seconds:.1f} s after start; "
        f"first HTTP request {result.first_request_ms:.1f} ms."
    )
    total_rss = sum(m["peak_rss"] for _, m in result.memory)
    total_pss = sum(m["pss"] for _, m in result.memory)
    rows = [[name, m["rss"], m["peak_rss"], m["pss"]] for name, m in result.memory]
    rows.append(["all processes", float("nan"), total_rss, total_pss])
    print_table(
        f"(c) Server memory after the runs, {title} (MB)",
        ["process", "RSS", "peak RSS", "PSS"],
        rows,
    )
