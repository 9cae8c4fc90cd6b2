"""The time and outlet side of the HTTP API: POST /ask's filters and `understood`, GET /sources,
`qa ask --since/--until/--source/--as-of`, `qa eval --format dated` (their answers against the
OpenAPI document: tests/test_openapi.py)."""

from __future__ import annotations

import json

import pytest

from qa.app import create_app
from qa.cli import main

from .support import assert_error, dated_articles

STRIKE = "How many cargo ships were waiting during the dock strike?"


@pytest.fixture(scope="module")
def dated_client(dated_settings, embedder):
    return create_app(dated_settings, embedder=embedder).test_client()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"since": "last week"}, '"since" must be an ISO date such as "2023-11-27"'),
        ({"until": "2023-13-01"}, '"until" is not a real date'),
        ({"until": "2023-02-30"}, '"until" is not a real date'),
        ({"since": 20231101}, '"since" must be an ISO date'),
        ({"as_of": "27/11/2023"}, '"as_of" must be an ISO date'),
        ({"since": "2023-11-20", "until": "2023-11-10"}, '"since" (2023-11-20) must not be after'),
        ({"sources": "Valley News"}, '"sources" must be a list of outlet names'),
        ({"sources": [1]}, '"sources" must hold outlet names'),
        ({"sources": [" "]}, '"sources" must hold outlet names'),
        ({"sources": ["Nowhere Times"]}, 'No outlet named "Nowhere Times" in the index'),
        ({"order": "newest"}, '"order" must be "relevance" or "date"'),
        ({"time_words": "no"}, '"time_words" must be true or false'),
    ],
)
def test_bad_filters_are_a_400_invalid_filter(dated_client, fields, message):
    response = dated_client.post("/ask", json={"question": STRIKE, **fields})
    body = assert_error(response, 400, "invalid_filter")
    assert body["error"]["message"].startswith(message)


def test_filtered_answers_keep_to_the_filters(dated_client):
    response = dated_client.post(
        "/ask",
        json={
            "question": STRIKE,
            "k": 50,
            "since": "2023-11-05",
            "until": "2023-11-20",
            "sources": ["METRO daily", "Valley News"],
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["passages"]
    for passage in body["passages"]:
        citation = passage["citation"]
        assert "2023-11-05" <= citation["date"][:10] <= "2023-11-20"
        assert citation["source"] in ("Metro Daily", "Valley News")
    understood = body["understood"]
    assert understood["sources"] == ["Metro Daily", "Valley News"]
    assert (understood["since"], understood["until"], understood["window"]) == (
        "2023-11-05",
        "2023-11-20",
        "filter",
    )


def test_time_words_are_understood(dated_client):
    response = dated_client.post(
        "/ask", json={"question": "What's the latest on the dock strike?", "as_of": "2023-11-20"}
    )
    understood = response.get_json()["understood"]
    assert understood["recency"] is True
    assert understood["time_phrase"] == "the latest on"
    assert understood["as_of"] == "2023-11-20"
    assert understood["newest"]["days_before_as_of"] >= 0
    week = dated_client.post(
        "/ask",
        json={"question": "What happened in the strike this week?", "as_of": "2023-11-22"},
    )
    understood = week.get_json()["understood"]
    assert (understood["since"], understood["until"]) == ("2023-11-20", "2023-11-22")
    assert (understood["window"], understood["time_phrase"]) == ("question", "this week")
    order = dated_client.post("/ask", json={"question": STRIKE, "order": "date", "k": 10})
    dates = [p["citation"]["date"] or "" for p in order.get_json()["passages"]]
    assert dates == sorted(dates, reverse=True)


def test_sources_lists_every_outlet(dated_client):
    response = dated_client.get("/sources")
    assert response.status_code == 200
    outlets = response.get_json()["sources"]
    assert [o["name"] for o in outlets] == ["Harbour Gazette", "Metro Daily", "Valley News"]
    metro = outlets[1]
    assert metro["articles"] == 41  # 40 dated and the undated explainer
    assert (metro["first_date"], metro["last_date"]) == ("2023-11-01", "2023-11-30")


def test_cli_ask_takes_the_filters(dated_settings, capsys):
    index = str(dated_settings.index)
    arguments = ["ask", STRIKE, "--index", index, "--since", "2023-11-10", "--until", "2023-11-12"]
    assert main([*arguments, "--source", "valley news", "--source", "Metro Daily", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["understood"]["sources"] == ["Metro Daily", "Valley News"]
    assert all("2023-11-10" <= p["citation"]["date"][:10] <= "2023-11-12" for p in body["passages"])
    latest = ["ask", "What's the latest on the dock strike?", "--index", index]
    assert main([*latest, "--as-of", "2023-11-20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('Understood: "the latest on"; newest passage: 2023-11-')
    assert main([*arguments, "--until", "soon"]) == 1
    assert '"until" must be an ISO date' in capsys.readouterr().err


def test_eval_dated_reports_recall_each_way_and_per_kind(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_CACHE", str(tmp_path / "cache"))
    corpus, queries = tmp_path / "corpus.json", tmp_path / "dated.jsonl"
    corpus.write_text(json.dumps(dated_articles()), encoding="utf-8")
    lines = [
        {
            "question": "How many goals did the Rovers score on Sunday?",
            "as_of": "2023-11-21",
            "kind": "weekday",
            "article": "https://example.org/football/19",
        },
        {
            "question": "What's the latest on the dock strike?",
            "as_of": "2023-11-10",
            "kind": "latest",
            "article": "https://example.org/strike/10",
            "also": ["https://example.org/strike/9"],
        },
        {"question": "Not in the corpus", "as_of": "2023-11-10", "article": "https://nowhere"},
    ]
    queries.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    arguments = ["eval", "--format", "dated", "--corpus", str(corpus), "--queries", str(queries)]
    assert main([*arguments, "--methods", "hybrid", "--json"]) == 0
    output = capsys.readouterr().out
    result = json.loads(output.strip().splitlines()[-1])
    assert result["queries"] == 2  # the third one's article is not in the corpus
    for key in ("recall@1", "recall@5", "recall@1_today", "recall@5_today", "recall@1_2weeks"):
        assert 0 <= result[key] <= 1
    hybrid = result["methods"]["hybrid"]
    assert hybrid["weekday:recall@1"] == 1.0 and hybrid["latest:recall@5"] == 1.0
    assert "\nweekday:\n" in output and "\nlatest:\n" in output
