// The conversation list and the message requests: who, their last message, when, and how many are unread.
import { avatar } from "./avatar.js";
import { el, hiddenText } from "./dom.js";
import { exactTime, relativeTime, unreadLabel } from "./format.js";
import { typingWords } from "./typing.js";

// Redrawn whole at every refresh (it is short); the focused conversation (or request action) keeps the keyboard
// focus.
// `typingOf(uuid)`: who is typing in that conversation (issue 25), shown in place of its preview; null if nobody.
export function renderGroups(list, groups, { currentUuid, onOpen, now = Date.now(), typingOf = () => null }) {
  redrawn(list, groups.map((group) => el("li", {},
    groupButton(group, currentUuid, onOpen, now, typingOf(group.uuid)))));
}

// Message requests: each row opens the conversation, with Accept and Block beside it (a blocked request keeps
// its place, marked, with nothing more to do on it here: the conversation's menu unblocks).
export function renderRequests(list, groups, { currentUuid, onOpen, onAccept, onBlock, now = Date.now() }) {
  redrawn(list, groups.map((group) => el("li", { className: "request-row" },
    groupButton(group, currentUuid, onOpen, now),
    group.blocked ? null : el("span", { className: "request-actions" },
      requestAction(group, "accept", "Accept", "compact", onAccept),
      requestAction(group, "block", "Block", "compact quiet", onBlock)))));
}

function redrawn(list, rows) {
  const active = list.contains(document.activeElement) ? document.activeElement : null;
  list.replaceChildren(...rows);
  if (active?.dataset.group) focusGroup(list, active.dataset.group, active.dataset.action);
}

// `action`: one of a request's buttons ("accept", "block") rather than the row itself; the row if it has none.
export function focusGroup(list, groupUuid, action = undefined) {
  const row = `[data-group="${CSS.escape(groupUuid)}"]`;
  const target = (action && list.querySelector(`${row}[data-action="${CSS.escape(action)}"]`))
    || list.querySelector(`${row}:not([data-action])`);
  target?.focus();
  return Boolean(target);
}

// Named with the person ("Accept Ann Lee"): a row's actions are told apart without their row.
function requestAction(group, action, words, className, onChosen) {
  const button = el("button", { className, text: words, attrs: {
    type: "button", "data-group": group.uuid, "data-action": action,
    "aria-label": `${words} ${group.display_name}`,
  } });
  button.addEventListener("click", () => onChosen(group));
  return button;
}

// A bell struck through, and the word for screen readers (and for a pointer, as its title).
export function mutedMark() {
  return el("span", { className: "group-muted", attrs: { title: "Muted" } },
    el("span", { className: "muted-icon", attrs: { "aria-hidden": "true" } }), hiddenText("(muted)"));
}

function groupButton(group, currentUuid, onOpen, now, typist = null) {
  // `unread_count` comes with the API's read markers; older answers have none, and then nothing is shown.
  const unread = unreadLabel(group.unread_count);
  // Muted: its count stays on its row, in a quiet badge, but it neither stands out nor counts in the tab title.
  // A request: the same, quiet badge (it counts in no total; the requests' heading says how many there are).
  const quiet = group.muted || group.request;
  const classes = ["group", unread && !quiet ? "unread" : null, quiet ? "hushed" : null];
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
      typist !== null
        ? el("span", { className: "group-preview typing", text: typingWords(typist) })
        : typeof group.message === "string"
        ? el("span", { className: "group-preview", text: group.message })
        : el("span", { className: "group-preview deleted", text: "Message deleted" }),
      unread ? el("span", { className: "unread-badge", text: unread }, hiddenText(" unread")) : null,
      group.blocked ? el("span", { className: "group-flag", text: "Blocked" }) : null)));
  if (currentUuid === group.uuid) button.setAttribute("aria-current", "true");
  button.addEventListener("click", () => onOpen(group));
  return button;
}
