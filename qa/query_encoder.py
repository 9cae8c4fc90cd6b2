"""Questions embedded without PyTorch: the exported ONNX model, run by ONNX Runtime, with the
model's own tokenizer read by the `tokenizers` package.

`qa.onnx_query` (which needs PyTorch) exports a model once into `QA_CACHE/onnx/`, checks there
that this encoder gives PyTorch's vectors, and only then writes the description file this module
looks for. Loading from it takes a fraction of a second where importing PyTorch and loading the
model take about ten, so `qa ask` answers quickly without a server; `qa serve` workers that embed
questions with ONNX Runtime use the same encoder. Nothing here
imports torch, transformers or sentence-transformers.

    onnx/query-<key>.onnx             the graph: the transformer, mean pooling, normalization
    onnx/query-<key>.onnx.data        its weights, which ONNX Runtime maps rather than copies
                                      (a session in 0.35 s instead of 1 s on a busy machine)
    onnx/query-<key>.tokenizer.json   its tokenizer, truncating as sentence-transformers does
    onnx/query-<key>.json             model id, dimension, inputs, and the check it passed
    onnx/query-<key>.int8.onnx        the same graph with int8 weights (dynamic quantization)
    onnx/query-<key>.int8.json        and its description, written once it passed its check

The int8 graph is what `QA_QUERY_RUNTIME=auto` uses on CPUs with int8 dot-product instructions
(`int8_native`): 5.5 ms of CPU per question instead of 14 in fp32, its vectors at cosine >= 0.98
to PyTorch's (0.994 on average over MultiHop-RAG questions), retrieval unchanged within the
tolerance bench/README.md states ("/ask latency (issue 16 part 5)").

The key names the model and the state of its files, so a changed model is exported afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunking import Tokens

ONNX_DIR = "onnx"


@dataclass(frozen=True)
class ExportInfo:
    """What the description file says about an export that passed its check."""

    model_id: str
    dimension: int
    max_tokens: int  # the model's positions less the two special tokens, as `Embedder` says
    max_length: int  # truncation of the tokenizer, special tokens included
    inputs: list[str]
    cosine: float  # the lowest cosine to PyTorch's vectors on the probe questions

    @classmethod
    def read(cls, path: Path) -> ExportInfo | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, path: Path) -> None:
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(temporary, path)  # written last: an export is used only once it is whole


@dataclass(frozen=True)
class ExportPaths:
    model: Path
    weights: Path  # named in `model`, beside it
    tokenizer: Path
    info: Path
    quantized: Path  # the int8 graph (weights inside it)
    quantized_info: Path

    def complete(self) -> bool:
        return all(path.is_file() for path in (self.model, self.weights, self.tokenizer))


def export_paths(cache: Path, target: str) -> ExportPaths:
    """Where the export of the model loaded from `target` (see `qa.embedding.resolve_model`)
    lives: keyed by the name and, for a model folder, the size and time of each of its files."""
    key = hashlib.sha256(target.encode())
    folder = Path(target)
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                key.update(
                    f"|{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
                )
    stem = cache / ONNX_DIR / f"query-{key.hexdigest()[:16]}"
    return ExportPaths(
        model=stem.with_suffix(".onnx"),
        weights=stem.with_suffix(".onnx.data"),
        tokenizer=stem.with_name(stem.name + ".tokenizer.json"),
        info=stem.with_suffix(".json"),
        quantized=stem.with_suffix(".int8.onnx"),
        quantized_info=stem.with_suffix(".int8.json"),
    )


def int8_native() -> bool:
    """Whether this CPU has int8 dot-product instructions (VNNI or AMX), where ONNX Runtime's
    int8 matrix products are several times faster than fp32 ones."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f" {flag}" in flags for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


def wants_int8(query_runtime: str) -> bool:
    """Whether questions are embedded by the int8 graph under this `QA_QUERY_RUNTIME`."""
    return query_runtime == "onnx-int8" or (query_runtime == "auto" and int8_native())


class OnnxQueryEncoder:
    """Question text in, the normalized vector the exported model gives out (`Embedder`)."""

    def __init__(
        self, paths: ExportPaths, info: ExportInfo, threads: int = 1, quantized: bool = False
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.model_id = info.model_id
        self.dimension = info.dimension
        self.max_tokens = info.max_tokens
        self.inputs = list(info.inputs)
        self._tokenizer = Tokenizer.from_file(str(paths.tokenizer))
        self._tokenizer.no_padding()
        self._counter = Tokenizer.from_str(self._tokenizer.to_str())  # counts past the limit
        self._counter.no_truncation()
        self._tokenizer.enable_truncation(max_length=info.max_length)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self.quantized = quantized
        self._session = onnxruntime.InferenceSession(
            str(paths.quantized if quantized else paths.model),
            options,
            providers=["CPUExecutionProvider"],
        )

    def model_inputs(self, text: str) -> dict[str, np.ndarray]:
        """The model inputs for one text, each of shape (1, tokens)."""
        encoding = self._tokenizer.encode(text)
        columns: dict[str, Any] = {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
        }
        return {name: np.asarray([columns[name]], dtype=np.int64) for name in self.inputs}

    def encode_query(self, text: str) -> np.ndarray:
        output = self._session.run(None, self.model_inputs(text))[0]
        return np.asarray(output[0], dtype=np.float32)

    def tokenize(self, texts: Sequence[str]) -> list[Tokens]:
        """Each text's word pieces (no special tokens, no length limit) with their spans."""
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [
            Tokens(
                np.asarray(encoding.ids, dtype=np.int64),
                np.asarray([start for start, _ in encoding.offsets], dtype=np.int64),
                np.asarray([end for _, end in encoding.offsets], dtype=np.int64),
            )
            for encoding in encodings
        ]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(tokens) for tokens in self.tokenize(texts)]

    def encode_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """One at a time: this encoder is for questions (passages are embedded by PyTorch)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.encode_query(text) for text in texts])


def cached_query_encoder(
    cache: Path, model: str, threads: int = 1, quantized: bool = False
) -> OnnxQueryEncoder | None:
    """The encoder exported for `model` (a `QA_MODEL` value), or None when there is no export
    that passed its check, or ONNX Runtime or `tokenizers` is missing. `quantized`: the int8
    graph when it was made and passed its check, else the fp32 one."""
    from qa.embedding import resolve_model

    target, model_id = resolve_model(model)
    paths = export_paths(cache, target)
    info = ExportInfo.read(paths.info)
    if info is None or info.model_id != model_id or not paths.complete():
        return None
    int8 = ExportInfo.read(paths.quantized_info) if quantized else None
    if int8 is not None and int8.model_id == model_id and paths.quantized.is_file():
        info, use_int8 = int8, True
    else:
        use_int8 = False
    try:
        return OnnxQueryEncoder(paths, info, threads, quantized=use_int8)
    except Exception:  # a missing package or a damaged file: PyTorch remains
        return None
