"""One story printed by several outlets: an answer cites one copy and lists the others, the
article view lists them too, and POST /articles corrects an article posted from the same url.
The real model and FAISS over a corpus with three copies of one story (support.COPIES)."""

from __future__ import annotations

import datetime as dt

import pytest

from qa import contract, pipeline
from qa.app import create_app
from qa.articles import Article
from qa.build import build_from_corpus
from qa.diversity import Candidate, citable, diversify, story_window
from qa.index import load_index
from qa.question import Question
from qa.search import SearchConfig, Searcher
from qa.settings import Settings
from qa.stories import StoryGroups

from .support import (
    COPIES,
    COPY_IDS,
    SAMPLE_ID,
    assert_error,
    make_copies_corpus,
    memory_index,
    snapshot,
)

TOKEN = "copies-test-token"
QUESTION = "Why were the ferry crossings between Tallinn and Helsinki suspended?"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def copies_settings(tmp_path_factory, embedder) -> Settings:
    root = tmp_path_factory.mktemp("copies")
    settings = Settings(
        corpus=make_copies_corpus(root / "corpus"), index=root / "index", admin_token=TOKEN
    )
    build_from_corpus(settings.corpus, settings.index, embedder)
    return settings


@pytest.fixture(scope="module")
def copies_client(copies_settings, embedder):
    return create_app(copies_settings, embedder=embedder).test_client()


def ask(settings: Settings, embedder, question: str, k: int = 5, **config) -> pipeline.Answered:
    request = contract.parse(contract.AskRequest, {"question": question, "k": k}, settings)
    searcher = Searcher(embedder, SearchConfig(**config))
    return pipeline.answer(load_index(settings.index), searcher, request, settings.min_score)


def test_the_copies_are_one_story_and_the_follow_up_is_not(copies_settings):
    index = load_index(copies_settings.index)
    assert {index.story_of(i) for i in COPY_IDS} == {"ferry-wire"}  # the first published
    assert index.story_of("ferry-followup") is None and index.story_of(SAMPLE_ID) is None
    assert [a.id for a in index.copies("ferry-herald")] == ["ferry-wire", "ferry-ledger"]
    assert index.story_rows is not None
    rows = [r for r, p in enumerate(index.passages) if p.article_id in COPY_IDS]
    assert len(set(index.story_rows[rows].tolist())) == 1 and -1 not in index.story_rows[rows]


def test_an_answer_cites_one_copy_and_lists_the_others(copies_client):
    body = copies_client.post("/ask", json={"question": QUESTION, "k": 5}).get_json()
    passages = body["passages"]
    assert len(passages) == 5  # the places of the other copies go to other stories
    cited = [p["citation"] for p in passages if p["citation"]["article_id"] in COPY_IDS]
    assert cited, "the story answers the question"
    assert len({c["article_id"] for c in cited}) == 1  # one copy of the story
    assert "suspended all ferry crossings" in passages[0]["text"]
    first = cited[0]
    others = [i for i in COPY_IDS if i != first["article_id"]]
    assert [c["article_id"] for c in first["copies"]] == others  # first published first
    for listed in first["copies"]:
        title, source, date, _ = COPIES[f"{listed['article_id']}.md"]
        assert listed == {
            "article_id": listed["article_id"],
            "title": title,
            "source": source,
            "date": date,
            "url": f"https://news.example/{listed['article_id']}",
        }
    alone = [p["citation"] for p in passages if p["citation"]["article_id"] not in COPY_IDS]
    assert alone and all(c["copies"] == [] for c in alone)
    assert all(c["updated"] is None and c["partial"] is False for c in cited + alone)


def test_without_groups_the_copies_crowd_the_answer(copies_settings, embedder):
    """What one copy per story prevents: with it off (and the vector twin discount off), the
    top 5 holds several copies of the one story."""
    crowded = ask(
        copies_settings, embedder, QUESTION, one_copy_per_story=False, twin_similarity=1.01
    )
    assert len({h.article.id for h in crowded.hits} & set(COPY_IDS)) >= 2
    one = ask(copies_settings, embedder, QUESTION)
    assert len({h.article.id for h in one.hits} & set(COPY_IDS)) == 1
    assert {a.id for a in one.hits[0].copies} | {one.hits[0].article.id} == set(COPY_IDS)


def test_the_copy_of_a_named_outlet_is_the_one_cited(copies_client):
    question = "What did the Valley Herald report about the storm that toppled a port crane?"
    passages = copies_client.post("/ask", json={"question": question}).get_json()["passages"]
    cited = {p["citation"]["article_id"] for p in passages} & set(COPY_IDS)
    assert cited == {"ferry-herald"}
    assert passages[0]["citation"]["source"] == "Valley Herald"


def test_article_view_lists_copies(copies_client):
    article = copies_client.get("/articles/ferry-ledger").get_json()
    assert [c["article_id"] for c in article["copies"]] == ["ferry-wire", "ferry-herald"]
    assert article["copies"][0] == {
        "article_id": "ferry-wire",
        "title": COPIES["ferry-wire.md"][0],
        "source": "Baltic Wire",
        "date": "2024-03-07",
        "url": "https://news.example/ferry-wire",
    }
    assert (article["updated"], article["authors"], article["partial"]) == (None, [], False)
    assert copies_client.get("/articles/ferry-followup").get_json()["copies"] == []
    assert copies_client.get(f"/articles/{SAMPLE_ID}").get_json()["copies"] == []


# ---- Corrections through POST /articles ----------------------------------------------------------


@pytest.fixture
def admin(tmp_path, embedder):
    settings = Settings(
        corpus=make_copies_corpus(tmp_path / "corpus"), index=tmp_path / "index", admin_token=TOKEN
    )
    build_from_corpus(settings.corpus, settings.index, embedder)
    return settings, create_app(settings, embedder=embedder).test_client()


ORIGINAL = {
    "title": "Lighthouse keeper rescues three kayakers off Brittany",
    "body": "The keeper of the Phare du Petit Minou pulled three kayakers from the water on "
    "Tuesday evening after their boats capsized near Brest.",
    "date": "2023-08-02",
    "source": "Ouest Wire",
    "url": "https://ouest.example/2023/08/kayakers-rescued?utm_source=feed",
}
CORRECTED_BODY = (
    "The keeper of the Phare du Petit Minou pulled four kayakers from the water on Tuesday "
    "evening after their boats capsized near Brest. An earlier version said three."
)


def test_posting_the_same_url_with_new_text_replaces_the_article(admin):
    settings, client = admin
    added = client.post("/articles", json=ORIGINAL, headers=ADMIN)
    assert added.status_code == 201 and added.get_json()["status"] == "added"
    article_id = added.get_json()["article"]["id"]
    assert added.get_json()["article"]["updated"] is None

    correction = {**ORIGINAL, "body": CORRECTED_BODY, "date": None}
    now = dt.datetime.now(dt.timezone.utc)
    replaced = client.post("/articles", json=correction, headers=ADMIN)
    assert replaced.status_code == 201, replaced.get_json()
    body = replaced.get_json()
    assert body["status"] == "replaced"
    assert body["article"]["id"] == article_id  # the same article, not a second one
    assert body["article"]["body"] == CORRECTED_BODY
    assert body["article"]["date"] == "2023-08-02"  # kept: the correction gave none
    updated = body["article"]["updated"]
    assert dt.datetime.fromisoformat(updated) > now - dt.timedelta(minutes=10)  # corrected now
    assert body["index"]["changed"] == [article_id] and body["index"]["added"] == []
    assert [p.name for p in settings.corpus.glob(f"{article_id}*")] == [f"{article_id}.md"]

    answer = client.post("/ask", json={"question": "How many kayakers did the keeper pull out?"})
    first = answer.get_json()["passages"][0]
    assert first["citation"]["article_id"] == article_id
    assert "four kayakers" in first["text"]
    assert first["citation"]["updated"] == updated and first["citation"]["date"] == "2023-08-02"

    again = client.post("/articles", json=correction, headers=ADMIN)
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"


def test_a_correction_may_say_when_it_was_made_and_by_whom(admin):
    _, client = admin
    client.post("/articles", json=ORIGINAL, headers=ADMIN)
    correction = {
        **ORIGINAL,
        "body": CORRECTED_BODY,
        "updated": "2023-08-03T09:30:00+02:00",
        "authors": ["Anne Le Gall"],
    }
    body = client.post("/articles", json=correction, headers=ADMIN).get_json()
    assert body["status"] == "replaced"
    assert body["article"]["updated"] == "2023-08-03T09:30:00+02:00"
    assert body["article"]["authors"] == ["Anne Le Gall"]


def test_posting_the_url_of_a_copy_corrects_that_copy(admin):
    """An article from the corpus (here one written by hand, with its own id) is found by its
    url: the correction replaces its file, whatever its id was made from."""
    settings, client = admin
    correction = {
        "title": "Storm topples port crane, ferries to Helsinki stop",
        "body": "TALLINN (HERALD) — Ferry crossings to Helsinki stopped on Thursday. Corrected.",
        "source": "Valley Herald",
        "url": "https://news.example/ferry-herald",
    }
    body = client.post("/articles", json=correction, headers=ADMIN).get_json()
    assert body["status"] == "replaced" and body["article"]["id"] == "ferry-herald"
    assert body["article"]["date"] == "2024-03-08"
    assert "Corrected." in (settings.corpus / "ferry-herald.md").read_text(encoding="utf-8")


def test_same_title_without_url_is_still_a_conflict(admin):
    settings, client = admin
    plain = {"title": "Council approves the bridge", "body": "The council approved it."}
    assert client.post("/articles", json=plain, headers=ADMIN).status_code == 201
    before = snapshot(settings.corpus)
    other = {**plain, "body": "The council rejected it."}
    assert_error(client.post("/articles", json=other, headers=ADMIN), 409, "conflict")
    assert snapshot(settings.corpus) == before


def test_the_url_of_an_article_in_a_file_of_many_is_a_conflict(admin, embedder):
    settings, client = admin
    (settings.corpus / "several.jsonl").write_text(
        '{"title": "One", "body": "First story body text.", "url": "https://many.example/1"}\n'
        '{"title": "Two", "body": "Second story body text.", "url": "https://many.example/2"}\n',
        encoding="utf-8",
    )
    build_from_corpus(settings.corpus, settings.index, embedder)
    before = snapshot(settings.corpus)
    posted = {"title": "One", "body": "First story, corrected.", "url": "https://many.example/1"}
    body = assert_error(client.post("/articles", json=posted, headers=ADMIN), 409, "conflict")
    assert "several.jsonl" in body["error"]["message"]
    assert snapshot(settings.corpus) == before


# ---- The selection itself ------------------------------------------------------------------------


def test_diversify_takes_one_copy_of_a_story_and_more_of_its_article():
    chosen = diversify(
        [
            Candidate(0, 1.0, "wire", 0, 100, story=7),
            Candidate(1, 0.99, "herald", 0, 100, story=7),  # the same story, another outlet
            Candidate(2, 0.9, "wire", 200, 300, story=7),  # another passage of the cited copy
            Candidate(3, 0.5, "other", 0, 100),
            Candidate(4, 0.4, "ledger", 0, 100, story=7),
        ],
        k=4,
        article_decay=1,
        overlap_decay=1,
    )
    assert [c.row for c, _ in chosen] == [0, 2, 3]  # fewer than k: nothing else may be cited


def test_story_window_counts_a_story_once_but_keeps_its_copies():
    order = [0, 1, 2, 3, 4, 5]
    stories = [3, 3, -1, 3, 5, -1]
    articles = ["wire", "herald", "x", "wire", "y", "z"]
    # "herald" takes no place (a copy of the better-placed "wire"); "wire" again does.
    assert story_window(order, stories, articles, 3) == [0, 1, 2, 3]
    assert story_window(order, [-1] * 6, articles, 3) == [0, 1, 2]
    assert citable(stories, articles) == 5  # wire twice, x, y, z
    assert citable([1, 1, 1], ["a", "b", "c"]) == 1


def test_copies_crowding_the_pools_do_not_shorten_the_answer(embedder):
    """Six outlets print one story; the candidate pools (three deep here) hold nothing else,
    so search fetches deeper until other stories can fill the places."""
    story = "Grain exports from the port of Odesa resumed on Monday after a pause of two weeks."
    outlets = [f"outlet{i}" for i in range(6)]
    articles = [Article(id=o, title="Grain exports resume", body=story, source=o) for o in outlets]
    articles += [
        Article(id="rain", title="Rain", body="Heavy rain flooded the grain stores of a farm."),
        Article(id="ports", title="Ports", body="Port workers went on strike over pay on Monday."),
        Article(id="wheat", title="Wheat", body="Wheat prices fell after the export deal."),
    ]
    index = memory_index(embedder, articles, StoryGroups({o: "outlet0" for o in outlets}))
    question = Question.analyse("Did grain exports from Odesa resume?", index)
    config = SearchConfig(pool=3, rerank_depth=3)
    hits = Searcher(embedder, config).search(index, question, 3)
    assert len(hits) == 3
    assert len([h for h in hits if h.article.id in outlets]) == 1
    assert {a.id for a in hits[0].copies} | {hits[0].article.id} == set(outlets)
    assert [h.copies for h in hits[1:]] == [(), ()]


def test_qa_ask_names_the_other_outlets(copies_settings, embedder, capsys, monkeypatch):
    from qa.cli import main
    from qa.embedding import SentenceTransformerEmbedder

    monkeypatch.setattr(SentenceTransformerEmbedder, "from_settings", lambda settings: embedder)
    assert main(["ask", QUESTION, "--index", str(copies_settings.index)]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "also reported by" in line]
    assert line.count(", ") == 1  # the two other outlets of the three
    assert len([s for s in ("Baltic Wire", "Valley Herald", "The Daily Ledger") if s in line]) == 2
