"""A short run of bench/load.py: 4 clients for a few seconds against a real `qa serve`, with an
article added and the index rebuilt in the middle. No request may fail, and answers must move to
the new version (and find the new article) without a restart."""

from __future__ import annotations

from bench.load import (
    NEW_ARTICLE,
    NEW_ARTICLE_NAME,
    check_switch,
    free_port,
    phase_table,
    run_load,
    start_server,
    stop_server,
)
from qa.build import build_from_corpus

from .conftest import make_corpus


def test_no_request_fails_across_a_rebuild_and_reload(tmp_path, embedder):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    old = build_from_corpus(corpus, index, embedder).version

    def rebuild() -> str:
        (corpus / NEW_ARTICLE_NAME).write_text(NEW_ARTICLE, encoding="utf-8")
        return build_from_corpus(corpus, index, embedder).version

    port = free_port()
    server = start_server(corpus, index, port)
    try:
        run = run_load(port, clients=4, before=1.5, after=1.5, max_requests=5000, rebuild=rebuild)
    finally:
        stop_server(server)

    print(phase_table(run))
    assert run.samples and run.failures() == []
    assert check_switch(run) == []
    phases = run.phases()
    assert phases["before"] and phases["after"]
    assert {s.version for s in phases["before"]} == {old}
    # Requests already in flight while a worker loads the new version are answered from the
    # old one (each from one version only); check_switch allows one second for that.
    assert run.new_version != old and phases["after"][-1].version == run.new_version
