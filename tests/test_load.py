"""A short run of `python -m bench.load`: 4 clients for a few seconds against a real `qa serve`,
with an article added and the index rebuilt in the middle. No request may fail, and answers
must move to the new version (and find the new article) without a restart: the command exits
1 otherwise and says what went wrong."""

from __future__ import annotations

import re

from .support import run_bench


def test_no_request_fails_across_a_rebuild_and_reload():
    result = run_bench("load", "--clients", "4", "--seconds", "3")
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    requests, failed = map(int, re.search(r"(\d+) requests, (\d+) failed", result.stdout).groups())
    assert requests > 0 and failed == 0
    assert "first answer from the new version at" in result.stdout
    assert "| before |" in result.stdout and "| after |" in result.stdout
