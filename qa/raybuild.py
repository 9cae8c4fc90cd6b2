"""`qa index --ray [ADDRESS]`: reading, chunking and embedding on a Ray cluster.

The build is the same as a local one (`qa.build`): the driver (the `qa index` process) holds the
build lock, decides which articles are new or changed, and publishes the version; only the work
that grows with the corpus runs on the cluster:

- reading and parsing the article files, a batch of files per call (the corpus folder must be
  at the same path on every node: shared storage, or one machine);
- chunking and embedding the new and changed articles, a batch of articles per call.

Both run on a pool of actors spread over the cluster, each with its own copy of the model
(`QA_RAY_ACTOR_CPUS` cores each, so one actor per core by default: a small model embeds
fastest with one thread per copy).

Results come back in corpus order, so the passages, the manifest and (within the precision's
tolerance) the vectors are those a local build makes. Actors that die (a node lost, a worker
killed) are restarted by Ray and their batch retried (`MAX_RETRIES`); when that fails the
build fails like any other, before anything is published, and the live version stays.

Ray is an optional extra: `pip install -e '.[ray]'`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from qa.articles import Article, Scan
from qa.chunking import ChunkingConfig, Passage
from qa.errors import QAError

log = logging.getLogger(__name__)

FILES_PER_CALL = 32
ARTICLES_PER_CALL = 16  # about 200 passages: a lost actor loses little work
MAX_RETRIES = 3  # restarts of a dead actor, and retries of its batch


class RayUnavailable(QAError):
    code = "ray_unavailable"


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable(
            "`qa index --ray` needs Ray, which is not installed: pip install -e '.[ray]'."
        ) from None
    return ray


class _Embedding:
    """A Ray actor: one embedder, chunking and embedding batches of articles."""

    def __init__(self, model: str, precision: str, threads: int) -> None:
        import torch

        from qa.embedding import SentenceTransformerEmbedder
        from qa.prepare import LocalPreparer

        torch.set_num_threads(threads)
        embedder = SentenceTransformerEmbedder(model, precision=precision)
        self.preparer = LocalPreparer(embedder)

    def describe(self) -> tuple[str, int, int, str]:
        embedder = self.preparer.embedder
        precision = getattr(embedder, "precision", "fp32")
        return embedder.model_id, embedder.dimension, embedder.max_tokens, precision

    def prepare(
        self, articles: list[Article], config: ChunkingConfig
    ) -> tuple[list[list[Passage]], np.ndarray]:
        return self.preparer.prepare(articles, config)

    def read(self, files: list[tuple[str, str]]) -> list[Scan]:
        return self.preparer.read([(Path(path), relative) for path, relative in files])


class RayPreparer:
    """A `qa.prepare.Preparer` whose work runs on a Ray cluster (started here, or joined)."""

    def __init__(
        self,
        address: str | None,
        model: str,
        precision: str = "auto",
        actor_cpus: int = 1,
    ) -> None:
        ray = _ray()
        self._ray = ray
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            try:
                ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RayUnavailable(
                    f"Cannot reach the Ray cluster at {address or 'a new local instance'}: "
                    f"{str(error).splitlines()[0]}"
                ) from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = max(1, cpus // max(actor_cpus, 1))
        actor = ray.remote(
            num_cpus=actor_cpus, max_restarts=MAX_RETRIES, max_task_retries=MAX_RETRIES
        )(_Embedding)
        self.actors = [actor.remote(model, precision, actor_cpus) for _ in range(count)]
        described = self._ray.get([a.describe.remote() for a in self.actors])
        self.model_id, self.dimension, self.max_tokens, _ = described[0]
        self.precisions = sorted({d[3] for d in described})
        log.info(
            "Ray: %d embedding actors of %d core(s) (%s)",
            count,
            actor_cpus,
            ", ".join(self.precisions),
        )

    def read(self, files: Sequence[tuple[Path, str]]) -> list[Scan]:
        batches = [
            [(str(path), name) for path, name in files[first : first + FILES_PER_CALL]]
            for first in range(0, len(files), FILES_PER_CALL)
        ]
        pending = [
            self.actors[number % len(self.actors)].read.remote(batch)
            for number, batch in enumerate(batches)
        ]
        results = self._get(pending, "reading the corpus")
        return [scan for batch in results for scan in batch]

    def prepare(
        self, articles: Sequence[Article], config: ChunkingConfig, *, progress: bool = False
    ) -> tuple[list[list[Passage]], np.ndarray]:
        """Batches of articles spread over the actors, results gathered in article order."""
        batches = [
            list(articles[first : first + ARTICLES_PER_CALL])
            for first in range(0, len(articles), ARTICLES_PER_CALL)
        ]
        config_ref = self._ray.put(config)
        pending = [
            self.actors[number % len(self.actors)].prepare.remote(batch, config_ref)
            for number, batch in enumerate(batches)
        ]
        results: list[tuple[list[list[Passage]], np.ndarray]] = []
        with tqdm(
            total=len(articles), desc="Embedding on Ray", unit="article", disable=not progress
        ) as bar:
            for batch, reference in zip(batches, pending):
                results.extend(self._get([reference], "embedding"))
                bar.update(len(batch))
        passages = [made for part, _ in results for made in part]
        vectors = [block for _, block in results if len(block)]
        matrix = (
            np.vstack(vectors).astype(np.float32)
            if vectors
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        return passages, matrix

    def _get(self, references: list[Any], what: str) -> list[Any]:
        try:
            return list(self._ray.get(references))
        except self._ray.exceptions.RayError as error:
            raise RayUnavailable(
                f"The Ray cluster failed while {what} ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:200]}); nothing was published and the live "
                "index is unchanged."
            ) from None

    def close(self) -> None:
        for actor in self.actors:
            self._ray.kill(actor)
        if self._owns_cluster:
            self._ray.shutdown()
