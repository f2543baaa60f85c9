// One conversation's messages on screen: grouped by day and by sender, own messages with their delivery state,
// arrow-key reading, the "New messages" button for a reader who has scrolled up, and, on my sent messages, Edit
// and Delete (shown on hover and while the message or one of its buttons has the focus: the list stays one Tab
// stop, and a focused message's Tab goes to its buttons).
import { el, hiddenText } from "./dom.js";
import { clockTime, dayKey, dayLabel, exactTime } from "./format.js";
import { MessageEditor } from "./message-editor.js";

const NEAR_BOTTOM_PX = 80;
const STATUS_WORDS = { sending: "Sending…", sent: "Sent", failed: "Not sent" };
export const DELETED_WORDS = "This message was deleted";
export const focusKeys = {
  onEditMessage: (key) => `edit-message:${key}`,
  onDeleteMessage: (key) => `delete-message:${key}`,
  onReportMessage: (key) => `report-message:${key}`,
};

// An entry is what one bubble shows: {key, handle, displayName, text, createdAt (null until the server has it),
// mine, status ("sending" | "sent" | "failed"), editable (a failed send that may be changed and sent anew),
// unreadStart (the first message that was unread), deleted (a tombstone), editedAt (null: never edited),
// canEdit, canDelete (a sent message of mine: Delete always, Edit within the edit window), canReport (the other
// person's message, not deleted), reported (reported by me from this page), seen (my newest message the other
// person has read: it says "Seen" in place of "Sent")}.
export class MessagesView {
  #scroller; #list; #jump; #actions;
  editor = new MessageEditor();

  constructor({ scroller, list, jump, onRetry, onEdit, onEditMessage, onDeleteMessage, onReportMessage }) {
    this.#scroller = scroller;
    this.#list = list;
    this.#jump = jump;
    this.#actions = { onRetry, onEdit, onEditMessage, onDeleteMessage, onReportMessage };
    scroller.addEventListener("keydown", (event) => this.#moveFocus(event));
    scroller.addEventListener("scroll", () => {
      if (this.nearBottom()) this.#jump.hidden = true;  // the reader got there on their own
    });
    jump.addEventListener("click", () => {
      // The button goes away under the keyboard user: carry on from the newest message instead of from nowhere.
      // Focused first: a focused message shows its exact time, which makes it taller.
      this.#messages().at(-1)?.focus({ preventScroll: true });
      this.scrollToBottom();
    });
  }

  clear() {
    this.editor.close();
    this.#list.replaceChildren();
    this.#jump.hidden = true;
  }

  // Redrawn whole (a conversation on screen is at most a few hundred bubbles): runs and day separators depend on
  // the neighbours, and a send that is confirmed can move. Whatever had the focus keeps it.
  render(entries, now = Date.now()) {
    const focusKey = this.#list.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    const caret = this.editor.remember();
    const days = [];
    // "Sent" is said once, under the newest message that got there; "Sending…" and "Not sent" wherever they are.
    const newestSent = entries.findLast((entry) => entry.mine && entry.status === "sent" && !entry.deleted)?.key;
    entries.forEach((entry, index) => {
      const day = entry.createdAt ? dayKey(entry.createdAt) : dayKey(new Date(now).toISOString());
      if (days.at(-1)?.day !== day) {
        days.push({ day, label: entry.createdAt ? dayLabel(entry.createdAt, now) : "Today", items: [] });
      }
      const before = index > 0 && days.at(-1).items.length > 0 ? entries[index - 1] : null;
      const after = entries[index + 1];
      const afterDay = after && (after.createdAt ? dayKey(after.createdAt) : dayKey(new Date(now).toISOString()));
      const runStart = !before || before.handle !== entry.handle || entry.unreadStart;
      const runEnd = !after || after.handle !== entry.handle || afterDay !== day || after.unreadStart;
      if (entry.unreadStart) days.at(-1).items.push(unreadDivider());
      days.at(-1).items.push(this.#bubble(entry, runStart, runEnd, entry.key === newestSent));
    });
    this.#list.replaceChildren(...days.map(({ label, items }) => el("div", { className: "day" },
      el("h3", { className: "day-separator" }, el("span", { text: label })),
      el("ol", { className: "day-messages" }, ...items))));
    if (caret) this.editor.restore(caret);
    else if (focusKey) this.focus(focusKey, { preventScroll: true });  // a message's button through its message
  }

  #bubble(entry, runStart, runEnd, sayStatus) {
    const editing = this.editor.key === entry.key && !entry.deleted;
    const classes = ["message", entry.mine ? "mine" : "theirs", entry.status];
    if (entry.deleted) classes.push("deleted");
    if (editing) classes.push("editing");
    if (runStart) classes.push("run-start");
    if (runEnd) classes.push("run-end");
    const attrs = { tabindex: "-1", "data-focus-key": entry.key };
    attrs[entry.createdAt && entry.status === "sent" ? "data-message" : "data-pending"] = entry.key;
    // Names only where a run of one sender starts, and never on one's own side; screen readers get it always.
    const sender = runStart && !entry.mine
      ? el("p", { className: "sender-name", text: entry.displayName })
      : hiddenText(entry.mine ? "You: " : `${entry.displayName}: `);
    const meta = el("p", { className: "message-meta" },
      entry.createdAt
        ? el("time", { text: clockTime(entry.createdAt),
          attrs: { datetime: entry.createdAt, title: exactTime(entry.createdAt) } })
        : null,
      entry.editedAt && !entry.deleted
        ? el("span", { className: "message-edited", text: "edited",
          attrs: { title: `Edited ${exactTime(entry.editedAt)}` } })
        : null,
      entry.reported ? el("span", { className: "message-reported", text: "Reported" }) : null,
      entry.seen
        ? el("span", { className: "message-status message-seen", text: "Seen" })
        : null,
      entry.mine && !entry.seen && (sayStatus || entry.status !== "sent")
        ? el("span", { className: "message-status", text: STATUS_WORDS[entry.status] })
        : null);
    return el("li", { className: classes.join(" "), attrs },
      sender,
      editing
        ? this.editor.node
        : el("p", { className: "message-text", text: entry.deleted ? DELETED_WORDS : entry.text }),
      meta,
      // The exact time, shown while the message has the keyboard focus (a title only shows to a mouse).
      entry.createdAt ? el("p", { className: "message-exact", text: exactTime(entry.createdAt) }) : null,
      entry.status === "failed" ? this.#failure(entry) : null,
      (entry.canDelete || entry.canReport) && !entry.deleted && !editing ? this.#messageActions(entry) : null);
  }

  #messageActions(entry) {
    const button = (name, words, action) => {
      // The focus key is what app.js gives back the focus to after the dialog (see focusKeys).
      const node = el("button", { className: "message-action", text: words,
        attrs: { type: "button", "aria-label": name, "data-focus-key": focusKeys[action](entry.key) } });
      node.addEventListener("click", () => this.#actions[action](entry.key));
      return node;
    };
    return el("div", { className: "message-actions", attrs: { role: "group", "aria-label": "Message actions" } },
      entry.canEdit ? button("Edit message", "Edit", "onEditMessage") : null,
      entry.canDelete ? button("Delete message", "Delete", "onDeleteMessage") : null,
      entry.canReport ? button("Report message", "Report", "onReportMessage") : null);
  }

  #failure(entry) {
    const retry = el("button", { className: "link-button", text: "Retry",
      attrs: { type: "button", "data-focus-key": `retry:${entry.key}` } });
    retry.addEventListener("click", () => this.#actions.onRetry(entry.key));
    let edit = null;
    if (entry.editable) {
      edit = el("button", { className: "link-button", text: "Edit",
        attrs: { type: "button", "data-focus-key": `edit:${entry.key}` } });
      edit.addEventListener("click", () => this.#actions.onEdit(entry.key));
    }
    return el("p", { className: "message-failure" }, retry, edit);
  }

  // Opened with unread messages: the first of them is in view, with what came before it above, even when the
  // unread ones are more than a screen.
  showUnreadStart() {
    const divider = this.#list.querySelector(".unread-divider");
    if (!divider) return;
    const above = divider.getBoundingClientRect().top - this.#scroller.getBoundingClientRect().top;
    if (above < 0) this.#scroller.scrollTop += above - 8;
  }

  // True if something of that key is on screen and now has the focus. A message's button is focused through its
  // message: it shows (and can take the focus) only while the message has it.
  focus(key, { preventScroll = false } = {}) {
    const node = this.#list.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (!node) return false;
    const message = node.closest(".message");
    if (message && message !== node) message.focus({ preventScroll: true });
    node.focus({ preventScroll });
    return document.activeElement === node;
  }

  #messages() {
    return [...this.#list.querySelectorAll(".message")];
  }

  // One Tab stop for the whole list; the arrow keys walk the messages (Home/End: first/last shown).
  #moveFocus(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const messages = this.#messages();
    if (!messages.length) return;
    const at = messages.indexOf(event.target);
    const fromList = event.target === this.#scroller;
    let next = null;
    if (event.key === "ArrowUp") next = fromList ? messages.at(-1) : messages[Math.max(at - 1, 0)];
    else if (event.key === "ArrowDown" && !fromList) next = messages[Math.min(at + 1, messages.length - 1)];
    else if (event.key === "Home" && !fromList) next = messages[0];
    else if (event.key === "End" && !fromList) next = messages.at(-1);
    else if (event.key === "Escape" && !fromList) next = this.#scroller;
    if (!next || (at === -1 && !fromList)) return;
    event.preventDefault();
    next.focus();
    if (next !== this.#scroller) next.scrollIntoView({ block: "nearest" });
  }

  nearBottom() {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#jump.hidden = true;
  }

  // New messages arrived: follow them if the reader was at the bottom, otherwise offer the way down.
  arrived(wasNearBottom) {
    if (wasNearBottom) this.scrollToBottom();
    else this.#jump.hidden = false;
  }

  // Older messages went in above: the reader stays where they were.
  keepPlace(render) {
    const fromBottom = this.#scroller.scrollHeight - this.#scroller.scrollTop;
    render();
    this.#scroller.scrollTop = this.#scroller.scrollHeight - fromBottom;
  }
}

// A list item of its own, so that screen readers reading the list meet it where the sighted see it.
function unreadDivider() {
  return el("li", { className: "unread-divider" }, el("span", { text: "New messages" }));
}
