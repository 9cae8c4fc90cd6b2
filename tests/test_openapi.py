"""GET /openapi.json stays true: every route is documented (and nothing else), and real answers,
the errors included, validate against the documented schemas."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from qa.app import create_app
from qa.build import build_from_corpus
from qa.errors import CODES
from qa.settings import Settings

from .support import REPOSITORY, SAMPLE_ID, assert_error, make_copies_corpus

DOCUMENT_URI = "urn:qa:openapi"
TOKEN = "openapi-test-token"


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item}


def flask_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((path, method))
    return operations


class DocumentedResponses:
    """Validates a test-client response against what the document says for its operation."""

    def __init__(self, document: dict) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.registry.resolver(DOCUMENT_URI).lookup(DOCUMENT_URI + node["$ref"]).contents
        return node

    def check(self, path: str, method: str, response) -> None:
        operation = self.document["paths"][path][method.lower()]
        status = str(response.status_code)
        raw = operation["responses"].get(status)
        assert raw is not None, f"{method} {path} answered an undocumented {status}"
        escaped = path.replace("~", "~0").replace("/", "~1")
        pointer = (
            raw["$ref"][1:]
            if "$ref" in raw
            else f"/paths/{escaped}/{method.lower()}/responses/{status}"
        )
        documented = self._resolve(raw)
        media = response.mimetype
        assert media in documented["content"] or "*/*" in documented["content"], (path, media)
        for header, spec in documented.get("headers", {}).items():
            if spec.get("required"):
                assert header in response.headers, (method, path, header)
        if media != "application/json":
            return
        schema = {"$ref": f"{DOCUMENT_URI}#{pointer}/content/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=self.registry)
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("openapi")
    settings = Settings(
        corpus=make_copies_corpus(root / "corpus"), index=root / "index", admin_token=TOKEN
    )
    build_from_corpus(settings.corpus, settings.index, embedder)
    return create_app(settings, embedder=embedder)


@pytest.fixture(scope="module")
def checker(app) -> DocumentedResponses:
    return DocumentedResponses(app.test_client().get("/openapi.json").get_json())


def test_every_route_is_documented_and_nothing_else(app):
    document = app.test_client().get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert documented_operations(document) == flask_operations(app)


def test_the_document_is_valid_openapi(app):
    import schemathesis

    document = app.test_client().get("/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert {"POST /ask", "GET /healthz", "GET /articles/{article_id}"} <= labels
    # every schema in it is valid JSON Schema 2020-12
    for component in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)


def test_limits_in_the_document_follow_the_settings(built_settings, embedder):
    settings = built_settings.replace(max_question_chars=300, max_k=7, default_k=3)
    document = create_app(settings, embedder=embedder).test_client().get("/openapi.json")
    question = document.get_json()["components"]["schemas"]["AskRequest"]["properties"]
    assert (question["question"]["maxLength"], question["k"]["maximum"]) == (300, 7)
    assert question["k"]["default"] == 3


def test_successful_answers_match_the_document(client, checker):
    ask = client.post("/ask", json={"question": "Where was the agreement signed?", "k": 2})
    checker.check("/ask", "POST", ask)
    checker.check("/articles/{article_id}", "GET", client.get(f"/articles/{SAMPLE_ID}"))
    checker.check("/healthz", "GET", client.get("/healthz"))
    checker.check("/openapi.json", "GET", client.get("/openapi.json"))


def test_the_answer_field_of_the_answer_extraction_is_allowed(checker, client):
    """Another branch adds `answer` spans to /ask; the document already describes them."""
    response = client.post("/ask", json={"question": "Where was the agreement signed?"})
    body = response.get_json()
    body["answer"] = [
        {"text": "Moscow", "passage": 1, "article_id": SAMPLE_ID, "start": 5, "end": 11}
    ]
    response.set_data(json.dumps(body))
    checker.check("/ask", "POST", response)
    body["answer"] = [
        {"text": "Moscow", "passage": 0, "article_id": SAMPLE_ID, "start": 5, "end": 11}
    ]
    response.set_data(json.dumps(body))
    with pytest.raises(AssertionError):
        checker.check("/ask", "POST", response)  # passages are numbered from 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"not json", 400),
        (b"[]", 400),
        (b"{}", 400),
        (b'{"question": 5}', 400),
        (b'{"question": " "}', 400),
        (b'{"question": "x", "k": 0}', 400),
        (b'{"question": "' + b"a" * 2001 + b'"}', 400),
        (b"[" * 100_000, 400),  # nesting too deep to decode is bad JSON, not a 500
        (b"x" * 1_000_001, 413),
    ],
)
def test_ask_errors_match_the_document(client, checker, data, status):
    response = client.post("/ask", data=data, content_type="application/json")
    assert response.status_code == status
    checker.check("/ask", "POST", response)


def test_other_errors_match_the_document(client, checker, empty_settings, embedder):
    checker.check("/articles/{article_id}", "GET", client.get("/articles/nope"))
    checker.check("/ask", "POST", client.get("/ask"))  # 405 is documented on the path
    checker.check("/articles", "POST", client.post("/articles", json={"title": "t"}))  # 403
    empty = create_app(empty_settings, embedder=embedder).test_client()
    checker.check("/healthz", "GET", empty.get("/healthz"))
    checker.check("/ask", "POST", empty.post("/ask", json={"question": "anything"}))
    checker.check("/articles/{article_id}", "GET", empty.get(f"/articles/{SAMPLE_ID}"))


def test_admin_answers_match_the_document(admin_app, checker):
    client = admin_app.test_client()
    article = {"title": "Ferry service resumes", "body": "The ferry runs again from Monday."}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for headers, status in [({}, 401), ({"Authorization": "Bearer nope"}, 403)]:
        response = client.post("/articles", json=article, headers=headers)
        assert response.status_code == status
        checker.check("/articles", "POST", response)
    for expected in (201, 200):  # added, then unchanged
        response = client.post("/articles", json=article, headers=auth)
        assert response.status_code == expected
        checker.check("/articles", "POST", response)
    conflict = client.post("/articles", json={**article, "body": "Changed."}, headers=auth)
    assert conflict.status_code == 409
    checker.check("/articles", "POST", conflict)
    bad = client.post("/articles", json={**article, "date": "soon"}, headers=auth)
    checker.check("/articles", "POST", bad)


def test_answers_with_copies_and_corrections_match_the_document(admin_app, checker):
    client = admin_app.test_client()
    question = {"question": "Why did the ferries between Tallinn and Helsinki stop?"}
    ask = client.post("/ask", json=question)
    assert any(p["citation"]["copies"] for p in ask.get_json()["passages"])
    checker.check("/ask", "POST", ask)
    view = client.get("/articles/ferry-ledger")
    assert len(view.get_json()["copies"]) == 2
    checker.check("/articles/{article_id}", "GET", view)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    article = {
        "title": "Bridge reopens",
        "body": "The old bridge over the Daugava reopened to cars on Sunday.",
        "url": "https://riga.example/bridge",
        "authors": ["Ilze Ozola"],
    }
    for body, status in ((article["body"], "added"), ("It reopened on Saturday.", "replaced")):
        response = client.post("/articles", json={**article, "body": body}, headers=auth)
        assert response.get_json()["status"] == status
        checker.check("/articles", "POST", response)
    corrected = client.post("/ask", json={"question": "When did the bridge reopen?"})
    citation = corrected.get_json()["passages"][0]["citation"]
    assert citation["updated"] and citation["authors"] == ["Ilze Ozola"]
    checker.check("/ask", "POST", corrected)


def test_rate_limited_answers_match_the_document(built_settings, embedder, checker):
    client = create_app(
        built_settings.replace(rate_limit="2/minute"), embedder=embedder
    ).test_client()
    for _ in range(2):
        assert client.get("/articles/nope").status_code == 404
    response = client.get("/articles/nope")
    body = assert_error(response, 429, "too_many_requests")
    assert "2 per 1 minute" in body["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 0
    checker.check("/articles/{article_id}", "GET", response)


def test_every_error_code_is_explained_in_the_answers_guide():
    guide = (REPOSITORY / "docs" / "answers.md").read_text(encoding="utf-8")
    for status, (_, codes) in CODES.items():
        for code in codes:
            assert f"`{code}`" in guide, (status, code)


def test_follow_up_answers_and_history_errors_match_the_document(client, checker):
    from qa.chat import history_turn

    first = client.post("/ask", json={"question": "Who is Sergey Lavrov?"}).get_json()
    history = [history_turn("Who is Sergey Lavrov?", first)]
    checker.check(
        "/ask", "POST", client.post("/ask", json={"question": "Why?", "history": history})
    )
    bad = client.post("/ask", json={"question": "Why?", "history": [{"question": 1}]})
    checker.check("/ask", "POST", bad)
    document = client.get("/openapi.json").get_json()
    turn = document["components"]["schemas"]["HistoryTurn"]
    assert turn["properties"]["question"]["maxLength"] == 2000
    assert (
        document["components"]["schemas"]["AskRequest"]["properties"]["history"]["maxItems"] == 20
    )


def test_dated_answers_match_the_document(dated_settings, embedder):
    """Filters, time words, newest first, invalid_filter and GET /sources, as documented."""
    client = create_app(dated_settings, embedder=embedder).test_client()
    checker = DocumentedResponses(client.get("/openapi.json").get_json())
    question = "How many cargo ships waited in the dock strike this week?"
    for fields in (
        {"since": "2023-11-05", "until": "2023-11-20", "sources": ["metro daily"], "k": 50},
        {"as_of": "2023-11-22"},
        {"question": "What's the latest on the dock strike?", "as_of": "2023-11-20"},
        {"order": "date", "k": 10, "time_words": False},
        {"since": "2023-11-20", "until": "2023-11-10"},
        {"sources": ["Nowhere Times"]},
    ):
        response = client.post("/ask", json={"question": question, **fields})
        assert response.status_code in (200, 400)
        checker.check("/ask", "POST", response)
    checker.check("/sources", "GET", client.get("/sources"))
