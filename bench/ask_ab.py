"""/ask over HTTP from two checkouts of the code, alternating, on one index: which is faster.

    python -m bench.ask_ab --old /tmp/old-checkout --index INDEX [--rounds 4] [--questions 200]

`--old` is a checkout of the code to compare with (`git worktree add --detach /tmp/old main`, or
`git archive main | tar -x -C /tmp/old`); the new one is this checkout. Both run with this
checkout's Python environment. Each round starts a real `qa serve` of each checkout in turn (one
worker, so one process answers everything; the order alternates between rounds, so load from
other jobs on the machine falls on both alike), asks the same MultiHop-RAG dev questions one at a
time on one keep-alive connection, and stops the server. Besides latency it reads the worker's
CPU time (user + system, /proc) per request: on a busy machine that is the figure that depends
least on what else runs. At the end it says how many answers cite the same passages (article and
offset, in order) and the same answer sentences in both.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import children, percentiles_ms, print_table
from bench.speed_serve import free_port, load_questions
from qa.settings import REPOSITORY


def worker_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ask(connection: http.client.HTTPConnection, question: str) -> bytes:
    body = json.dumps({"question": question})
    connection.request("POST", "/ask", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"/ask answered {response.status}: {data[:200]!r}")
    return data


def run(
    tree: Path, index: Path, questions: list[str], log: Path
) -> tuple[list[float], float, list]:
    """Latencies (s), worker CPU per request (ms) and the answers of one server of `tree`."""
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "QA_INDEX": str(index),
        "QA_WORKERS": "1",
        "QA_PORT": str(port),
        "QA_HOST": "127.0.0.1",
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "qa", "serve"],
            cwd=tree,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 600
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                ask(connection, "warm up")
                break
            except (OSError, http.client.HTTPException, RuntimeError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"qa serve did not answer; see {log}") from None
                connection.close()
                time.sleep(0.3)
        time.sleep(0.5)  # the process that printed "Ready on" has gone
        (worker,) = [pid for pid in children(server.pid) if Path(f"/proc/{pid}").exists()]
        started = worker_cpu_seconds(worker)
        latencies, answers = [], []
        for question in questions:
            began = time.perf_counter()
            answers.append(_cited(ask(connection, question)))
            latencies.append(time.perf_counter() - began)
        cpu_ms = (worker_cpu_seconds(worker) - started) / len(questions) * 1000
        connection.close()
        return latencies, cpu_ms, answers
    finally:
        server.terminate()
        server.wait(timeout=60)


def _cited(data: bytes) -> Any:
    answer = json.loads(data)
    passages = [(p["citation"]["article_id"], p["citation"]["start"]) for p in answer["passages"]]
    return passages, answer["answerable"], [sentence["text"] for sentence in answer["answer"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ask_ab", description=__doc__)
    parser.add_argument("--old", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--index", type=Path, required=True, help="the index both serve")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    trees = {"old": args.old.resolve(), "new": REPOSITORY}
    latencies: dict[str, list[float]] = {name: [] for name in trees}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    answers: dict[str, list] = {}
    loads = []
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"ask-ab-{os.getpid()}.log"
    for round_number in range(args.rounds):
        order = list(trees) if round_number % 2 == 0 else list(trees)[::-1]
        for name in order:
            loads.append(os.getloadavg()[0])
            taken, cpu_ms, answers[name] = run(trees[name], args.index, questions, log)
            latencies[name] += taken
            cpu[name].append(cpu_ms)
            p50, p95, _ = percentiles_ms(taken)
            print(
                f"round {round_number + 1} {name}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
                f"worker CPU {cpu_ms:.2f} ms per request",
                flush=True,
            )
    rows = []
    for name in trees:
        p50, p95, p99 = percentiles_ms(latencies[name])
        mean_cpu = sum(cpu[name]) / len(cpu[name])
        rows.append([name, len(latencies[name]), p50, p95, p99, mean_cpu])
    print_table(
        f"/ask over HTTP, 1 worker, 1 client, {args.rounds} alternating rounds of "
        f"{len(questions)} questions (load average {min(loads):.1f} to {max(loads):.1f})",
        ["code", "answers", "p50 ms", "p95 ms", "p99 ms", "worker CPU ms per request"],
        rows,
    )
    same = sum(a == b for a, b in zip(answers["old"], answers["new"]))
    print(f"Same passages (in order), answerable and answer sentences: {same} of {len(questions)}.")
    log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
