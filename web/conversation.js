// The conversations, kept in the browser's localStorage: several, each a list of entries (a
// question, a reply: the server's answer as it came with how it was asked, or an error told in
// plain words) and the filters it asks with; one is current, and is shown again on reload.
// The thread a question is sent with is built here too (`historyTurns`), the way `qa chat`
// builds it (qa/chat.py, history_turn).

export const STORAGE_KEY = "qa-news.conversations.v2";
export const OLD_STORAGE_KEY = "qa-news.conversation.v1"; // one conversation, before there were several
export const MAX_HISTORY_TURNS = 20; // what POST /ask takes
const MAX_CONVERSATIONS = 30; // the oldest beyond this are dropped

function isEntry(entry) {
  if (!entry || typeof entry !== "object") return false;
  if (entry.kind === "question") return typeof entry.text === "string";
  if (entry.kind === "reply") return !!entry.response && typeof entry.response === "object";
  return entry.kind === "error" && typeof entry.message === "string";
}

function isoDay(value) {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : "";
}

/** Filters as a request sends them, whatever was stored. */
export function cleanFilters(filters) {
  const given = filters && typeof filters === "object" ? filters : {};
  const sources = Array.isArray(given.sources) ? given.sources.filter((s) => typeof s === "string") : [];
  return {
    since: isoDay(given.since),
    until: isoDay(given.until),
    sources: [...new Set(sources)],
    newestFirst: given.newestFirst === true,
  };
}

function newId() {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function newConversation(filters = {}) {
  return { id: newId(), entries: [], filters: cleanFilters(filters), updated: Date.now() };
}

function cleanConversation(stored) {
  if (!stored || typeof stored !== "object" || typeof stored.id !== "string") return null;
  return {
    id: stored.id,
    entries: Array.isArray(stored.entries) ? stored.entries.filter(isEntry) : [],
    filters: cleanFilters(stored.filters),
    updated: Number.isFinite(stored.updated) ? stored.updated : 0,
  };
}

function readJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

/**
 * {conversations, current}: the stored ones, newest first, and the id of the one shown last.
 * A conversation stored by the page before there were several becomes the first of the list.
 */
export function load() {
  const stored = readJson(STORAGE_KEY);
  let conversations = [];
  let current = null;
  if (stored && Array.isArray(stored.conversations)) {
    conversations = stored.conversations.map(cleanConversation).filter(Boolean);
    current = typeof stored.current === "string" ? stored.current : null;
  }
  const old = readJson(OLD_STORAGE_KEY);
  if (Array.isArray(old)) {
    const entries = old.filter(isEntry);
    if (entries.length) {
      const migrated = { ...newConversation(), entries };
      conversations.unshift(migrated);
      current = migrated.id;
    }
  }
  conversations.sort((a, b) => b.updated - a.updated);
  if (!conversations.some((c) => c.id === current)) {
    current = conversations.length ? conversations[0].id : null;
  }
  if (Array.isArray(old)) {
    save(conversations, current);
    try {
      localStorage.removeItem(OLD_STORAGE_KEY);
    } catch {
      // Switched off: it will be read again next time, harmlessly.
    }
  }
  return { conversations, current };
}

/** Store the conversations (the empty ones other than the current one are left out). When
 * storage is full, the oldest are dropped until the rest fit. */
export function save(conversations, current) {
  let kept = conversations
    .filter((c) => c.entries.length || c.id === current)
    .sort((a, b) => b.updated - a.updated)
    .slice(0, MAX_CONVERSATIONS);
  while (kept.length) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ current, conversations: kept }));
      return;
    } catch {
      const oldest = kept.findLastIndex((c) => c.id !== current);
      if (oldest < 0) break;
      kept = kept.filter((_, i) => i !== oldest);
    }
  }
  // Storage full or switched off: the conversation still works until the page is closed.
}

/** The conversation's title: its first question. */
export function title(conversation) {
  const first = conversation.entries.find((e) => e.kind === "question");
  return first ? first.text.replace(/\s+/g, " ").trim() : "New conversation";
}

/** The history turn of an answered question, as `qa chat` sends it: the question, the answer
 * sentences shown (joined), and the cited articles, the answer sentences' first. */
export function historyTurn(question, response) {
  const answers = Array.isArray(response.answer) ? response.answer : [];
  const passages = Array.isArray(response.passages) ? response.passages : [];
  const cited = [
    ...answers.map((a) => a.article_id),
    ...passages.map((p) => p.citation && p.citation.article_id),
  ].filter((id) => typeof id === "string" && id);
  const turn = { question, article_ids: [...new Set(cited)] };
  if (answers.length) turn.answer = answers.map((a) => a.text).join(" ");
  return turn;
}

/** The thread to send with a question: the last answered turns of `entries` (errors and
 * unanswered questions left out), oldest first, at most MAX_HISTORY_TURNS. */
export function historyTurns(entries) {
  const turns = [];
  entries.forEach((entry, i) => {
    const asked = entries[i - 1];
    if (entry.kind === "reply" && asked && asked.kind === "question") {
      turns.push(historyTurn(asked.text, entry.response));
    }
  });
  return turns.slice(-MAX_HISTORY_TURNS);
}

/** Every article id the entries cite, for telling "removed since" from "no such article". */
export function citedArticles(entries) {
  const ids = new Set();
  for (const entry of entries) {
    if (entry.kind !== "reply") continue;
    for (const passage of entry.response.passages || []) {
      if (!passage || !passage.citation) continue;
      ids.add(passage.citation.article_id);
      for (const copy of passage.citation.copies || []) ids.add(copy.article_id);
    }
  }
  return ids;
}

/** The text the entries cited at these offsets of an article, if they hold it. */
export function citedText(entries, articleId, start, end) {
  for (const entry of entries) {
    if (entry.kind !== "reply") continue;
    const { passages = [], answer = [] } = entry.response;
    const spans = [
      ...passages.map((p) => ({ ...p.citation, text: p.text })),
      ...(Array.isArray(answer) ? answer : []),
    ];
    const found = spans.find((s) => s.article_id === articleId && s.start === start && s.end === end);
    if (found && typeof found.text === "string") return found.text;
  }
  return null;
}
