// How a question was read, as a quiet line over its reply: the thread it follows (with "ask on
// its own instead"), its time window as a removable chip, the filters and order it was answered
// with, and how recent the newest passage is (from the answer's `understood`).

import { el, formatRange } from "./dom.js";

const CARRIED_SHOWN = 3; // names of the thread shown on a follow-up; all in its tooltip

/** "3 days before 22 Nov 2023": how recent the newest evidence is, against the day asked. */
export function newestNote(newest, asOf) {
  if (!newest || !Number.isInteger(newest.days_before_as_of)) return "";
  const days = newest.days_before_as_of;
  const on = formatRange(asOf, asOf) || "the day asked";
  if (days === 0) return `Newest passage: the same day, ${on}`;
  const count = `${Math.abs(days)} day${Math.abs(days) === 1 ? "" : "s"}`;
  return `Newest passage: ${count} ${days > 0 ? "before" : "after"} ${on}`;
}

/** The quiet line of how a question was read: the thread it follows (with "ask on its own
 * instead"), its time window as a removable chip, the filters and order it was answered with,
 * how recent the newest passage is. Buttons carry a data-action for the page to act on. */
export function contextLine(response, request) {
  const understood = response.understood && typeof response.understood === "object" ? response.understood : {};
  const parts = [];
  if (understood.follow_up) {
    const carried = Array.isArray(understood.carried) ? understood.carried.filter(Boolean) : [];
    const named = carried.slice(0, CARRIED_SHOWN).join(", ") + (carried.length > CARRIED_SHOWN ? "…" : "");
    parts.push(
      el(
        "span",
        { className: "context-part follow-up", title: carried.length ? `Searched with: ${carried.join(", ")}` : "" },
        carried.length ? `Following up on: ${named}` : "Following up on the earlier questions",
        " · ",
        el("button", { type: "button", className: "link-button", "data-action": "alone" }, "ask on its own instead"),
      ),
    );
  } else if (request.alone) {
    parts.push(el("span", { className: "context-part asked-alone" }, "Asked on its own, not as a follow-up"));
  }
  const range = formatRange(understood.since, understood.until);
  if (understood.window === "question" && range) {
    const phrase = understood.time_phrase || "time";
    parts.push(
      el(
        "span",
        { className: "chip time-chip" },
        `${phrase}: `,
        el("span", { className: "nowrap" }, range),
        el(
          "button",
          {
            type: "button",
            className: "chip-remove",
            "data-action": "drop-time",
            "aria-label": `Ask again without “${phrase}”`,
            title: `Ask again without “${phrase}”`,
          },
          "×",
        ),
      ),
    );
    if (understood.widened) {
      parts.push(el("span", { className: "context-part widened" }, "Nothing from those days answers: other days shown"));
    }
  } else if (request.time_words === false) {
    parts.push(el("span", { className: "context-part" }, "Time words not used"));
  }
  const sources = Array.isArray(understood.sources) ? understood.sources : [];
  const filters = [
    understood.window === "filter" && range ? `only ${range}` : "",
    sources.length ? `only ${sources.join(", ")}` : "",
    request.order === "date" ? "newest first" : "",
  ].filter(Boolean);
  if (filters.length) {
    const text = filters.join(" · ");
    parts.push(el("span", { className: "context-part filters-used" }, text[0].toUpperCase() + text.slice(1)));
  }
  if (understood.recency) {
    const note = newestNote(understood.newest, understood.as_of);
    if (note) parts.push(el("span", { className: "context-part newest" }, note));
  }
  return parts.length ? el("p", { className: "reply-context" }, ...parts) : null;
}
