"""Make docs/screenshot.png: the chat page answering a question over the bundled corpus.

Builds an index of corpus/ in a temporary folder (the repository's own index/ is not touched),
serves the app on a free loopback port, asks a question in Debian's chromium and saves the page.

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--width 820] [--height 760]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from qa.app import create_app
from qa.build import build_from_corpus
from qa.embedding import SentenceTransformerEmbedder
from qa.settings import REPOSITORY, Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--hide-scrollbars",
]
QUESTION = "Since when has the CSTO been proposing consultations to NATO?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=820)
    parser.add_argument("--height", type=int, default=760)
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        corpus = Path(shutil.copytree(REPOSITORY / "corpus", root / "corpus"))
        settings = Settings(corpus=corpus, index=root / "index")
        embedder = SentenceTransformerEmbedder()
        build_from_corpus(settings.corpus, settings.index, embedder)
        server = make_server("127.0.0.1", 0, create_app(settings, embedder=embedder), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                page.goto(f"http://127.0.0.1:{server.server_port}/")
                page.fill("#question", args.question)
                page.press("#question", "Enter")
                page.wait_for_selector("#thread .reply:not(.working)")
                # No focus ring, and no empty scrollbar gutter (headless draws no scrollbar).
                page.evaluate(
                    "document.activeElement.blur();"
                    "document.documentElement.style.scrollbarGutter = 'auto';"
                    "window.scrollTo(0, 0)"
                )
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.shutdown()
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
