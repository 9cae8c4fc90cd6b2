"""A real `qa serve` in a subprocess: what it prints, where it leaves files, and `qa ask`
answering through it (in a fresh Python that then has not imported PyTorch)."""

from __future__ import annotations

import json
import os

from qa.build import build_from_corpus
from qa.cli import main
from qa.index import current_version
from qa.settings import Settings

from .support import make_corpus, post_json, qa_serve_printing, run_fast_ask

QUESTION = "How much wheat did Egypt buy?"


def precision_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("Embedding in ")]


def test_serve_prints_ready_once_workers_answer_and_ask_uses_it(
    tmp_path, embedder, capsys, monkeypatch
):
    settings = Settings(corpus=make_corpus(tmp_path / "corpus"), index=tmp_path / "index")
    build_from_corpus(settings.corpus, settings.index, embedder)
    home = tmp_path / "home"
    home.mkdir()
    with qa_serve_printing(settings, home) as served:
        assert served.healthz_when_ready == 200
        assert served.lines[served.ready_at] == f"Ready on {served.url} (Ctrl+C to stop)"
        # the precision line of the first worker warm, and no other worker's, before "Ready on"
        (precision,) = precision_lines(served.lines)
        assert served.lines.index(precision) < served.ready_at
        # no thread in the master, whose workers would inherit the locks it held at a fork
        # (a worker forked during an import in a polling thread hung on its first request)
        assert len(os.listdir(f"/proc/{served.pid}/task")) == 1
        for _ in range(6):  # each on a new connection: both workers answer
            assert post_json(f"{served.url}/ask", {"question": QUESTION}, timeout=120)[0] == 200

        # `qa ask` through the server: exactly its /ask answer, without PyTorch
        empty_cache = tmp_path / "no-export"  # answered here, it would have to import torch
        out, run = run_fast_ask(
            [[QUESTION, "--json", "--index", str(settings.index)]],
            QA_PORT=served.url.rsplit(":", 1)[1],
            QA_CACHE=str(empty_cache),
        )
        assert run == {"status": [0], "imported": []}
        # (a minute to answer: the machines that run this suite can be very busy)
        asked = post_json(f"{served.url}/ask", {"question": QUESTION}, timeout=120)
        assert json.loads(out) == asked[1]

        # a server found at QA_PORT is not asked about another index; one named with --server is
        monkeypatch.setenv("QA_PORT", served.url.rsplit(":", 1)[1])
        other = ["ask", QUESTION, "--json", "--index", str(tmp_path / "other-index")]
        capsys.readouterr()
        assert main(other) == 1
        assert capsys.readouterr().err.startswith("qa: error: No index has been built")
        assert main([*other, "--server", served.url]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer["index_version"] == current_version(settings.index).name
    assert len(precision_lines(served.lines)) == 1  # still, after both workers are done
    # no control socket (or anything else) in $HOME, but the device id ONNX Runtime (which
    # embeds the questions) writes under ~/.cache/Microsoft when imported, whatever it is asked
    written = [path for path in home.rglob("*") if path.is_file()]
    assert all(path.relative_to(home).parts[:2] == (".cache", "Microsoft") for path in written)
    lines = "\n".join(served.lines)
    for stray in ("Building index from", "Booting worker", "Traceback", "[INFO]"):
        assert stray not in lines


def test_serve_builds_a_missing_index_then_answers(tmp_path):
    settings = Settings(corpus=make_corpus(tmp_path / "corpus"), index=tmp_path / "index")
    assert current_version(settings.index) is None
    with qa_serve_printing(settings, tmp_path) as served:
        status, body = post_json(f"{served.url}/ask", {"question": QUESTION})
        assert status == 200 and "480,000 tonnes" in body["passages"][0]["text"]
    text = "\n".join(served.lines)
    assert text.startswith(f"No index in {settings.index} yet: building it")
    assert f"Index version {current_version(settings.index).name}: 3 added" in text
    assert len(precision_lines(served.lines)) == 1  # the build's; the workers say no more
    assert "Building index from" not in text and "Traceback" not in text
