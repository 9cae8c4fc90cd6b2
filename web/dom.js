// Building the page from data, as text only: everything that comes from the server or the
// person (questions, passages, titles, article bodies) becomes text nodes, never HTML.

/** Make an element; string children become text nodes, never HTML. */
export function el(tag, props = {}, ...children) {
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

/**
 * The link to an article: `passage` is the cited passage [start, end) (marked lightly), and
 * `sentence` the answer sentence inside it (marked strongly), both body offsets.
 */
export function articleHref(articleId, passage = null, sentence = null) {
  const params = new URLSearchParams();
  if (passage && Number.isInteger(passage[0]) && Number.isInteger(passage[1])) {
    params.set("start", String(passage[0]));
    params.set("end", String(passage[1]));
  }
  if (sentence && Number.isInteger(sentence[0]) && Number.isInteger(sentence[1])) {
    params.set("sstart", String(sentence[0]));
    params.set("send", String(sentence[1]));
  }
  const query = params.toString();
  return `#/article/${encodeURIComponent(articleId)}${query ? `?${query}` : ""}`;
}

/** "2022-06-08" or "2023-11-27T08:45:59+00:00" as "8 June 2022"; anything else as it is. */
export function formatDate(value) {
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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function dayParts(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(typeof value === "string" ? value : "");
  return match ? { day: Number(match[3]), month: MONTHS[Number(match[2]) - 1], year: match[1] } : null;
}

/** "2023-11-20", "2023-11-22" as "20–22 Nov 2023" (shortest unambiguous); one end may be missing
 * ("from 20 Nov 2023", "until 22 Nov 2023"). */
export function formatRange(since, until) {
  const [a, b] = [dayParts(since), dayParts(until)];
  const full = (p) => `${p.day} ${p.month} ${p.year}`;
  if (a && b) {
    if (since.slice(0, 10) === until.slice(0, 10)) return full(a);
    if (a.year !== b.year) return `${full(a)} – ${full(b)}`;
    if (a.month !== b.month) return `${a.day} ${a.month} – ${full(b)}`;
    return `${a.day}–${full(b)}`;
  }
  if (a) return `from ${full(a)}`;
  if (b) return `until ${full(b)}`;
  return "";
}

/** The day in the browser's own time zone, as an ISO date: the "now" of a question. */
export function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function dateElement(value) {
  const text = formatDate(value);
  return text ? el("time", { dateTime: value }, text) : null;
}

/** Parts joined by a " · " that screen readers skip; missing parts left out. */
export function joined(parts) {
  const nodes = [];
  for (const part of parts.filter(Boolean)) {
    if (nodes.length) nodes.push(el("span", { className: "separator", "aria-hidden": "true" }, " · "));
    nodes.push(part);
  }
  return nodes;
}

/** Only web links become clickable; anything else (javascript:, data:) is shown as text. */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}
