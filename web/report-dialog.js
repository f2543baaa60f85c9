// "Report message": a reason (spam, harassment, something else) and an optional note, in a modal <dialog>.
// `onSubmit(reason, note)` sends it; the dialog stays open, busy, until it is told how that went.
import { $ } from "./dom.js";

export class ReportDialog {
  #dialog = $("report-message");
  #form = $("report-message-form");
  #error = $("report-message-error");
  #submit = $("report-message-submit");
  #onSubmit;
  #onClose = null;

  constructor({ onSubmit }) {
    this.#onSubmit = onSubmit;
    $("report-message-cancel").addEventListener("click", () => this.close());
    this.#dialog.addEventListener("close", () => {
      const onClose = this.#onClose;
      this.#onClose = null;
      onClose?.();
    });
    this.#form.addEventListener("input", () => this.showError(""));
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = this.#form.elements.reason.value;
      if (!reason) {
        this.showError("Choose why you are reporting it.");
        this.#form.querySelector("input[name=reason]").focus();
        return;
      }
      this.#onSubmit(reason, $("report-note").value.trim());
    });
  }

  get open() { return this.#dialog.open; }

  // `onClose`: called once the dialog is closed, however (reported, Cancel, Escape, signed out).
  show(text, onClose) {
    this.close();
    this.#form.reset();
    this.busy(false);
    this.showError("");
    $("report-message-text").textContent = text;
    this.#onClose = onClose;
    this.#dialog.showModal();
    this.#form.querySelector("input[name=reason]").focus();
  }

  close() {
    if (this.#dialog.open) this.#dialog.close();
  }

  busy(sending) {
    this.#submit.disabled = sending;
    this.#submit.textContent = sending ? "Reporting…" : "Report";
  }

  showError(words) {
    this.#error.textContent = words;
    this.#error.hidden = !words;
  }
}
