"""The cores one question may use, and holding the libraries' thread pools to them."""

from __future__ import annotations

import os

import faiss
import torch
from threadpoolctl import threadpool_info

from qa.threads import limited_threads, request_threads


def test_request_threads_share_the_cores_among_requests_in_flight():
    cores = len(os.sched_getaffinity(0))
    assert request_threads(1, 1) == cores
    assert request_threads(cores, 1) == 1
    assert request_threads(cores, 8) == 1  # never less than one


def test_limited_threads_holds_every_pool_then_restores_it():
    torch_before, faiss_before = torch.get_num_threads(), faiss.omp_get_max_threads()
    with limited_threads(1):
        assert torch.get_num_threads() == 1
        assert faiss.omp_get_max_threads() == 1
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
    assert torch.get_num_threads() == torch_before
    assert faiss.omp_get_max_threads() == faiss_before
