// Cruddur Messages web client: sign in, see my conversations, read and write messages.
import { Api, ApiError } from "./api.js";
import { AuthError, Session } from "./auth.js";
import { loadConfig } from "./config.js";
import { el, newKey, relativeTime } from "./format.js";

const GROUPS_POLL_MS = 5_000;
const MESSAGES_POLL_MS = 3_000;
const SEND_ATTEMPTS = 4;

const $ = (id) => document.getElementById(id);
const state = { api: null, session: null, account: null, groups: [], conversation: null };

// Everything that belongs to one signed-in person: replaced at every sign-in, so nothing of theirs (drafts,
// conversation list, timers, answers still on their way) reaches whoever signs in next on this page.
function newAccount() {
  return {
    drafts: new Map(),  // group uuid → draft: what is typed there and its Idempotency-Key
    newConversation: { key: null, sending: false },
    groupsAsked: 0,
    groupsShown: 0,
    timer: setInterval(refreshGroups, GROUPS_POLL_MS),
  };
}

function draftFor(groupUuid) {
  const drafts = state.account.drafts;
  if (!drafts.has(groupUuid)) drafts.set(groupUuid, { text: "", key: null, sending: false });
  return drafts.get(groupUuid);
}

// Everything that belongs to the conversation on screen. Opening another one (or going back, or signing out)
// closes it and makes a new one: its reads are cancelled, its timer stops, and an answer that still arrives
// finds it is no longer current and is dropped, so one person's messages never show under another's name.
class Conversation {
  constructor(group, draft) {
    this.group = group;
    this.draft = draft;  // kept per group across openings, so it is never sent to somebody else
    this.seen = new Set();
    this.olderPath = null;
    this.loadingOlder = false;
    this.polling = false;
    this.timer = null;
    this.reads = new AbortController();
  }

  get current() { return state.conversation === this; }

  close() {
    clearInterval(this.timer);
    this.reads.abort();
  }
}

function showNotice(words) {
  $("notice").textContent = words;
  $("notice").hidden = !words;
}

function showSignIn(reason = "") {
  signOutAccount();
  state.session?.signOut();
  $("app-view").hidden = true;
  $("session").hidden = true;
  $("sign-in-view").hidden = false;
  showNotice(reason);
  $("username").focus();
}

function signOutAccount() {
  if (state.account) clearInterval(state.account.timer);
  state.account = null;
  closeConversation();
  state.groups = [];
  renderGroups();
  $("new-conversation-form").reset();
  $("new-conversation-form").querySelector("button[type=submit]").disabled = false;
}

function showApp() {
  state.account = newAccount();
  $("sign-in-view").hidden = true;
  $("app-view").hidden = false;
  $("session").hidden = false;
  $("signed-in-as").textContent = `Signed in as ${state.session.username}`;
  showNotice("");
  refreshGroups();
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
  const account = state.account;
  if (!account) return;
  // Polls and refreshes after a send overlap: an answer older than the one on screen is not drawn over it.
  const asked = ++account.groupsAsked;
  try {
    const { data } = await state.api.listGroups();
    if (state.account !== account || asked < account.groupsShown) return;
    account.groupsShown = asked;
    state.groups = data;
    renderGroups();
  } catch (error) {
    if (state.account === account) reportError(error);
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
    if (state.conversation?.group.uuid === group.uuid) button.setAttribute("aria-current", "true");
    button.addEventListener("click", () => openConversation(group));
    return el("li", {}, button);
  }));
  $("groups-empty").hidden = state.groups.length > 0 || !state.account;
  if (focused) focusGroup(focused);
}

function focusGroup(groupUuid) {
  $("groups").querySelector(`[data-group="${CSS.escape(groupUuid)}"]`)?.focus();
}

// One conversation (pattern A) ----------------------------------------------------------------------------

async function openConversation(group) {
  state.conversation?.close();
  const conversation = new Conversation(group, draftFor(group.uuid));
  state.conversation = conversation;
  $("conversation-title").textContent = `${group.display_name} (@${group.handle})`;
  $("messages").replaceChildren();
  setOlder(conversation, null);
  showDraft(conversation.draft);
  $("composer").hidden = false;
  $("app-view").classList.add("showing-conversation");
  renderGroups();
  const answer = await readMessages(conversation);
  if (answer) {
    appendMessages(conversation, answer.data);
    setOlder(conversation, answer.next);
    scrollToBottom();
  }
  if (!conversation.current) return;
  conversation.timer = setInterval(() => pollMessages(conversation), MESSAGES_POLL_MS);
  $("composer-text").focus();
}

// Back to the list (or signed out): the conversation pane is emptied, not left showing someone's messages.
function closeConversation() {
  state.conversation?.close();
  state.conversation = null;
  $("app-view").classList.remove("showing-conversation");
  $("conversation-title").textContent = "Select a conversation";
  $("messages").replaceChildren();
  $("load-older").hidden = true;
  $("composer").hidden = true;
}

// Every read of a conversation goes through here: its answer, or its failure, is given back only while that
// conversation is still the one on screen (null otherwise, and for a failure, which is reported).
async function readMessages(conversation, path = null) {
  try {
    const answer = await state.api.listMessages(conversation.group.uuid, path, conversation.reads.signal);
    return conversation.current ? answer : null;
  } catch (error) {
    if (conversation.current) reportError(error);
    return null;
  }
}

async function pollMessages(conversation) {
  if (conversation.polling) return;  // a slow answer is not asked for again on top of itself
  conversation.polling = true;
  const answer = await readMessages(conversation);
  conversation.polling = false;
  if (!answer) return;
  const nearBottom = isNearBottom();
  appendMessages(conversation, answer.data);
  if (nearBottom) scrollToBottom();
}

async function loadOlder() {
  const conversation = state.conversation;
  if (!conversation?.olderPath || conversation.loadingOlder) return;
  conversation.loadingOlder = true;
  const scroller = $("messages-scroll");
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  const answer = await readMessages(conversation, conversation.olderPath);
  conversation.loadingOlder = false;
  if (!answer) return;
  prependMessages(conversation, answer.data);
  setOlder(conversation, answer.next);
  scroller.scrollTop = scroller.scrollHeight - fromBottom;  // keep the reader's place
}

function setOlder(conversation, path) {
  conversation.olderPath = path;
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

function unseen(conversation, messages) {
  const fresh = messages.filter((m) => !conversation.seen.has(m.uuid));
  fresh.forEach((m) => conversation.seen.add(m.uuid));
  return fresh.map(messageItem);
}

function appendMessages(conversation, messages) {
  $("messages").append(...unseen(conversation, messages));
}

function prependMessages(conversation, messages) {
  $("messages").prepend(...unseen(conversation, messages));
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
async function sendOnce(draft, send) {
  draft.key ||= newKey();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await send(draft.key);
        draft.key = null;
        showNotice("");
        return result;
      } catch (error) {
        if (!(error instanceof ApiError && error.retryable) || attempt === SEND_ATTEMPTS) throw error;
        showNotice(error.message);
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  } catch (error) {
    if (error instanceof ApiError && !error.retryable) draft.key = null;  // a corrected draft is new
    reportError(error);
    return null;
  }
}

// The composer shows the draft of the conversation on screen, and whether that draft is on its way.
function showDraft(draft) {
  const box = $("composer-text");
  if (box.value !== draft.text) box.value = draft.text;
  $("send").disabled = draft.sending;
}

async function sendMessage(event) {
  event.preventDefault();
  const conversation = state.conversation;
  const draft = conversation?.draft;
  const text = draft?.text.trim();
  if (!text || draft.sending) return;
  const { group } = conversation;
  draft.sending = true;
  showDraft(draft);
  const result = await sendOnce(draft, (key) => state.api.postMessage(group.uuid, text, key));
  draft.sending = false;
  if (result && draft.text.trim() === text) draft.text = "";  // what was typed meanwhile is kept
  if (result) refreshGroups();
  // The person may have moved on: the answer belongs to this group's conversation, wherever that is now.
  const onScreen = state.conversation;
  if (onScreen?.draft !== draft) return;
  showDraft(draft);
  if (result) {
    appendMessages(onScreen, [result.data]);
    scrollToBottom();
  }
}

async function startConversation(event) {
  event.preventDefault();
  const handle = $("new-handle").value.trim().replace(/^@/, "");
  const text = $("new-message").value.trim();
  const { account, conversation: before } = state;
  const draft = account.newConversation;
  if (!handle || !text || draft.sending) return;
  const button = event.target.querySelector("button[type=submit]");
  draft.sending = true;
  button.disabled = true;
  const result = await sendOnce(draft, (key) => state.api.startConversation(handle, text, key));
  if (state.account !== account) return;  // signed out meanwhile: the form is someone else's now
  draft.sending = false;
  button.disabled = false;
  if (!result) return;
  $("new-handle").value = "";
  $("new-message").value = "";
  await refreshGroups();
  // Opened only if the person has not opened another conversation while this one was being started.
  const group = state.groups.find((g) => g.uuid === result.data.message_group_uuid);
  if (group && state.account === account && state.conversation === before) openConversation(group);
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
  $("composer-text").addEventListener("input", () => {
    if (state.conversation) state.conversation.draft.text = $("composer-text").value;
  });
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
    const left = state.conversation?.group.uuid;
    closeConversation();
    renderGroups();
    if (left) focusGroup(left);  // the back button is gone: keyboard users carry on where they came from
  });
  showSignIn();
}

main();
