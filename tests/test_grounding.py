"""The grounded answer: sentence scoring, and exact offsets into the article body."""

from __future__ import annotations

from qa.articles import Article
from qa.chunking import Passage
from qa.grounding import extract_answer
from qa.question import Question
from qa.search import Hit

BODY = (
    "The council met on Monday. It approved a budget of 4 million euros for the new bridge.\n\n"
    "Work on the bridge over the river Lys starts in May. The mayor welcomed the vote."
)
ARTICLE = Article(id="bridge", title="Council approves bridge budget", body=BODY)
OTHER = Article(id="cats", title="Cats", body="Cats sleep a lot. They like warm places.")


def hit(article: Article, start: int, end: int, number: int = 0) -> Hit:
    return Hit(number, 1.0, Passage(article.id, number, start, end), article)


def test_the_best_sentence_with_exact_offsets():
    hits = [hit(ARTICLE, 0, len(BODY))]
    answer = extract_answer(Question.analyse("How big is the budget for the bridge?"), hits)
    assert [a.text for a in answer] == [
        "It approved a budget of 4 million euros for the new bridge."
    ]
    first = answer[0]
    assert BODY[first.start : first.end] == first.text
    assert first.passage == 1 and first.article_id == "bridge"


def test_offsets_stay_exact_in_a_later_passage():
    second_start = BODY.index("Work on")
    hits = [hit(OTHER, 0, len(OTHER.body)), hit(ARTICLE, second_start, len(BODY), 1)]
    answer = extract_answer(
        Question.analyse("When does work on the bridge over the Lys start?"), hits
    )
    assert answer[0].passage == 2
    assert BODY[answer[0].start : answer[0].end] == answer[0].text
    assert answer[0].text == "Work on the bridge over the river Lys starts in May."


def test_nothing_answers_an_unrelated_question():
    hits = [hit(OTHER, 0, len(OTHER.body))]
    assert extract_answer(Question.analyse("What is the budget of the bridge?"), hits) == []
    assert extract_answer(Question.analyse("the of and"), hits) == []  # only stopwords
    assert extract_answer(Question.analyse("What is the budget?"), []) == []


def test_answer_in_the_api_cites_body_offsets(client):
    body = client.post("/ask", json={"question": "How much wheat did Egypt buy in the tender?"})
    result = body.get_json()
    assert result["answerable"] is True
    assert result["answer"], result
    for sentence in result["answer"]:
        assert set(sentence) == {"text", "passage", "article_id", "start", "end", "short"}
        passage = result["passages"][sentence["passage"] - 1]
        assert passage["citation"]["article_id"] == sentence["article_id"]
        article = client.get(f"/articles/{sentence['article_id']}").get_json()
        assert article["body"][sentence["start"] : sentence["end"]] == sentence["text"]
    assert "480,000 tonnes" in result["answer"][0]["text"]
    short = result["answer"][0]["short"]  # "How much": the amount, with offsets in the body
    assert short["text"] == "480,000 tonnes"
    article = client.get(f"/articles/{result['answer'][0]['article_id']}").get_json()
    assert article["body"][short["start"] : short["end"]] == short["text"]


def test_question_words_do_not_pick_the_answer():
    body = (
        "Which way does the CSTO have to go, he asked.\n\n"
        "There are contacts with the Organization of Islamic Cooperation and the OSCE."
    )
    article = Article(id="csto", title="CSTO", body=body)
    split = body.index("There are")
    hits = [hit(article, 0, split - 2), hit(article, split, len(body), 1)]
    answer = extract_answer(
        Question.analyse("Which organizations does the CSTO have contacts with?"), hits
    )
    assert answer[0].text.startswith("There are contacts")


def test_the_sentence_that_adds_the_asked_for_thing_wins():
    body = (
        "Gogoro makes electric scooters and runs battery swapping stations.\n\n"
        "Gogoro co-founder and CEO Horace Luke wants to go big in India."
    )
    article = Article(id="gogoro", title="Gogoro in India", body=body)
    answer = extract_answer(Question.analyse("Who runs Gogoro?"), [hit(article, 0, len(body))])
    assert answer[0].text.endswith(
        "Gogoro co-founder and CEO Horace Luke wants to go big in India."
    )
    assert answer[0].short is None  # names are not given as short answers


def test_list_marks_and_orphan_quotes_are_trimmed_and_a_short_sentence_joins_the_one_before():
    body = (
        '- "Moscow was chosen for the signing of the trilateral agreement, he said.\n\n'
        "The committee met on Monday to vote on the repairs to the bridge. The cost: $4 million."
    )
    article = Article(id="list", title="Notes", body=body)
    hits = [hit(article, 0, len(body))]
    answer = extract_answer(Question.analyse("Where was the trilateral agreement signed?"), hits)
    assert (
        answer[0].text == "Moscow was chosen for the signing of the trilateral agreement, he said."
    )
    assert body[answer[0].start : answer[0].end] == answer[0].text
    answer = extract_answer(Question.analyse("What will the bridge repairs cost?"), hits)
    assert answer[0].text.endswith("The cost: $4 million.")
    assert answer[0].text.startswith("The committee met")
    assert answer[0].short is not None and answer[0].short.text == "$4 million"
