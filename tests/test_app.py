"""The HTTP API through Flask's test client, with the real model over a small built corpus."""

from __future__ import annotations

import pytest

from qa.app import create_app

from .support import SAMPLE_ID, assert_error


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("What has the CSTO been proposing to NATO since the mid-2000s?", "since the mid-2000s"),
        ("Where was the trilateral agreement signed?", "trilateral agreement was signed in Moscow"),
        (
            "What forces does the CSTO have to respond to crisis situations?",
            "rapid deployment forces",
        ),
        (
            "Which international organizations does the CSTO have contacts with?",
            "Islamic Cooperation",
        ),
        ("How much wheat did Egypt buy in the tender?", "480,000 tonnes"),
    ],
)
def test_the_answering_passage_comes_first(client, question, phrase):
    response = client.post("/ask", json={"question": question, "k": 3})
    assert response.status_code == 200
    passages = response.get_json()["passages"]
    assert len(passages) == 3
    assert phrase in passages[0]["text"]
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_passages_carry_full_citations(client):
    response = client.post("/ask", json={"question": "Who is Sergey Lavrov?"})
    body = response.get_json()
    assert len(body["passages"]) == 5  # the default k
    first = body["passages"][0]
    assert set(first) == {"text", "score", "citation"}
    citation = first["citation"]
    assert set(citation) == {"article_id", "title", "date", "source", "url", "start", "end"}
    assert citation["article_id"] == SAMPLE_ID
    assert citation["date"] == "2022-06-08" and citation["source"] == "TASS"
    article = client.get(f"/articles/{SAMPLE_ID}").get_json()
    for passage in body["passages"]:
        cite = passage["citation"]
        if cite["article_id"] == SAMPLE_ID:
            assert article["body"][cite["start"] : cite["end"]] == passage["text"]


def test_article_view(client):
    response = client.get(f"/articles/{SAMPLE_ID}")
    assert response.status_code == 200
    article = response.get_json()
    assert article["title"].startswith("Lavrov said")
    assert (article["date"], article["source"], article["url"]) == ("2022-06-08", "TASS", None)
    assert "Based on materials" not in article["body"]
    assert_error(client.get("/articles/nope"), 404, "not_found")
    assert_error(client.get("/articles/..%2F..%2Fetc%2Fpasswd"), 404, "not_found")


def test_healthz(client):
    health = client.get("/healthz").get_json()
    assert health["articles"] == 3
    assert health["passages"] > 3
    assert health["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert health["built_at"] and health["version"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "invalid_json"),
        (b"not json", "invalid_json"),
        (b'{"question": "unterminated', "invalid_json"),
        (b"\xff\xfe\x00", "invalid_json"),
        (b"[]", "invalid_request"),
        (b'"a question"', "invalid_request"),
        (b"null", "invalid_request"),
        (b"{}", "missing_question"),
        (b'{"k": 3}', "missing_question"),
        (b'{"question": ""}', "empty_question"),
        (b'{"question": "  \\n\\t "}', "empty_question"),
        (b'{"question": 42}', "invalid_question"),
        (b'{"question": null}', "invalid_question"),
        (b'{"question": ["a"]}', "invalid_question"),
        (b'{"question": "x", "k": 0}', "invalid_k"),
        (b'{"question": "x", "k": 51}', "invalid_k"),
        (b'{"question": "x", "k": -3}', "invalid_k"),
        (b'{"question": "x", "k": true}', "invalid_k"),
        (b'{"question": "x", "k": "5"}', "invalid_k"),
        (b'{"question": "x", "k": 2.5}', "invalid_k"),
        (b'{"question": "x", "k": null}', "invalid_k"),
        (b'{"question": "x", "k": 1e400}', "invalid_k"),
    ],
)
def test_bad_requests_get_a_400_with_the_error_shape(client, data, code):
    response = client.post("/ask", data=data, content_type="application/json")
    assert_error(response, 400, code)


def test_question_length_limit(client, built_settings):
    limit = built_settings.max_question_chars
    assert client.post("/ask", json={"question": "a" * limit}).status_code == 200
    assert_error(
        client.post("/ask", json={"question": "a" * (limit + 1)}), 400, "question_too_long"
    )


def test_k_bounds_are_inclusive(client):
    assert len(client.post("/ask", json={"question": "CSTO", "k": 1}).get_json()["passages"]) == 1
    response = client.post("/ask", json={"question": "CSTO", "k": 50})
    assert response.status_code == 200  # fewer passages exist than 50: all of them come back


def test_http_errors_use_the_same_shape(client):
    assert_error(client.get("/ask"), 405, "method_not_allowed")
    assert_error(client.get("/no/such/page"), 404, "not_found")
    big = client.post("/ask", data=b"x" * 2_000_000, content_type="application/json")
    body = assert_error(big, 413, "request_entity_too_large")
    assert body["error"]["message"] == (
        "The request body is larger than the limit of 1,000,000 bytes (QA_MAX_REQUEST_BYTES)."
    )


@pytest.mark.parametrize(
    ("content_type", "sent"),
    [
        (None, "without a Content-Type"),
        ("text/plain", "as text/plain"),
        ("application/x-www-form-urlencoded", "as application/x-www-form-urlencoded"),
    ],
)
def test_post_bodies_must_be_json(client, content_type, sent):
    headers = {"Content-Type": content_type} if content_type else {}
    for path in ("/ask", "/articles"):
        response = client.post(path, data=b'{"question": "CSTO"}', headers=headers)
        body = assert_error(response, 415, "unsupported_media_type")
        assert sent in body["error"]["message"]
    # a JSON type with parameters, or a +json type, is JSON
    for media in ("application/json; charset=utf-8", "application/problem+json"):
        ok = client.post("/ask", data=b'{"question": "CSTO"}', headers={"Content-Type": media})
        assert ok.status_code == 200
    # a wrong method or path is still a 405 or 404, whatever the body
    assert_error(client.post("/", data=b"x", content_type="text/plain"), 405, "method_not_allowed")
    assert_error(client.post("/nope", data=b"x"), 404, "not_found")


def test_no_index_is_a_503_that_says_how_to_build(empty_settings, embedder):
    client = create_app(empty_settings, embedder=embedder).test_client()
    body = assert_error(client.post("/ask", json={"question": "hi"}), 503, "index_unavailable")
    assert "qa index" in body["error"]["message"]
    assert_error(client.get("/healthz"), 503, "index_unavailable")
    assert_error(client.get(f"/articles/{SAMPLE_ID}"), 503, "index_unavailable")
    # a bad request is still a 400, whatever the state of the index
    assert_error(client.post("/ask", json={}), 400, "missing_question")


def test_security_headers(client):
    response = client.post("/ask", json={"question": "CSTO"})
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
