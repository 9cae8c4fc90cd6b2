// The chat page: a thread of questions and cited replies, and an article view for citations.
//
// Modules: api.js (the server), conversation.js (the thread in localStorage), reply.js (how a
// reply looks), article.js (the article view), composer.js (the question box), dom.js (making
// elements from data, as text only). This one wires them: asking, clearing with undo, routing.
// Routing: "#/article/<id>?..." shows an article (see article.js); any other hash shows the
// conversation, which stays in the page (only hidden), so going back finds it as it was.

import { ask, loadLimits } from "./api.js";
import { ArticleView, parseArticleRoute } from "./article.js";
import { Composer } from "./composer.js";
import * as conversation from "./conversation.js";
import { errorItem, questionItem, replyItem, summary, workingItem } from "./reply.js";

const $ = (id) => document.getElementById(id);
const ui = {
  chatView: $("chat-view"),
  articleView: $("article-view"),
  composer: $("composer"),
  thread: $("thread"),
  threadRoom: $("thread-room"),
  announcer: $("announcer"),
  emptyNote: $("empty-note"),
  undoBar: $("undo-bar"),
  undo: $("undo"),
  form: $("ask-form"),
  question: $("question"),
  send: $("send"),
  note: $("composer-note"),
  keysHint: $("keys-hint"),
  counter: $("counter"),
  clear: $("clear"),
  back: $("back"),
  toolbarTitle: $("toolbar-title"),
  articleStatus: $("article-status"),
  articleTitle: $("article-title"),
  articleMeta: $("article-meta"),
  articleLink: $("article-link"),
  articleBody: $("article-body"),
  articleCredits: $("article-credits"),
};

let entries = conversation.load();
let cleared = null; // the entries "Clear" removed, until Undo or the next question
let generation = 0; // bumped by "Clear", so a reply to a cleared question is dropped
let pending = false;
let limits = { maxQuestionChars: null };
let chatScrollY = 0;
let cameFromChat = false; // whether history.back() returns to the conversation
let lastCitation = null; // the link followed, to give focus back on return

const composer = new Composer(ui, (question) => send(question));
const articleView = new ArticleView(ui, () => (cleared ? [...entries, ...cleared] : entries));

// ---- The thread ----

function entryItem(entry, index) {
  if (entry.kind === "question") return questionItem(entry.text);
  if (entry.kind === "reply") {
    const asked = entries[index - 1];
    return replyItem(entry.response, asked && asked.kind === "question" ? asked.text : "");
  }
  return errorItem(entry.message);
}

function render() {
  ui.thread.replaceChildren(...entries.map(entryItem));
  updateControls();
}

function updateControls() {
  ui.emptyNote.hidden = entries.length > 0 || cleared !== null;
  ui.undoBar.hidden = cleared === null;
  ui.clear.disabled = entries.length === 0 && !pending;
  composer.setBusy(pending);
}

/** A question saved without its reply: the page was closed or reloaded while it was asked. */
function closeUnanswered() {
  const last = entries[entries.length - 1];
  if (last && last.kind === "question") {
    entries.push({
      kind: "error",
      message: "No reply arrived before the page was reloaded. Ask again to get one.",
    });
    conversation.save(entries);
  }
}

/** The question at the top of the window, its reply (or the working note) under it. When what
 * follows the question is shorter than the window, room is added below it so it can get there. */
function showQuestion(item) {
  ui.threadRoom.style.height = "0px";
  const margin = parseFloat(getComputedStyle(item).scrollMarginTop) || 0;
  const fromQuestion = document.documentElement.scrollHeight - (item.getBoundingClientRect().top + window.scrollY);
  const room = window.innerHeight - fromQuestion + margin;
  if (room > 0) ui.threadRoom.style.height = `${Math.ceil(room)}px`;
  item.scrollIntoView({ block: "start" });
}

async function send(question) {
  const asked = generation;
  cleared = null; // a new question ends the chance to undo a clear
  pending = true;
  const entry = { kind: "question", text: question };
  entries.push(entry);
  conversation.save(entries);
  const questionNode = entryItem(entry, entries.length - 1);
  const working = workingItem();
  ui.thread.append(questionNode, working);
  updateControls();
  showQuestion(questionNode);
  ui.announcer.textContent = "Searching the articles…";

  const result = await ask(question, limits);
  pending = false;
  if (asked !== generation) {
    updateControls(); // cleared while waiting: the reply belongs to nothing now
    return;
  }
  entries.push(result);
  conversation.save(entries);
  working.replaceWith(entryItem(result, entries.length - 1));
  updateControls();
  ui.announcer.textContent = summary(result);
  if (result.kind === "error") composer.restore(question); // to fix and send again
  showQuestion(questionNode);
}

ui.clear.addEventListener("click", () => {
  generation += 1;
  ui.threadRoom.style.height = "0px";
  pending = false;
  if (entries.length) cleared = entries;
  entries = [];
  conversation.save(entries);
  render();
  ui.announcer.textContent = "Conversation cleared.";
  ui.question.focus();
});

ui.undo.addEventListener("click", () => {
  if (!cleared) return;
  entries = [...cleared, ...entries];
  cleared = null;
  conversation.save(entries);
  render();
  ui.announcer.textContent = "Conversation restored.";
  ui.question.focus();
});

ui.thread.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[href^='#/article/']") : null;
  if (link) lastCitation = link;
});

// ---- Routing ----

function goBack() {
  if (cameFromChat) {
    history.back();
  } else {
    history.replaceState(null, "", location.pathname + location.search);
    route();
  }
}

function route() {
  const article = parseArticleRoute(location.hash);
  const chatShown = !ui.chatView.hidden;
  if (article) {
    if (chatShown) {
      chatScrollY = window.scrollY;
      cameFromChat = true;
    }
    ui.chatView.hidden = true;
    ui.composer.hidden = true;
    ui.articleView.hidden = false;
    articleView.show(article);
    return;
  }
  articleView.cancel();
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

ui.back.addEventListener("click", goBack);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !ui.articleView.hidden) goBack();
});

history.scrollRestoration = "manual";
window.addEventListener("hashchange", route);
window.addEventListener("storage", (event) => {
  // Another tab changed or cleared the conversation: show the same one here.
  if (event.key === conversation.STORAGE_KEY && !pending) {
    entries = conversation.load();
    cleared = null;
    render();
  }
});

closeUnanswered();
render();
if (parseArticleRoute(location.hash)) {
  // Opened straight on an article: Back must not leave the page, so it shows the conversation.
  ui.chatView.hidden = true;
  route();
} else {
  route();
  window.scrollTo({ top: document.documentElement.scrollHeight });
}
loadLimits().then((found) => {
  limits = found;
  composer.setLimit(found.maxQuestionChars);
});
