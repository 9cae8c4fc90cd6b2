// The conversation, kept in the browser's localStorage: a list of entries, each a question,
// a reply (the server's answer as it came) or an error told in plain words.

export const STORAGE_KEY = "qa-news.conversation.v1";

function isEntry(entry) {
  if (!entry || typeof entry !== "object") return false;
  if (entry.kind === "question") return typeof entry.text === "string";
  if (entry.kind === "reply") return !!entry.response && typeof entry.response === "object";
  return entry.kind === "error" && typeof entry.message === "string";
}

export function load() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(stored) ? stored.filter(isEntry) : [];
  } catch {
    return [];
  }
}

export function save(entries) {
  try {
    if (entries.length) localStorage.setItem(STORAGE_KEY, JSON.stringify(entries));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage full or switched off: the thread still works until the page is closed.
  }
}

/** Every article id the conversation cites, for telling "removed since" from "no such article". */
export function citedArticles(entries) {
  const ids = new Set();
  for (const entry of entries) {
    if (entry.kind !== "reply") continue;
    for (const passage of entry.response.passages || []) {
      if (passage && passage.citation) ids.add(passage.citation.article_id);
    }
  }
  return ids;
}

/** The text the conversation cited at these offsets of an article, if it holds it. */
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
