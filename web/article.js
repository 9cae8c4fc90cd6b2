// The article view: a cited article with its passage marked lightly and the answer sentence
// inside it strongly, scrolled so that both the marked sentence and the title are clear (the
// title stays in the toolbar when the body is scrolled).

import { loadArticle } from "./api.js";
import { citedArticles, citedText } from "./conversation.js";
import { articleHref, dateElement, el, joined, safeUrl } from "./dom.js";

/** "#/article/<id>?start=S&end=E&sstart=A&send=B" -> {id, passage, sentence}, or null. */
export function parseArticleRoute(hash) {
  const match = /^#\/article\/([^?]+)(?:\?(.*))?$/.exec(hash);
  if (!match) return null;
  try {
    const params = new URLSearchParams(match[2] || "");
    const pair = (a, b) => {
      const values = [a, b].map((name) => (params.has(name) ? Number(params.get(name)) : null));
      return values.every(Number.isInteger) ? values : null;
    };
    return {
      id: decodeURIComponent(match[1]),
      passage: pair("start", "end"),
      sentence: pair("sstart", "send"),
    };
  } catch {
    return null;
  }
}

/**
 * Where to mark: body[start:end], unless the conversation knows the cited text and the article
 * has changed since (a newer index), in which case the text is looked for where it now is.
 */
function locate(body, entries, articleId, range) {
  if (!range) return null;
  const [start, end] = range;
  if (start < 0 || start >= end) return null;
  const expected = citedText(entries, articleId, start, end);
  if (expected === null || body.slice(start, end) === expected) {
    return end <= body.length ? [start, end] : null;
  }
  const moved = body.indexOf(expected);
  return moved >= 0 ? [moved, moved + expected.length] : null;
}

/** The body as text nodes, the passage in a light mark, the sentence in a strong one. */
function markedBody(body, passage, sentence) {
  if (passage && sentence && !(sentence[0] >= passage[0] && sentence[1] <= passage[1])) {
    passage = null; // the two no longer nest (an edited article): mark the sentence alone
  }
  const outer = passage || sentence;
  if (!outer) return { nodes: [body], target: null };
  const strong = sentence ? el("mark", { className: "cited-sentence" }) : null;
  let inner;
  if (passage) {
    const light = el("mark", { className: "cited-passage" });
    if (strong) {
      strong.append(body.slice(sentence[0], sentence[1]));
      light.append(body.slice(passage[0], sentence[0]), strong, body.slice(sentence[1], passage[1]));
    } else {
      light.append(body.slice(passage[0], passage[1]));
    }
    inner = light;
  } else {
    strong.append(body.slice(sentence[0], sentence[1]));
    inner = strong;
  }
  return {
    nodes: [body.slice(0, outer[0]), inner, body.slice(outer[1])],
    target: strong || inner,
    passage: passage ? inner : null,
  };
}

export class ArticleView {
  constructor(ui, entries) {
    this.ui = ui;
    this.entries = entries; // () => the conversation, to tell "removed since" and find moved text
    this.request = 0; // only the latest article fetch may fill the view
  }

  clear() {
    const ui = this.ui;
    for (const node of [ui.articleTitle, ui.articleMeta, ui.articleLink, ui.articleCopies, ui.articleBody, ui.articleCredits]) {
      node.replaceChildren();
    }
    ui.toolbarTitle.textContent = "";
    ui.articleStatus.textContent = "";
  }

  /** Drop any article fetch still under way (the reader went back). */
  cancel() {
    this.request += 1;
  }

  async show(route) {
    const request = ++this.request;
    const ui = this.ui;
    this.clear();
    ui.articleStatus.textContent = "Loading the article…";
    document.title = "Article · qa-news";
    window.scrollTo({ top: 0 });
    const result = await loadArticle(route.id);
    if (request !== this.request) return; // the reader moved on meanwhile
    if (result.article) {
      ui.articleStatus.textContent = "";
      this.fill(result.article, route);
    } else if (result.missing) {
      ui.articleStatus.textContent = citedArticles(this.entries()).has(route.id)
        ? "This article has been removed from the collection since it was cited."
        : "There is no such article in the collection. The link may be mistyped or out of date.";
    } else {
      ui.articleStatus.textContent = result.message;
    }
  }

  fill(article, route) {
    const ui = this.ui;
    document.title = `${article.title} · qa-news`;
    ui.articleTitle.textContent = article.title;
    ui.toolbarTitle.textContent = article.title;
    ui.articleMeta.append(
      ...joined([dateElement(article.date), article.source ? `Source: ${article.source}` : null]),
    );
    const href = safeUrl(article.url);
    if (href) {
      ui.articleLink.append(
        el("a", { href, target: "_blank", rel: "noopener noreferrer" }, "Read the original article"),
      );
    } else if (article.url) {
      ui.articleLink.append(`Original: ${article.url}`);
    }
    this.fillCopies(Array.isArray(article.copies) ? article.copies : []);
    const body = typeof article.body === "string" ? article.body : "";
    const entries = this.entries();
    const passage = locate(body, entries, article.id, route.passage);
    const sentence = locate(body, entries, article.id, route.sentence);
    const marked = markedBody(body, passage, sentence);
    ui.articleBody.append(...marked.nodes);
    if (!marked.target && (route.passage || route.sentence)) {
      ui.articleStatus.textContent =
        "The cited passage is no longer in this article; it has changed since.";
    }
    const credits = Array.isArray(article.credits) ? article.credits : [];
    ui.articleCredits.replaceChildren(...credits.map((credit) => el("li", {}, String(credit))));
    ui.articleTitle.focus({ preventScroll: true });
    window.scrollTo({ top: 0 });
    if (marked.target) this.scrollTo(marked.target, marked.passage);
  }

  /** "Also reported by": the other outlets' copies of the story, each linked to its view. */
  fillCopies(copies) {
    const items = copies
      .filter((copy) => copy && typeof copy.article_id === "string")
      .map((copy) =>
        el(
          "li",
          {},
          el("a", { href: articleHref(copy.article_id) }, copy.title || copy.article_id),
          " ",
          el("span", { className: "copy-facts" }, ...joined([copy.source, dateElement(copy.date)])),
        ),
      );
    if (items.length) {
      this.ui.articleCopies.append(
        el("h3", { className: "copies-heading" }, "Also reported by"),
        el("ul", { className: "copies-list" }, ...items),
      );
    }
  }

  /** Keep the title in view when the marks are near it; else bring the passage's start (or
   * the sentence, when the passage is long) a third of the way down, under the toolbar that
   * names the article. */
  scrollTo(target, passage) {
    const view = window.innerHeight;
    const sentence = target.getBoundingClientRect();
    if (sentence.bottom <= view * 0.85) return; // seen at once, with the title above it
    const from = passage ? passage.getBoundingClientRect() : sentence;
    let top = from.top;
    if (sentence.bottom - top > view * 0.6) top = sentence.top; // a long passage
    window.scrollTo({ top: Math.max(0, window.scrollY + top - view * 0.3) });
  }
}
