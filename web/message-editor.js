// Editing one of my messages in place: its text in a labelled box with Save and Cancel, Enter saves, Shift+Enter
// adds a line, Escape cancels. One editor for the page (one message is edited at a time); it is the same element
// across the view's redraws, so what is typed, the caret and the focus survive a message arriving meanwhile.
import { el } from "./dom.js";

const MAX_PX = 160;

export class MessageEditor {
  #text; #save; #onSave = () => {}; #onCancel = () => {};
  key = null;  // the message being edited (null: none)

  constructor() {
    this.#text = el("textarea", { className: "message-editor-text",
      attrs: { id: "message-editor-text", rows: "1", maxlength: "1024", "aria-describedby": "message-editor-hint",
        "data-focus-key": "message-editor" } });
    this.#save = el("button", { className: "compact", text: "Save", attrs: { type: "submit" } });
    const cancel = el("button", { className: "quiet compact", text: "Cancel", attrs: { type: "button" } });
    this.node = el("form", { className: "message-editor" },
      el("label", { className: "visually-hidden", text: "Edit message", attrs: { for: "message-editor-text" } }),
      this.#text,
      el("div", { className: "message-editor-bar" },
        el("span", { className: "hint", text: "Enter saves, Escape cancels.", attrs: { id: "message-editor-hint" } }),
        cancel, this.#save));
    this.node.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.#save.disabled) this.#onSave(this.#text.value);
    });
    cancel.addEventListener("click", () => this.#onCancel());
    this.#text.addEventListener("input", () => this.#fit());
    this.#text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.node.requestSubmit();
      } else if (event.key === "Escape" && !event.isComposing) {
        event.preventDefault();
        event.stopPropagation();  // the message list's own Escape (back to the list) is not meant
        this.#onCancel();
      }
    });
  }

  get text() { return this.#text.value; }

  get focused() { return this.node.contains(document.activeElement); }

  open(key, text, { onSave, onCancel }) {
    this.key = key;
    this.#onSave = onSave;
    this.#onCancel = onCancel;
    this.#text.value = text;
    this.busy(false);
  }

  close() {
    this.key = null;
    this.busy(false);
    this.node.remove();
  }

  // While the new text is on its way: it can be read, not changed, and not sent twice.
  busy(saving) {
    this.#text.readOnly = saving;
    this.#save.disabled = saving;
    this.#save.textContent = saving ? "Saving…" : "Save";
  }

  focus() {
    this.#text.focus();
    const end = this.#text.value.length;
    this.#text.setSelectionRange(end, end);
    this.#fit();
  }

  // Called by the view around a redraw, which takes the element out and puts it back: the caret stays put.
  remember() {
    if (!this.focused) return null;
    const { selectionStart, selectionEnd, selectionDirection } = this.#text;
    return { selectionStart, selectionEnd, selectionDirection };
  }

  restore(remembered) {
    if (!remembered || !this.node.isConnected) return;
    this.#text.focus({ preventScroll: true });
    this.#text.setSelectionRange(remembered.selectionStart, remembered.selectionEnd, remembered.selectionDirection);
    this.#fit();
  }

  #fit() {
    this.#text.style.height = "auto";
    this.#text.style.height = `${Math.min(this.#text.scrollHeight + 2, MAX_PX)}px`;
  }
}
