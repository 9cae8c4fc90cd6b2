"""Rebuild cost: a full `qa index --full` against adding one article to the same corpus.

    python -m bench.rebuild [--articles 200]

Each row runs the real `qa index` command in a subprocess (so model start-up is included, as a
user would see it) over N MultiHop-RAG articles plus the bundled sample, in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SHARED_DATA
from qa.settings import REPOSITORY

DATA = SHARED_DATA
CORPUS = DATA / "multihop-rag" / "corpus_train.json"
NEW_ARTICLE = """Lighthouse keeper rescues three kayakers off the coast of Brittany

2 August 2023

The keeper of the Phare du Petit Minou pulled three kayakers from the water on Tuesday evening \
after their boats capsized in strong currents near Brest.

Based on materials from Ouest-France
"""


def run_index(corpus: Path, index: Path, *extra: str) -> tuple[float, str]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "qa", "index", "--corpus", str(corpus), "--index", str(index)]
    result = subprocess.run(
        [*command, *extra], capture_output=True, text=True, cwd=REPOSITORY, check=True
    )
    summary = result.stdout.strip().splitlines()[-1]
    return time.perf_counter() - started, summary.split(": ", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="MultiHop-RAG articles to use")
    args = parser.parse_args()
    if not CORPUS.exists():
        raise SystemExit(f"benchmark data not found at {CORPUS} (set QA_SHARED_DATA)")
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        corpus, index = root / "corpus", root / "index"
        corpus.mkdir()
        records = json.loads(CORPUS.read_text(encoding="utf-8"))[: args.articles]
        (corpus / "multihop.json").write_text(json.dumps(records), encoding="utf-8")
        shutil.copy(REPOSITORY / "corpus" / "000_4ad6565441a0296c.txt", corpus)

        rows = [("full build (`qa index --full`)", *run_index(corpus, index, "--full"))]
        rows.append(("nothing changed (`qa index`)", *run_index(corpus, index)))
        (corpus / "lighthouse.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        rows.append(("one article added (`qa index`)", *run_index(corpus, index)))

    full = rows[0][1]
    print(f"\n{args.articles + 1} articles; wall time of the whole command, start-up included\n")
    print("| run | seconds | vs full build | summary |")
    print("|---|---|---|---|")
    for name, seconds, summary in rows:
        print(f"| {name} | {seconds:.1f} | {seconds / full:.3f}x | {summary} |")


if __name__ == "__main__":
    main()
