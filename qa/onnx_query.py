"""Exporting the model for questions to ONNX, once, from its local weights (needs PyTorch).

A question is one short sequence, where PyTorch's per-operation overhead dominates: measured here
on one core, MiniLM took 30.6 ms per MultiHop-RAG question in PyTorch and 18.8 ms in ONNX Runtime,
with cosine 0.9999996 between the two; with int8 weights (`_quantize`) 5.5 ms where fp32 took
14 on a Xeon with VNNI and AMX, cosine 0.99. Passages are still embedded by PyTorch (in batches the
two run at the same speed), so the index does not change.

The export covers the usual sentence-transformers pipeline (a transformer, mean pooling, optional
normalization); any other model keeps the PyTorch path. It is written under `QA_CACHE/onnx/`
with the model's tokenizer, and described there (`qa.query_encoder`) only after the encoder that
reads it, which needs no PyTorch, gave the same tokens and the same vectors as PyTorch in fp32 on
probe questions. This module is imported only when the ONNX path is asked for.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qa.query_encoder import ExportInfo, ExportPaths, OnnxQueryEncoder, export_paths

log = logging.getLogger(__name__)

MIN_COSINE = 0.9999  # against PyTorch in fp32, on every probe question
# The int8 graph, on every probe question (MultiHop-RAG dev questions: 0.991 at worst, 0.994 on
# average; retrieval unchanged within bench/README.md's tolerance).
INT8_MIN_COSINE = 0.98
PROBE_QUESTIONS = (
    "Who does not like the development of the CSTO?",
    "Which company, reported on by both TechCrunch and The Verge in October 2023, faces a trial?",
    "How many tonnes of wheat did Egypt buy from Romania and Bulgaria?",
)
# Tokens must match too, truncation included: a text longer than the model reads.
_LONG_TEXT = " ".join(["Grain prices rose 4.2% in Cairo as traders waited for the tender."] * 60)

QueryEncoder = Callable[[str], np.ndarray]


def onnx_query_encoder(
    model: Any,
    tokenize: Callable[[list[str]], dict[str, Any]],
    reference: QueryEncoder,
    cache: Path,
    threads: int,
    *,
    target: str,
    model_id: str,
    quantized: bool = False,
) -> tuple[OnnxQueryEncoder | None, str]:
    """An ONNX Runtime question encoder equal to `reference` (PyTorch in fp32), exported now
    unless it already is, or None and the reason why not. `quantized`: the int8 graph, made
    from the fp32 one, which must be within INT8_MIN_COSINE of `reference`."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None, "onnxruntime is not installed"
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        return None, "tokenizers is not installed"
    if not _supported(model):
        return None, "the model is not a plain transformer + mean pooling pipeline"
    paths = export_paths(cache, target)
    info = ExportInfo.read(paths.info)
    try:
        if info is None or info.model_id != model_id or not paths.complete():
            info = _export(model, tokenize, reference, paths, model_id)
        minimum = INT8_MIN_COSINE if quantized else MIN_COSINE
        if quantized:
            int8 = ExportInfo.read(paths.quantized_info)
            if int8 is None or int8.model_id != model_id or not paths.quantized.is_file():
                int8 = _quantize(paths, info, tokenize, reference)
            info = int8
        encoder = OnnxQueryEncoder(paths, info, threads, quantized=quantized)
        worst = _check(encoder, tokenize, reference, info.inputs, minimum)  # in every session
    except _Mismatch as error:
        return None, str(error)
    except Exception as error:  # any export or load failure leaves the PyTorch path working
        return None, f"the ONNX export failed ({type(error).__name__}: {error})"
    kind = "int8 weights" if quantized else "fp32"
    return encoder, (
        f"ONNX Runtime ({kind}), {threads} thread(s); cosine to PyTorch >= {worst:.6f}"
    )


class _Mismatch(Exception):
    """The exported encoder does not give PyTorch's tokens or vectors."""


def _supported(model: Any) -> bool:
    modules = [type(module).__name__ for module in model]
    if modules[:2] != ["Transformer", "Pooling"] or modules[2:] not in ([], ["Normalize"]):
        return False
    return getattr(model[1], "pooling_mode", "mean") == "mean"


def _export(
    model: Any,
    tokenize: Callable[[list[str]], dict[str, Any]],
    reference: QueryEncoder,
    paths: ExportPaths,
    model_id: str,
) -> ExportInfo:
    """Export the model and its tokenizer, check them against PyTorch, then describe them."""
    paths.model.parent.mkdir(parents=True, exist_ok=True)
    features = tokenize(["warm up"])
    names: tuple[str, ...] = ("input_ids", "attention_mask", "token_type_ids")
    inputs = [name for name in names if name in features]
    max_length = int(model.max_seq_length)
    _write_atomically(
        paths.tokenizer,
        lambda path: path.write_text(model.tokenizer.backend_tokenizer.to_str(), "utf-8"),
    )
    _export_graph(model, features, inputs, paths)
    info = ExportInfo(
        model_id=model_id,
        dimension=int(model.get_embedding_dimension()),
        max_tokens=max_length - 2,
        max_length=max_length,
        inputs=inputs,
        cosine=0.0,
    )
    worst = _check(OnnxQueryEncoder(paths, info, threads=1), tokenize, reference, inputs)
    info = dataclasses.replace(info, cosine=round(worst, 7))
    info.write(paths.info)
    log.debug("Exported the question model to %s", paths.model)
    return info


def _quantize(
    paths: ExportPaths,
    info: ExportInfo,
    tokenize: Callable[[list[str]], dict[str, Any]],
    reference: QueryEncoder,
) -> ExportInfo:
    """The int8 graph from the fp32 one (ONNX Runtime's dynamic quantization: int8 weights per
    output channel, activations quantized per question), checked, then described.

    Only products with a weight matrix are quantized; those of two activations (attention's
    query x key and weights x value) stay fp32, and so does the word embedding table: stored in
    int8 too (a 23 MB graph instead of 58) it moved two of MultiHop-RAG's 46 unanswerable dev
    questions to answerable."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(paths.model), load_external_data=False)
    weights = {initializer.name for initializer in graph.graph.initializer}
    between_activations = [
        node.name
        for node in graph.graph.node
        if node.op_type == "MatMul" and not any(name in weights for name in node.input)
    ]
    with tempfile.TemporaryDirectory(dir=paths.model.parent, prefix=".int8-") as folder:
        written = Path(folder) / paths.quantized.name
        quiet = logging.root.manager.disable
        logging.disable(logging.WARNING)  # its advice to pre-process, logged on the root logger
        try:
            quantize_dynamic(
                str(paths.model),
                str(written),
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=between_activations,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.disable(quiet)
        os.replace(written, paths.quantized)
    encoder = OnnxQueryEncoder(paths, info, threads=1, quantized=True)
    worst = _check(encoder, tokenize, reference, info.inputs, INT8_MIN_COSINE)
    quantized = dataclasses.replace(info, cosine=round(worst, 7))
    quantized.write(paths.quantized_info)
    log.debug("Quantized the question model to %s", paths.quantized)
    return quantized


def _check(
    encoder: OnnxQueryEncoder,
    tokenize: Callable[[list[str]], dict[str, Any]],
    reference: QueryEncoder,
    inputs: list[str],
    minimum: float = MIN_COSINE,
) -> float:
    """The lowest cosine to PyTorch on the probe questions; _Mismatch when the tokens differ
    or the cosine is below `minimum`."""
    for text in (*PROBE_QUESTIONS, _LONG_TEXT):
        expected = tokenize([text])
        given = encoder.model_inputs(text)
        if any(not np.array_equal(given[n], expected[n].numpy()) for n in inputs):
            raise _Mismatch("its tokenizer, read without transformers, splits text differently")
    worst = min(float(np.dot(encoder.encode_query(q), reference(q))) for q in PROBE_QUESTIONS)
    if worst < minimum:
        raise _Mismatch(f"its vectors differ from PyTorch's (cosine {worst:.6f})")
    return worst


def _export_graph(
    model: Any, features: dict[str, Any], inputs: list[str], paths: ExportPaths
) -> None:
    """The graph and its weights in two files, written in a folder of their own and then moved
    into place, weights first."""
    import onnx

    wrapper = _MeanPooled(model[0].auto_model, inputs).eval()
    with tempfile.TemporaryDirectory(dir=paths.model.parent, prefix=".export-") as folder:
        traced = Path(folder) / "traced.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes, not problems
            torch.onnx.export(
                wrapper,
                tuple(features[name] for name in inputs),
                str(traced),
                input_names=inputs,
                output_names=["embedding"],
                dynamic_axes={str(name): {0: "batch", 1: "tokens"} for name in inputs},
                opset_version=17,
                dynamo=False,
            )
        graph = Path(folder) / paths.model.name
        onnx.save_model(
            onnx.load(str(traced)),
            str(graph),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=paths.weights.name,  # relative: found beside the graph
            size_threshold=1024,
        )
        os.replace(Path(folder) / paths.weights.name, paths.weights)
        os.replace(graph, paths.model)


def _write_atomically(path: Path, write: Callable[[Path], Any]) -> None:
    """Concurrent exports (two workers) never leave or read half a file."""
    temporary = Path(tempfile.mkstemp(dir=path.parent, suffix=".tmp")[1])
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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
