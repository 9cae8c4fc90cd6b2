"""The question-answering service that the HTTP app and the CLI share."""

from __future__ import annotations

import threading
from typing import Any

from qa.answers import AskRequest, article_json, ask_response
from qa.embedding import Embedder, SentenceTransformerEmbedder, resolve_model
from qa.errors import NotFound
from qa.grounding import extract_answer
from qa.index import LiveIndex
from qa.search import Searcher
from qa.settings import Settings


class QAService:
    """Answers questions from the live index; the model loads on first use (or `warm()`)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        model_id = embedder.model_id if embedder is not None else resolve_model(settings.model)[1]
        self.live = LiveIndex(settings.index, model_id, interval=settings.reload_interval)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    self._embedder = SentenceTransformerEmbedder(
                        self.settings.model, precision=self.settings.precision
                    )
        return self._embedder

    def ask(self, request: AskRequest) -> dict[str, Any]:
        index = self.live.get()  # one version for the whole request
        hits = Searcher(self.embedder).search(index, request.question, request.k)
        answer = extract_answer(request.question, hits, index.lexical)
        return ask_response(request, hits, index.manifest.version, self.settings.min_score, answer)

    def article(self, article_id: str) -> dict[str, Any]:
        index = self.live.get()
        article = index.articles.get(article_id)
        if article is None:
            raise NotFound(f"No article with id {article_id!r} in the index.")
        return article_json(article)

    def health(self) -> dict[str, Any]:
        index = self.live.get()
        manifest = index.manifest
        return {
            "status": "ok",
            "articles": manifest.article_count,
            "passages": manifest.passage_count,
            "model": manifest.model_id,
            "built_at": manifest.built_at,
            "version": manifest.version,
        }

    def warm(self) -> None:
        """Load the model and the index and run one query, so the first request is not slow."""
        self.embedder.encode_query("warm up")
        self.live.get()
