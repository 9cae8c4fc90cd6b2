"""Generated requests from /openapi.json (schemathesis), in-process against the WSGI app.

Valid and invalid requests for every operation: no 5xx, statuses, content types, headers and
bodies as documented, and every error in the one shape. Examples are bounded (and derandomized,
so a run is repeatable); the counts are checked at the end so the budget cannot silently shrink.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qa.app import create_app
from qa.build import build_from_corpus
from qa.settings import Settings

from .support import make_corpus

TOKEN = "fuzz-admin-token"
SENT: Counter[str] = Counter()  # requests sent per operation, checked by the last test


@schemathesis.check
def errors_have_the_one_shape(ctx, response, case) -> bool | None:
    """Every 4xx/5xx is JSON {"error": {"code": str, "message": non-empty str}}."""
    SENT[case.operation.label] += 1
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    errors_have_the_one_shape,
]
BOUNDED = settings(
    deadline=None,  # a slow request on a busy machine is not a failure; a hang is (timeout)
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, embedder):
    """An app with admin endpoints on, over its own corpus (generated articles are added)."""
    root = tmp_path_factory.mktemp("fuzz")
    fuzz_settings = Settings(
        corpus=make_corpus(root / "corpus"),
        index=root / "index",
        admin_token=TOKEN,
        max_request_bytes=16_384,  # keeps generated article bodies (and their embedding) small
    )
    build_from_corpus(fuzz_settings.corpus, fuzz_settings.index, embedder)
    return create_app(fuzz_settings, embedder=embedder)


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)


# (method, path, generation mode, examples). Valid questions run the model, and accepted
# articles are written and indexed, so those get fewer; invalid input and the GETs are cheap.
# Operations whose only input is a string path parameter (or none) have no invalid form.
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
RUNS = [
    ("POST", "/ask", POSITIVE, 60),
    ("POST", "/ask", NEGATIVE, 600),
    ("GET", "/articles/{article_id}", POSITIVE, 800),
    ("GET", "/static/{name}", POSITIVE, 500),
    ("GET", "/healthz", POSITIVE, 50),
    ("GET", "/", POSITIVE, 50),
    ("GET", "/openapi.json", POSITIVE, 30),
    ("POST", "/articles", POSITIVE, 30),
    ("POST", "/articles", NEGATIVE, 150),
]


def run_generated(operation, mode, examples: int, headers: dict | None = None) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(BOUNDED, max_examples=examples)
    def generated(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    generated()


# schemathesis's WSGI transport never closes a streamed file response (the page and its static
# files), so the file is closed by the garbage collector with a ResourceWarning; real servers
# close it. Only those warnings are let through here.
@pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Exception ignored in:pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    ("method", "path", "mode", "examples"),
    RUNS,
    ids=[f"{method} {path} {mode.value}" for method, path, mode, _ in RUNS],
)
def test_generated_requests(api_schema, method, path, mode, examples):
    headers = {"Authorization": f"Bearer {TOKEN}"} if path == "/articles" else None
    run_generated(api_schema[path][method], mode, examples, headers)


def test_generated_articles_without_a_token(api_schema):
    run_generated(api_schema["/articles"]["POST"], POSITIVE, 30)


def test_the_budget_was_spent():
    """The runs above really sent thousands of requests, to every operation."""
    if not SENT:
        pytest.skip("counts only when the generated tests above ran in this session")
    assert sum(SENT.values()) >= 2000, SENT
    assert len(SENT) == 7, SENT  # the operations without inputs have one distinct request


def test_hostile_bodies_in_the_app(client):
    """A few inputs generators rarely reach: deep nesting, huge numbers, NUL, lone surrogates."""
    for data in [
        b"[" * 200_000,
        b'{"question": ' + b"[" * 50_000 + b"}",
        b'{"question": "x", "k": ' + b"9" * 5000 + b"}",
        b'{"question": "\\u0000"}',
        b'{"question": "\\ud800"}',
        b'{"question": "a", "question": 5}',
        b'{"question": "x", "k": NaN}',
    ]:
        response = client.post("/ask", data=data, content_type="application/json")
        assert 200 <= response.status_code < 500, (data[:40], response.status_code)
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) == {"code", "message"}


def test_hostile_articles_in_the_app(fuzz_app):
    client = fuzz_app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for data in [
        b'{"title": "t \\ud800", "body": "b"}',
        b'{"title": "t", "body": "b \\udfff"}',
        b'{"title": "t", "body": "b", "source": "\\ud800"}',
        b'{"title": "t", "body": ' + b"[" * 10_000 + b"}",
    ]:
        response = client.post("/articles", data=data, headers=auth)
        assert response.status_code == 400, (data[:40], response.get_data())
        assert set(response.get_json()["error"]) == {"code", "message"}
