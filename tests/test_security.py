"""Security: headers on every response (errors and static files too), loopback by default, no
path traversal through article ids or static file names, the admin token compared in constant
time."""

from __future__ import annotations

import pytest

import qa.routes
from qa.app import create_app
from qa.server import _Server
from qa.settings import Settings

from .support import assert_error

TOKEN = "security-token"


def assert_security_headers(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.fixture
def web_app(tmp_path, monkeypatch, built_settings, embedder):
    """The app with a web folder of its own, so static files and the page are served."""
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text(
        "<!doctype html><title>qa</title><script src=/static/app.js></script>"
    )
    (web / "app.js").write_text("console.log('hi');")
    (tmp_path / "secret.txt").write_text("do not serve")
    monkeypatch.setattr(qa.routes, "WEB_FOLDER", web)
    settings = built_settings.replace(admin_token=TOKEN, rate_limit="1000/minute")
    return create_app(settings, embedder=embedder)


def test_every_kind_of_response_carries_the_headers(web_app, empty_settings, embedder):
    client = web_app.test_client()
    responses = {
        "ask": client.post("/ask", json={"question": "CSTO"}),
        "page": client.get("/"),
        "static": client.get("/static/app.js"),
        "openapi": client.get("/openapi.json"),
        "400": client.post("/ask", data=b"nope", content_type="application/json"),
        "401": client.post("/articles", json={}),
        "403": client.post("/articles", json={}, headers={"Authorization": "Bearer x"}),
        "404": client.get("/static/missing.js"),
        "405": client.delete("/ask"),
        "413": client.post("/ask", data=b"x" * 2_000_000, content_type="application/json"),
        "415": client.post("/ask", data=b"question=CSTO"),
        "503": create_app(empty_settings, embedder=embedder).test_client().get("/healthz"),
    }
    limited = create_app(empty_settings.replace(rate_limit="1/hour"), embedder=embedder)
    limited.test_client().get("/").close()
    responses["429"] = limited.test_client().get("/")
    assert responses["static"].get_data(as_text=True) == "console.log('hi');"
    for name, response in responses.items():
        response.close()  # static files are streamed from an open file
        expected = int(name) if name.isdigit() else 200
        assert response.status_code == expected, name
        assert_security_headers(response)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/..%2Fsecret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/....//secret.txt",
        "/static//etc/passwd",
        "/static/%00app.js",
        "/static/app.js%00.txt",
        "/static/" + "a/" * 2000 + "app.js",
    ],
)
def test_static_files_stay_inside_the_web_folder(web_app, path):
    response = web_app.test_client().get(path, follow_redirects=True)
    response.close()
    assert response.status_code in (400, 404), path
    assert_error(response, response.status_code, response.get_json()["error"]["code"])
    assert b"do not serve" not in response.get_data() and b"root:" not in response.get_data()


@pytest.mark.parametrize(
    "article_id",
    [
        "..",
        "%2e%2e",
        "..%2F..%2Fetc%2Fpasswd",
        "..%2F000_4ad6565441a0296c",
        "%2Fetc%2Fpasswd",
        "..%5C..%5Cwindows",
        "000_4ad6565441a0296c%00",
        "%00",
        "x" * 100_000,
        "%C0%AE%C0%AE%2F",
        "%ff%fe",
    ],
)
def test_article_ids_cannot_reach_files(client, article_id):
    response = client.get(f"/articles/{article_id}")
    assert_error(response, 404, "not_found")
    assert b"root:" not in response.get_data()


def test_default_bind_is_loopback_and_the_timeout_a_setting():
    assert Settings().host == "127.0.0.1"
    assert Settings.from_env({}).host == "127.0.0.1"
    server = _Server(Settings(worker_timeout=33))
    assert server.cfg.bind == ["127.0.0.1:8000"]
    assert server.cfg.timeout == 33


@pytest.mark.parametrize("bad", ["often", "0/minute", "60/fortnight"])
def test_a_bad_rate_limit_is_refused_at_start(bad):
    from qa.settings import SettingsError

    with pytest.raises(SettingsError, match="rate_limit"):
        Settings.from_env({"QA_RATE_LIMIT": bad})


def test_the_admin_token_is_compared_in_constant_time(web_app, monkeypatch):
    compared = []
    real = qa.routes.hmac.compare_digest

    def spy(given, expected):
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(qa.routes.hmac, "compare_digest", spy)
    client = web_app.test_client()
    for token in ("wrong", TOKEN[:-1], "é-not-ascii"):
        response = client.post("/articles", json={}, headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 403, "forbidden")
    assert [expected for _, expected in compared] == [TOKEN.encode()] * 3
    assert (
        client.post("/articles", json={}, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 400
    )


def test_the_rate_limit_holds_per_client_and_spares_healthz(built_settings, embedder):
    app = create_app(built_settings.replace(rate_limit="3/minute"), embedder=embedder)
    client = app.test_client()
    one = {"REMOTE_ADDR": "10.0.0.1"}
    other = {"REMOTE_ADDR": "10.0.0.2"}
    statuses = [client.get("/articles/x", environ_base=one).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert client.get("/articles/x", environ_base=other).status_code == 404
    assert client.get("/healthz", environ_base=one).status_code == 200
    response = client.post("/ask", json={"question": "CSTO"}, environ_base=one)
    assert_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"].isdigit()


HOSTILE_NAMES = [
    "..txt",
    "...md",
    "-rf.txt",
    "a b;rm -rf ~.txt",
    "%2e%2e%2fx.txt",
    "é" * 120 + ".md",
]


def test_qa_add_keeps_hostile_file_names_inside_the_corpus(tmp_path, capsys):
    from qa.cli import main

    incoming = tmp_path / "incoming"
    incoming.mkdir()
    files = []
    for number, name in enumerate(HOSTILE_NAMES):
        path = incoming / name
        path.write_text(
            f"---\ntitle: Story {number}\ndate: 2023-01-0{number + 1}\n---\n\nBody {number}."
        )
        files.append(str(path))
    batch = incoming / "batch.json"
    batch.write_text(
        '[{"id": "../../../escape", "title": "A", "body": "a"},'
        ' {"id": "/etc/passwd", "title": "B", "body": "b"}]'
    )
    corpus = tmp_path / "corpus"
    assert main(["add", *files, str(batch), "--corpus", str(corpus)]) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file() and incoming not in p.parents]
    assert len(written) == len(HOSTILE_NAMES) + 2
    for path in written:
        assert path.parent == corpus and not path.name.startswith(".")
    capsys.readouterr()


def test_post_articles_writes_only_inside_the_corpus(tmp_path, embedder):
    from qa.build import build_from_corpus

    from .support import make_corpus

    settings = Settings(
        corpus=make_corpus(tmp_path / "corpus"), index=tmp_path / "index", admin_token=TOKEN
    )
    build_from_corpus(settings.corpus, settings.index, embedder)
    client = create_app(settings, embedder=embedder).test_client()
    before = {p.name for p in settings.corpus.iterdir()}
    for title in ["../../../etc/passwd", "..\\..\\windows"]:
        response = client.post(
            "/articles",
            json={"title": title, "body": "Body text."},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 201, response.get_json()
    added = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent == settings.corpus]
    assert len(added) == len(before) + 2
    outside = [
        p for p in tmp_path.rglob("*")
        if p.is_file() and settings.corpus not in p.parents and settings.index not in p.parents
    ]  # fmt: skip
    assert outside == []
