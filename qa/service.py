"""The question-answering service that the HTTP app and the CLI share."""

from __future__ import annotations

import threading
from pathlib import Path

from qa import contract, pipeline
from qa.answers import article_shape
from qa.articles import derived_id, make_article, url_id
from qa.build import build_from_corpus
from qa.corpus import write_article
from qa.embedding import Embedder, SentenceTransformerEmbedder, resolve_model
from qa.errors import INDEX_WRITE_FAILED, Conflict, IndexUnavailable, NotFound
from qa.live import LiveIndex
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
                    self._embedder = SentenceTransformerEmbedder.from_settings(self.settings)
        return self._embedder

    def ask(self, request: contract.AskRequest) -> contract.AskResponse:
        index = self.live.get()  # one version for the whole request
        searcher = Searcher(self.embedder)
        return pipeline.answer(index, searcher, request, self.settings.min_score).response

    def article(self, article_id: str) -> contract.Article:
        index = self.live.get()
        article = index.articles.get(article_id)
        if article is None:
            raise NotFound(f"No article with id {article_id!r} in the index.")
        return article_shape(article, index.copies(article_id))

    def sources(self) -> contract.Sources:
        """Every outlet of the live index with its article count and first and last day."""
        return contract.Sources(
            sources=[
                contract.SourceSummary(
                    name=outlet.name,
                    articles=outlet.articles,
                    first_date=outlet.first.isoformat() if outlet.first else None,
                    last_date=outlet.last.isoformat() if outlet.last else None,
                )
                for outlet in self.live.get().facts.summary()
            ]
        )

    def add_article(self, new: contract.NewArticle) -> contract.AddedArticle:
        """Write an article into the corpus and index it (incrementally) before answering.

        An article with the url of one already there is a correction: it replaces it."""
        article = make_article(
            article_id=self._new_id(new),
            title=new.title,
            body=new.body,
            date=new.date,
            source=new.source,
            url=new.url,
            authors=new.authors,
            updated=new.updated,
        )
        target = self.settings.corpus / f"{article.id}.md"
        previous = target.read_bytes() if target.is_file() else None
        _, status = write_article(self.settings.corpus, article, correct=article.url is not None)
        status = "replaced" if status == "corrected" else status
        try:
            report = build_from_corpus(
                self.settings.corpus, self.settings.index, self.embedder, wait=120
            )
        except BaseException as error:
            # Nothing is written on any error: take the article back out of the corpus.
            if status != "unchanged":
                _restore(target, previous)
            if isinstance(error, OSError):  # a full disk, a read-only index folder
                raise IndexUnavailable(
                    f"The index could not be written ({error.strerror or error}); the article "
                    "was not added and the previous index is still live.",
                    code=INDEX_WRITE_FAILED,
                ) from None
            raise
        index = self.live.refresh()
        return contract.AddedArticle(
            status=status,  # type: ignore[arg-type]  # write_article's three statuses
            article=article_shape(index.articles.get(article.id, article)),
            index=contract.BuildSummary.model_validate(report.to_json()),
        )

    def _new_id(self, new: contract.NewArticle) -> str:
        """The id of a posted article: with a url, that of the indexed article with the same
        url (so that posting it again corrects it), else one made from the url as `qa add`
        makes it; without a url, one made from the title and date."""
        if new.url is None:
            return derived_id(new.title, new.date, new.url)
        try:
            index = self.live.get()
        except IndexUnavailable:  # nothing indexed yet
            return url_id(new.url)
        url = " ".join(new.url.split())
        same = next((a for a in index.articles.values() if a.url == url), None)
        if same is None:
            return url_id(url)
        if same.path != f"{same.id}.md":  # `qa add` and this endpoint write one file each
            raise Conflict(
                f"The article with this url comes from {same.path or 'a corpus file'}, a file "
                "this endpoint does not rewrite; correct it in that file."
            )
        return same.id

    def health(self) -> contract.Health:
        manifest = self.live.get().manifest
        return contract.Health(
            status="ok",
            articles=manifest.article_count,
            passages=manifest.passage_count,
            model=manifest.model_id,
            built_at=manifest.built_at,
            version=manifest.version,
        )

    def warm(self) -> None:
        """Load the model and the index and run one query, so the first request is not slow."""
        self.embedder.encode_query("warm up")
        self.live.get().facts  # noqa: B018  # the per-passage dates and outlets, made once


def _restore(target: Path, previous: bytes | None) -> None:
    """Put a corpus file back as it was before a failed POST /articles."""
    if previous is None:
        target.unlink(missing_ok=True)
    else:
        target.write_bytes(previous)
