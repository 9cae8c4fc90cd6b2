"""`qa eval` on tiny data sets written in tmp_path, in both formats, and its metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.evals.multihop import KEYS as MULTIHOP_KEYS
from qa.evals.multihop import MultihopQuery, multihop_scores
from qa.evals.squad import KEYS as SQUAD_KEYS

ARTICLES = [
    {
        "title": "Egypt buys wheat from Romania in a large tender",
        "source": "Reuters",
        "published_at": "2023-03-14T10:00:00+00:00",
        "url": "https://example.org/wheat",
        "body": "Egypt's state grain buyer purchased 480,000 tonnes of wheat in a tender on Tuesday. Most of it came from Romania and Bulgaria.\n\nThe wheat ships in April.",
    },
    {
        "title": "Volcano erupts near Reykjavik",
        "source": "Iceland Monitor",
        "published_at": "2024-01-14T08:00:00+00:00",
        "url": "https://example.org/volcano",
        "body": "A volcanic eruption on the Reykjanes peninsula sent lava into the town of Grindavik on Sunday.\n\nThe town's 3,700 residents had been evacuated in November.",
    },
    {
        "title": "Chess club wins the regional cup",
        "source": "Local Times",
        "published_at": "2023-05-02T09:00:00+00:00",
        "url": "https://example.org/chess",
        "body": "The city chess club won the regional cup on Saturday after beating the holders 4-2 in the final round.",
    },
]

QUERIES = [
    {
        "query": "How much wheat did Egypt buy according to Reuters, and how many residents left Grindavik according to Iceland Monitor?",
        "question_type": "comparison_query",
        "evidence_list": [
            {
                "title": ARTICLES[0]["title"],
                "url": ARTICLES[0]["url"],
                "fact": "purchased 480,000 tonnes of wheat",
            },
            {
                "title": ARTICLES[1]["title"],
                "url": ARTICLES[1]["url"],
                "fact": "3,700 residents had been evacuated",
            },
        ],
    },
    {"query": "Who won the cup?", "question_type": "null_query", "evidence_list": []},
]

SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Chess",
            "paragraphs": [
                {
                    "context": ARTICLES[2]["body"],
                    "qas": [
                        {
                            "id": "1",
                            "question": "What score did the chess club beat the holders by?",
                            "answers": [{"text": "4-2", "answer_start": 0}],
                        }
                    ],
                },
                {
                    "context": ARTICLES[1]["body"],
                    "qas": [
                        {
                            "id": "2",
                            "question": "How many residents of Grindavik had been evacuated?",
                            "answers": [{"text": "3,700", "answer_start": 0}],
                        }
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QA_CACHE", str(folder))
    return folder


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_eval_multihop_rag(tmp_path, cache, capsys):
    corpus, queries = tmp_path / "corpus.json", tmp_path / "queries.json"
    corpus.write_text(json.dumps(ARTICLES), encoding="utf-8")
    queries.write_text(json.dumps(QUERIES), encoding="utf-8")
    arguments = [
        "eval",
        "--format",
        "multihop-rag",
        "--corpus",
        str(corpus),
        "--queries",
        str(queries),
    ]
    assert main([*arguments, "--json", "--methods", "hybrid,bm25"]) == 0
    output = capsys.readouterr().out
    assert "| hybrid |" in output and "| bm25 |" in output
    result = last_json(output)
    assert set(MULTIHOP_KEYS) | {"latency_p50_ms", "latency_p95_ms"} <= set(result)
    assert result["queries"] == 1  # the null query has no evidence
    assert result["off_hits@10"] == 1.0 and result["fact_cov@10"] == 1.0
    assert result["art_cov@10"] == 1.0 and result["all_art@10"] == 1.0
    assert set(result["methods"]) == {"hybrid", "bm25"}
    # per question type too; a null query counts as rightly answered when not answerable
    hybrid = result["methods"]["hybrid"]
    assert hybrid["comparison:off_hits@10"] == 1.0
    assert hybrid["null:rejected"] in (0.0, 1.0)
    assert "\ncomparison:\n" in output and "\nnull:\n" in output
    versions = list(cache.glob("eval/*/versions/*"))
    assert len(versions) == 1

    # A second run reuses the cached index; without --json the tables are the last thing printed.
    assert main(arguments) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("| dense |")
    assert list(cache.glob("eval/*/versions/*")) == versions


def test_eval_squad(tmp_path, cache, capsys):
    data = tmp_path / "squad.json"
    data.write_text(json.dumps(SQUAD), encoding="utf-8")
    assert main(["eval", "--format", "squad", "--data", str(data), "--json"]) == 0
    result = last_json(capsys.readouterr().out)
    assert set(SQUAD_KEYS) | {"latency_p50_ms", "latency_p95_ms"} <= set(result)
    assert result["queries"] == 2
    assert result["recall@1"] == 1.0 and result["mrr@20"] == 1.0
    assert result["answer_accuracy"] == 1.0


def test_eval_reports_missing_files(tmp_path, cache, capsys):
    assert main(["eval", "--format", "squad"]) == 1
    assert "needs --data FILE" in capsys.readouterr().err
    assert main(["eval", "--format", "squad", "--data", str(tmp_path / "nope.json")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_multihop_scores_follow_the_official_rules():
    query = MultihopQuery("q", ["factone", "facttwo"], {"a", "b"})
    texts = ["nothing here", "fact one is here", "and fact two", "fact one again"]
    scores = multihop_scores(query, texts, ["x", "a", "a", "a"])
    assert scores["off_hits@4"] == 1.0
    assert scores["off_mrr@10"] == pytest.approx(1 / 2)
    assert scores["off_map@10"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert scores["fact_cov@10"] == 1.0
    assert scores["art_cov@10"] == 0.5 and scores["all_art@10"] == 0.0


def test_eval_conversations(tmp_path, cache, capsys):
    corpus, threads = tmp_path / "corpus.json", tmp_path / "threads.jsonl"
    corpus.write_text(json.dumps(ARTICLES), encoding="utf-8")
    wheat, volcano, chess = (article["url"] for article in ARTICLES)
    lines = [
        {
            "id": "t1",
            "turns": [
                {
                    "question": "How much wheat did Egypt buy?",
                    "kind": "first",
                    "article": wheat,
                    "answer": "480,000 tonnes of wheat",
                },
                {
                    "question": "Where did it come from?",
                    "kind": "follow_up",
                    "article": wheat,
                    "answer": "Romania and Bulgaria",
                },
                {
                    "question": "Who won the regional chess cup?",
                    "kind": "topic_change",
                    "article": chess,
                    "answer": "The city chess club",
                    "also": [volcano],
                },
            ],
        }
    ]
    threads.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    arguments = ["eval", "--format", "conversations", "--corpus", str(corpus)]
    assert main([*arguments, "--queries", str(threads), "--methods", "hybrid", "--json"]) == 0
    output = capsys.readouterr().out
    result = last_json(output)
    assert result["queries"] == 1  # one follow-up
    hybrid = result["methods"]["hybrid"]
    for way in ("alone", "pasted", "history", "page"):
        assert f"follow_up:{way}_hits@5" in hybrid and f"topic_change:{way}_hits@1" in hybrid
    assert hybrid["follow_up:history_hits@1"] == 1.0 and hybrid["first:hits@1"] == 1.0
    assert hybrid["topic_change:history_hits@5"] == 1.0
    assert "\nfollow_up:\n" in output and "\ntopic_change:\n" in output

    threads.write_text(
        json.dumps(
            {"id": "t2", "turns": [{"question": "Q?", "kind": "first", "article": "https://nope"}]}
        )
    )
    assert main([*arguments, "--queries", str(threads)]) == 1
    assert "is not in the corpus" in capsys.readouterr().err
