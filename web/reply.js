// One reply of the thread, compact: the answer on top (the short answer in large type above its
// sentence), then the passages grouped by article (title, date and outlet once), each shown as
// the sentences around its best one and expandable to the whole passage in place.

import { articleHref, dateElement, el, formatDate, joined } from "./dom.js";
import { contextLine } from "./understood.js";

const EXCERPT_MAX_CHARS = 300; // the best sentence, and neighbours while they fit
const COPIES_SHOWN = 3; // outlets named under a citation; the others are counted
const QUESTION_STOPWORDS = new Set(
  `a an the and or of to in on at for by with from about as is are was were be been being do does
  did has have had what which who whom whose when where why how this that these those it its
  there their they he she his her not no yes can could would should will may might must`.split(/\s+/),
);

// ---- Sentences and excerpts ----

/** [start, end) of each sentence of a text: ends at . ! ? (and closing quotes) before a
 * capital, a digit or an opening quote, or at a paragraph break. */
export function sentenceRanges(text) {
  const ranges = [];
  const boundary = /[.!?]["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])|\n\s*\n/g;
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].trimEnd().length;
    if (end > start) ranges.push([start, end]);
    start = match.index + match[0].length;
  }
  if (start < text.length && text.slice(start).trim()) ranges.push([start, text.trimEnd().length]);
  return ranges.length ? ranges : [[0, text.length]];
}

function words(text) {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [])
    .filter((word) => word.length > 2 && !QUESTION_STOPWORDS.has(word))
    .map((word) => word.slice(0, 6)); // a crude stem: "signed" and "signing" meet
}

/** Where each answer sentence sits inside its passage text, as [start, end) pairs. */
export function answerRanges(passage, answers) {
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

/** The part of a passage to show: around its answer sentence, else around the sentence that
 * shares most words with the question; [start, end) in the passage text. */
export function excerptRange(text, question, marked) {
  const sentences = sentenceRanges(text);
  let best = 0;
  if (marked.length) {
    best = Math.max(0, sentences.findIndex(([, end]) => end > marked[0][0]));
  } else {
    const asked = new Set(words(question || ""));
    let bestScore = -1;
    sentences.forEach(([start, end], i) => {
      const score = new Set(words(text.slice(start, end)).filter((w) => asked.has(w))).size;
      if (score > bestScore) [best, bestScore] = [i, score];
    });
  }
  let [first, last] = [best, best];
  let start = sentences[first][0];
  let end = marked.length ? Math.max(sentences[last][1], marked[0][1]) : sentences[last][1];
  // Widen by whole sentences, after first then before, while the excerpt stays short.
  for (const step of [1, -1, 1, -1]) {
    const next = step > 0 ? last + 1 : first - 1;
    if (next < 0 || next >= sentences.length) continue;
    const [nextStart, nextEnd] = sentences[next];
    const widened = step > 0 ? nextEnd - start : end - nextStart;
    if (widened > EXCERPT_MAX_CHARS) continue;
    if (step > 0) [last, end] = [next, Math.max(end, nextEnd)];
    else [first, start] = [next, nextStart];
  }
  return [start, end];
}

/** `text[from:to]` as a paragraph, with the marked ranges inside it marked. */
function markedText(text, from, to, marked, className = "passage-text") {
  const paragraph = el("p", { className });
  let at = from;
  if (from > 0) paragraph.append("… ");
  for (const [start, end] of marked) {
    const [s, e] = [Math.max(start, from), Math.min(end, to)];
    if (e <= s) continue;
    paragraph.append(text.slice(at, s), el("mark", { className: "answer-mark" }, text.slice(s, e)));
    at = e;
  }
  paragraph.append(text.slice(at, to));
  if (to < text.trimEnd().length) paragraph.append(" …");
  return paragraph;
}

// ---- The parts of a reply ----

function passageItem(passage, number, answers, question) {
  const text = passage.text;
  const marked = answerRanges(passage, answers);
  const [from, to] = excerptRange(text, question, marked);
  const citation = passage.citation;
  const sentence = answers[0] ? [answers[0].start, answers[0].end] : null;
  const title = citation.title || citation.article_id;
  const item = el(
    "li",
    { className: answers.length ? "passage holds-answer" : "passage" },
    el(
      "a",
      {
        className: "passage-number",
        href: articleHref(citation.article_id, [citation.start, citation.end], sentence),
        "aria-label": `Passage ${number}: open “${title}” at this passage`,
      },
      String(number),
    ),
  );
  const excerpt = markedText(text, from, to, marked, "passage-text excerpt");
  item.append(excerpt);
  if (from > 0 || to < text.trimEnd().length) {
    const whole = markedText(text, 0, text.length, marked);
    whole.hidden = true;
    const toggle = el(
      "button",
      { type: "button", className: "more-button", "aria-expanded": "false" },
      "Whole passage",
    );
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Less" : "Whole passage";
      excerpt.hidden = open;
      whole.hidden = !open;
    });
    item.append(whole, toggle);
  }
  return item;
}

/** "also reported by A, B, and 2 more": each outlet's copy a link to its article view; the
 * rest counted, linked to the cited article's view, which lists them all. */
function copiesLine(citation) {
  const copies = Array.isArray(citation.copies) ? citation.copies : [];
  const shown = [];
  const outlets = new Set();
  for (const copy of copies) {
    if (!copy || typeof copy.article_id !== "string") continue;
    const outlet = copy.source || copy.title || copy.article_id;
    if (outlets.has(outlet) || shown.length === COPIES_SHOWN) continue;
    outlets.add(outlet);
    shown.push(
      el(
        "a",
        {
          className: "copy-link",
          href: articleHref(copy.article_id),
          title: [copy.title, formatDate(copy.date)].filter(Boolean).join(", "),
          "aria-label": `${outlet}: “${copy.title || copy.article_id}”`,
        },
        outlet,
      ),
    );
  }
  if (!shown.length) return null;
  const line = el("span", { className: "copies" }, "also reported by ");
  shown.forEach((link, i) => line.append(i ? ", " : "", link));
  const rest = copies.length - shown.length;
  if (rest > 0) {
    line.append(
      ", ",
      el("a", { className: "copy-link", href: articleHref(citation.article_id) }, `${rest} more`),
    );
  }
  return line;
}

/** The passages (those at `indices`, all by default) under their articles, articles in the
 * order of their best passage. */
function articleGroups(passages, answers, question, indices = passages.map((_, i) => i)) {
  const groups = new Map();
  for (const i of indices) {
    const id = passages[i].citation.article_id;
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id).push(i);
  }
  const list = el("ol", { className: "articles" });
  for (const [id, members] of groups) {
    const first = passages[members[0]].citation;
    const title = first.title || id;
    const heading = el(
      "p",
      { className: "citation" },
      ...joined([
        el(
          "a",
          {
            className: "cite-link",
            href: articleHref(id, [first.start, first.end]),
            "aria-label": `Open “${title}”`,
          },
          title,
        ),
        dateElement(first.date),
        first.source ? el("span", { className: "source" }, first.source) : null,
        copiesLine(first),
      ]),
    );
    const items = members.map((i) =>
      passageItem(
        passages[i],
        i + 1,
        answers.filter((answer) => answer.passage === i + 1),
        question,
      ),
    );
    list.append(el("li", { className: "article-group" }, heading, el("ol", { className: "passages" }, ...items)));
  }
  return list;
}

/** The passages by their article's day, oldest first (undated ones last), for "how has X
 * developed" questions. */
function timeline(passages, answers, question) {
  const days = new Map();
  passages.forEach((passage, i) => {
    const day = typeof passage.citation.date === "string" ? passage.citation.date.slice(0, 10) : "";
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(i);
  });
  const order = [...days.keys()].sort((a, b) => (!a ? 1 : !b ? -1 : a.localeCompare(b)));
  return el(
    "ol",
    { className: "timeline" },
    ...order.map((day) =>
      el(
        "li",
        { className: "day" },
        el("h4", { className: "day-heading" }, day ? dateElement(day) : "Undated"),
        articleGroups(passages, answers, question, days.get(day)),
      ),
    ),
  );
}

/** The passages, by day for a timeline question (with a switch to best first), else by rank. */
function passageList(response, passages, answers, question) {
  const understood = response.understood || {};
  if (!understood.timeline) return [articleGroups(passages, answers, question)];
  const byDay = timeline(passages, answers, question);
  const byRank = articleGroups(passages, answers, question);
  byRank.hidden = true;
  const shown = el("span", {}, "Passages by day");
  const toggle = el("button", { type: "button", className: "link-button view-toggle" }, "show best first");
  const label = el("p", { className: "view-label" }, shown, " · ", toggle);
  toggle.addEventListener("click", () => {
    const days = byRank.hidden; // by day now: switch to best first
    byDay.hidden = days;
    byRank.hidden = !days;
    shown.textContent = days ? "Passages best first" : "Passages by day";
    toggle.textContent = days ? "show by day" : "show best first";
  });
  return [label, byDay, byRank];
}

function answerBlock(answers, passages) {
  const block = el("div", { className: "answer" }, el("h3", { className: "visually-hidden" }, "Answer"));
  const short = answers[0] && answers[0].short;
  if (short && typeof short.text === "string" && short.text) {
    block.append(el("p", { className: "short-answer" }, short.text));
  }
  for (const answer of answers) {
    const passage = passages[answer.passage - 1];
    const line = el("p", { className: "answer-text" }, answer.text);
    if (passage) {
      const citation = passage.citation;
      line.append(
        " ",
        el(
          "a",
          {
            className: "cite-link cite-number",
            href: articleHref(
              answer.article_id || citation.article_id,
              [citation.start, citation.end],
              [answer.start, answer.end],
            ),
            "aria-label": `Source: passage ${answer.passage}, “${citation.title || citation.article_id}”`,
          },
          `[${answer.passage}]`,
        ),
      );
    }
    block.append(line);
  }
  return block;
}

// ---- Thread items ----

export function questionItem(text) {
  return el(
    "li",
    { className: "message question" },
    el("span", { className: "visually-hidden" }, "You asked: "),
    el("p", { className: "question-text" }, text),
  );
}

export function errorItem(message) {
  return el("li", { className: "message error", "data-kind": "error" }, el("p", { className: "error-text" }, message));
}

export function workingItem() {
  return el(
    "li",
    { className: "message reply working", "aria-busy": "true" },
    el("p", { className: "working-text" }, "Searching the articles", el("span", { className: "dots", "aria-hidden": "true" })),
  );
}

/** A reply to `question` (the server's answer as it came), asked with `request` (the fields
 * sent beside the question and thread, and `alone` when sent without the thread). */
export function replyItem(response, question, request = {}) {
  const item = el("li", { className: "message reply" });
  const passages = Array.isArray(response.passages) ? response.passages : [];
  const answers = Array.isArray(response.answer) ? response.answer : [];
  const context = contextLine(response, request);
  if (context) item.append(context);
  if (!passages.length) {
    item.append(el("p", { className: "verdict" }, summary({ kind: "reply", response })));
  } else if (response.answerable === false) {
    item.append(
      el("p", { className: "verdict" }, "I found nothing in the articles that answers this question."),
      el(
        "details",
        { className: "closest" },
        el("summary", {}, `Show the ${passages.length} closest passages anyway (not answers)`),
        articleGroups(passages, [], question),
      ),
    );
  } else {
    if (answers.length) item.append(answerBlock(answers, passages));
    item.append(...passageList(response, passages, answers, question));
  }
  return item;
}

/** One sentence on a reply, for screen readers. */
export function summary(entry) {
  if (entry.kind === "error") return entry.message;
  const passages = entry.response.passages;
  const understood = entry.response.understood || {};
  if (!passages.length) {
    return understood.window === "filter" || (understood.sources || []).length
      ? "No article matches these filters."
      : "There are no articles to search yet.";
  }
  if (entry.response.answerable === false) return "Nothing in the articles answers this question.";
  const answers = Array.isArray(entry.response.answer) ? entry.response.answer : [];
  const short = answers[0] && answers[0].short ? `${answers[0].short.text}. ` : "";
  const lead = answers.length ? `Answer: ${short}${answers.map((a) => a.text).join(" ")} ` : "";
  return `${lead}${passages.length} passages found, the best from “${passages[0].citation.title}”.`;
}
