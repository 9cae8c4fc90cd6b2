"""`python -m bench.run` runs end to end at tiny sizes and prints every table (a smoke test
only: speed is measured by `make bench`, never asserted here)."""

from __future__ import annotations

import pytest

from .support import run_bench


@pytest.mark.slow
def test_bench_prints_every_table():
    arguments = ["--articles", "2", "--repeats", "1", "--questions", "4", "--clients", "2"]
    arguments += ["--sizes", "1500", "--search-queries", "5"]
    result = run_bench("run", *arguments, timeout=1800)
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout
    for title in ("(a) Build throughput", "(b) /ask latency", "(c) Server memory", "(d) Search"):
        assert title in output
    assert "| plain fp32 SentenceTransformer.encode (batch 32) |" in output
    assert "| HTTP | 2 | 4 | 0 |" in output  # four answers from two clients, no errors
    assert "| 1,500 | flat |" in output  # an exact store at this size, with its measured row
