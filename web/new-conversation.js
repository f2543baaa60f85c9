// The "New message" dialog: whom to write to (a handle, typed as "@Bayko" or "bayko") and what to say.
import { $ } from "./dom.js";

// The API matches handles without the @ and regardless of case; people type either.
export function normalizeHandle(typed) {
  return typed.trim().replace(/^@+/, "").trim();
}

// A handle we already talk to is sent as the API spells it, so "@Bayko" reaches bayko whatever the server does
// with case; any other is sent as typed, less the @.
export function handleToSend(typed, groups) {
  const handle = normalizeHandle(typed);
  const known = groups.find((group) => group.handle.toLowerCase() === handle.toLowerCase());
  return known ? known.handle : handle;
}

export class NewConversationDialog {
  #dialog = $("new-conversation");
  #form = $("new-conversation-form");
  #error = $("new-conversation-error");
  #status = $("new-conversation-status");
  #submit = this.#form.querySelector("button[type=submit]");

  constructor({ onSubmit, onEdit }) {
    $("new-conversation-open").addEventListener("click", () => this.open());
    $("new-conversation-cancel").addEventListener("click", () => this.close());
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      const handle = normalizeHandle($("new-handle").value);
      const text = $("new-message").value.trim();
      if (!handle) return this.showError("Whom to? Type their handle, like @bayko.", $("new-handle"));
      if (!text) return this.showError("Write a first message to send.", $("new-message"));
      return onSubmit($("new-handle").value, text);
    });
    this.#form.addEventListener("input", () => {
      this.showError("");
      onEdit();  // a changed request is a new one (its own Idempotency-Key)
    });
    // Enter sends the first message too, as in the composer; Shift+Enter adds a line.
    $("new-message").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#form.requestSubmit();
      }
    });
  }

  open() {
    this.showError("");
    if (!this.#dialog.open) this.#dialog.showModal();
    $("new-handle").focus();
  }

  close() {
    if (this.#dialog.open) this.#dialog.close();
  }

  reset() {
    this.#form.reset();
    this.busy(false);
    this.showError("");
    this.close();
  }

  busy(sending) {
    this.#submit.disabled = sending;
    this.#submit.textContent = sending ? "Sending…" : "Start conversation";
  }

  // The send limit's calm word (see app.js), inside the dialog too: what is outside a modal dialog is not seen.
  showStatus(words) {
    this.#status.textContent = words;
  }

  // Said inside the dialog, next to the field it is about, which gets the focus (none: a passing word, such as
  // "busy, trying again", that leaves the focus where it is).
  showError(words, field = $("new-handle")) {
    this.#error.textContent = words;
    this.#error.hidden = !words;
    for (const input of [$("new-handle"), $("new-message")]) {
      if (words && field && input === field) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    if (words && field) field.focus();
  }
}
