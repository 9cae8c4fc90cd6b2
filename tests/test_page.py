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
from qa.settings import REPOSITORY, Settings

from .support import SAMPLE_ID, make_corpus

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
STORAGE_KEY = "qa-news.conversation.v1"

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


# Collects layout shifts that no user input caused (what Cumulative Layout Shift counts).
LAYOUT_SHIFTS = """() => {
    window.layoutShifts = [];
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            if (!entry.hadRecentInput) window.layoutShifts.push(entry.value);
        }
    }).observe({ type: "layout-shift", buffered: true });
}"""


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


# ---- The tests ----


@pytest.mark.browser
def test_ask_follow_citation_back_reload_and_clear(page, server, console_errors):
    question = "Where was the trilateral agreement signed?"
    expected = post_json(f"{server.url}/ask", {"question": question, "k": 5})["passages"][0]
    assert "trilateral agreement was signed in Moscow" in expected["text"]
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
    page.wait_for_timeout(600)  # shifts this long after a key press count as layout jumps
    held[0].continue_()
    page.unroute("**/ask")

    reply = page.locator("#thread .reply:not(.working)").first
    reply.wait_for()
    assert page.locator("#thread .working").count() == 0
    assert page.get_attribute("#send", "aria-disabled") == "false"
    first = reply.locator(".passage").first
    assert first.locator(".passage-text").text_content() == expected["text"]
    cite = first.locator("a.cite-link")
    assert cite.text_content() == expected["citation"]["title"]
    assert "8 June 2022" in first.locator(".citation").text_content()
    assert "TASS" in first.locator(".citation").text_content()
    assert reply.locator(".passage").count() == 5
    assert "5 passages found" in page.text_content("#announcer")
    page.wait_for_timeout(100)  # layout-shift entries are reported asynchronously
    assert page.evaluate("window.layoutShifts") == []

    # The citation opens the article with exactly the passage marked and in view.
    scroll_before = page.evaluate("window.scrollY")
    cite.click()
    mark = page.locator("#article-body mark")
    mark.wait_for()
    assert SAMPLE_ID in page.url
    assert page.locator("#chat-view").is_hidden()
    assert page.locator("#composer").is_hidden()
    assert page.text_content("#article-title") == expected["citation"]["title"]
    assert mark.count() == 1
    assert mark.text_content() == expected["text"]
    article = json.loads(urllib.request.urlopen(f"{server.url}/articles/{SAMPLE_ID}").read())
    assert page.text_content("#article-body") == article["body"]
    page.wait_for_function(
        "() => { const r = document.querySelector('#article-body mark').getBoundingClientRect();"
        " return r.top < innerHeight && r.bottom > 0; }"
    )

    # Back returns to the conversation as it was, focus on the citation that was followed.
    page.go_back()
    page.locator("#chat-view").wait_for(state="visible")
    assert page.locator("#article-view").is_hidden()
    assert page.locator("#thread .question-text").text_content().strip() == question
    assert page.evaluate("window.scrollY") == scroll_before
    assert page.evaluate("document.activeElement.classList.contains('cite-link')")

    # The thread survives a reload, and Clear empties it for good.
    page.reload()
    page.locator("#thread .reply").first.wait_for()
    assert page.locator("#thread .question-text").text_content().strip() == question
    assert page.locator("#thread .reply .passage").count() == 5
    page.click("#clear")
    assert page.locator("#thread > li").count() == 0
    assert page.locator("#empty-note").is_visible()
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") is None
    page.reload()
    page.locator("#empty-note").wait_for()
    assert page.locator("#thread > li").count() == 0
    assert console_errors == []


@pytest.mark.browser
def test_an_article_full_of_html_is_shown_as_text_and_runs_nothing(page, server, console_errors):
    page.goto(server.url)
    reply = ask(page, PENGUIN_QUESTION)
    first = reply.locator(".passage").first
    assert first.locator("a.cite-link").text_content() == HOSTILE_TITLE
    assert "<img src=x onerror=" in first.locator(".passage-text").text_content()
    assert "<b>Polar Gazette</b>" in first.locator(".citation").text_content()

    first.locator("a.cite-link").click()
    page.locator("#article-body mark").wait_for()
    assert page.text_content("#article-title") == HOSTILE_TITLE
    body = page.text_content("#article-body")
    assert "<script>window.__pwned = 3</script>" in body
    assert '<img src=x onerror="window.__pwned = 4">' in body
    original = page.locator("#article-link a")
    assert original.get_attribute("href").startswith("https://example.org/")
    assert original.text_content() == "Read the original article"

    # Nothing the article holds became an element, and nothing ran.
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1  # the page's own app.js
    assert page.locator("b").count() == 0
    page.reload()
    page.locator("#article-body mark").wait_for()
    assert page.evaluate("window.__pwned") is None
    assert console_errors == []


@pytest.mark.browser
def test_errors_are_told_in_the_thread_and_the_box_stays_usable(page, server, unbuilt_server):
    page.goto(server.url)
    too_long = "Why? " * (MAX_QUESTION_CHARS // 4)
    error = ask(page, too_long)
    assert "error" in error.get_attribute("class")
    assert f"at most {MAX_QUESTION_CHARS} characters" in error.text_content()
    assert page.input_value("#question") == too_long.strip()  # given back to fix and resend

    page.route("**/ask", lambda route: route.abort("connectionrefused"))
    failed = ask(page, "Is anyone there?")
    assert "Could not reach the server" in failed.text_content()
    page.unroute("**/ask")

    reply = ask(page, PENGUIN_QUESTION)
    assert reply.locator(".passage").count() > 0

    page.goto(unbuilt_server.url)
    unavailable = ask(page, "Anything new?")
    assert "cannot be searched right now" in unavailable.text_content()
    assert page.is_editable("#question")


@pytest.mark.browser
def test_answers_are_shown_above_the_passages_and_marked_in_theirs(page, server):
    """The answer sentences (from the `answer` field, when the server sends one)."""
    sentence = "Researchers counted 5,000 penguin chicks"
    holder: list[int] = []  # the number of the passage that holds the sentence

    def add_answer(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        number = next(i for i, p in enumerate(body["passages"], 1) if sentence in p["text"])
        holder.append(number)
        passage = body["passages"][number - 1]
        offset = passage["text"].index(sentence)
        start = passage["citation"]["start"] + offset
        body["answer"] = [
            {
                "text": sentence,
                "passage": number,
                "article_id": passage["citation"]["article_id"],
                "start": start,
                "end": start + len(sentence),
            }
        ]
        route.fulfill(response=response, json=body)

    page.goto(server.url)
    page.route("**/ask", add_answer)
    reply = ask(page, PENGUIN_QUESTION + " And in which year?")
    answer = reply.locator(".answer")
    assert answer.locator(".answer-text").text_content().startswith(sentence)
    number = holder[0]
    assert answer.locator("a.cite-number").text_content() == f"[{number}]"
    holding = reply.locator(".passage").nth(number - 1)
    assert holding.locator("mark").text_content() == sentence
    assert reply.locator(".passage mark").count() == 1
    answer.locator("a.cite-number").click()
    assert page.locator("#article-body mark").text_content() == sentence


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
    """A citation link pasted into a new tab: the article shows, and Back stays on the page."""
    article = json.loads(urllib.request.urlopen(f"{server.url}/articles/{SAMPLE_ID}").read())
    page.goto(f"{server.url}/#/article/{SAMPLE_ID}?start=4&end=40")
    page.locator("#article-body mark").wait_for()
    assert page.text_content("#article-body mark") == article["body"][4:40]
    page.click("#back")
    page.locator("#chat-view").wait_for(state="visible")
    assert page.url == f"{server.url}/"

    page.goto(f"{server.url}/#/article/no-such-article")
    page.locator("#article-status", has_text="not in the collection").wait_for()
    assert page.text_content("#article-body") == ""


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
    page.locator("#article-body mark").wait_for()
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
        long_word = "https://example.org/" + "a-very-long-unbroken-address" * 8
        ask(page, f"What about {long_word}?")
        ask(page, PENGUIN_QUESTION)
        assert no_sideways_scroll(page)
        page.locator("#thread a.cite-link").first.click()
        page.locator("#article-body mark").wait_for()
        assert no_sideways_scroll(page)
    finally:
        context.close()


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
        ("/static/app.js", "text/javascript"),
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
    for name in ("index.html", "app.js", "style.css"):
        text = (REPOSITORY / "web" / name).read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), name
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, name
