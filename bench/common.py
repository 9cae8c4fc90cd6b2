"""What the benchmarks share: where the benchmark data is, percentiles, memory readings, tables."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.settings import REPOSITORY

SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
MULTIHOP = SHARED_DATA / "multihop-rag"


def percentiles_ms(seconds: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of some durations, in milliseconds."""
    if not seconds:
        return (float("nan"),) * 3
    values = np.percentile(np.asarray(seconds) * 1000, [50, 95, 99])
    return float(values[0]), float(values[1]), float(values[2])


PSS_FIELDS = (("Pss:", "pss"), ("Pss_Anon:", "pss_anon"), ("Pss_File:", "pss_file"))


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """A process's resident memory now (rss), at its peak (peak_rss) and its fair share (pss).

    RSS counts shared pages (memory-mapped index files, the page cache) in full in every
    process that maps them; PSS divides them among the processes sharing them. `pss_anon` is
    the process's own memory (heap: the model, Python objects); `pss_file` its share of mapped
    files (libraries, index files), which the kernel can drop and read again.
    """
    result = {"rss": 0.0, "peak_rss": 0.0, "pss": 0.0, "pss_anon": 0.0, "pss_file": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                result["rss"] = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                result["peak_rss"] = int(line.split()[1]) / 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            for key, name in (
                ("Pss:", "pss"),
                ("Pss_Anon:", "pss_anon"),
                ("Pss_File:", "pss_file"),
            ):
                if line.startswith(key):
                    result[name] = int(line.split()[1]) / 1024
    except OSError:  # the process ended, or /proc is not there
        pass
    return result


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, so the output pastes into bench/README.md as it is."""
    print(f"\n### {title}\n")
    cells = [[_cell(value) for value in row] for row in rows]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in cells:
        print("| " + " | ".join(row) + " |")
    print(flush=True)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
