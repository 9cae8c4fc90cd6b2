"""Shared fixtures: the real packaged model, corpora and indexes under tmp_path, the app.

Helpers (the fixture articles, make_corpus, assert_error, a real `qa serve`) are in support.py."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from qa.app import create_app
from qa.build import build_from_corpus
from qa.embedding import SentenceTransformerEmbedder
from qa.settings import Settings

from .support import build_dated_index, free_port, make_corpus

# The test servers' request lines ("POST /ask HTTP/1.1" 200) are noise in the captured logs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QA_CACHE (exported ONNX models, eval indexes) under tmp, for servers the tests start too."""
    os.environ["QA_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session", autouse=True)
def no_server_to_ask() -> None:
    """`qa ask` answers in-process unless a test names a server: QA_PORT is a port nothing
    listens on (8000 may be a developer's own `qa serve`). Servers the tests start set theirs."""
    os.environ["QA_PORT"] = str(free_port())


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded once per test session.

    In the precision QA_PRECISION names (default fp32), so the suite can be run once in each:
    `QA_PRECISION=bf16 make test`. Servers the tests start read the same variable.
    """
    return SentenceTransformerEmbedder(precision=os.environ.get("QA_PRECISION") or "fp32")


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


@pytest.fixture
def web():
    """A real HTTP server on 127.0.0.1 (tests/webserver.py), stopped after the test."""
    from .webserver import local_web

    with local_web() as server:
        yield server


@pytest.fixture(scope="session")
def dated_settings(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    """Settings over a month of dated news from three outlets (support.dated_articles)."""
    return build_dated_index(tmp_path_factory.mktemp("dated"), embedder)


@pytest.fixture(scope="session")
def dated_ivf_settings(tmp_path_factory: pytest.TempPathFactory, embedder) -> Settings:
    """The same with an approximate (IVF) vector store, as large indexes get."""
    return build_dated_index(tmp_path_factory.mktemp("dated-ivf"), embedder, approximate=True)
