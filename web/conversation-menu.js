// The open conversation's menu (Mute/Unmute, Block/Unblock): a menu button as the WAI-ARIA Authoring Practices
// describe it. Enter, Space or Down opens it on its first item (Up: on its last), the arrow keys, Home and End
// move between items, Escape closes it back onto the button, and Tab or a click elsewhere closes it.
import { $ } from "./dom.js";

export class ConversationMenu {
  #button = $("conversation-menu-button");
  #menu = $("conversation-menu");
  #mute = $("menu-mute");
  #block = $("menu-block");

  constructor({ onMute, onBlock }) {
    this.#button.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    this.#button.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        this.open(event.key === "ArrowUp" ? -1 : 0);
      }
    });
    this.#menu.addEventListener("keydown", (event) => this.#onKey(event));
    // Chosen: the menu closes first, so a dialog the action opens takes the focus from the button, not the item.
    this.#mute.addEventListener("click", () => this.#choose(onMute));
    this.#block.addEventListener("click", () => this.#choose(onBlock));
    // Anywhere else (a click, or the focus leaving by Tab): closed, leaving the focus wherever it went.
    document.addEventListener("pointerdown", (event) => {
      if (this.isOpen && !this.#menu.contains(event.target) && !this.#button.contains(event.target)) this.close(false);
    });
    this.#menu.addEventListener("focusout", (event) => {
      if (this.isOpen && !this.#menu.contains(event.relatedTarget) && event.relatedTarget !== this.#button) {
        this.close(false);
      }
    });
  }

  get isOpen() { return !this.#menu.hidden; }

  // Shown only while a conversation is open.
  show(visible) {
    this.#button.hidden = !visible;
    if (!visible) this.close(false);
  }

  // What the items offer: Unblock only when I am the one who blocks (my block list says so).
  set({ muted, blockedByMe, name }) {
    this.#mute.textContent = muted ? "Unmute conversation" : "Mute conversation";
    this.#block.textContent = blockedByMe ? `Unblock ${name}` : `Block ${name}`;
  }

  focusButton() {
    if (!this.#button.hidden) this.#button.focus();
  }

  open(at = 0) {
    this.#menu.hidden = false;
    this.#button.setAttribute("aria-expanded", "true");
    this.#items().at(at)?.focus();
  }

  close(refocus = true) {
    if (!this.isOpen) return;
    this.#menu.hidden = true;
    this.#button.setAttribute("aria-expanded", "false");
    if (refocus) this.#button.focus();
  }

  #items() {
    return [...this.#menu.querySelectorAll("[role=menuitem]")];
  }

  #choose(action) {
    this.close();
    action();
  }

  #onKey(event) {
    const items = this.#items();
    const at = items.indexOf(document.activeElement);
    let next = null;
    if (event.key === "ArrowDown") next = items[(at + 1) % items.length];
    else if (event.key === "ArrowUp") next = items.at((at - 1) % items.length);
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items.at(-1);
    else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      return;
    } else if (event.key === "Tab") {
      this.close();  // back on the button, from where the Tab itself then moves on, either way
      return;
    }
    if (!next) return;
    event.preventDefault();
    next.focus();
  }
}
