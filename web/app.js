// The chat page: a thread of questions and cited replies, and an article view for citations.
//
// Safety: everything that comes from the server or the user (questions, passages, titles,
// article bodies, error messages) is inserted as text nodes, never parsed as HTML.
// Routing: "#/article/<id>?start=S&end=E" shows an article with body[S:E] marked; any other hash
// shows the conversation, which stays in the page (only hidden), so going back finds it as it was.
"use strict";

(() => {
  const STORAGE_KEY = "qa-news.conversation.v1";
  const PASSAGES_PER_QUESTION = 5;
  const TEXTAREA_MAX_PX = 160;

  const $ = (id) => document.getElementById(id);
  const ui = {
    chatView: $("chat-view"),
    articleView: $("article-view"),
    composer: $("composer"),
    thread: $("thread"),
    announcer: $("announcer"),
    emptyNote: $("empty-note"),
    form: $("ask-form"),
    question: $("question"),
    send: $("send"),
    hint: $("composer-hint"),
    clear: $("clear"),
    back: $("back"),
    articleStatus: $("article-status"),
    articleTitle: $("article-title"),
    articleMeta: $("article-meta"),
    articleLink: $("article-link"),
    articleBody: $("article-body"),
    articleCredits: $("article-credits"),
  };
  const HINT_TEXT = ui.hint.textContent;

  let conversation = loadConversation();
  let generation = 0; // bumped by "Clear", so a reply to a cleared question is dropped
  let pending = false;
  let chatScrollY = 0;
  let cameFromChat = false; // whether history.back() returns to the conversation
  let lastCitation = null; // the link followed, to give focus back on return
  let articleRequest = 0; // only the latest article fetch may fill the view

  // ---- Building DOM from data, as text only ----

  /** Make an element; string children become text nodes, never HTML. */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key.startsWith("aria-") || key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined || child === "") continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function articleHref(articleId, start, end) {
    const params = new URLSearchParams();
    if (Number.isInteger(start) && Number.isInteger(end)) {
      params.set("start", String(start));
      params.set("end", String(end));
    }
    const query = params.toString();
    return `#/article/${encodeURIComponent(articleId)}${query ? `?${query}` : ""}`;
  }

  /** "2022-06-08" or "2023-11-27T08:45:59+00:00" as "8 June 2022"; anything else as it is. */
  function formatDate(value) {
    if (typeof value !== "string" || !value) return "";
    const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    if (!match) return value;
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    if (Number.isNaN(date.getTime())) return value;
    return date.toLocaleDateString("en-GB", {
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    });
  }

  function dateElement(value) {
    const text = formatDate(value);
    return text ? el("time", { dateTime: value }, text) : null;
  }

  /** Title, date and source of a citation, joined by separators; missing parts left out. */
  function citationLine(citation, number) {
    const title = citation.title || citation.article_id;
    const link = el(
      "a",
      {
        className: "cite-link",
        href: articleHref(citation.article_id, citation.start, citation.end),
        "aria-label": `Passage ${number}: open “${title}” at this passage`,
      },
      title,
    );
    const line = el("p", { className: "citation" }, link);
    const source = citation.source ? el("span", { className: "source" }, citation.source) : null;
    for (const part of [dateElement(citation.date), source]) {
      if (!part) continue;
      line.append(el("span", { className: "separator", "aria-hidden": "true" }, " · "), part);
    }
    return line;
  }

  /** Where each answer sentence sits inside its passage text, as [start, end) pairs. */
  function answerRanges(passage, answers) {
    const ranges = [];
    for (const answer of answers) {
      if (typeof answer.text !== "string" || !answer.text) continue;
      let start = answer.start - passage.citation.start;
      if (passage.text.slice(start, start + answer.text.length) !== answer.text) {
        start = passage.text.indexOf(answer.text);
      }
      if (start >= 0) ranges.push([start, start + answer.text.length]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    return ranges.filter((range, i) => i === 0 || range[0] >= ranges[i - 1][1]);
  }

  /** Passage text with the answer sentences inside it marked. */
  function passageText(passage, answers) {
    const paragraph = el("p", { className: "passage-text" });
    let at = 0;
    for (const [start, end] of answerRanges(passage, answers)) {
      paragraph.append(
        passage.text.slice(at, start),
        el("mark", { className: "answer-mark" }, passage.text.slice(start, end)),
      );
      at = end;
    }
    paragraph.append(passage.text.slice(at));
    return paragraph;
  }

  function passageList(passages, answers) {
    const list = el("ol", { className: "passages" });
    passages.forEach((passage, i) => {
      const own = answers.filter((answer) => answer.passage === i + 1);
      list.append(
        el(
          "li",
          { className: own.length ? "passage holds-answer" : "passage" },
          citationLine(passage.citation, i + 1),
          passageText(passage, own),
        ),
      );
    });
    return list;
  }

  function answerBlock(answers, passages) {
    const block = el(
      "div",
      { className: "answer" },
      el("h3", { className: "answer-label" }, "Answer"),
    );
    for (const answer of answers) {
      const passage = passages[answer.passage - 1];
      const line = el("p", { className: "answer-text" }, answer.text);
      if (passage) {
        const title = passage.citation.title || passage.citation.article_id;
        line.append(
          " ",
          el(
            "a",
            {
              className: "cite-link cite-number",
              href: articleHref(
                answer.article_id || passage.citation.article_id,
                answer.start,
                answer.end,
              ),
              "aria-label": `Source: passage ${answer.passage}, “${title}”`,
            },
            `[${answer.passage}]`,
          ),
        );
      }
      block.append(line);
    }
    return block;
  }

  function replyItem(response) {
    const item = el("li", { className: "message reply" });
    const passages = Array.isArray(response.passages) ? response.passages : [];
    const answers = Array.isArray(response.answer) ? response.answer : [];
    if (!passages.length) {
      item.append(el("p", { className: "verdict" }, "There are no articles to search yet."));
    } else if (response.answerable === false) {
      item.append(
        el(
          "p",
          { className: "verdict" },
          "I found nothing in the articles that answers this question.",
        ),
        el(
          "details",
          { className: "closest" },
          el("summary", {}, `Show the ${passages.length} closest passages anyway (not answers)`),
          passageList(passages, []),
        ),
      );
    } else {
      if (answers.length) item.append(answerBlock(answers, passages));
      item.append(
        el(
          "p",
          { className: "reply-lead" },
          answers.length ? "From these passages, best first:" : "The passages that answer it best:",
        ),
        passageList(passages, answers),
      );
    }
    return item;
  }

  function entryItem(entry) {
    switch (entry.kind) {
      case "question":
        return el(
          "li",
          { className: "message question" },
          el("span", { className: "visually-hidden" }, "You asked: "),
          el("p", { className: "question-text" }, entry.text),
        );
      case "reply":
        return replyItem(entry.response);
      default:
        return el(
          "li",
          { className: "message error", "data-kind": "error" },
          el("p", { className: "error-text" }, entry.message),
        );
    }
  }

  function workingItem() {
    return el(
      "li",
      { className: "message reply working", "aria-busy": "true" },
      el(
        "p",
        { className: "working-text" },
        "Searching the articles",
        el("span", { className: "dots", "aria-hidden": "true" }),
      ),
    );
  }

  /** One sentence on a reply, for screen readers. */
  function summary(entry) {
    if (entry.kind === "error") return entry.message;
    const passages = entry.response.passages;
    if (!passages.length) return "There are no articles to search yet.";
    if (entry.response.answerable === false)
      return "Nothing in the articles answers this question.";
    const answers = Array.isArray(entry.response.answer) ? entry.response.answer : [];
    const lead = answers.length ? `Answer: ${answers.map((answer) => answer.text).join(" ")} ` : "";
    return `${lead}${passages.length} passages found, the best from “${passages[0].citation.title}”.`;
  }

  // ---- The conversation, kept in localStorage ----

  function isEntry(entry) {
    if (!entry || typeof entry !== "object") return false;
    if (entry.kind === "question") return typeof entry.text === "string";
    if (entry.kind === "reply") return !!entry.response && typeof entry.response === "object";
    return entry.kind === "error" && typeof entry.message === "string";
  }

  function loadConversation() {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
      return Array.isArray(stored) ? stored.filter(isEntry) : [];
    } catch {
      return [];
    }
  }

  function saveConversation() {
    try {
      if (conversation.length) localStorage.setItem(STORAGE_KEY, JSON.stringify(conversation));
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage full or switched off: the thread still works until the page is closed.
    }
  }

  function renderConversation() {
    ui.thread.replaceChildren(...conversation.map(entryItem));
    updateControls();
  }

  /** A question saved without its reply: the page was closed or reloaded while it was asked. */
  function closeUnanswered() {
    const last = conversation[conversation.length - 1];
    if (last && last.kind === "question") {
      conversation.push({
        kind: "error",
        message: "No reply arrived before the page was reloaded. Ask again to get one.",
      });
      saveConversation();
    }
  }

  function updateControls() {
    ui.emptyNote.hidden = conversation.length > 0;
    ui.clear.disabled = conversation.length === 0 && !pending;
    // aria-disabled rather than disabled, so the button keeps keyboard focus while it waits.
    ui.send.setAttribute("aria-disabled", pending ? "true" : "false");
    ui.send.textContent = pending ? "Wait…" : "Send";
  }

  // ---- Asking ----

  function errorMessage(status, body) {
    const detail =
      body && body.error && typeof body.error.message === "string" ? body.error.message : "";
    if (status === 400)
      return `That question could not be asked. ${detail || "The request was not valid."}`;
    if (status === 413) return "That question is too long to send. Please shorten it.";
    if (status === 503) {
      return `The articles cannot be searched right now. ${detail || "Please try again in a moment."}`;
    }
    return `The server could not answer (error ${status}). Please try again.`;
  }

  async function fetchReply(question) {
    let response;
    try {
      response = await fetch("/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ question, k: PASSAGES_PER_QUESTION }),
      });
    } catch {
      return {
        kind: "error",
        message:
          "Could not reach the server. Check your connection, or that the server is running, and try again.",
      };
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON: handled below by status.
    }
    if (response.ok && body && Array.isArray(body.passages))
      return { kind: "reply", response: body };
    if (response.ok)
      return {
        kind: "error",
        message: "The server sent a reply this page cannot read. Please try again.",
      };
    return { kind: "error", message: errorMessage(response.status, body) };
  }

  function scrollToBottom() {
    window.scrollTo({ top: document.documentElement.scrollHeight });
  }

  async function ask(question) {
    const asked = generation;
    pending = true;
    const entry = { kind: "question", text: question };
    conversation.push(entry);
    saveConversation();
    const working = workingItem();
    ui.thread.append(entryItem(entry), working);
    updateControls();
    scrollToBottom();
    ui.announcer.textContent = "Searching the articles…";

    const result = await fetchReply(question);
    pending = false;
    if (asked !== generation) {
      updateControls(); // cleared while waiting: the reply belongs to nothing now
      return;
    }
    conversation.push(result);
    saveConversation();
    const item = entryItem(result);
    working.replaceWith(item);
    updateControls();
    ui.announcer.textContent = summary(result);
    if (result.kind === "error" && !ui.question.value) {
      ui.question.value = question; // so it can be fixed and sent again
      fitTextarea();
    }
    item.scrollIntoView({ block: "start" });
  }

  function fitTextarea() {
    ui.question.style.height = "auto";
    ui.question.style.height = `${Math.min(ui.question.scrollHeight + 2, TEXTAREA_MAX_PX)}px`;
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (pending) {
      ui.hint.textContent = "Wait for the reply to the last question first.";
      return;
    }
    const question = ui.question.value.trim();
    if (!question) {
      ui.hint.textContent = "Type a question first.";
      ui.question.focus();
      return;
    }
    ui.hint.textContent = HINT_TEXT;
    ui.question.value = "";
    fitTextarea();
    ask(question);
  });

  ui.question.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    ui.form.requestSubmit();
  });

  ui.question.addEventListener("input", () => {
    if (ui.hint.textContent !== HINT_TEXT && !pending) ui.hint.textContent = HINT_TEXT;
    fitTextarea();
  });

  ui.clear.addEventListener("click", () => {
    generation += 1;
    pending = false;
    conversation = [];
    saveConversation();
    renderConversation();
    ui.hint.textContent = HINT_TEXT;
    ui.question.focus();
  });

  ui.thread.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.cite-link") : null;
    if (link) lastCitation = link;
  });

  // ---- The article view ----

  function clearArticle() {
    for (const node of [
      ui.articleTitle,
      ui.articleMeta,
      ui.articleLink,
      ui.articleBody,
      ui.articleCredits,
    ]) {
      node.replaceChildren();
    }
  }

  /** Only web links become clickable; anything else (javascript:, data:) is shown as text. */
  function safeUrl(url) {
    if (typeof url !== "string") return null;
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  /** The text the thread cited at these offsets, if the conversation holds it. */
  function citedText(articleId, start, end) {
    for (const entry of conversation) {
      if (entry.kind !== "reply") continue;
      const { passages = [], answer = [] } = entry.response;
      const spans = [
        ...passages.map((p) => ({ ...p.citation, text: p.text })),
        ...(Array.isArray(answer) ? answer : []),
      ];
      const found = spans.find(
        (s) => s.article_id === articleId && s.start === start && s.end === end,
      );
      if (found && typeof found.text === "string") return found.text;
    }
    return null;
  }

  /**
   * Where to mark: body[start:end], unless the thread knows the cited text and the article has
   * changed since (a newer index), in which case the text is looked for where it now is.
   */
  function citedSpan(body, articleId, start, end) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start >= end)
      return null;
    const expected = citedText(articleId, start, end);
    if (expected === null || body.slice(start, end) === expected) {
      return end <= body.length ? [start, end] : null;
    }
    const moved = body.indexOf(expected);
    return moved >= 0 ? [moved, moved + expected.length] : null;
  }

  function fillArticle(article, start, end) {
    document.title = `${article.title} · qa-news`;
    ui.articleTitle.textContent = article.title;
    const meta = [
      dateElement(article.date),
      article.source ? `Source: ${article.source}` : null,
    ].filter(Boolean);
    meta.forEach((part, i) => {
      if (i)
        ui.articleMeta.append(el("span", { className: "separator", "aria-hidden": "true" }, " · "));
      ui.articleMeta.append(part);
    });
    const href = safeUrl(article.url);
    if (href) {
      ui.articleLink.append(
        el(
          "a",
          { href, target: "_blank", rel: "noopener noreferrer" },
          "Read the original article",
        ),
      );
    } else if (article.url) {
      ui.articleLink.append(`Original: ${article.url}`);
    }

    const body = typeof article.body === "string" ? article.body : "";
    const span = citedSpan(body, article.id, start, end);
    let mark = null;
    if (span) {
      mark = el("mark", { className: "cited" }, body.slice(span[0], span[1]));
      ui.articleBody.append(body.slice(0, span[0]), mark, body.slice(span[1]));
    } else {
      ui.articleBody.append(body);
      if (Number.isInteger(start)) {
        ui.articleStatus.textContent =
          "The cited passage is no longer in this article; it has changed since.";
      }
    }
    const credits = Array.isArray(article.credits) ? article.credits : [];
    ui.articleCredits.replaceChildren(...credits.map((credit) => el("li", {}, String(credit))));

    ui.articleTitle.focus({ preventScroll: true });
    window.scrollTo({ top: 0 });
    // A passage near the top is seen with the title; one further down is scrolled to.
    if (mark && mark.getBoundingClientRect().top > window.innerHeight * 0.6) {
      mark.scrollIntoView({ block: "start" });
    }
  }

  async function showArticle(route) {
    const request = ++articleRequest;
    clearArticle();
    ui.articleStatus.textContent = "Loading the article…";
    document.title = "Article · qa-news";
    window.scrollTo({ top: 0 });
    let response;
    let body = null;
    try {
      response = await fetch(`/articles/${encodeURIComponent(route.id)}`, {
        headers: { Accept: "application/json" },
      });
      body = await response.json();
    } catch {
      body = null;
    }
    if (request !== articleRequest) return; // the reader moved on meanwhile
    if (response && response.ok && body && typeof body.title === "string") {
      ui.articleStatus.textContent = "";
      fillArticle(body, route.start, route.end);
    } else if (response && response.status === 404) {
      ui.articleStatus.textContent = "This article is not in the collection any more.";
    } else if (response) {
      ui.articleStatus.textContent = errorMessage(response.status, body);
    } else {
      ui.articleStatus.textContent =
        "Could not reach the server to load this article. Please try again.";
    }
  }

  function goBack() {
    if (cameFromChat) {
      history.back();
    } else {
      history.replaceState(null, "", location.pathname + location.search);
      route();
    }
  }

  ui.back.addEventListener("click", goBack);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !ui.articleView.hidden) goBack();
  });

  // ---- Routing ----

  function parseRoute() {
    const match = /^#\/article\/([^?]+)(?:\?(.*))?$/.exec(location.hash);
    if (!match) return { view: "chat" };
    try {
      const params = new URLSearchParams(match[2] || "");
      const number = (name) => (params.has(name) ? Number(params.get(name)) : null);
      return {
        view: "article",
        id: decodeURIComponent(match[1]),
        start: number("start"),
        end: number("end"),
      };
    } catch {
      return { view: "chat" };
    }
  }

  function route() {
    const next = parseRoute();
    const chatShown = !ui.chatView.hidden;
    if (next.view === "article") {
      if (chatShown) {
        chatScrollY = window.scrollY;
        cameFromChat = true;
      }
      ui.chatView.hidden = true;
      ui.composer.hidden = true;
      ui.articleView.hidden = false;
      showArticle(next);
      return;
    }
    articleRequest += 1;
    cameFromChat = false;
    document.title = "qa-news: ask your news articles";
    ui.articleView.hidden = true;
    ui.chatView.hidden = false;
    ui.composer.hidden = false;
    if (!chatShown) {
      window.scrollTo({ top: chatScrollY });
      if (lastCitation && lastCitation.isConnected) lastCitation.focus({ preventScroll: true });
    }
  }

  history.scrollRestoration = "manual";
  window.addEventListener("hashchange", route);
  window.addEventListener("storage", (event) => {
    // Another tab changed or cleared the conversation: show the same one here.
    if (event.key === STORAGE_KEY && !pending) {
      conversation = loadConversation();
      renderConversation();
    }
  });

  closeUnanswered();
  renderConversation();
  if (parseRoute().view === "chat") {
    route();
    scrollToBottom();
  } else {
    // Opened straight on an article: Back must not leave the page, so it shows the conversation.
    ui.chatView.hidden = true;
    route();
  }
})();
