// Settings: who may start a conversation with me (everyone, or nobody I do not already talk to), and read receipts
// (on: the other person sees "Seen" under their messages I have read, and I see it under mine; off: neither).
// Read from the API each time it opens, saved as soon as a choice changes, with a status saying which of those is
// happening.
import { ApiError } from "./api.js";
import { $ } from "./dom.js";

export class SettingsDialog {
  #dialog = $("settings");
  #form = $("settings-form");
  #status = $("settings-status");
  #read; #save;
  #saved = null;  // the value the server has, as far as this page knows
  #savedReceipts = null;  // likewise, for read receipts
  #asked = 0;  // reads and saves overlap: only the latest one's answer is shown

  // `read()` and `save(settings)` call the API (the page's save waits out the send limit, which it spends).
  // `onReceipts(on)` hears the read-receipts setting whenever the server's answer says it.
  constructor({ read, save, onError, onReceipts = () => {} }) {
    this.#read = read;
    this.#save = save;
    this.onError = onError;  // a signed-out session is the page's to handle
    this.onReceipts = onReceipts;
    $("settings-open").addEventListener("click", () => this.show());
    $("settings-close").addEventListener("click", () => this.close());
    this.#form.addEventListener("submit", (event) => event.preventDefault());
    this.#form.addEventListener("change", (event) => {
      if (event.target.name === "read_receipts") this.#receipts(event.target.checked);
      else this.#choice(this.#form.elements.new_conversations.value);
    });
  }

  async show() {
    if (!this.#dialog.open) this.#dialog.showModal();
    this.#choose(null);
    this.#enable(false);
    this.#say("Loading your settings…");
    const asked = ++this.#asked;
    try {
      const { data } = await this.#read();
      if (asked !== this.#asked) return;
      this.#saved = data.new_conversations;
      this.#choose(this.#saved);
      this.#showReceipts(data.read_receipts);
      this.#enable(true);
      this.#say("");
      this.#form.querySelector("input:checked")?.focus();
    } catch (error) {
      if (asked !== this.#asked) return;
      this.#say(words(error, "Could not load your settings. Close this and try again."));
      this.onError(error);
      $("settings-close").focus();
    }
  }

  close() {
    this.#asked += 1;  // an answer still on its way has nothing left to show
    if (this.#dialog.open) this.#dialog.close();
  }

  async #choice(value) {
    const asked = ++this.#asked;
    this.#say("Saving…");
    try {
      const { data } = await this.#save({ new_conversations: value });
      if (asked !== this.#asked) return;
      this.#saved = data.new_conversations;
      this.#choose(this.#saved);
      this.#say(this.#saved === "nobody"
        ? "Saved: only people you already talk to can write to you."
        : "Saved: anyone can start a conversation with you.");
    } catch (error) {
      if (asked !== this.#asked) return;
      this.#choose(this.#saved);  // back to what the server still has
      this.#say(`Not saved. ${words(error, "Please try again.")}`);
      this.onError(error);
    }
  }

  async #receipts(on) {
    const asked = ++this.#asked;
    this.#say("Saving…");
    try {
      const { data } = await this.#save({ read_receipts: on });
      if (asked !== this.#asked) return;
      this.#showReceipts(data.read_receipts);
      this.#say(this.#savedReceipts
        ? "Saved: people see when you have read their messages, and you see when they have read yours."
        : "Saved: read receipts are off, both ways.");
    } catch (error) {
      if (asked !== this.#asked) return;
      this.#showReceipts(this.#savedReceipts);  // back to what the server still has
      this.#say(`Not saved. ${words(error, "Please try again.")}`);
      this.onError(error);
    }
  }

  #showReceipts(on) {
    this.#savedReceipts = on !== false;  // absent from an older server: on, its default
    this.#form.elements.read_receipts.checked = this.#savedReceipts;
    this.onReceipts(this.#savedReceipts);
  }

  #choose(value) {
    for (const radio of this.#form.elements.new_conversations) radio.checked = radio.value === value;
  }

  #enable(on) {
    for (const radio of this.#form.elements.new_conversations) radio.disabled = !on;
    this.#form.elements.read_receipts.disabled = !on;
  }

  #say(text) {
    this.#status.textContent = text;
  }
}

const words = (error, otherwise) => (error instanceof ApiError ? error.message : otherwise);
