"""Putting scores together: min-max fusion of BM25 and cosine, reciprocal rank fusion, top rows.

Pure array functions; `qa.search` decides what they are applied to.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fuse(
    lexical: np.ndarray, dense: np.ndarray, lexical_weight: float, dense_weight: float
) -> np.ndarray:
    """Weighted sum of min-max normalized scores over the same candidates (each in [0, 1])."""
    return lexical_weight * min_max(lexical) + dense_weight * min_max(dense)


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] (all ones when they are equal and positive, zeros otherwise)."""
    if scores.size == 0:
        return scores.astype(np.float32)
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-9:
        return np.ones_like(scores, dtype=np.float32) if high > 0 else np.zeros_like(scores)
    return ((scores - low) / (high - low)).astype(np.float32)


def best_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """The rows of the `n` highest scores, best first, ties in row order: what
    `np.argsort(-scores, kind="stable")[:n]` gives, without sorting every row."""
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest score
    above = np.flatnonzero(scores > kth)
    rows = np.concatenate([above, np.flatnonzero(scores == kth)[: n - len(above)]])
    return rows[np.argsort(-scores[rows], kind="stable")]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60
) -> dict[int, float]:
    """Weighted RRF: sum over lists of weight / (k + rank), rank counted from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused
