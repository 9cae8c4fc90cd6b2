"""Follow-up questions (`history` on /ask, qa.followup): the contract, how questions are read
against the thread, that a question standing alone is answered exactly as without the thread,
and `qa chat` and `qa ask --history`, over the small corpus (the sample, wheat, volcano)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from qa.chat import chat, history_turn, reply
from qa.cli import main
from qa.embedding import SentenceTransformerEmbedder
from qa.followup import _phrases

from .support import SAMPLE_ID, assert_error

LAVROV_THREAD = [
    {"question": "Who is Sergey Lavrov?"},
    {"question": "What did he say about NATO?"},
    {"question": "And the CSTO?", "article_ids": [SAMPLE_ID]},
    {"question": "Why does that matter to him?"},
]


def ask(client, question: str, history=None, k: int = 3) -> dict:
    body: dict = {"question": question, "k": k}
    if history is not None:
        body["history"] = history
    response = client.post("/ask", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def top_articles(answer: dict) -> list[str]:
    return [passage["citation"]["article_id"] for passage in answer["passages"]]


def test_without_history_nothing_changes(client):
    question = "Where was the trilateral agreement signed?"
    plain = ask(client, question)
    assert ask(client, question, history=[]) == plain
    assert ask(client, question, history=None) == plain
    understood = plain["understood"]
    assert understood["as_of"] == dt.date.today().isoformat()  # the default "now"
    assert {key: value for key, value in understood.items() if key != "as_of"} == {
        "question": question,
        "follow_up": False,
        "articles": [],
        "carried": [],
        "since": None,
        "until": None,
        "sources": [],
        "window": None,
        "widened": False,
        "recency": False,
        "time_phrase": None,
        "newest": None,
        "timeline": False,
    }


def test_a_follow_up_is_searched_with_the_thread(client):
    history = [{"question": "How much wheat did Egypt buy?"}]
    alone = ask(client, "Why?")
    followed = ask(client, "Why?", history)
    assert top_articles(alone)[0] != "wheat"  # "Why?" alone means nothing
    assert top_articles(followed)[0] == "wheat"
    understood = followed["understood"]
    assert understood["follow_up"] is True
    assert {"Egypt", "wheat"} <= set(understood["carried"])
    assert understood["question"].startswith("Why? [") and "Egypt" in understood["question"]
    assert understood["articles"] == []  # no answer and no ids: only the words are carried


def test_a_pronoun_follow_up_carries_the_name_and_prefers_the_cited_article(client):
    first = ask(client, "Who is Sergey Lavrov?")
    history = [history_turn("Who is Sergey Lavrov?", first)]
    answer = ask(client, "What did he say about NATO?", history)
    understood = answer["understood"]
    assert understood["follow_up"] is True
    assert understood["carried"][0] == "Sergey Lavrov"
    assert understood["articles"][0] == SAMPLE_ID
    # the name asked about first, then the names of the answer the person saw
    assert understood["question"].startswith("What did he say about NATO? [Sergey Lavrov, ")
    assert "North Atlantic Alliance" in understood["carried"]  # a name ends at "(" and ","
    assert top_articles(answer)[0] == SAMPLE_ID
    # the answer says something about NATO that the first answer did not already say
    said = answer["answer"][0]["text"]
    assert "NATO" in said and said not in history[0]["answer"]


def test_the_answer_text_finds_the_article_when_no_ids_are_sent(client):
    history = [
        {
            "question": "Which town did the lava reach?",
            "answer": "A volcanic eruption on the Reykjanes peninsula sent lava into the town of "
            "Grindavik on Sunday.",
        }
    ]
    answer = ask(client, "Was anybody hurt?", history)
    assert answer["understood"]["follow_up"] is True
    assert answer["understood"]["articles"] == ["volcano"]
    assert top_articles(answer)[0] == "volcano"


def test_a_question_standing_alone_after_a_long_thread_is_answered_as_without_it(client):
    question = "How many tonnes of wheat did Egypt's state grain buyer purchase?"
    alone = ask(client, question, k=5)
    after = ask(client, question, history=LAVROV_THREAD, k=5)
    assert after["understood"]["follow_up"] is False
    assert after == alone  # same passages, scores, answer and understood


def test_a_topic_change_starts_a_new_thread(client):
    history = [
        *LAVROV_THREAD,
        {"question": "Which town did the lava reach on the Reykjanes peninsula?"},
    ]
    answer = ask(client, "When were its residents evacuated?", history)
    carried = " ".join(answer["understood"]["carried"])
    assert "Lavrov" not in carried and "CSTO" not in carried
    assert top_articles(answer)[0] == "volcano"


def test_unknown_article_ids_are_ignored(client):
    history = [{"question": "How much wheat did Egypt buy?", "article_ids": ["nope", "wheat"]}]
    answer = ask(client, "Why?", history)
    assert answer["understood"]["articles"] == ["wheat"]
    assert ask(client, "Why?", [{"question": "Why not?", "article_ids": ["nope"]}])["passages"]


@pytest.mark.parametrize(
    ("history", "words"),
    [
        ("nope", '"history" must be a list'),
        ({"question": "x"}, '"history" must be a list'),
        ([{"question": "x"}] * 21, "at most 20 turns"),
        (["x"], '"history[0]" must be an object'),
        ([{"answer": "x"}], '"history[0]" needs a "question" field'),
        ([{"question": 5}], '"history[0].question" must be a string'),
        ([{"question": "ok"}, {"question": "  "}], '"history[1].question" must not be empty'),
        ([{"question": "x" * 2001}], '"history[0].question" must be at most 2000 characters'),
        ([{"question": "x", "answer": 3}], '"history[0].answer" must be a string'),
        ([{"question": "x", "answer": "a" * 5001}], "at most 5000 characters"),
        ([{"question": "x", "article_ids": "wheat"}], '"history[0].article_ids" must be a list'),
        ([{"question": "x", "article_ids": [1]}], "list of article id strings"),
        ([{"question": "x", "article_ids": ["a"] * 51}], "at most 50 ids"),
        ([{"question": "x", "said": "y"}], 'Unknown field "history[0].said"'),
    ],
)
def test_a_bad_history_is_invalid_history(client, history, words):
    response = client.post("/ask", json={"question": "Why?", "history": history})
    body = assert_error(response, 400, "invalid_history")
    assert words in body["error"]["message"]


def test_a_lone_surrogate_in_history_is_invalid_history(client):
    data = b'{"question": "Why?", "history": [{"question": "x\\ud800"}]}'
    response = client.post("/ask", data=data, content_type="application/json")
    assert "surrogate" in assert_error(response, 400, "invalid_history")["error"]["message"]


def test_names_are_phrases():
    assert ("Sergey Lavrov", True) in _phrases("Who is Sergey Lavrov?")
    assert ("Bank of America", True) in _phrases("Why did Bank of America sue?")
    assert ("northern lights", False) in _phrases("Where were the northern lights in November?")
    assert _phrases("Why?") == []


def test_chat_holds_the_thread_and_starts_over(app, built_settings):
    client = app.test_client()
    sent: list[dict] = []

    def asker(payload: dict) -> dict:
        sent.append(payload)
        return client.post("/ask", json=payload).get_json()

    lines = iter(["How much wheat did Egypt buy?", "Why?", "/help", "/new", "Why?", "/nope"])

    def read(prompt: str) -> str:
        return next(lines)  # StopIteration ends the list: EOF below

    out = io.StringIO()

    def read_until_eof(prompt: str) -> str:
        try:
            return read(prompt)
        except StopIteration:
            raise EOFError from None

    assert chat(asker, read_until_eof, out) == 0
    text = out.getvalue()
    assert [len(p["history"]) for p in sent] == [0, 1, 0]
    assert sent[1]["history"][0]["question"] == "How much wheat did Egypt buy?"
    assert "wheat" in sent[1]["history"][0]["article_ids"]
    assert text.count("(Following up on: ") == 1 and "/new    start a new conversation" in text
    assert "New conversation." in text and "Unknown command /nope" in text
    assert "Egypt's state grain buyer purchased 480,000 tonnes" in text


def test_chat_command_reads_stdin_and_ends_on_eof(built_settings, embedder, monkeypatch, capsys):
    monkeypatch.setattr(SentenceTransformerEmbedder, "from_settings", lambda settings: embedder)
    monkeypatch.setattr("sys.stdin", io.StringIO("How much wheat did Egypt buy?\nWhy?\n"))
    assert main(["chat", "--index", str(built_settings.index), "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "(Following up on: " in out and "Egypt" in out.split("(Following up on: ")[1]
    assert out.endswith(")\n\n> \n")  # the last reply, the prompt, then a clean end


def test_chat_reply_is_compact():
    answer = {
        "understood": {"follow_up": True, "carried": ["Sergey Lavrov"]},
        "answerable": True,
        "answer": [{"text": "He said so.", "passage": 2}],
        "passages": [
            {
                "text": "a",
                "citation": {"article_id": "a", "title": "T", "source": "S", "date": None},
            },
            {
                "text": "b",
                "citation": {"article_id": "a", "title": "T", "source": "S", "date": None},
            },
        ],
    }
    assert reply(answer).splitlines() == [
        "(Following up on: Sergey Lavrov)",
        "He said so. [2]",
        "  [1, 2] T (S)",
    ]


def test_ask_takes_a_history_file(built_settings, embedder, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(SentenceTransformerEmbedder, "from_settings", lambda settings: embedder)
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"question": "How much wheat did Egypt buy?"}]))
    arguments = ["ask", "Why?", "--json", "--index", str(built_settings.index)]
    assert main([*arguments, "--history", str(history)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["understood"]["follow_up"] is True
    history.write_text("[{")
    assert main([*arguments, "--history", str(history)]) == 1
    assert "is not JSON" in capsys.readouterr().err
