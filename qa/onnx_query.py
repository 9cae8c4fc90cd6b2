"""Questions embedded with ONNX Runtime: the same model, exported once from its local weights.

A question is one short sequence, where PyTorch's per-operation overhead dominates: measured here
on one core, MiniLM took 30.6 ms per MultiHop-RAG question in PyTorch and 18.8 ms in ONNX Runtime,
with cosine 0.9999996 between the two. Passages are still embedded by PyTorch (in batches the
two run at the same speed), so the index does not change.

The export covers the usual sentence-transformers pipeline (a transformer, mean pooling, optional
normalization); any other model keeps the PyTorch path. This module is imported only when
the ONNX path is asked for. The exported file is cached by model and
library versions, and every session is checked against PyTorch on probe questions before use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)

MIN_COSINE = 0.9999  # against PyTorch, on every probe question
PROBE_QUESTIONS = (
    "Who does not like the development of the CSTO?",
    "Which company, reported on by both TechCrunch and The Verge in October 2023, faces a trial?",
    "How many tonnes of wheat did Egypt buy from Romania and Bulgaria?",
)

QueryEncoder = Callable[[str], np.ndarray]


def onnx_query_encoder(
    model: Any,
    tokenize: Callable[[list[str]], dict[str, Any]],
    reference: QueryEncoder,
    cache: Path,
    threads: int,
) -> tuple[QueryEncoder | None, str]:
    """An ONNX Runtime question encoder equal to `reference`, or None and the reason why not."""
    try:
        import onnxruntime
    except ImportError:
        return None, "onnxruntime is not installed"
    if not _supported(model):
        return None, "the model is not a plain transformer + mean pooling pipeline"
    try:
        path = _exported(model, tokenize, cache)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # any export or load failure leaves the PyTorch path working
        return None, f"the ONNX export failed ({type(error).__name__}: {error})"
    names = [i.name for i in session.get_inputs()]

    def encode(text: str) -> np.ndarray:
        features = tokenize([text])
        feeds = {name: features[name].numpy() for name in names}
        return np.asarray(session.run(None, feeds)[0][0], dtype=np.float32)

    worst = min(float(np.dot(encode(q), reference(q))) for q in PROBE_QUESTIONS)
    if worst < MIN_COSINE:
        return None, f"its vectors differ from PyTorch's (cosine {worst:.6f})"
    return encode, f"ONNX Runtime, {threads} thread(s); cosine to PyTorch >= {worst:.6f}"


def _supported(model: Any) -> bool:
    modules = [type(module).__name__ for module in model]
    if modules[:2] != ["Transformer", "Pooling"] or modules[2:] not in ([], ["Normalize"]):
        return False
    return getattr(model[1], "pooling_mode", "mean") == "mean"


def _exported(model: Any, tokenize: Callable[[list[str]], dict[str, Any]], cache: Path) -> Path:
    """The cached ONNX file for this model, exported now if missing (about a second)."""
    import transformers

    transformer = model[0].auto_model
    key = hashlib.sha256(
        f"{transformer.name_or_path}|{torch.__version__}|{transformers.__version__}".encode()
    ).hexdigest()[:16]
    path = cache / "onnx" / f"query-{key}.onnx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    features = tokenize(["warm up"])
    inputs = [
        name for name in ("input_ids", "attention_mask", "token_type_ids") if name in features
    ]
    wrapper = _MeanPooled(transformer, inputs).eval()
    temporary = Path(tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")[1])
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes, not problems
            torch.onnx.export(
                wrapper,
                tuple(features[name] for name in inputs),
                str(temporary),
                input_names=inputs,
                output_names=["embedding"],
                dynamic_axes={str(name): {0: "batch", 1: "tokens"} for name in inputs},
                opset_version=17,
                dynamo=False,
            )
        os.replace(temporary, path)  # atomic: concurrent workers never read half a file
    finally:
        temporary.unlink(missing_ok=True)
    return path


class _MeanPooled(torch.nn.Module):
    """Transformer outputs averaged over real tokens and normalized, as `encode_query` does."""

    def __init__(self, transformer: Any, inputs: Sequence[str]) -> None:
        super().__init__()
        self.transformer = transformer
        self.inputs = list(inputs)

    def forward(self, *tensors: Any) -> Any:
        features = dict(zip(self.inputs, tensors))
        tokens = self.transformer(**features).last_hidden_state
        mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)
