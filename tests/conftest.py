"""Shared fixtures: the real packaged model, corpora and indexes under tmp_path, the app."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from qa.app import create_app
from qa.build import build_from_corpus
from qa.chunking import Tokens
from qa.embedding import SentenceTransformerEmbedder
from qa.settings import REPOSITORY, Settings

SAMPLE = REPOSITORY / "corpus" / "000_4ad6565441a0296c.txt"
SAMPLE_ID = "000_4ad6565441a0296c"
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
MULTIHOP_CORPUS = SHARED_DATA / "multihop-rag" / "corpus_train.json"

# Two more wire-format articles, so the sample must win against other news.
OTHER_ARTICLES = {
    "wheat.txt": """Egypt buys wheat from Romania and Bulgaria in a large tender

14 March 2023

Egypt's state grain buyer purchased 480,000 tonnes of wheat in an international tender on Tuesday, traders said, most of it from Romania and Bulgaria.

The wheat will be shipped in April, and prices were lower than in the previous tender, according to two European traders.

Based on materials from Reuters""",
    "volcano.md": """---
title: Volcano erupts near Reykjavik, lava reaches the town of Grindavik
date: 2024-01-14
source: Iceland Monitor
url: https://example.org/volcano
---

A volcanic eruption on the Reykjanes peninsula sent lava into the fishing town of Grindavik on Sunday, setting several houses on fire.

The town's 3,700 residents had been evacuated in November, and officials said nobody was hurt.
""",
}


def regex_tokenize(texts: Sequence[str]) -> list[Tokens]:
    """A deterministic stand-in for word pieces in tests of index logic: words and punctuation
    marks, with their character spans (ids are the words' lengths)."""
    result = []
    for text in texts:
        found = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
        spans = np.asarray(found, dtype=np.int64).reshape(-1, 2)
        result.append(Tokens(spans[:, 1] - spans[:, 0], spans[:, 0], spans[:, 1]))
    return result


def shared_data_or_skip(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"benchmark data not found at {path} (set QA_SHARED_DATA)")
    return path


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QA_CACHE (exported ONNX models, eval indexes) under tmp, for servers the tests start too."""
    os.environ["QA_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded once per test session.

    In the precision QA_PRECISION names (default fp32), so the suite can be run once in each:
    `QA_PRECISION=bf16 make test`. Servers the tests start read the same variable.
    """
    return SentenceTransformerEmbedder(precision=os.environ.get("QA_PRECISION") or "fp32")


def make_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    for name, text in OTHER_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    """Settings over a small corpus (the sample and two other articles) with its index built."""
    root = tmp_path_factory.mktemp("built")
    settings = Settings(corpus=make_corpus(root / "corpus"), index=root / "index")
    build_from_corpus(settings.corpus, settings.index, embedder)
    return settings


@pytest.fixture(scope="session")
def app(built_settings, embedder):
    return create_app(built_settings, embedder=embedder)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    return Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
