"""Preparing new articles for the index: their passages, and the vectors of those passages.

A build (`qa.build`) hands the articles that are new or changed to a `Preparer`: in this process
(`LocalPreparer`: every body tokenized once by `chunk_articles`, then `embed_inputs`), or on a
Ray cluster (`qa.raybuild`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from qa.articles import Article, Scan
from qa.chunking import (
    ChunkingConfig,
    Passage,
    article_header,
    chunk_tokens,
    embedding_text,
    passage_ids,
)
from qa.embedding import Embedder, TokenEncoder
from qa.formats import read_file


@runtime_checkable
class Preparer(Protocol):
    """Where a build reads files and turns new articles into passages and vectors: in this
    process (`LocalPreparer`), or on a Ray cluster (`qa.raybuild`)."""

    model_id: str
    dimension: int
    max_tokens: int

    def read(self, files: Sequence[tuple[Path, str]]) -> list[Scan]: ...

    def prepare(
        self, articles: Sequence[Article], config: ChunkingConfig, *, progress: bool = False
    ) -> tuple[list[list[Passage]], np.ndarray]: ...


class LocalPreparer:
    """Reading, chunking and embedding in this process, with one embedder."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        self.max_tokens = embedder.max_tokens
        self.phases: dict[str, float] = {}  # seconds of the last `prepare`: chunk, embed

    def read(self, files: Sequence[tuple[Path, str]]) -> list[Scan]:
        return [read_file(path, relative) for path, relative in files]

    def prepare(
        self, articles: Sequence[Article], config: ChunkingConfig, *, progress: bool = False
    ) -> tuple[list[list[Passage]], np.ndarray]:
        """Each article's passages, and the vectors of all of them in that order."""
        started = time.perf_counter()
        chunked = chunk_articles(articles, self.embedder, config, progress=progress)
        inputs = [item for c in chunked for item in c.inputs]
        chunked_at = time.perf_counter()
        vectors = embed_inputs(self.embedder, inputs, progress=progress)
        self.phases = {"chunk": chunked_at - started, "embed": time.perf_counter() - chunked_at}
        return [c.passages for c in chunked], vectors


def as_preparer(embedder: Embedder | Preparer) -> Preparer:
    """A preparer as it is; an embedder as the preparer that uses it in this process."""
    return embedder if isinstance(embedder, Preparer) else LocalPreparer(embedder)


@dataclass
class Chunked:
    """One article's passages and, for each, what the model reads: its word pieces, or its text
    when it cuts a word (so its word pieces differ from the body's)."""

    passages: list[Passage]
    inputs: list[np.ndarray | str]


CHUNK_BATCH = 64  # articles tokenized per call (the fast tokenizer works through a batch at once)


def chunk_articles(
    articles: Sequence[Article],
    embedder: Embedder,
    config: ChunkingConfig,
    *,
    progress: bool = False,
) -> list[Chunked]:
    """Each article's passages and model inputs; every body is tokenized once."""
    by_ids = isinstance(embedder, TokenEncoder)
    result = []
    with tqdm(total=len(articles), desc="Chunking", unit="article", disable=not progress) as bar:
        for first in range(0, len(articles), CHUNK_BATCH):
            batch = articles[first : first + CHUNK_BATCH]
            tokens = embedder.tokenize([t for a in batch for t in (article_header(a), a.body)])
            for number, article in enumerate(batch):
                header, body = tokens[2 * number], tokens[2 * number + 1]
                passages = chunk_tokens(article, header, body, embedder.tokenize, config)
                inputs: list[np.ndarray | str] = []
                for passage in passages:
                    ids = passage_ids(header, body, passage, config) if by_ids else None
                    inputs.append(embedding_text(article, passage, config) if ids is None else ids)
                result.append(Chunked(passages, inputs))
            bar.update(len(batch))
    return result


def embed_inputs(
    embedder: Embedder, inputs: Sequence[np.ndarray | str], *, progress: bool = False
) -> np.ndarray:
    """Vectors of passages given as word pieces or texts (texts are tokenized here, once)."""
    if not inputs:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    if not isinstance(embedder, TokenEncoder):
        return embedder.encode_documents([str(i) for i in inputs], progress=progress)
    texts = [n for n, i in enumerate(inputs) if isinstance(i, str)]
    sequences = list(inputs)
    for n, tokens in zip(texts, embedder.tokenize([str(inputs[n]) for n in texts])):
        sequences[n] = tokens.ids
    return embedder.encode_tokens([np.asarray(s) for s in sequences], progress=progress)
