// "Delete message?": asked before a message of mine is deleted, in a modal <dialog> (the browser keeps the focus
// inside it; Escape cancels). The focus starts on Cancel, the choice that loses nothing.
import { $ } from "./dom.js";

export class DeleteDialog {
  #dialog = $("delete-message");
  #resolve = null;

  constructor() {
    // Cancel and Delete are the form's submit buttons (method="dialog"): the dialog closes with the button's value.
    this.#dialog.addEventListener("close", () => {
      const resolve = this.#resolve;
      this.#resolve = null;
      resolve?.(this.#dialog.returnValue === "delete");
    });
  }

  // True once the person has chosen Delete; false for Cancel, Escape, or a dialog closed by signing out.
  ask(text) {
    this.cancel();
    $("delete-message-text").textContent = text;
    this.#dialog.returnValue = "";
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#dialog.showModal();
      $("delete-message-cancel").focus();
    });
  }

  // Closed unanswered (a new question, a sign-out): the question waiting is answered "no" now, not when the
  // close event comes, which would find the next question's answer waiting.
  cancel() {
    const resolve = this.#resolve;
    this.#resolve = null;
    if (this.#dialog.open) this.#dialog.close("");
    resolve?.(false);
  }
}
