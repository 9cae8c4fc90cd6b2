"""`qa index --ray` against a real Ray cluster of two nodes on 127.0.0.1, started and stopped here.

The Ray build must publish what a local build publishes (same passages, same manifest but for
build time and version, vectors equal within the precision's tolerance), and a worker killed
mid-build must leave either a finished build or the live version untouched. Skipped when Ray is
not installed (`pip install -e '.[ray]'`); `.ci/run` installs it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from qa.build import build_from_corpus
from qa.index import current_version, load_index
from qa.settings import REPOSITORY

from .support import free_port, make_corpus, many_articles

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")
pytestmark = pytest.mark.ray

RAY = Path(sys.executable).with_name("ray")
NODE_OPTIONS = [
    "--num-cpus=1",
    "--object-store-memory=100000000",
    "--disable-usage-stats",
    "--node-ip-address=127.0.0.1",
    "--block",
]


def _start(arguments: list[str], log: Path) -> subprocess.Popen:
    """One `ray start --block` process in its own process group (stopped by group id)."""
    with log.open("w") as output:
        return subprocess.Popen(
            [str(RAY), "start", *arguments, *NODE_OPTIONS],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"},
        )


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _cluster_ready(address: str, nodes: int) -> bool:
    probe = (
        f"import ray; ray.init(address={address!r}, logging_level='ERROR'); "
        "print(len([n for n in ray.nodes() if n['Alive']]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    return done.returncode == 0 and done.stdout.strip().endswith(str(nodes))


@contextlib.contextmanager
def ray_cluster() -> Iterator[tuple[str, set[int]]]:
    """A head and a second node on 127.0.0.1, one CPU each; yields the head's address and the
    session ids of their processes (each `ray start` leads its own session)."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    temporary = Path(tempfile.mkdtemp(prefix="qa-ray-", dir="/tmp"))  # short: Unix sockets
    head = _start(
        [
            "--head",
            f"--port={port}",
            f"--temp-dir={temporary}",
            "--include-dashboard=false",
        ],
        temporary / "head.log",
    )
    nodes = [head]
    try:
        deadline = time.monotonic() + 120
        while not _cluster_ready(address, 1):
            assert head.poll() is None and time.monotonic() < deadline, (
                temporary / "head.log"
            ).read_text()
            time.sleep(1)
        nodes.append(_start([f"--address={address}"], temporary / "node.log"))
        while not _cluster_ready(address, 2):
            assert time.monotonic() < deadline, (temporary / "node.log").read_text()
            time.sleep(1)
        yield address, {node.pid for node in nodes}
    finally:
        for node in reversed(nodes):
            _stop(node)


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, set[int]]]:
    with ray_cluster() as address:
        yield address


def qa_index(corpus: Path, index: Path, *extra: str, **popen: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qa", "index", "--full", "--corpus", str(corpus),
         "--index", str(index), *extra],
        cwd=REPOSITORY, env={**os.environ, "QA_PRECISION": "fp32"}, **popen,
    )  # fmt: skip


def test_the_ray_build_publishes_what_a_local_build_does(cluster, tmp_path, embedder):
    corpus = make_corpus(tmp_path / "corpus")
    many_articles(corpus, 12)
    local = build_from_corpus(corpus, tmp_path / "local", embedder, full=True)

    process = qa_index(corpus, tmp_path / "ray", "--ray", cluster[0], stdout=subprocess.PIPE)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output
    assert b"15 added" in output

    mine, theirs = load_index(tmp_path / "local"), load_index(tmp_path / "ray")
    assert local.passages_total == len(theirs.passages)
    assert list(mine.passages) == list(theirs.passages)
    assert list(mine.articles.values()) == list(theirs.articles.values())
    assert mine.article_hashes() == theirs.article_hashes()
    different = {"built_at", "version", "files"}
    manifest = {k: v for k, v in asdict(mine.manifest).items() if k not in different}
    assert manifest == {k: v for k, v in asdict(theirs.manifest).items() if k not in different}
    # every file but the manifest and the vectors is byte for byte the same
    same = {k: v for k, v in mine.manifest.files.items() if not k.startswith("vectors")}
    assert same == {k: v for k, v in theirs.manifest.files.items() if not k.startswith("vectors")}
    cosines = np.sum(np.asarray(mine.store.vectors()) * np.asarray(theirs.store.vectors()), axis=1)
    assert cosines.min() > 0.9999  # both fp32 here; batches differ


def embedding_actor_pids(sessions: set[int]) -> list[int]:
    """Processes of the build's embedding actors (Ray names them `ray::_Embedding...`) in the
    sessions of the node processes this test started, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            session = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3])
        except (OSError, IndexError, ValueError):
            continue
        if command.startswith(b"ray::_Embedding") and session in sessions:
            found.append(int(entry.name))
    return sorted(found)


def test_a_worker_killed_mid_build_finishes_or_leaves_the_live_index(cluster, tmp_path, embedder):
    corpus = make_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    build_from_corpus(corpus, index, embedder)
    live = current_version(index)
    many_articles(corpus, 200)

    process = qa_index(corpus, index, "--ray", cluster[0], stderr=subprocess.PIPE)
    try:
        seen = b""
        while b"Embedding on Ray" not in seen and process.poll() is None:
            seen += os.read(process.stderr.fileno(), 4096)
        assert process.poll() is None, seen.decode(errors="replace")
        pids = []
        deadline = time.monotonic() + 60
        while not pids and time.monotonic() < deadline:
            pids = embedding_actor_pids(cluster[1])
            time.sleep(0.1)
        assert pids, "no embedding actor found"
        os.kill(pids[0], signal.SIGKILL)  # an actor process of the cluster we started, by id
        _, rest = process.communicate(timeout=900)
        seen += rest
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    if process.returncode == 0:  # Ray restarted the actor and retried its batch
        finished = load_index(index)
        assert finished.manifest.article_count == 203
        assert current_version(index) != live
    else:  # the build failed cleanly: one line, the previous version still live
        assert current_version(index) == live
        assert b"qa: error:" in seen and b"Traceback" not in seen
        assert load_index(index).manifest.article_count == 3
