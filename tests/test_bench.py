"""The bench entry point runs end to end at tiny sizes and prints its tables (a smoke test only:
speed is measured by `make bench`, never asserted here)."""

from __future__ import annotations

import pytest

from bench import run
from bench.common import percentiles_ms
from qa.vectors import APPROXIMATE_FROM


def test_percentiles_are_in_milliseconds():
    assert percentiles_ms([0.001] * 10) == pytest.approx((1.0, 1.0, 1.0))


@pytest.mark.slow
def test_bench_prints_every_table(capsys):
    assert (
        run.main(
            [
                "--articles",
                "2",
                "--repeats",
                "1",
                "--questions",
                "4",
                "--clients",
                "2",
                "--sizes",
                "1500",
                "--search-queries",
                "5",
            ]
        )
        == 0
    )
    output = capsys.readouterr().out
    for title in ("(a) Build throughput", "(b) /ask latency", "(c) Server memory", "(d) Search"):
        assert title in output
    assert "| plain fp32 SentenceTransformer.encode (batch 32) |" in output
    assert "| HTTP | 2 | 4 | 0 |" in output  # four answers from two clients, no errors
    assert "| 1,500 | flat |" in output
    assert APPROXIMATE_FROM > 1500
