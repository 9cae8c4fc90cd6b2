// The filters a conversation asks with: a date range (since/until, on the article's date), the
// outlets (listed from GET /sources with their article counts and first and last days) and
// "newest first". Shown as removable chips beside the composer; sent with every question.

import { loadSources } from "./api.js";
import { el, formatRange } from "./dom.js";

/** The request fields for filters (and the day the question is asked on). */
const OUTLET_CHIPS = 3; // outlets shown as chips; more are counted on one

export function requestFields(filters, asOf) {
  const fields = { as_of: asOf };
  if (filters.since) fields.since = filters.since;
  if (filters.until) fields.until = filters.until;
  if (filters.sources.length) fields.sources = [...filters.sources];
  if (filters.newestFirst) fields.order = "date";
  return fields;
}

export class FiltersControl {
  /** `get()` gives the current conversation's filters, `set(filters)` stores new ones. */
  constructor(ui, get, set) {
    this.ui = ui;
    this.get = get;
    this.set = set;
    this.sources = null; // the outlets, once listed
    ui.filters.addEventListener("toggle", () => {
      if (ui.filters.open) this.open();
    });
    ui.filterSince.addEventListener("change", () => this.change({ since: ui.filterSince.value }));
    ui.filterUntil.addEventListener("change", () => this.change({ until: ui.filterUntil.value }));
    ui.outletList.addEventListener("change", () => {
      const checked = [...ui.outletList.querySelectorAll("input:checked")].map((box) => box.value);
      this.change({ sources: checked });
    });
    ui.filtersReset.addEventListener("click", () => this.change({ since: "", until: "", sources: [] }));
    ui.filtersDone.addEventListener("click", () => this.close());
    ui.filters.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && ui.filters.open) {
        event.stopPropagation();
        this.close();
      }
    });
    document.addEventListener("click", (event) => {
      if (ui.filters.open && event.target instanceof Node && !ui.filters.contains(event.target)) {
        ui.filters.open = false;
      }
    });
    ui.newestFirst.addEventListener("click", () => this.change({ newestFirst: !this.get().newestFirst }));
    ui.filterChips.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("button[data-remove]") : null;
      if (!button) return;
      const what = button.dataset.remove;
      if (what === "dates") this.change({ since: "", until: "" });
      else this.change({ sources: this.get().sources.filter((s) => s !== what) });
      ui.question.focus();
    });
  }

  change(part) {
    this.set({ ...this.get(), ...part });
    this.show();
  }

  close() {
    this.ui.filters.open = false;
    this.ui.filtersSummary.focus();
  }

  async open() {
    this.show();
    if (this.sources) return;
    const result = await loadSources();
    if (result.sources) this.sources = result.sources;
    this.showOutlets(result.message || "");
  }

  showOutlets(message) {
    const ui = this.ui;
    if (!this.sources) {
      ui.outletList.replaceChildren(el("p", { className: "filters-note" }, message || "Listing the outlets…"));
      return;
    }
    if (!this.sources.length) {
      ui.outletList.replaceChildren(el("p", { className: "filters-note" }, "No outlets yet."));
      return;
    }
    const chosen = new Set(this.get().sources.map((s) => s.toLowerCase()));
    ui.outletList.replaceChildren(
      ...this.sources.map((source) => {
        const days = formatRange(source.first_date, source.last_date);
        const count = `${source.articles.toLocaleString("en")} article${source.articles === 1 ? "" : "s"}`;
        return el(
          "label",
          { className: "outlet" },
          el("input", { type: "checkbox", value: source.name, checked: chosen.has(source.name.toLowerCase()) }),
          el("span", { className: "outlet-name" }, source.name),
          el("span", { className: "outlet-facts" }, days ? `${count}, ${days}` : count),
        );
      }),
    );
  }

  /** Show the filters as they are now: the chips, the toggle, the panel's fields. */
  show() {
    const ui = this.ui;
    const filters = this.get();
    ui.filterSince.value = filters.since;
    ui.filterUntil.value = filters.until;
    ui.filterSince.max = filters.until;
    ui.filterUntil.min = filters.since;
    ui.newestFirst.setAttribute("aria-pressed", String(filters.newestFirst));
    const chips = [];
    const range = formatRange(filters.since, filters.until);
    if (range) chips.push(this.chip(range[0].toUpperCase() + range.slice(1), "dates", "the dates"));
    const named = filters.sources.length > OUTLET_CHIPS ? OUTLET_CHIPS - 1 : OUTLET_CHIPS;
    for (const source of filters.sources.slice(0, named)) chips.push(this.chip(source, source, source));
    const more = filters.sources.length - named;
    if (more > 0) {
      const button = el("button", { type: "button", className: "chip more-chip" }, `+${more} outlets`);
      button.addEventListener("click", (event) => {
        event.stopPropagation(); // not a click outside the panel, which would close it
        ui.filters.open = true;
      });
      chips.push(button);
    }
    ui.filterChips.replaceChildren(...chips);
    const active = (range ? 1 : 0) + filters.sources.length;
    ui.filtersSummary.textContent = active ? `Filters (${active})` : "Filters";
    if (ui.filters.open) this.showOutlets("");
  }

  chip(text, remove, name) {
    return el(
      "span",
      { className: "chip" },
      text,
      el(
        "button",
        { type: "button", className: "chip-remove", "data-remove": remove, "aria-label": `Remove the filter ${name}` },
        "×",
      ),
    );
  }
}
