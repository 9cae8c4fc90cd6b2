"""(d) Vector search at growing sizes: time, memory and recall@10 against exact search.

The vectors are synthetic and normalized, drawn around topic centres the way news passages
cluster by subject: each is a random centre (one per 1,000 vectors) plus Gaussian noise of the
same norm, so a vector's cosine to its centre is about 0.7 (uniform random vectors have no
neighbours worth the name, and every approximate index degrades to a full scan on them).
Queries are new draws from the same centres. For each size the store is built as `qa index`
would build it (`FaissStore.build`: exact below `qa.vectors.APPROXIMATE_FROM`, else IVF-SQ8),
saved, and then loaded and searched in a fresh process, whose memory is read before and after;
it searches on one core, as a `qa serve` worker answering several requests at once does.
At sizes where the automatic choice is approximate, an exact store is measured too.

Run one probe by hand: `python -m bench.speed_search FOLDER KIND COUNT QUERIES.npy`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from bench.common import memory_mb, percentiles_ms, print_table
from qa.vectors import FAISS_FILE, FaissStore, choose_kind, exact_search, recall

DIMENSION = 384
PER_TOPIC = 1000
SLICE = 100_000


def synthetic_vectors(count: int, centres: np.ndarray, seed: int) -> np.ndarray:
    """`count` normalized vectors around `centres` (float32, made in slices to bound memory)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, centres.shape[1]), dtype=np.float32)
    for start in range(0, count, SLICE):
        size = min(SLICE, count - start)
        topics = rng.integers(0, len(centres), size=size)
        noise = rng.standard_normal((size, centres.shape[1]), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        block = centres[topics] + noise
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def unit_centres(count: int, seed: int) -> np.ndarray:
    centres = np.random.default_rng(seed).standard_normal((count, DIMENSION), dtype=np.float32)
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


@dataclass
class SearchRow:
    count: int
    kind: str
    build_seconds: float
    file_mb: float
    load_mb: float
    p50: float
    p95: float
    p99: float
    recall: float


def run_search_bench(workdir: Path, sizes: list[int], queries: int) -> list[SearchRow]:
    rows = []
    for count in sizes:
        centres = unit_centres(max(1, count // PER_TOPIC), seed=count)
        vectors = synthetic_vectors(count, centres, seed=1)
        asked = synthetic_vectors(queries, centres, seed=2)
        truth = exact_search(vectors, asked, 10)[1]
        query_file = workdir / f"queries-{count}.npy"
        np.save(query_file, asked)
        automatic = choose_kind(count)
        kinds = [automatic] if automatic == "flat" else ["flat", automatic]
        for kind in kinds:
            folder = workdir / f"store-{count}-{kind}"
            folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            store = FaissStore.build(
                vectors, approximate_from=None if kind != "flat" else count + 1
            )
            store.save(folder)
            built = time.perf_counter() - started
            del store
            probe = _probe(folder, kind, count, query_file)
            found = np.asarray(probe["ids"])
            p50, p95, p99 = percentiles_ms(probe["seconds"])
            rows.append(
                SearchRow(
                    count=count,
                    kind=kind if kind == automatic else f"{kind} (for comparison)",
                    build_seconds=built,
                    file_mb=(folder / FAISS_FILE).stat().st_size / 2**20,
                    load_mb=probe["after_mb"] - probe["before_mb"],
                    p50=p50,
                    p95=p95,
                    p99=p99,
                    recall=recall(found, truth, 10),
                )
            )
            print(f"  {count:,} {kind}: p95 {p95:.1f} ms, recall {rows[-1].recall:.3f}", flush=True)
        del vectors
    return rows


def _probe(folder: Path, kind: str, count: int, query_file: Path) -> dict:
    command = [sys.executable, "-m", "bench.speed_search", str(folder), kind, str(count)]
    output = subprocess.run(
        [*command, str(query_file)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def probe_main(folder: Path, kind: str, count: int, query_file: Path) -> None:
    """Load a saved store as a server worker would, search one query at a time, print JSON."""
    faiss.omp_set_num_threads(1)  # as a server worker answering several requests at once
    asked = np.load(query_file)
    before = memory_mb()["rss"]
    store = FaissStore.load(folder, asked.shape[1], count, kind=kind)
    store.search(asked[0], 10)
    seconds, ids = [], []
    for query in asked:
        started = time.perf_counter()
        _, found = store.search(query, 10)
        seconds.append(time.perf_counter() - started)
        ids.append(found[0].tolist())
    after = memory_mb()
    result = {
        "before_mb": before,
        "after_mb": after["rss"],
        "peak_mb": after["peak_rss"],
        "seconds": seconds,
        "ids": ids,
    }
    print(json.dumps(result))


def print_search_table(rows: list[SearchRow], queries: int) -> None:
    print_table(
        f"(d) Search over synthetic normalized vectors ({DIMENSION} dimensions), one query at a "
        f"time, {queries} queries, k=10",
        [
            "passages",
            "store",
            "build s",
            "index file MB",
            "RSS added by loading and searching, MB",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "recall@10",
        ],
        [
            [
                row.count,
                row.kind,
                row.build_seconds,
                row.file_mb,
                row.load_mb,
                row.p50,
                row.p95,
                row.p99,
                row.recall,
            ]
            for row in rows
        ],
    )


if __name__ == "__main__":
    probe_main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
