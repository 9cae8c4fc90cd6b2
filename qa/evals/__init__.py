"""`qa eval`: answer quality on a benchmark, asked the way /ask answers.

One module per benchmark format, each a `Benchmark` (`qa.evals.runner`): it loads its files
into articles and cases, and asks each case through the `Ask` it is handed, which answers like
/ask (`qa.pipeline`) on the benchmark's cached index. `FORMATS` maps `--format` names to them.
"""

from __future__ import annotations

from qa.evals.dated import DATED
from qa.evals.multihop import MULTIHOP
from qa.evals.runner import Benchmark
from qa.evals.squad import SQUAD

FORMATS: dict[str, Benchmark] = {
    benchmark.name: benchmark for benchmark in (MULTIHOP, SQUAD, DATED)
}
