"""What the tests share: the fixture articles, benchmark data paths, the error-shape check,
stand-in embedders, and a real `qa serve` on loopback. Fixtures live in conftest.py; test
modules import helpers from here, never from each other."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.articles import Article, make_article
from qa.embedding import normalize
from qa.settings import REPOSITORY, Settings

SAMPLE = REPOSITORY / "corpus" / "000_4ad6565441a0296c.txt"
SAMPLE_ID = "000_4ad6565441a0296c"
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
MULTIHOP_CORPUS = SHARED_DATA / "multihop-rag" / "corpus_train.json"
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")

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

# An article to add while a server runs, and the question only it answers.
NEW_ARTICLE = """Lighthouse keeper rescues three kayakers off the coast of Brittany

2 August 2023

The keeper of the Phare du Petit Minou pulled three kayakers from the water on Tuesday evening after their boats capsized in strong currents near Brest.

Based on materials from Ouest-France"""
NEW_QUESTION = "Who rescued the kayakers near Brest?"


def make_corpus(folder: Path) -> Path:
    """The sample article and the two others, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    for name, text in OTHER_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


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
    from qa import vectors
    from qa.build import build_from_corpus

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "news.json").write_text(json.dumps(dated_articles()), encoding="utf-8")
    settings = Settings(corpus=corpus, index=root / "index")
    with pytest.MonkeyPatch.context() as patch:
        if approximate:
            patch.setattr(vectors, "APPROXIMATE_FROM", 2)
        build_from_corpus(settings.corpus, settings.index, embedder)
    return settings


def shared_data_or_skip(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"benchmark data not found at {path} (set QA_SHARED_DATA)")
    return path


def articles(*names: str, body: str = "Some words here. More words there.") -> list[Article]:
    return [make_article(article_id=n, title=f"Title {n}", body=f"{n}: {body}") for n in names]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Every error has one shape: {"error": {"code": ..., "message": ...}}."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, to show that nothing changed."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# ---- Stand-in embedders -----------------------------------------------------------------------


@dataclass
class FakeEmbedder:
    """A fast stand-in for index logic tests: random but deterministic vectors per text."""

    model_id: str = "test/fake-model"
    dimension: int = 16
    max_tokens: int = 254
    embedded: list[str] = field(default_factory=list)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(t.split()) + t.count(".") for t in texts]

    def encode_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.embedded.extend(texts)
        return np.vstack([self.encode_query(t) for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        seed = int.from_bytes(text.encode()[:8].ljust(8, b"\0"), "little") ^ len(text)
        return normalize(np.random.default_rng(seed).normal(size=(1, self.dimension)))[0]


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id, self.dimension = inner.model_id, inner.dimension
        self.max_tokens = inner.max_tokens
        self.embedded: list[str] = []

    def count_tokens(self, texts: list[str]) -> list[int]:
        return list(self.inner.count_tokens(texts))

    def encode_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.embedded.extend(texts)
        return np.asarray(self.inner.encode_documents(texts))

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self.inner.encode_query(text))


# ---- HTTP on loopback -------------------------------------------------------------------------


def post_json(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def free_port() -> int:
    """A free TCP port on loopback (released again for the server to bind)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], Any], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@contextlib.contextmanager
def qa_serve(settings: Settings, **environment: str) -> Iterator[str]:
    """A real `qa serve` on a free loopback port, until the block ends; yields its URL."""
    port = free_port()
    env = {**os.environ, "QA_PORT": str(port), **environment}
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve",
         "--corpus", str(settings.corpus), "--index", str(settings.index)],
        cwd=REPOSITORY, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get_json(f"{url}/healthz")[0] == 200, seconds=300)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
