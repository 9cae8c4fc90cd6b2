"""What the tests share: the fixture articles, benchmark data paths, the error-shape check,
stand-in embedders, and a real `qa serve` on loopback. Fixtures live in conftest.py; test
modules import helpers from here, never from each other."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.articles import Article, make_article
from qa.chunking import Tokens
from qa.embedding import normalize
from qa.settings import REPOSITORY, Settings

SAMPLE = REPOSITORY / "corpus" / "000_4ad6565441a0296c.txt"
SAMPLE_ID = "000_4ad6565441a0296c"
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
MULTIHOP_CORPUS = SHARED_DATA / "multihop-rag" / "corpus_train.json"
PAGES = REPOSITORY / "tests" / "data" / "pages"  # saved web pages; expected.json holds the truth

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


# One wire story printed by three outlets (another headline, a trimmed ending, an added
# paragraph, a dateline), and a later story on the same events that is not a copy.
STORY = [
    "The harbour authority of Tallinn suspended all ferry crossings to Helsinki on Thursday "
    "after a container crane collapsed onto the main passenger pier during a storm, officials "
    "said.",
    "Nobody was hurt when the crane fell shortly after five in the morning, but the pier's "
    "gangway and two ticket halls were badly damaged, the authority's spokesperson Maarja "
    "Tamm told reporters at the port.",
    "Engineers will inspect the pier's foundations before any ship is allowed to dock there "
    "again, and the inspection is expected to take at least ten days, she added.",
    "About nine thousand passengers a day cross the Gulf of Finland between the two capitals, "
    "most of them on the ferries that use the damaged pier.",
    "Two ferry operators said they would move some sailings to the cargo harbour at Muuga, "
    "twenty kilometres east of the city, and run buses for foot passengers from the old town.",
    "The crane's owner, a logistics company that rents space at the port, said the wind had "
    "reached ninety kilometres an hour when the machine's brakes failed to hold it.",
    "Estonia's economy minister called the collapse unacceptable and ordered an inquiry into "
    "how cranes are secured at the country's ports when storms are forecast.",
    "The authority said it would publish a timetable for the temporary crossings on Friday.",
]
COPIES = {
    "ferry-wire.md": ("Ferry crossings halted after crane collapses onto Tallinn pier",
                      "Baltic Wire", "2024-03-07", STORY),
    "ferry-herald.md": ("Storm topples port crane, ferries to Helsinki stop", "Valley Herald",
                        "2024-03-08", ["TALLINN (HERALD) — " + STORY[0], *STORY[1:6]]),
    "ferry-ledger.md": ("What we know about the Tallinn pier collapse", "The Daily Ledger",
                        "2024-03-09",
                        ["Here is what we know so far, according to reports from our news "
                         "partners.", *STORY[:7]]),
    "ferry-followup.md": ("Ferries return to Tallinn's passenger pier after inspection",
                          "Harbor Gazette", "2024-03-20", [
        "Ferries returned to the passenger pier of Tallinn on Wednesday, two weeks after a "
        "crane fell onto it during a storm.",
        "Inspectors found the foundations sound, and a new gangway was lifted into place on "
        "Monday, the port said in a statement.",
        "Passengers who had used the cargo harbour at Muuga during the closure were offered "
        "vouchers by both operators.",
    ]),
}  # fmt: skip
COPY_IDS = ("ferry-wire", "ferry-herald", "ferry-ledger")


def make_copies_corpus(folder: Path) -> Path:
    """The corpus of `make_corpus`, with a story in three outlets' copies and a follow-up."""
    make_corpus(folder)
    for name, (title, source, date, paragraphs) in COPIES.items():
        slug = name.removesuffix(".md")
        (folder / name).write_text(
            f"---\ntitle: {title}\ndate: {date}\nsource: {source}\n"
            f"url: https://news.example/{slug}\n---\n\n" + "\n\n".join(paragraphs) + "\n",
            encoding="utf-8",
        )
    return folder


def many_articles(folder: Path, count: int) -> None:
    """`count` council reports of twelve paragraphs each, as files in `folder`."""
    for number in range(count):
        paragraphs = [
            f"Report {number}, part {part}: the city council of town {number} voted on budget "
            f"item {part} after a long debate about roads, schools, water pipes and parks."
            for part in range(12)
        ]
        text = f"Council story {number}\n\n{1 + number % 28} March 2023\n\n" + "\n\n".join(
            paragraphs
        )
        (folder / f"council-{number:03d}.txt").write_text(text)


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


# A closing sentence that differs from day to day, as each day's report does: without it the
# daily reports would be near-copies, which story grouping (qa.stories) rightly merges.
DATED_PEOPLE = ("A harbour pilot", "A shop owner", "A retired teacher", "A taxi driver",
                "A student", "A nurse", "A fisherman", "A baker", "A bus driver", "A chemist",
                "A painter")  # fmt: skip
DATED_REMARKS = (
    "nobody in her street could remember a November quite like this one",
    "the queues at the bakery on Mill Lane had doubled since the weekend",
    "he would wait for the evening news before deciding anything at all",
    "their children kept asking about it at every single dinner",
    "prices at the corner market had already gone up twice",
    "the old lighthouse café stayed open late for anyone who needed to talk",
    "her cousin from the islands had stopped calling about it",
    "the trains from the north had been full of people coming to watch",
    "a neighbour had painted a banner and hung it over the garden gate",
    "the radio phone-in had talked of nothing else since breakfast",
)


def dated_articles() -> list[dict]:
    """120 one-passage articles dated 2023-11-01 to 2023-11-30, plus one undated and one
    without an outlet."""
    records = []
    for day in range(1, 31):
        for number, (story, (title, body)) in enumerate(DATED_STORIES.items()):
            x = 10 + (day * 7 + number * 13) % 90
            person = DATED_PEOPLE[(day * 4 + number) % len(DATED_PEOPLE)]
            remark = DATED_REMARKS[(day + 2 * number) % len(DATED_REMARKS)]
            records.append(
                {
                    "id": f"{story}-{day:02d}",
                    "title": title.format(n=day),
                    "body": body.format(n=day, x=x) + f" {person} said that {remark}.",
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


def memory_index(embedder: Any, articles: Sequence[Article], stories: Any = None) -> Any:
    """An index held in memory, one passage per article body, for tests of search."""
    from qa.chunking import Passage
    from qa.index import Index, IndexManifest
    from qa.lexical import LexicalIndex
    from qa.stories import StoryGroups
    from qa.vectors import FaissStore

    passages = [Passage(a.id, 0, 0, len(a.body)) for a in articles]
    vectors = embedder.encode_documents([a.body for a in articles])
    manifest = IndexManifest(
        model_id="m",
        dimension=vectors.shape[1],
        article_count=len(articles),
        passage_count=len(passages),
        chunking={},
        built_at="now",
    )
    return Index(
        manifest,
        {a.id: a for a in articles},
        passages,
        FaissStore(vectors),
        lexical=LexicalIndex.for_passages(list(articles), passages),
        stories=stories if stories is not None else StoryGroups(),
    )


def run_bench(
    module: str, *arguments: str, timeout: float = 900, **environment: str
) -> subprocess.CompletedProcess[str]:
    """`python -m bench.<module> ARGUMENTS` in the checkout, its output captured: the tests run
    the bench commands (their check modes say pass or fail); no test imports a bench module."""
    return subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **environment},
    )


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


def regex_tokenize(texts: Sequence[str]) -> list[Tokens]:
    """A deterministic stand-in for word pieces in tests of index logic: words and punctuation
    marks, with their character spans (ids are the words' lengths), so that a piece of n
    characters never counts more than n tokens."""
    result = []
    for text in texts:
        found = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
        spans = np.asarray(found, dtype=np.int64).reshape(-1, 2)
        result.append(Tokens(spans[:, 1] - spans[:, 0], spans[:, 0], spans[:, 1]))
    return result


@dataclass
class FakeEmbedder:
    """A fast stand-in for index logic tests: random but deterministic vectors per text."""

    model_id: str = "test/fake-model"
    dimension: int = 16
    max_tokens: int = 254
    embedded: list[str] = field(default_factory=list)

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        return regex_tokenize(texts)

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

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        return list(self.inner.tokenize(texts))

    def encode_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.embedded.extend(texts)
        return np.asarray(self.inner.encode_documents(texts))

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self.inner.encode_query(text))


# ---- HTTP on loopback -------------------------------------------------------------------------


def post_json(
    url: str, payload: dict[str, Any], headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, Any]:
    data = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
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


@dataclass
class Served:
    url: str
    pid: int  # of `qa serve`, which is gunicorn's master
    lines: list[str] = field(default_factory=list)  # its stdout and stderr, as they came
    ready_at: int = -1  # the index of "Ready on ..." in `lines`
    healthz_when_ready: int = 0  # the status /healthz answered right after "Ready on"


@contextlib.contextmanager
def qa_serve_printing(settings: Settings, home: Path) -> Iterator[Served]:
    """`qa serve` with $HOME at `home`, until "Ready on" (then /healthz is asked at once)."""
    port = free_port()
    env = {**os.environ, "QA_PORT": str(port), "QA_WORKERS": "2", "HOME": str(home)}
    env.pop("XDG_RUNTIME_DIR", None)  # gunicorn would put its control socket there, or in $HOME
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve",
         "--corpus", str(settings.corpus), "--index", str(settings.index)],
        cwd=REPOSITORY, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    served = Served(f"http://127.0.0.1:{port}", process.pid)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Ready on ") and not ready.is_set():
                served.healthz_when_ready = get_json(f"{served.url}/healthz")[0]
                served.ready_at = len(served.lines)
                ready.set()
            served.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while not ready.wait(0.5):
            assert process.poll() is None, "\n".join(served.lines)
            assert time.monotonic() < deadline, "\n".join(served.lines)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
        print("\n".join(served.lines))  # shown when the test fails


# ---- `qa ask` in a fresh Python ---------------------------------------------------------------

FAST_ASK = """
import json, sys
from qa.cli import main
status = [main(["ask", *arguments]) for arguments in json.loads(sys.argv[1])]
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
print(json.dumps({"status": status, "imported": heavy}), file=sys.stderr)
"""


def run_fast_ask(asks: list[list[str]], **environment: str) -> tuple[str, Any]:
    """`qa ask` (one or more) in a fresh Python; its stdout, and what it imported."""
    result = subprocess.run(
        [sys.executable, "-c", FAST_ASK, json.dumps(asks)],
        cwd=REPOSITORY, env={**os.environ, **environment},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return result.stdout, json.loads(result.stderr.strip().splitlines()[-1])
