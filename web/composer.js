// The question box: Enter sends (Shift+Enter starts a new line; on touch screens Enter starts
// a new line and the Send button sends), a character counter against the server's limit, and
// short notes under the box.

const TEXTAREA_MAX_PX = 160;
const COUNTER_FROM = 0.8; // the counter shows from this share of the limit on

export class Composer {
  constructor(ui, onQuestion) {
    this.ui = ui;
    this.onQuestion = onQuestion;
    this.limit = null; // characters; set once the server's limits are read
    this.busy = false;
    this.touch = window.matchMedia("(pointer: coarse)").matches;
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    ui.question.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing || this.touch) return;
      event.preventDefault();
      ui.form.requestSubmit();
    });
    ui.question.addEventListener("input", () => {
      this.note("");
      this.update();
    });
  }

  setLimit(limit) {
    this.limit = limit;
    this.ui.form.dataset.maxChars = String(limit);
    this.update();
  }

  setBusy(busy) {
    this.busy = busy;
    if (!busy) this.note("");
    this.update();
  }

  /** A note under the box ("Type a question first."); "" shows the keys hint again. */
  note(text) {
    this.ui.note.textContent = text;
    this.ui.keysHint.hidden = Boolean(text);
  }

  length() {
    return [...this.ui.question.value.trim()].length; // characters, not UTF-16 units
  }

  update() {
    const ui = this.ui;
    ui.question.style.height = "auto";
    ui.question.style.height = `${Math.min(ui.question.scrollHeight + 2, TEXTAREA_MAX_PX)}px`;
    const length = this.length();
    const over = this.limit !== null && length > this.limit;
    if (this.limit !== null && length >= this.limit * COUNTER_FROM) {
      ui.counter.textContent = over
        ? `${(length - this.limit).toLocaleString("en")} characters too many`
        : `${length.toLocaleString("en")} / ${this.limit.toLocaleString("en")}`;
    } else {
      ui.counter.textContent = "";
    }
    ui.counter.classList.toggle("over", over);
    ui.question.setAttribute("aria-invalid", over ? "true" : "false");
    // aria-disabled rather than disabled, so the button keeps keyboard focus while it waits.
    ui.send.setAttribute("aria-disabled", this.busy || over ? "true" : "false");
    ui.send.textContent = this.busy ? "Wait…" : "Send";
  }

  submit() {
    if (this.busy) {
      this.note("Wait for the reply to the last question first.");
      return;
    }
    const question = this.ui.question.value.trim();
    if (!question) {
      this.note("Type a question first.");
      this.ui.question.focus();
      return;
    }
    if (this.limit !== null && this.length() > this.limit) {
      this.note(
        `Your question is ${this.length().toLocaleString("en")} characters long; ` +
          `the limit is ${this.limit.toLocaleString("en")}. Please shorten it.`,
      );
      this.ui.question.focus();
      return;
    }
    this.ui.question.value = "";
    this.note("");
    this.update();
    this.onQuestion(question);
  }

  /** Put a question back in the box (after an error), unless something else is typed there. */
  restore(question) {
    if (this.ui.question.value) return;
    this.ui.question.value = question;
    this.update();
  }
}
