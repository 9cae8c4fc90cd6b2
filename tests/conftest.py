"""Shared fixtures: the real packaged model, corpora and indexes under tmp_path, the app."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from qa.app import create_app
from qa.build import build_from_corpus
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


# A month of dated news from three outlets: four running stories, one article a day each, so a
# question's words fit many days and only the date tells them apart (qa.filters, time words).
DATED_OUTLETS = ("Harbour Gazette", "Metro Daily", "Valley News")
DATED_STORIES = {
    "strike": (
        "Dock strike in Port Allen, day {n}",
        "Dock workers in Port Allen held their strike for day {n}; the union said {x} cargo "
        "ships were waiting outside the harbour and talks with the port authority went on.",
    ),
    "budget": (
        "City council budget debate, session {n}",
        "The city council debated the budget again; councillor Mara Quist proposed moving "
        "{x} million to road repairs, and the vote was put off until the next session.",
    ),
    "football": (
        "Rovers match report, game {n}",
        "Port Allen Rovers scored {x} goals at Quay Park in game {n} of the season, "
        "with striker Elio Brandt leading the attack in front of a full stand.",
    ),
    "weather": (
        "Weather: storm watch, bulletin {n}",
        "Forecasters issued storm bulletin {n} for the coast, with gusts of {x} kilometres "
        "an hour expected and ferries to the islands cancelled.",
    ),
}


def dated_articles() -> list[dict]:
    """120 one-passage articles dated 2023-11-01 to 2023-11-30, plus one undated and one
    without an outlet."""
    records = []
    for day in range(1, 31):
        for number, (story, (title, body)) in enumerate(DATED_STORIES.items()):
            x = 10 + (day * 7 + number * 13) % 90
            records.append(
                {
                    "id": f"{story}-{day:02d}",
                    "title": title.format(n=day),
                    "body": body.format(n=day, x=x),
                    "published_at": f"2023-11-{day:02d}T09:00:00+00:00",
                    "source": DATED_OUTLETS[(day + number) % 3],
                    "url": f"https://example.org/{story}/{day}",
                }
            )
    records.append(
        {
            "id": "strike-undated",
            "title": "Dock strike explained",
            "body": "Why dock workers in Port Allen strike, and what the union wants.",
            "source": "Metro Daily",
        }
    )
    records.append(
        {
            "id": "strike-no-outlet",
            "title": "Letters to the editor",
            "body": "Readers wrote in about the strike at the Port Allen docks and the ships.",
            "published_at": "2023-11-15",
        }
    )
    return records


def build_dated_index(root: Path, embedder, approximate: bool = False) -> Settings:
    """Settings over the dated corpus with its index built (an IVF store if `approximate`)."""
    import json

    from qa import vectors

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "news.json").write_text(json.dumps(dated_articles()), encoding="utf-8")
    settings = Settings(corpus=corpus, index=root / "index")
    with pytest.MonkeyPatch.context() as patch:
        if approximate:
            patch.setattr(vectors, "APPROXIMATE_FROM", 2)
        build_from_corpus(settings.corpus, settings.index, embedder)
    return settings


@pytest.fixture(scope="session")
def dated_settings(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    return build_dated_index(tmp_path_factory.mktemp("dated"), embedder)


@pytest.fixture(scope="session")
def dated_ivf_settings(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    return build_dated_index(tmp_path_factory.mktemp("dated-ivf"), embedder, approximate=True)


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
