"""bench/sets/check_sets.py: the committed sets pass, and a broken set is reported, not passed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.settings import REPOSITORY
from tests.conftest import MULTIHOP_CORPUS

CHECK = REPOSITORY / "bench" / "sets" / "check_sets.py"

pytestmark = pytest.mark.skipif(not MULTIHOP_CORPUS.exists(), reason="MultiHop-RAG corpus absent")


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), "--corpus", str(MULTIHOP_CORPUS), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_sets_pass() -> None:
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "conversations.jsonl: threads" in result.stdout


def test_broken_conversations_are_reported(tmp_path: Path) -> None:
    url = json.loads(MULTIHOP_CORPUS.read_text(encoding="utf-8"))[0]["url"]
    threads = [
        {
            "id": "x1",
            "turns": [
                {"question": "q", "kind": "first", "article": url, "answer": "not in the body"},
                {"question": "and?", "kind": "first", "article": "https://nowhere", "answer": "a"},
            ],
        },
        {"id": "x1", "turns": [{"question": "alone", "kind": "first", "article": url}]},
    ]
    broken = tmp_path / "conversations.jsonl"
    broken.write_text("\n".join(json.dumps(t) for t in threads) + "\nnot json\n", encoding="utf-8")
    result = run_check(str(broken))
    assert result.returncode == 1
    for problem in (
        "answer is not a verbatim span",
        "kind 'first' is for turn 1 only",
        "article not in the corpus",
        "duplicate id 'x1'",
        "turns must be a list of 2 to 4 turns",
        "conversations.jsonl:3: not JSON",
    ):
        assert problem in result.stderr
