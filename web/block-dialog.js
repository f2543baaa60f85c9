// "Block …?": asked before blocking someone, in a modal <dialog> (Escape cancels). The focus starts on Cancel,
// the choice that changes nothing. Unblocking is not asked: it only gives back what blocking took.
import { $ } from "./dom.js";

export class BlockDialog {
  #dialog = $("block-user");
  #resolve = null;

  constructor() {
    this.#dialog.addEventListener("close", () => {
      const resolve = this.#resolve;
      this.#resolve = null;
      resolve?.(this.#dialog.returnValue === "confirm");
    });
  }

  // True once the person has chosen Block; false for Cancel, Escape, or a dialog closed by signing out.
  ask(name) {
    this.cancel();
    $("block-user-title").textContent = `Block ${name}?`;
    this.#dialog.returnValue = "";
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#dialog.showModal();
      $("block-user-cancel").focus();
    });
  }

  cancel() {
    const resolve = this.#resolve;
    this.#resolve = null;
    if (this.#dialog.open) this.#dialog.close("");
    resolve?.(false);
  }
}
