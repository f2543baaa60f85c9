// The conversation list: who, their last message, when, and how many are unread.
import { avatar } from "./avatar.js";
import { el, hiddenText } from "./dom.js";
import { exactTime, relativeTime, unreadLabel } from "./format.js";

// Redrawn whole at every refresh (it is short); the focused conversation keeps the keyboard focus.
export function renderGroups(list, groups, { currentUuid, onOpen, now = Date.now() }) {
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.group : null;
  list.replaceChildren(...groups.map((group) => el("li", {}, groupButton(group, currentUuid, onOpen, now))));
  if (focused) focusGroup(list, focused);
}

export function focusGroup(list, groupUuid) {
  list.querySelector(`[data-group="${CSS.escape(groupUuid)}"]`)?.focus();
}

// A bell struck through, and the word for screen readers (and for a pointer, as its title).
export function mutedMark() {
  return el("span", { className: "group-muted", attrs: { title: "Muted" } },
    el("span", { className: "muted-icon", attrs: { "aria-hidden": "true" } }), hiddenText("(muted)"));
}

function groupButton(group, currentUuid, onOpen, now) {
  // `unread_count` comes with the API's read markers; older answers have none, and then nothing is shown.
  const unread = unreadLabel(group.unread_count);
  // Muted: its count stays on its row, in a quiet badge, but it neither stands out nor counts in the tab title.
  const classes = ["group", unread && !group.muted ? "unread" : null, group.muted ? "muted" : null];
  const button = el("button", { className: classes.filter(Boolean).join(" "),
    attrs: { type: "button", "data-group": group.uuid } },
  avatar(group.display_name, group.handle),
  el("span", { className: "group-body" },
    el("span", { className: "group-top" },
      // The space between the spans is a text node so the button's accessible name reads "Name (@handle)".
      el("span", { className: "group-name", text: group.display_name }), " ",
      el("span", { className: "group-handle", text: `(@${group.handle})` }), " ",
      group.muted ? mutedMark() : null,
      el("time", { className: "group-time", text: relativeTime(group.created_at, now, { short: true }),
        attrs: { datetime: group.created_at, title: exactTime(group.created_at) } })),
    el("span", { className: "group-bottom" },
      // Its newest message deleted: the API lists the conversation with no text (message null).
      typeof group.message === "string"
        ? el("span", { className: "group-preview", text: group.message })
        : el("span", { className: "group-preview deleted", text: "Message deleted" }),
      unread ? el("span", { className: "unread-badge", text: unread }, hiddenText(" unread")) : null,
      group.blocked ? el("span", { className: "group-flag", text: "Blocked" }) : null)));
  if (currentUuid === group.uuid) button.setAttribute("aria-current", "true");
  button.addEventListener("click", () => onOpen(group));
  return button;
}
