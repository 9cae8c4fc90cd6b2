"""The `qa` command in-process (and once through `python -m qa`), over corpora in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.app import create_app
from qa.cli import main
from qa.embedding import SentenceTransformerEmbedder
from qa.settings import REPOSITORY

from .support import SAMPLE, SAMPLE_ID, make_corpus


@pytest.fixture
def paths(tmp_path: Path) -> list[str]:
    corpus = make_corpus(tmp_path / "corpus")
    return ["--corpus", str(corpus), "--index", str(tmp_path / "index")]


def index_args(paths: list[str]) -> list[str]:
    return ["--index", paths[3]]


def test_index_then_ask(paths, capsys):
    assert main(["index", *paths]) == 0
    out = capsys.readouterr().out
    assert "3 added, 0 changed, 0 removed, 0 unchanged, 0 skipped" in out
    assert main(["index", *paths]) == 0
    assert "0 added, 0 changed, 0 removed, 3 unchanged" in capsys.readouterr().out

    assert (
        main(["ask", "Where was the trilateral agreement signed?", "-k", "2", *index_args(paths)])
        == 0
    )
    out = capsys.readouterr().out
    answer, passages = out.split("\n\n[1] ", 1)  # the answer sentence first, then the passages
    assert "trilateral agreement was signed in Moscow" in answer and answer.endswith("[1]")
    assert passages.startswith("Lavrov said that NATO countries")
    assert "(TASS, 2022-06-08)" in out
    assert f"{SAMPLE_ID}, characters " in out
    assert "[2] " in out and "[3] " not in out


def test_ask_json_is_exactly_the_api_answer(paths, capsys, embedder, monkeypatch):
    # Like with like: the CLI embeds with the same embedder as the app below. Left to choose,
    # it may pick bf16 or ONNX Runtime on this CPU, and a score would move in the 4th decimal.
    monkeypatch.setattr(SentenceTransformerEmbedder, "from_settings", lambda settings: embedder)
    assert main(["index", *paths]) == 0
    capsys.readouterr()
    question = "What did Egypt buy?"
    assert main(["ask", question, "--json", *index_args(paths)]) == 0
    printed = json.loads(capsys.readouterr().out)
    from qa.settings import Settings

    settings = Settings(corpus=Path(paths[1]), index=Path(paths[3]))
    client = create_app(settings, embedder=embedder).test_client()
    assert printed == client.post("/ask", json={"question": question}).get_json()


def test_mistakes_are_one_line(paths, capsys):
    assert main(["ask", "anything", *index_args(paths)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa: error: No index has been built")
    assert main(["ask", "  ", *index_args(paths)]) == 1
    assert capsys.readouterr().err == 'qa: error: "question" must not be empty or blank.\n'
    assert main(["ask", "x", "-k", "0", *index_args(paths)]) == 1
    assert "between 1 and 50" in capsys.readouterr().err
    assert main(["index", "--corpus", "/no/such/folder", "--index", paths[3]]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_index_reports_skipped_files_and_strict(paths, capsys):
    corpus = Path(paths[1])
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02")
    (corpus / "empty.md").write_bytes(b"")
    before = sorted((p.name, p.read_bytes()) for p in corpus.iterdir())
    assert main(["index", *paths]) == 0
    captured = capsys.readouterr()
    assert "skipped binary.txt: the file is binary" in captured.err
    assert "skipped empty.md: the file is empty" in captured.err
    assert "3 added" in captured.out and "2 skipped" in captured.out
    assert main(["index", "--strict", *paths]) == 1
    assert sorted((p.name, p.read_bytes()) for p in corpus.iterdir()) == before


def test_add_writes_one_file_per_article(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        json.dumps({"title": "First", "body": "One.", "date": "2023-01-02"})
        + "\n"
        + json.dumps({"body": "No title."})
        + "\n"
        + json.dumps({"title": "Second", "text": "Two.", "url": "https://example.org/2"})
        + "\n"
    )
    assert main(["add", str(SAMPLE), str(batch), "--corpus", str(corpus)]) == 1  # one rejected
    captured = capsys.readouterr()
    assert f"rejected {batch} (record 2): no title" in captured.err
    assert "3 written, 1 rejected" in captured.out
    names = sorted(p.name for p in corpus.iterdir())
    assert len(names) == 3 and f"{SAMPLE_ID}.md" in names
    # adding again changes nothing; a changed article is refused unless --replace
    assert main(["add", str(SAMPLE), "--corpus", str(corpus)]) == 0
    assert "unchanged" in capsys.readouterr().out
    edited = tmp_path / SAMPLE.name
    edited.write_text(SAMPLE.read_text().replace("Lavrov said", "Lavrov says", 1))
    assert main(["add", str(edited), "--corpus", str(corpus)]) == 1
    assert "already exists with different content" in capsys.readouterr().err
    assert main(["add", str(edited), "--replace", "--corpus", str(corpus)]) == 0
    assert "Lavrov says" in (corpus / f"{SAMPLE_ID}.md").read_text()


def test_add_cannot_write_outside_the_corpus(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps([{"id": "../../escape", "title": "T", "body": "B."}]))
    assert main(["add", str(evil), "--corpus", str(corpus)]) == 0
    assert [p.parent for p in tmp_path.rglob("*.md")] == [corpus]


def test_python_dash_m_qa_runs():
    result = subprocess.run(
        [sys.executable, "-m", "qa", "--help"], capture_output=True, text=True, cwd=REPOSITORY
    )
    assert result.returncode == 0
    for command in ("index", "serve", "ask", "add"):
        assert command in result.stdout
