"""How tall replies are on the page: real answers in Debian's chromium at 1280x900 and 375 px.

    .venv/bin/python -m bench.page [--questions 20]

Serves the MultiHop-RAG index that `qa eval` caches (built first when missing) on a loopback
port, asks the first N questions of bench/sets/short.jsonl in the page at each size, and prints
the height of each reply (median and largest) and where its question ends up: at the top of the
window, or lower in it when the thread ends too soon to scroll it up (a short reply).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench.common import MULTIHOP, print_table
from qa.app import create_app
from qa.chunking import ChunkingConfig
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.multihop import MULTIHOP as BENCHMARK
from qa.evals.runner import EvalFiles, benchmark_index, cache_folder
from qa.settings import REPOSITORY, Settings

SIZES = ((1280, 900), (375, 740))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
GEOMETRY = """() => {
    const reply = [...document.querySelectorAll('#thread > li.reply')].pop();
    const question = [...document.querySelectorAll('#thread > li.question')].pop();
    return [reply.getBoundingClientRect().height, question.getBoundingClientRect().top];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = SentenceTransformerEmbedder.from_settings(settings)
    loaded = BENCHMARK.load(
        EvalFiles(MULTIHOP / "corpus_train.json", MULTIHOP / "queries_dev.json")
    )
    benchmark_index(BENCHMARK.name, loaded.key, loaded.articles, embedder, settings.cache)
    folder = cache_folder(
        settings.cache,
        BENCHMARK.name,
        loaded.key,
        embedder.model_id,
        ChunkingConfig(max_tokens=embedder.max_tokens),
    )
    app = create_app(settings.replace(index=folder), embedder=embedder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sets = REPOSITORY / "bench" / "sets" / "short.jsonl"
    questions = [json.loads(line)["question"] for line in sets.read_text().splitlines()]
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            for width, height in SIZES:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"http://127.0.0.1:{server.server_port}/")
                heights, tops = [], []
                for number, question in enumerate(questions[: args.questions]):
                    page.fill("#question", question)
                    page.press("#question", "Enter")
                    replies = "#thread > li.reply:not(.working), #thread > li.error"
                    page.locator(replies).nth(number).wait_for()
                    reply_height, question_top = page.evaluate(GEOMETRY)
                    heights.append(reply_height)
                    tops.append(question_top)
                page.close()
                rows.append(
                    [
                        f"{width}x{height}",
                        len(heights),
                        statistics.median(heights),
                        max(heights),
                        statistics.median(tops),
                        sum(0 <= top < height - 40 for top in tops),
                    ]
                )
            browser.close()
    finally:
        server.shutdown()
    print_table(
        "Reply heights (px), real answers to short questions over MultiHop-RAG (k = 5)",
        ["window", "replies", "median", "largest", "question top, median", "questions in view"],
        rows,
    )


if __name__ == "__main__":
    main()
