// Cruddur Messages web client: sign in, see my conversations, read and write messages.
import { Api, ApiError } from "./api.js";
import { AuthError, Session } from "./auth.js";
import { loadConfig } from "./config.js";
import { el, newKey, relativeTime } from "./format.js";

const GROUPS_POLL_MS = 5_000;
const MESSAGES_POLL_MS = 3_000;
const SEND_ATTEMPTS = 4;

const $ = (id) => document.getElementById(id);
const state = { api: null, session: null, groups: [], open: null, seen: new Set(), olderPath: null, timers: [] };

function showNotice(words) {
  $("notice").textContent = words;
  $("notice").hidden = !words;
}

function showSignIn(reason = "") {
  stopPolling();
  state.session?.signOut();
  $("app-view").hidden = true;
  $("session").hidden = true;
  $("sign-in-view").hidden = false;
  showNotice(reason);
  $("username").focus();
}

function showApp() {
  $("sign-in-view").hidden = true;
  $("app-view").hidden = false;
  $("session").hidden = false;
  $("signed-in-as").textContent = `Signed in as ${state.session.username}`;
  showNotice("");
  refreshGroups();
  state.timers.push(setInterval(refreshGroups, GROUPS_POLL_MS));
}

function stopPolling() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  clearInterval(state.messagesTimer);
}

function reportError(error) {
  const signedOut = error instanceof AuthError || (error instanceof ApiError && error.code === "unauthorized");
  if (signedOut) {
    // The first reason wins: calls still in flight when the session ended fail too, with less to say.
    if ($("sign-in-view").hidden) showSignIn(error.message);
    return;
  }
  showNotice(error instanceof ApiError ? error.message : "Something went wrong on our side. Please try again.");
}

// Conversations (pattern B) -------------------------------------------------------------------------------

async function refreshGroups() {
  try {
    const { data } = await state.api.listGroups();
    state.groups = data;
    renderGroups();
  } catch (error) {
    reportError(error);
  }
}

function renderGroups() {
  const list = $("groups");
  const focused = document.activeElement?.dataset?.group;
  list.replaceChildren(...state.groups.map((group) => {
    const button = el("button", { attrs: { type: "button", "data-group": group.uuid } },
      el("span", { className: "group-name", text: `${group.display_name} (@${group.handle})` }),
      el("span", { className: "group-preview", text: group.message }),
      el("time", { className: "muted", text: relativeTime(group.created_at), attrs: { datetime: group.created_at } }));
    if (state.open?.uuid === group.uuid) button.setAttribute("aria-current", "true");
    button.addEventListener("click", () => openConversation(group));
    return el("li", {}, button);
  }));
  $("groups-empty").hidden = state.groups.length > 0;
  if (focused) list.querySelector(`[data-group="${CSS.escape(focused)}"]`)?.focus();
}

// One conversation (pattern A) ----------------------------------------------------------------------------

async function openConversation(group) {
  clearInterval(state.messagesTimer);
  state.open = group;
  state.seen = new Set();
  $("conversation-title").textContent = `${group.display_name} (@${group.handle})`;
  $("messages").replaceChildren();
  $("composer").hidden = false;
  $("app-view").classList.add("showing-conversation");
  renderGroups();
  try {
    const { data, next } = await state.api.listMessages(group.uuid);
    if (state.open !== group) return;
    appendMessages(data);
    setOlder(next);
    scrollToBottom();
  } catch (error) {
    reportError(error);
  }
  state.messagesTimer = setInterval(() => pollMessages(group), MESSAGES_POLL_MS);
  $("composer-text").focus();
}

async function pollMessages(group) {
  if (state.open !== group) return;
  try {
    const { data } = await state.api.listMessages(group.uuid);
    const nearBottom = isNearBottom();
    appendMessages(data);
    if (nearBottom) scrollToBottom();
  } catch (error) {
    reportError(error);
  }
}

async function loadOlder() {
  const path = state.olderPath;
  if (!path || state.loadingOlder) return;
  state.loadingOlder = true;
  const scroller = $("messages-scroll");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  try {
    const { data, next } = await state.api.listMessages(state.open.uuid, path);
    prependMessages(data);
    setOlder(next);
    scroller.scrollTop = scroller.scrollHeight - fromBottom;  // keep the reader's place
  } catch (error) {
    reportError(error);
  } finally {
    state.loadingOlder = false;
  }
}

function setOlder(path) {
  state.olderPath = path;
  $("load-older").hidden = !path;
}

function messageItem(message) {
  const mine = message.handle === state.session.username;
  return el("li", { className: mine ? "message mine" : "message", attrs: { "data-message": message.uuid } },
    el("div", { className: "message-meta" },
      el("span", { text: `${message.display_name} ` }),
      el("time", { text: relativeTime(message.created_at), attrs: { datetime: message.created_at } })),
    el("p", { className: "message-text", text: message.message }));
}

function appendMessages(messages) {
  const fresh = messages.filter((m) => !state.seen.has(m.uuid));
  fresh.forEach((m) => state.seen.add(m.uuid));
  $("messages").append(...fresh.map(messageItem));
}

function prependMessages(messages) {
  const fresh = messages.filter((m) => !state.seen.has(m.uuid));
  fresh.forEach((m) => state.seen.add(m.uuid));
  $("messages").prepend(...fresh.map(messageItem));
}

function isNearBottom() {
  const s = $("messages-scroll");
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

function scrollToBottom() {
  const s = $("messages-scroll");
  s.scrollTop = s.scrollHeight;
}

// Writing (patterns C and D) ------------------------------------------------------------------------------

// Sends with one Idempotency-Key per draft: a double click, a retry after a time-out or a busy answer is the
// same request, so the message is written once.
async function sendOnce(form, send) {
  const button = form.querySelector("button[type=submit]");
  if (button.disabled) return null;
  button.disabled = true;
  form.dataset.key ||= newKey();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await send(form.dataset.key);
        delete form.dataset.key;
        showNotice("");
        return result;
      } catch (error) {
        if (!(error instanceof ApiError && error.retryable) || attempt === SEND_ATTEMPTS) throw error;
        showNotice(error.message);
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  } catch (error) {
    if (error instanceof ApiError && !error.retryable) delete form.dataset.key;  // a corrected draft is new
    reportError(error);
    return null;
  } finally {
    button.disabled = false;
  }
}

async function sendMessage(event) {
  event.preventDefault();
  const box = $("composer-text");
  const text = box.value.trim();
  if (!text || !state.open) return;
  const group = state.open;
  const result = await sendOnce($("composer"), (key) => state.api.postMessage(group.uuid, text, key));
  if (!result) return;
  box.value = "";
  if (state.open === group) {
    appendMessages([result.data]);
    scrollToBottom();
  }
  refreshGroups();
}

async function startConversation(event) {
  event.preventDefault();
  const handle = $("new-handle").value.trim().replace(/^@/, "");
  const text = $("new-message").value.trim();
  if (!handle || !text) return;
  const result = await sendOnce($("new-conversation-form"), (key) => state.api.startConversation(handle, text, key));
  if (!result) return;
  $("new-handle").value = "";
  $("new-message").value = "";
  await refreshGroups();
  const group = state.groups.find((g) => g.uuid === result.data.message_group_uuid);
  if (group) openConversation(group);
}

// Wiring ----------------------------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const button = event.target.querySelector("button");
  button.disabled = true;
  $("sign-in-error").hidden = true;
  try {
    await state.session.signIn($("username").value.trim(), $("password").value);
    $("password").value = "";
    showApp();
  } catch (error) {
    $("sign-in-error").textContent = error instanceof AuthError ? error.message : "Sign-in failed. Please try again.";
    $("sign-in-error").hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function main() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    showNotice(error.message);
    return;
  }
  state.session = new Session(config.cognito, () => showSignIn("Your session has expired. Please sign in again."));
  state.api = new Api(config.apiUrl, state.session);
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => showSignIn(""));
  $("composer").addEventListener("submit", sendMessage);
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("new-conversation-form").addEventListener("submit", startConversation);
  $("load-older").addEventListener("click", loadOlder);
  $("messages-scroll").addEventListener("scroll", () => {
    if ($("messages-scroll").scrollTop < 40) loadOlder();
  });
  $("back").addEventListener("click", () => {
    $("app-view").classList.remove("showing-conversation");
    clearInterval(state.messagesTimer);
    state.open = null;
    renderGroups();
  });
  showSignIn();
}

main();
