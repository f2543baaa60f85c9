// Settings: who may start a conversation with me (everyone, or nobody I do not already talk to). Read from the API
// each time it opens, saved as soon as a choice changes, with a status saying which of those is happening.
import { ApiError } from "./api.js";
import { $ } from "./dom.js";

export class SettingsDialog {
  #dialog = $("settings");
  #form = $("settings-form");
  #status = $("settings-status");
  #read; #save;
  #saved = null;  // the value the server has, as far as this page knows
  #asked = 0;  // reads and saves overlap: only the latest one's answer is shown

  // `read()` and `save(settings)` call the API (the page's save waits out the send limit, which it spends).
  constructor({ read, save, onError }) {
    this.#read = read;
    this.#save = save;
    this.onError = onError;  // a signed-out session is the page's to handle
    $("settings-open").addEventListener("click", () => this.show());
    $("settings-close").addEventListener("click", () => this.close());
    this.#form.addEventListener("submit", (event) => event.preventDefault());
    this.#form.addEventListener("change", () => this.#choice(this.#form.elements.new_conversations.value));
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

  #choose(value) {
    for (const radio of this.#form.elements.new_conversations) radio.checked = radio.value === value;
  }

  #enable(on) {
    for (const radio of this.#form.elements.new_conversations) radio.disabled = !on;
  }

  #say(text) {
    this.#status.textContent = text;
  }
}

const words = (error, otherwise) => (error instanceof ApiError ? error.message : otherwise);
