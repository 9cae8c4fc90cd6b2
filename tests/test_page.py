"""The chat page in a real browser: Debian's chromium driven by Playwright, against the app served
on loopback over a small corpus that includes an article full of HTML.

The headers test at the end needs no browser.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from qa.app import create_app
from qa.build import build_from_corpus
from qa.chat import history_turn
from qa.settings import REPOSITORY, Settings

from .support import COPIES, SAMPLE_ID, make_copies_corpus, make_corpus

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAX_QUESTION_CHARS = 200
STORAGE_KEY = "qa-news.conversations.v2"
OLD_STORAGE_KEY = "qa-news.conversation.v1"

# Every way this article could run script sets window.__pwned; the page must show it all as text.
HOSTILE_TITLE = "Penguins <script>window.__pwned = 1</script> <img src=x onerror=window.__pwned=2>"
HOSTILE_ARTICLE = f"""---
title: '{HOSTILE_TITLE}'
date: 2024-02-02
source: <b>Polar Gazette</b>
url: https://example.org/?q="><script>window.__pwned=5</script>
---

Emperor penguins in Antarctica huddle together through the winter storms <script>window.__pwned = 3</script> to keep warm.

Researchers counted 5,000 penguin chicks <img src=x onerror="window.__pwned = 4"> at the colony this year, more than last year.
"""
PENGUIN_QUESTION = "How many penguin chicks did researchers count at the colony?"


# ---- Serving the app on loopback ----


class LoopbackServer:
    """The app served for real by werkzeug in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()


def post_json(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[LoopbackServer]:
    root = tmp_path_factory.mktemp("page")
    corpus = make_corpus(root / "corpus")
    (corpus / "penguins.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    settings = Settings(corpus=corpus, index=root / "index", max_question_chars=MAX_QUESTION_CHARS)
    report = build_from_corpus(settings.corpus, settings.index, embedder)
    assert not report.problems and "penguins" in report.added, report.problems
    served = LoopbackServer(create_app(settings, embedder=embedder))
    yield served
    served.close()


@pytest.fixture(scope="module")
def unbuilt_server(tmp_path_factory, embedder) -> Iterator[LoopbackServer]:
    """An app with no index built: /ask answers 503."""
    root = tmp_path_factory.mktemp("unbuilt")
    settings = Settings(corpus=root / "corpus", index=root / "index")
    served = LoopbackServer(create_app(settings, embedder=embedder))
    yield served
    served.close()


@pytest.fixture(scope="module")
def dated_server(dated_settings, embedder) -> Iterator[LoopbackServer]:
    """A month of dated news from three outlets (support.dated_articles)."""
    served = LoopbackServer(create_app(dated_settings, embedder=embedder))
    yield served
    served.close()


@pytest.fixture(scope="module")
def copies_server(tmp_path_factory, embedder) -> Iterator[LoopbackServer]:
    """A story in three outlets' copies (support.COPIES) beside the other articles."""
    root = tmp_path_factory.mktemp("page-copies")
    settings = Settings(corpus=make_copies_corpus(root / "corpus"), index=root / "index")
    build_from_corpus(settings.corpus, settings.index, embedder)
    served = LoopbackServer(create_app(settings, embedder=embedder))
    yield served
    served.close()


# ---- The browser ----


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM} (scripts/ensure-chromium installs Debian's)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A fresh page (own storage) at desktop size."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture
def console_errors(page) -> list[str]:
    """Console errors (CSP violations included) and uncaught exceptions of `page`."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, and return the reply (or error) it brings."""
    replies_before = page.locator("#thread > li:not(.question):not(.working)").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    reply = page.locator("#thread > li:not(.question):not(.working)").nth(replies_before)
    reply.wait_for()
    return reply


def asked_bodies(page: Any) -> list[dict[str, Any]]:
    """The bodies of the page's POST /ask requests from now on, in order."""
    bodies: list[dict[str, Any]] = []

    def seen(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/ask"):
            bodies.append(json.loads(request.post_data))

    page.on("request", seen)
    return bodies


def last_reply(page: Any) -> Any:
    return page.locator("#thread > li.reply:not(.working)").last


# Collects layout shifts that no user input caused (what Cumulative Layout Shift counts).
LAYOUT_SHIFTS = """() => {
    window.layoutShifts = [];
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            if (!entry.hadRecentInput) window.layoutShifts.push(entry.value);
        }
    }).observe({ type: "layout-shift", buffered: true });
}"""


def stored_entries(page: Any) -> list[dict[str, Any]]:
    """The entries of the conversation the page has stored as its current one."""
    stored = json.loads(page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')"))
    current = next(c for c in stored["conversations"] if c["id"] == stored["current"])
    return current["entries"]


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


# ---- The tests ----


@pytest.mark.browser
def test_ask_follow_citation_back_reload_clear_and_undo(page, server, console_errors):
    question = "Where was the trilateral agreement signed?"
    expected = post_json(f"{server.url}/ask", {"question": question})
    first_passage = expected["passages"][0]
    assert "trilateral agreement was signed in Moscow" in first_passage["text"]
    page.goto(server.url)
    assert page.locator("#empty-note").is_visible()
    page.evaluate(LAYOUT_SHIFTS)

    # The question shows at once, then a working state, and the send button waits meanwhile.
    held: list[Any] = []
    page.route("**/ask", lambda route: held.append(route))
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator("#thread .question", has_text=question).wait_for()
    page.locator("#thread .working").wait_for()
    assert page.get_attribute("#send", "aria-disabled") == "true"
    assert page.input_value("#question") == ""
    for _ in range(100):  # the held request reaches the route handler during Playwright calls
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    assert "k" not in json.loads(held[0].request.post_data)  # the server's default k
    page.wait_for_timeout(600)  # shifts this long after a key press count as layout jumps
    held[0].continue_()
    page.unroute("**/ask")

    reply = page.locator("#thread .reply:not(.working)").first
    reply.wait_for()
    assert page.locator("#thread .working").count() == 0
    assert page.get_attribute("#send", "aria-disabled") == "false"
    # Grouped by article: each title once, the passages under it, numbered by rank.
    passages = expected["passages"]
    titles = list(dict.fromkeys(p["citation"]["title"] for p in passages))
    assert reply.locator(".article-group .cite-link").all_text_contents() == titles
    assert reply.locator(".passage").count() == len(passages) == 5
    group = reply.locator(".article-group").first
    assert "8 June 2022" in group.locator(".citation").text_content()
    assert "TASS" in group.locator(".citation").text_content()
    # Each passage is an excerpt that opens in place to the whole passage.
    first = reply.locator(".passage").first
    excerpt = first.locator(".passage-text.excerpt")
    assert len(excerpt.text_content()) < len(first_passage["text"])
    first.locator(".more-button").click()
    assert excerpt.is_hidden()
    assert first.locator(".passage-text:not(.excerpt)").text_content() == first_passage["text"]
    first.locator(".more-button").click()
    assert excerpt.is_visible()
    assert "5 passages found" in page.text_content("#announcer")
    page.wait_for_timeout(100)  # layout-shift entries are reported asynchronously
    assert page.evaluate("window.layoutShifts") == []

    # The passage's number opens the article with the passage marked and in view.
    scroll_before = page.evaluate("window.scrollY")
    first.locator("a.passage-number").click()
    mark = page.locator("#article-body mark.cited-passage")
    mark.wait_for()
    assert SAMPLE_ID in page.url
    assert page.locator("#chat-view").is_hidden()
    assert page.locator("#composer").is_hidden()
    assert page.text_content("#article-title") == first_passage["citation"]["title"]
    assert page.text_content("#toolbar-title") == first_passage["citation"]["title"]
    assert mark.text_content() == first_passage["text"]
    article = json.loads(urllib.request.urlopen(f"{server.url}/articles/{SAMPLE_ID}").read())
    assert page.text_content("#article-body") == article["body"]
    page.wait_for_function(
        "() => { const r = document.querySelector('#article-body mark').getBoundingClientRect();"
        " return r.top < innerHeight && r.bottom > 0; }"
    )

    # Back returns to the conversation as it was, focus on the link that was followed.
    page.go_back()
    page.locator("#chat-view").wait_for(state="visible")
    assert page.locator("#article-view").is_hidden()
    assert page.locator("#thread .question-text").text_content().strip() == question
    assert page.evaluate("window.scrollY") == scroll_before
    assert page.evaluate("document.activeElement.classList.contains('passage-number')")

    # The thread survives a reload; Clear empties it, Undo brings it back, a reload after a
    # Clear finds it empty.
    page.reload()
    page.locator("#thread .reply").first.wait_for()
    assert page.locator("#thread .question-text").text_content().strip() == question
    assert page.locator("#thread .reply .passage").count() == 5
    page.click("#clear")
    assert page.locator("#thread > li").count() == 0
    assert page.locator("#undo-bar").is_visible()
    assert stored_entries(page) == []
    page.click("#undo")
    assert page.locator("#undo-bar").is_hidden()
    assert page.locator("#thread .reply .passage").count() == 5
    assert [e["kind"] for e in stored_entries(page)] == ["question", "reply"]
    page.click("#clear")
    page.reload()
    page.locator("#empty-note").wait_for()
    assert page.locator("#thread > li").count() == 0
    assert page.locator("#undo-bar").is_hidden()
    assert console_errors == []


@pytest.mark.browser
def test_an_article_full_of_html_is_shown_as_text_and_runs_nothing(page, server, console_errors):
    page.goto(server.url)
    reply = ask(page, PENGUIN_QUESTION)
    group = reply.locator(".article-group").first
    assert group.locator("a.cite-link").text_content() == HOSTILE_TITLE
    whole = "".join(reply.locator(".passage-text").all_text_contents())
    assert "<img src=x onerror=" in whole
    assert "<b>Polar Gazette</b>" in group.locator(".citation").text_content()

    group.locator("a.cite-link").click()
    page.locator("#article-body mark").first.wait_for()
    assert page.text_content("#article-title") == HOSTILE_TITLE
    body = page.text_content("#article-body")
    assert "<script>window.__pwned = 3</script>" in body
    assert '<img src=x onerror="window.__pwned = 4">' in body
    original = page.locator("#article-link a")
    assert original.get_attribute("href").startswith("https://example.org/")
    assert original.text_content() == "Read the original article"

    # Nothing the article holds became an element, and nothing ran.
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1  # the page's own main.js
    assert page.locator("b").count() == 0
    page.reload()
    page.locator("#article-body mark").first.wait_for()
    assert page.evaluate("window.__pwned") is None
    assert console_errors == []


def error_reply(status: int, code: str, message: str) -> Any:
    def fulfil(route: Any) -> None:
        route.fulfill(status=status, json={"error": {"code": code, "message": message}})

    return fulfil


@pytest.mark.browser
def test_errors_are_told_in_plain_words_and_the_box_stays_usable(page, server, unbuilt_server):
    page.goto(server.url)
    # Too long is caught before sending, against the server's own limit.
    page.locator(f"#ask-form[data-max-chars='{MAX_QUESTION_CHARS}']").wait_for(state="attached")
    too_long = "Why? " * (MAX_QUESTION_CHARS // 4)
    page.fill("#question", too_long)
    assert "too many" in page.text_content("#counter")
    assert page.get_attribute("#send", "aria-disabled") == "true"
    page.press("#question", "Enter")
    assert f"the limit is {MAX_QUESTION_CHARS}" in page.text_content("#composer-note")
    assert page.locator("#thread > li").count() == 0
    assert page.input_value("#question") == too_long

    # Error codes from the server are told in plain words, never in the API's own.
    asked = "Is this question fine?"
    for status, code, plain in [
        (400, "question_too_long", f"keep it to {MAX_QUESTION_CHARS} characters"),
        (400, "empty_question", "Type a question first"),
        (400, "invalid_k", "Reload the page"),
        (429, "too_many_requests", "wait a moment"),
        (503, "index_unavailable", "cannot be searched right now"),
    ]:
        page.route("**/ask", error_reply(status, code, f'"question" broke rule {code}.'))
        page.fill("#question", "")
        error = ask(page, asked)
        assert "error" in error.get_attribute("class")
        assert plain in error.text_content()
        assert '"question"' not in error.text_content() and code not in error.text_content()
        assert page.input_value("#question") == asked  # given back to fix and resend
        page.unroute("**/ask")

    page.route("**/ask", lambda route: route.abort("connectionrefused"))
    page.fill("#question", "")
    failed = ask(page, "Is anyone there?")
    assert "Could not reach the server" in failed.text_content()
    page.unroute("**/ask")

    page.fill("#question", "")
    reply = ask(page, PENGUIN_QUESTION)
    assert reply.locator(".passage").count() > 0

    page.goto(unbuilt_server.url)
    unavailable = ask(page, "Anything new?")
    assert "cannot be searched right now" in unavailable.text_content()
    assert page.is_editable("#question")


@pytest.mark.browser
def test_the_counter_shows_near_the_limit(page, server):
    page.goto(server.url)
    page.locator(f"#ask-form[data-max-chars='{MAX_QUESTION_CHARS}']").wait_for(state="attached")
    page.fill("#question", "a" * (MAX_QUESTION_CHARS - 10))
    assert page.text_content("#counter") == f"{MAX_QUESTION_CHARS - 10} / {MAX_QUESTION_CHARS}"
    assert page.get_attribute("#send", "aria-disabled") == "false"
    page.fill("#question", "short")
    assert page.text_content("#counter") == ""


@pytest.mark.browser
def test_the_answer_comes_first_short_answer_large_and_marked_in_the_article(page, server):
    """The answer sentences (from the `answer` field, when the server sends one)."""
    sentence = "Researchers counted 5,000 penguin chicks"
    holder: list[dict[str, Any]] = []  # the passage that holds the sentence, and its number

    def add_answer(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        number = next(i for i, p in enumerate(body["passages"], 1) if sentence in p["text"])
        passage = body["passages"][number - 1]
        holder.append({"number": number, "passage": passage})
        start = passage["citation"]["start"] + passage["text"].index(sentence)
        short_start = start + sentence.index("5,000")
        body["answer"] = [
            {
                "text": sentence,
                "passage": number,
                "article_id": passage["citation"]["article_id"],
                "start": start,
                "end": start + len(sentence),
                "short": {"text": "5,000", "start": short_start, "end": short_start + 5},
            }
        ]
        route.fulfill(response=response, json=body)

    page.goto(server.url)
    page.route("**/ask", add_answer)
    reply = ask(page, PENGUIN_QUESTION + " And in which year?")
    answer = reply.locator(".answer")
    assert reply.locator(":scope > *").first.get_attribute("class") == "answer"
    assert answer.locator(".short-answer").text_content() == "5,000"
    short_size = answer.locator(".short-answer").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    text_size = answer.locator(".answer-text").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert short_size >= 1.4 * text_size
    assert answer.locator(".answer-text").text_content().startswith(sentence)
    number = holder[0]["number"]
    assert answer.locator("a.cite-number").text_content() == f"[{number}]"
    holding = reply.locator(".passage").nth(number - 1)
    assert holding.locator(".excerpt mark").text_content() == sentence
    answer.locator("a.cite-number").click()
    # The article marks the sentence strongly, inside its passage marked lightly.
    strong = page.locator("#article-body mark.cited-passage mark.cited-sentence")
    strong.wait_for()
    assert strong.text_content() == sentence
    assert page.text_content("#article-body mark.cited-passage") == holder[0]["passage"]["text"]


@pytest.mark.browser
def test_nothing_relevant_is_said_plainly(page, server):
    def unanswerable(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "answerable": False})

    page.goto(server.url)
    page.route("**/ask", unanswerable)
    reply = ask(page, "What is the recipe for banana bread?")
    assert "found nothing in the articles" in reply.locator(".verdict").text_content()
    closest = reply.locator("details.closest")
    assert closest.get_attribute("open") is None
    assert reply.locator(".passage").first.is_hidden()
    closest.locator("summary").click()
    assert reply.locator(".passage").first.is_visible()


@pytest.mark.browser
def test_an_article_link_opened_directly(page, server):
    """A citation link pasted into a new tab: the article shows, and Back stays on the page;
    an id that was never cited is "no such article", one cited and gone "removed since"."""
    article = json.loads(urllib.request.urlopen(f"{server.url}/articles/{SAMPLE_ID}").read())
    page.goto(f"{server.url}/#/article/{SAMPLE_ID}?start=4&end=40")
    page.locator("#article-body mark").wait_for()
    assert page.text_content("#article-body mark") == article["body"][4:40]
    page.click("#back")
    page.locator("#chat-view").wait_for(state="visible")
    assert page.url == f"{server.url}/"

    page.goto(f"{server.url}/#/article/no-such-article")
    page.locator("#article-status", has_text="no such article").wait_for()
    assert page.text_content("#article-body") == ""

    page.goto(server.url)
    reply = ask(page, PENGUIN_QUESTION)
    page.route("**/articles/**", error_reply(404, "not_found", "No article with that id."))
    reply.locator(".article-group a.cite-link").first.click()
    page.locator("#article-status", has_text="removed from the collection since").wait_for()


@pytest.mark.browser
def test_keyboard_alone(page, server):
    page.goto(server.url)
    page.keyboard.press("Tab")  # "Clear" is disabled while the thread is empty
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type("How much wheat")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("did Egypt buy?")
    assert page.input_value("#question") == "How much wheat\ndid Egypt buy?"
    page.keyboard.press("Enter")
    page.locator("#thread .reply .passage").first.wait_for()
    assert (
        page.locator("#thread .question-text").text_content().strip()
        == "How much wheat\ndid Egypt buy?"
    )

    page.locator("#thread a.cite-link").first.focus()
    page.keyboard.press("Enter")
    page.locator("#article-body mark").first.wait_for()
    assert page.evaluate("document.activeElement.id") == "article-title"
    page.keyboard.press("Escape")
    page.locator("#chat-view").wait_for(state="visible")
    assert page.evaluate("document.activeElement.classList.contains('cite-link')")


@pytest.mark.browser
def test_controls_are_labelled(page, server):
    page.goto(server.url)
    assert page.get_by_label("Your question").count() == 1
    assert page.get_by_role("button", name="Send").count() == 1
    assert page.get_by_role("button", name="Clear conversation").count() == 1


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_no_sideways_scrolling(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    try:
        page.goto(server.url)
        assert no_sideways_scroll(page)
        long_word = "https://example.org/" + "a-very-long-unbroken-address" * 5  # within the limit
        ask(page, f"What about {long_word}?")
        ask(page, PENGUIN_QUESTION)
        assert no_sideways_scroll(page)
        page.locator("#thread a.cite-link:visible").first.click()
        page.locator("#article-body mark").first.wait_for()
        assert no_sideways_scroll(page)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_the_keys_hint_is_for_keyboards_only(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    try:
        page.goto(server.url)
        assert page.locator("#keys-hint").is_visible() == (width > 560)
    finally:
        context.close()


# The worst reply the issue names: five passages of about 1,100 characters, all of one article.
LONG_SENTENCE = (
    "The committee heard evidence from the regional authorities about the state of the roads, "
    "the cost of repairs and the time the work would take before the winter. "
)


def worst_reply(route: Any) -> None:
    response = route.fetch()
    body = response.json()
    text = (LONG_SENTENCE * 8)[:1100]
    citation = {**body["passages"][0]["citation"], "start": 0, "end": len(text)}
    body["passages"] = [
        {"text": text, "score": 1.0 - i / 10, "citation": citation} for i in range(5)
    ]
    body["answerable"] = True
    # With all a reply can say above its answer: a follow-up, a time window, the newest passage,
    # and other outlets' copies of the story.
    body["understood"].update(
        follow_up=True,
        carried=["Regional Roads Committee", "Transport Minister Anna Berg", "winter repairs"],
        since="2023-11-20",
        until="2023-11-22",
        window="question",
        time_phrase="this week",
        recency=True,
        as_of="2023-11-22",
        newest={"date": "2023-11-21", "days_before_as_of": 1},
    )
    citation["copies"] = [
        {"article_id": f"copy-{n}", "title": "Roads", "source": f"Outlet {n}", "date": None,
         "url": None}
        for n in range(5)
    ]  # fmt: skip
    sentence = LONG_SENTENCE.strip()
    body["answer"] = [
        {
            "text": sentence,
            "passage": 1,
            "article_id": citation["article_id"],
            "start": 0,
            "end": len(sentence),
            "short": {"text": "the regional authorities", "start": 29, "end": 53},
        }
    ]
    route.fulfill(response=response, json=body)


def reply_geometry(page: Any) -> dict[str, float]:
    return page.evaluate(
        """() => {
            const reply = [...document.querySelectorAll('#thread > li.reply')].pop();
            const question = [...document.querySelectorAll('#thread > li.question')].pop();
            return {height: reply.getBoundingClientRect().height,
                    questionTop: question.getBoundingClientRect().top};
        }"""
    )


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 740)])
def test_a_reply_is_compact_and_its_question_stays_in_view(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(server.url)
        for _ in range(2):  # a thread already there, so the new question has to be scrolled to
            ask(page, PENGUIN_QUESTION)
        page.route("**/ask", worst_reply)
        reply = ask(page, "What did the committee hear about the roads?")
        assert reply.locator(".passage").count() == 5
        assert reply.locator(".article-group").count() == 1  # the title once
        assert reply.locator(".follow-up, .time-chip, .newest, .copies").count() == 4
        geometry = reply_geometry(page)
        if width == 1280:
            assert geometry["height"] <= 1000, geometry
        assert 0 <= geometry["questionTop"] <= 40, geometry  # the question at the top
    finally:
        context.close()


# ---- Threads, time and copies ----

LAVROV = "Who is Sergey Lavrov?"
NATO = "What did he say about NATO?"
STRIKE_THIS_WEEK = "What happened in the dock strike this week?"


@pytest.mark.browser
def test_a_follow_up_is_sent_with_the_thread_and_can_be_asked_on_its_own(
    page, server, console_errors
):
    page.goto(server.url)
    bodies = asked_bodies(page)
    with page.expect_response("**/ask") as first:
        ask(page, LAVROV)
    answered = first.value.json()
    assert "history" not in bodies[0]  # nothing before the first question
    assert last_reply(page).locator(".reply-context").count() == 0

    # The follow-up carries the first turn as qa chat builds it, and says how it was read.
    reply = ask(page, NATO)
    assert bodies[1]["history"] == [history_turn(LAVROV, answered)]
    assert bodies[1]["history"][0]["article_ids"][0] == SAMPLE_ID
    line = reply.locator(".reply-context .follow-up")
    assert line.text_content().startswith("Following up on: Sergey Lavrov")
    assert "ask on its own instead" in line.text_content()

    # "ask on its own instead": the same question without the thread, its reply in place.
    line.get_by_role("button", name="ask on its own instead").click()
    page.locator("#thread .asked-alone").wait_for()
    assert bodies[2]["question"] == NATO and "history" not in bodies[2]
    assert page.locator("#thread .follow-up").count() == 0
    assert page.locator("#thread > li").count() == 4  # two questions, two replies
    assert [e["kind"] for e in stored_entries(page)] == ["question", "reply"] * 2
    assert stored_entries(page)[3]["request"]["alone"] is True
    page.reload()
    page.locator("#thread .asked-alone").wait_for()
    assert console_errors == []


@pytest.mark.browser
def test_conversations_are_kept_switched_between_and_cleared_with_undo(page, server):
    page.goto(server.url)
    assert page.locator("#conversations").is_hidden()  # nothing else to go to yet
    assert page.locator("#new-conversation").is_disabled()
    ask(page, LAVROV)
    page.click("#new-conversation")
    assert page.locator("#thread > li").count() == 0
    assert page.locator("#empty-note").is_visible()
    bodies = asked_bodies(page)
    ask(page, PENGUIN_QUESTION)
    assert "history" not in bodies[0]  # a new conversation starts a new thread

    # Both are listed by their first question, newest first; the current one is restored.
    page.click("#conversations-summary")
    titles = page.locator("#conversation-list .conversation-title").all_text_contents()
    assert titles == [PENGUIN_QUESTION, LAVROV]
    page.get_by_role("button", name=re.compile("Sergey Lavrov")).click()
    assert page.locator("#conversation-list").is_hidden()
    assert page.locator("#thread .question-text").all_text_contents() == [LAVROV]
    page.reload()
    page.locator("#thread .reply").first.wait_for()
    assert page.locator("#thread .question-text").all_text_contents() == [LAVROV]

    # The next question goes on with this conversation's thread.
    ask(page, NATO)
    assert [turn["question"] for turn in bodies[1]["history"]] == [LAVROV]

    # Clear and Undo act on the conversation shown; the other one is left as it was.
    page.click("#clear")
    assert page.locator("#thread > li").count() == 0
    assert stored_entries(page) == []
    page.click("#conversations-summary")
    page.get_by_role("button", name=re.compile("penguin chicks")).click()
    assert page.locator("#thread .question-text").all_text_contents() == [PENGUIN_QUESTION]
    assert page.locator("#undo-bar").is_hidden()
    page.click("#conversations-summary")
    assert page.locator("#conversation-list .conversation-title").all_text_contents() == [
        f"{LAVROV} (cleared)",
        PENGUIN_QUESTION,
    ]  # listed while it can be undone, by when it was last asked in
    page.get_by_role("button", name=re.compile("cleared")).click()
    page.click("#undo")
    assert page.locator("#thread .question-text").all_text_contents() == [LAVROV, NATO]
    page.click("#new-conversation")
    ask(page, "How much wheat did Egypt buy?")
    page.click("#conversations-summary")
    assert page.locator("#conversation-list li").count() == 3


@pytest.mark.browser
def test_undo_of_clear_per_conversation(page, server):
    page.goto(server.url)
    ask(page, LAVROV)
    page.click("#clear")
    assert page.locator("#undo-bar").is_visible()
    page.click("#new-conversation")  # a cleared conversation can still be left and undone
    assert page.locator("#undo-bar").is_hidden()
    ask(page, PENGUIN_QUESTION)
    stored = json.loads(page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')"))
    assert len(stored["conversations"]) == 1  # the empty, cleared one is not stored
    page.click("#clear")
    page.click("#undo")
    assert page.locator("#thread .question-text").all_text_contents() == [PENGUIN_QUESTION]


@pytest.mark.browser
def test_a_conversation_stored_before_there_were_several_still_loads(page, server):
    page.goto(server.url)
    reply = post_json(f"{server.url}/ask", {"question": PENGUIN_QUESTION})
    old = [{"kind": "question", "text": PENGUIN_QUESTION}, {"kind": "reply", "response": reply}]
    page.evaluate(
        "([key, value]) => { localStorage.clear(); localStorage.setItem(key, value); }",
        [OLD_STORAGE_KEY, json.dumps(old)],
    )
    page.reload()
    page.locator("#thread .reply .passage").first.wait_for()
    assert page.locator("#thread .question-text").all_text_contents() == [PENGUIN_QUESTION]
    assert page.evaluate(f"localStorage.getItem('{OLD_STORAGE_KEY}')") is None
    assert stored_entries(page) == old
    bodies = asked_bodies(page)
    ask(page, "And how many were there last year?")
    assert bodies[0]["history"] == [history_turn(PENGUIN_QUESTION, reply)]


@pytest.mark.browser
def test_a_time_window_shows_as_a_chip_and_removing_it_asks_again_without_it(browser, dated_server):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.clock.set_fixed_time("2023-11-22T10:00:00")  # a Wednesday
        page.goto(dated_server.url)
        bodies = asked_bodies(page)
        reply = ask(page, STRIKE_THIS_WEEK)
        assert bodies[0]["as_of"] == "2023-11-22"  # the browser's own day
        chip = reply.locator(".time-chip")
        assert chip.text_content().startswith("this week: 20–22 Nov 2023")
        first = reply.locator(".citation time").first.get_attribute("datetime")
        assert "2023-11-20" <= first[:10] <= "2023-11-22"  # the window preferred
        assert no_sideways_scroll(page)

        chip.get_by_role("button", name="Ask again without “this week”").click()
        page.locator("#thread .reply:not(.working)", has_text="Time words not used").wait_for()
        again = bodies[1]
        assert again["question"] == STRIKE_THIS_WEEK and again["time_words"] is False
        assert again["as_of"] == "2023-11-22"
        assert page.locator("#thread .time-chip").count() == 0
        assert page.locator("#thread > li").count() == 2  # the reply replaced in place
    finally:
        context.close()


@pytest.mark.browser
def test_outlet_and_date_filters_and_newest_first_go_with_each_question(
    page, dated_server, console_errors
):
    page.clock.set_fixed_time("2023-12-01T10:00:00")
    page.goto(dated_server.url)
    bodies = asked_bodies(page)
    page.click("#filters-summary")
    outlets = page.locator("#outlet-list .outlet")
    outlets.first.wait_for()
    assert outlets.count() == 3
    metro = outlets.filter(has_text="Metro Daily")
    assert "41 articles, 1–30 Nov 2023" in metro.text_content()
    metro.locator("input").check()
    page.fill("#filter-since", "2023-11-10")
    page.fill("#filter-until", "2023-11-20")
    page.click("#filters-done")
    page.click("#newest-first")
    assert page.get_attribute("#newest-first", "aria-pressed") == "true"
    chips = page.locator("#filter-chips .chip")
    assert chips.all_text_contents() == ["10–20 Nov 2023×", "Metro Daily×"]

    reply = ask(page, "What did the dock workers in Port Allen say about the strike?")
    sent = bodies[0]
    assert sent["sources"] == ["Metro Daily"] and sent["order"] == "date"
    assert (sent["since"], sent["until"]) == ("2023-11-10", "2023-11-20")
    sources = reply.locator(".citation .source").all_text_contents()
    assert sources and set(sources) == {"Metro Daily"}
    dates = reply.locator(".citation time").evaluate_all("nodes => nodes.map(n => n.dateTime)")
    assert dates == sorted(dates, reverse=True)
    assert all("2023-11-10" <= d[:10] <= "2023-11-20" for d in dates)
    context_line = reply.locator(".filters-used").text_content()
    assert "10–20 Nov 2023" in context_line and "Metro Daily" in context_line
    assert "newest first" in context_line

    # A chip's × drops that filter from the next question; the filters stay with the reload.
    page.get_by_role("button", name="Remove the filter Metro Daily").click()
    page.reload()
    assert page.locator("#filter-chips .chip").all_text_contents() == ["10–20 Nov 2023×"]
    ask(page, "And the budget?")
    assert "sources" not in bodies[1] and bodies[1]["since"] == "2023-11-10"
    page.click("#new-conversation")  # a new conversation starts without filters
    assert page.locator("#filter-chips .chip").count() == 0
    assert page.get_attribute("#newest-first", "aria-pressed") == "false"
    assert console_errors == []


@pytest.mark.browser
def test_a_timeline_is_grouped_by_day_and_the_latest_says_how_recent(page, dated_server):
    page.clock.set_fixed_time("2023-11-25T10:00:00")
    page.goto(dated_server.url)
    reply = ask(page, "How has the dock strike developed?")
    days = reply.locator(".timeline .day-heading time").evaluate_all(
        "nodes => nodes.map(n => n.dateTime)"
    )
    assert len(days) >= 2 and days == sorted(days)
    assert reply.locator(".view-label").text_content() == "Passages by day · show best first"
    reply.get_by_role("button", name="show best first").click()
    assert reply.locator(".timeline").is_hidden()
    assert reply.locator(":scope > .articles").is_visible()

    reply = ask(page, "What is the latest on the dock strike?")
    newest = reply.locator(".newest").text_content()
    assert re.fullmatch(r"Newest passage: (\d+ days? before|the same day,) 25 Nov 2023", newest)


@pytest.mark.browser
def test_also_reported_by_links_each_copy_and_the_article_lists_them(
    page, copies_server, console_errors
):
    page.goto(copies_server.url)
    reply = ask(page, "Why were the ferry crossings between Tallinn and Helsinki suspended?")
    copies = reply.locator(".citation .copies").first
    names = copies.locator("a.copy-link").all_text_contents()
    outlets = {source for _, source, _, _ in COPIES.values()}
    cited = reply.locator(".citation .source").first.text_content()
    assert copies.text_content().startswith("also reported by ")
    assert len(names) == 2 and set(names) | {cited} <= outlets and cited not in names
    copies.locator("a.copy-link").first.click()
    page.locator("#article-copies li").first.wait_for()
    assert page.locator("#article-meta").text_content().endswith(names[0])
    listed = page.locator("#article-copies li").all_text_contents()
    assert len(listed) == 2 and any(cited in item for item in listed)
    assert console_errors == []


# ---- Headers and markup, without a browser ----


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or "style" in names or any(n.startswith("on") for n in names):
            self.found.append(f"<{tag} {sorted(names)}>")
        if tag == "script":
            if "src" not in names:
                self.found.append("<script> without src")
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("script body")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/static/main.js", "text/javascript"),
        ("/static/reply.js", "text/javascript"),
        ("/static/style.css", "text/css"),
    ],
)
def test_the_page_and_its_files_carry_security_headers(client, path, content_type):
    with client.get(path) as response:  # closes the file it streams
        assert response.status_code == 200
        assert response.mimetype == content_type
        headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-cache"


def test_the_page_has_no_inline_code_and_loads_nothing_from_elsewhere():
    html = (REPOSITORY / "web" / "index.html").read_text(encoding="utf-8")
    parser = InlineCode()
    parser.feed(html)
    assert parser.found == []
    files = sorted((REPOSITORY / "web").iterdir())
    assert {"index.html", "main.js", "style.css"} <= {path.name for path in files}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path.name
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, path.name
