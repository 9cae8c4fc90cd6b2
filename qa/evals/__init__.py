"""`qa eval`: answer quality on a benchmark, asked the way /ask answers.

One module per benchmark format, each exposing `BENCHMARK`, a `qa.evals.runner.Benchmark`: it
loads its files into articles and cases, and asks each case through the `Ask` it is handed,
which answers like /ask (`qa.pipeline`) on the benchmark's cached index.

`FORMATS` names each format's module and the files it needs, without importing it, so the
command line can list them without loading the search stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.evals.runner import Benchmark

# --format name -> (module, the `qa eval` file options it needs)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "multihop-rag": ("qa.evals.multihop", ("corpus", "queries")),
    "squad": ("qa.evals.squad", ("data",)),
    "short": ("qa.evals.short", ("corpus", "queries")),
    "conversations": ("qa.evals.conversations", ("corpus", "queries")),
    "dated": ("qa.evals.dated", ("corpus", "queries")),
}


def benchmark(name: str) -> Benchmark:
    """The benchmark of a format name in `FORMATS`."""
    found: Benchmark = import_module(FORMATS[name][0]).BENCHMARK
    return found
