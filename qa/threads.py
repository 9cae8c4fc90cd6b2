"""How many cores one question may use, and holding PyTorch, ONNX Runtime, FAISS and BLAS to it.

One short question gains little from several cores, and the thread pools of the libraries a
question passes through (PyTorch or ONNX Runtime for the model, FAISS, numpy's BLAS) wait on
each other when they share cores: on a busy 2-core machine a question took 4x longer to embed
with two torch threads than with one, and a single-query FAISS search 35x longer. Even with one
question at a time, ONNX Runtime's two threads and BLAS's two threads on 2 cores took a question
from 27 to 50 ms. So every question runs on `request_threads` cores: in each `qa serve` worker
(for good) and while `qa eval` asks its questions.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any


def request_threads(workers: int, threads: int) -> int:
    """Cores one request may use: the machine's cores, shared by all the requests that can be
    in flight (`workers` processes x `threads` each)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // (workers * threads))


def limit_threads(cores: int) -> Any:
    """Hold PyTorch, FAISS and numpy's BLAS to `cores` threads in this process from now on;
    returns threadpoolctl's limiter, whose `restore_original_limits()` undoes the BLAS part."""
    import faiss
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(cores)
    faiss.omp_set_num_threads(cores)
    return threadpool_limits(limits=cores, user_api="blas")


@contextlib.contextmanager
def limited_threads(cores: int) -> Iterator[None]:
    """`limit_threads` for the duration of a block, then the previous limits again."""
    import faiss
    import torch

    torch_before, faiss_before = torch.get_num_threads(), faiss.omp_get_max_threads()
    blas = limit_threads(cores)
    try:
        yield
    finally:
        blas.restore_original_limits()
        torch.set_num_threads(torch_before)
        faiss.omp_set_num_threads(faiss_before)
