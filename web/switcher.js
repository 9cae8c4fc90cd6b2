// The list of conversations in the header: the earlier ones, titled by their first question
// and newest first, each a button that switches to it; the current one marked.

import { el } from "./dom.js";
import { title } from "./conversation.js";

function when(time) {
  if (!time) return "";
  const date = new Date(time);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString("en-GB", { day: "numeric", month: "short" });
}

export class Switcher {
  /** `onSwitch(id)` is called with the chosen conversation's id. */
  constructor(ui, onSwitch) {
    this.ui = ui;
    ui.conversationList.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("button[data-id]") : null;
      if (!button) return;
      ui.conversations.open = false;
      onSwitch(button.dataset.id);
    });
    ui.conversations.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && ui.conversations.open) {
        event.stopPropagation();
        ui.conversations.open = false;
        ui.conversationsSummary.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (ui.conversations.open && event.target instanceof Node && !ui.conversations.contains(event.target)) {
        ui.conversations.open = false;
      }
    });
  }

  /** Show the conversations that have questions (newest first), `current` marked; those
   * emptied by Clear are listed too while they can be undone (`cleared`: id -> entries). The
   * list is only offered when there is another conversation to go to. */
  show(conversations, current, cleared = new Map()) {
    const listed = conversations
      .filter((c) => c.entries.length || cleared.has(c.id))
      .sort((a, b) => b.updated - a.updated);
    const others = listed.filter((c) => c.id !== current);
    this.ui.conversations.hidden = others.length === 0;
    if (!others.length) this.ui.conversations.open = false;
    this.ui.conversationsSummary.textContent = `Conversations (${listed.length})`;
    this.ui.conversationList.replaceChildren(
      ...listed.map((c) => {
        const isCurrent = c.id === current;
        const props = { type: "button", className: "conversation-button", "data-id": c.id };
        if (isCurrent) props["aria-current"] = "true";
        const emptied = !c.entries.length;
        const name = emptied ? `${title({ entries: cleared.get(c.id) })} (cleared)` : title(c);
        return el(
          "li",
          {},
          el(
            "button",
            props,
            el("span", { className: "conversation-title" }, name),
            el("span", { className: "conversation-when" }, isCurrent ? "shown" : when(c.updated)),
          ),
        );
      }),
    );
  }
}
