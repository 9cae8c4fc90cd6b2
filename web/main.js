// The chat page: conversations of questions and cited replies, and an article view for citations.
//
// Modules: api.js (the server), conversation.js (the conversations in localStorage, and the
// thread sent with a question), reply.js (how a reply looks; understood.js: its line of how the
// question was read), article.js (the article view),
// composer.js (the question box), filters.js (dates, outlets, newest first), switcher.js (the
// list of conversations), dom.js (making elements from data, as text only). This one wires
// them: asking with the thread, asking again (on its own, without the time words), clearing
// with undo, starting and switching conversations, routing.
// Routing: "#/article/<id>?..." shows an article (see article.js); any other hash shows the
// conversation, which stays in the page (only hidden), so going back finds it as it was.

import { ask, loadLimits } from "./api.js";
import { ArticleView, parseArticleRoute } from "./article.js";
import { Composer } from "./composer.js";
import * as conversation from "./conversation.js";
import { today } from "./dom.js";
import { FiltersControl, requestFields } from "./filters.js";
import { errorItem, questionItem, replyItem, summary, workingItem } from "./reply.js";
import { Switcher } from "./switcher.js";

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
  newConversation: $("new-conversation"),
  conversations: $("conversations"),
  conversationsSummary: $("conversations-summary"),
  conversationList: $("conversation-list"),
  filters: $("filters"),
  filtersSummary: $("filters-summary"),
  filterSince: $("filter-since"),
  filterUntil: $("filter-until"),
  outletList: $("outlet-list"),
  filtersReset: $("filters-reset"),
  filtersDone: $("filters-done"),
  filterChips: $("filter-chips"),
  newestFirst: $("newest-first"),
  back: $("back"),
  toolbarTitle: $("toolbar-title"),
  articleStatus: $("article-status"),
  articleTitle: $("article-title"),
  articleMeta: $("article-meta"),
  articleLink: $("article-link"),
  articleBody: $("article-body"),
  articleCredits: $("article-credits"),
  articleCopies: $("article-copies"),
};

let conversations = [];
let current = null; // the conversation shown
const cleared = new Map(); // conversation id -> the entries "Clear" removed, until Undo or its next question
let pending = null; // {conversation, question, replacing}: the question being answered
let limits = { maxQuestionChars: null };
let chatScrollY = 0;
let cameFromChat = false; // whether history.back() returns to the conversation
let lastCitation = null; // the link followed, to give focus back on return

function loadStore() {
  const stored = conversation.load();
  conversations = stored.conversations;
  current = conversations.find((c) => c.id === stored.current) || null;
  if (!current) {
    current = conversation.newConversation();
    conversations.unshift(current);
  }
}

function persist() {
  conversation.save(conversations, current.id);
  switcher.show(conversations, current.id, cleared);
}

function touch(talk) {
  talk.updated = Date.now();
}

function allEntries() {
  return [...conversations.flatMap((c) => c.entries), ...[...cleared.values()].flat()];
}

const composer = new Composer(ui, (question) => send(question));
const articleView = new ArticleView(ui, allEntries);
const switcher = new Switcher(ui, (id) => switchTo(id));
const filters = new FiltersControl(
  ui,
  () => current.filters,
  (chosen) => {
    current.filters = conversation.cleanFilters(chosen);
    persist();
  },
);

// ---- The thread ----

function entryItem(entry, index) {
  if (entry.kind === "question") return questionItem(entry.text);
  if (entry.kind === "reply") {
    const asked = current.entries[index - 1];
    const item = replyItem(entry.response, asked && asked.kind === "question" ? asked.text : "", entry.request || {});
    item.dataset.index = String(index);
    return item;
  }
  return errorItem(entry.message);
}

function render() {
  const mine = pending && pending.conversation === current ? pending : null;
  const nodes = current.entries.map((entry, i) =>
    mine && mine.replacing === entry ? workingItem() : entryItem(entry, i),
  );
  if (mine && !mine.replacing && current.entries[current.entries.length - 1] === mine.question) {
    nodes.push(workingItem());
  }
  ui.thread.replaceChildren(...nodes);
  updateControls();
}

function updateControls() {
  const wasCleared = cleared.has(current.id);
  ui.emptyNote.hidden = current.entries.length > 0 || wasCleared;
  ui.undoBar.hidden = !wasCleared;
  ui.clear.disabled = current.entries.length === 0 && !(pending && pending.conversation === current);
  ui.newConversation.disabled = current.entries.length === 0 && !wasCleared;
  composer.setBusy(pending !== null);
  filters.show();
}

/** A question saved without its reply: the page was closed or reloaded while it was asked. */
function closeUnanswered() {
  for (const talk of conversations) {
    const last = talk.entries[talk.entries.length - 1];
    if (last && last.kind === "question") {
      talk.entries.push({
        kind: "error",
        message: "No reply arrived before the page was reloaded. Ask again to get one.",
      });
    }
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

function showEnd() {
  ui.threadRoom.style.height = "0px";
  window.scrollTo({ top: document.documentElement.scrollHeight });
}

/** Ask `question` in `talk` with the request `fields` and the thread `history`; the result
 * becomes the reply after `entry` (the question), or replaces `replacing` (asking again). */
async function put(talk, entry, replacing, fields, history) {
  const mine = { conversation: talk, question: entry, replacing };
  pending = mine;
  const body = { ...fields };
  delete body.alone;
  if (history.length) body.history = history;
  const result = await ask(entry.text, limits, body);
  if (pending === mine) pending = null;
  const at = talk.entries.indexOf(entry);
  if (at < 0) {
    if (talk === current) updateControls(); // cleared while waiting: the reply belongs to nothing now
    return null;
  }
  const made = result.kind === "reply" ? { kind: "reply", response: result.response, request: fields } : result;
  if (replacing && result.kind === "error") {
    if (talk === current) {
      render();
      composer.note(result.message); // the earlier reply stays
    }
    ui.announcer.textContent = result.message;
    return result;
  }
  const old = talk.entries[at + 1];
  talk.entries.splice(at + 1, replacing && old === replacing ? 1 : 0, made);
  touch(talk);
  persist();
  ui.announcer.textContent = summary(made);
  return made;
}

async function send(question) {
  const talk = current;
  cleared.delete(talk.id); // a new question ends the chance to undo a clear
  const history = conversation.historyTurns(talk.entries);
  const fields = requestFields(talk.filters, today());
  const entry = { kind: "question", text: question };
  talk.entries.push(entry);
  touch(talk);
  persist();
  const questionNode = entryItem(entry, talk.entries.length - 1);
  const working = workingItem();
  ui.thread.append(questionNode, working);
  pending = { conversation: talk, question: entry, replacing: null }; // until put() takes over
  updateControls();
  showQuestion(questionNode);
  ui.announcer.textContent = "Searching the articles…";

  const made = await put(talk, entry, null, fields, history);
  if (talk !== current) return;
  const at = talk.entries.indexOf(entry);
  if (made && working.isConnected) working.replaceWith(entryItem(made, at + 1));
  else render();
  updateControls();
  if (made && made.kind === "error") composer.restore(question); // to fix and send again
  const node = ui.thread.children[at];
  if (node) showQuestion(node);
}

/** Ask the question of the reply at `index` again with `change` to how it was asked:
 * {alone: true} (without the thread) or {time_words: false} (without its time window). */
async function askAgain(index, change) {
  if (pending) {
    composer.note("Wait for the reply to the last question first.");
    return;
  }
  const talk = current;
  const reply = talk.entries[index];
  const entry = talk.entries[index - 1];
  if (!reply || reply.kind !== "reply" || !entry || entry.kind !== "question") return;
  const before = reply.request || requestFields(talk.filters, today());
  const fields = { ...before, ...change };
  const history = fields.alone ? [] : conversation.historyTurns(talk.entries.slice(0, index - 1));
  pending = { conversation: talk, question: entry, replacing: reply };
  render();
  const questionNode = ui.thread.children[index - 1];
  showQuestion(questionNode);
  ui.announcer.textContent = "Asking again…";
  await put(talk, entry, reply, fields, history);
  if (talk !== current) return;
  render();
  const at = talk.entries.indexOf(entry);
  if (ui.thread.children[at]) showQuestion(ui.thread.children[at]);
}

ui.thread.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const link = target ? target.closest("a[href^='#/article/']") : null;
  if (link) lastCitation = link;
  const action = target ? target.closest("button[data-action]") : null;
  const reply = action ? action.closest("li.reply[data-index]") : null;
  if (!reply) return;
  const index = Number(reply.dataset.index);
  if (action.dataset.action === "alone") askAgain(index, { alone: true });
  if (action.dataset.action === "drop-time") askAgain(index, { time_words: false });
});

ui.clear.addEventListener("click", () => {
  ui.threadRoom.style.height = "0px";
  if (pending && pending.conversation === current) pending = null; // its reply will find no question
  if (current.entries.length) cleared.set(current.id, current.entries);
  current.entries = [];
  persist();
  render();
  ui.announcer.textContent = "Conversation cleared.";
  ui.question.focus();
});

ui.undo.addEventListener("click", () => {
  const removed = cleared.get(current.id);
  if (!removed) return;
  current.entries = [...removed, ...current.entries];
  cleared.delete(current.id);
  persist();
  render();
  ui.announcer.textContent = "Conversation restored.";
  ui.question.focus();
});

ui.newConversation.addEventListener("click", () => {
  if (current.entries.length || cleared.has(current.id)) {
    current = conversation.newConversation();
    conversations.unshift(current);
    persist();
    render();
    showEnd();
  }
  ui.announcer.textContent = "New conversation.";
  ui.question.focus();
});

function switchTo(id) {
  const chosen = conversations.find((c) => c.id === id);
  if (!chosen || chosen === current) return;
  current = chosen;
  persist();
  render();
  showEnd();
  ui.announcer.textContent = `Conversation: ${conversation.title(current)}.`;
  ui.question.focus({ preventScroll: true });
}

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
  // Another tab changed the conversations: show them here too, this tab's own one still shown.
  if (event.key !== conversation.STORAGE_KEY || pending) return;
  const shown = current.id;
  loadStore();
  const same = conversations.find((c) => c.id === shown);
  if (same) current = same;
  else if (!conversations.includes(current)) conversations.unshift(current);
  switcher.show(conversations, current.id, cleared);
  render();
});

loadStore();
closeUnanswered();
persist();
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
