// Cruddur Messages web client: sign in, see my conversations, read and write messages. This module holds the
// state and the flow; the views, the outbox and the dialog are modules of their own.
import { Api, ApiError, newKey } from "./api.js";
import { AuthError, Session } from "./auth.js";
import { avatar } from "./avatar.js";
import { loadConfig } from "./config.js";
import { $, el } from "./dom.js";
import { focusGroup, renderGroups } from "./groups-view.js";
import { MessagesView } from "./messages-view.js";
import { NewConversationDialog, handleToSend } from "./new-conversation.js";
import { Outbox, deliver } from "./outbox.js";

const GROUPS_POLL_MS = 5_000;
const MESSAGES_POLL_MS = 3_000;
const COMPOSER_MAX_PX = 160;

const state = { api: null, session: null, account: null, groups: [], conversation: null, view: null, dialog: null };

// Everything that belongs to one signed-in person: replaced at every sign-in, so nothing of theirs (drafts,
// messages on their way, conversation list, timers, answers still on their way) reaches whoever signs in next.
function newAccount() {
  return {
    drafts: new Map(),  // group uuid → draft: what is typed there, kept per conversation
    outbox: new Outbox(),
    newConversation: { key: null, sending: false },
    groupsAsked: 0,
    groupsShown: 0,
    timer: setInterval(refreshGroups, GROUPS_POLL_MS),
  };
}

function draftFor(groupUuid) {
  const drafts = state.account.drafts;
  if (!drafts.has(groupUuid)) drafts.set(groupUuid, { text: "" });
  return drafts.get(groupUuid);
}

const isMine = (message) => message.handle.toLowerCase() === state.session.username?.toLowerCase();
const byTime = (a, b) => a.created_at.localeCompare(b.created_at) || a.uuid.localeCompare(b.uuid);

// Everything that belongs to the conversation on screen. Opening another one (or going back, or signing out)
// closes it and makes a new one: its reads are cancelled, its timer stops, and an answer that still arrives
// finds it is no longer current and is dropped, so one person's messages never show under another's name.
class Conversation {
  constructor(group, draft, outbox) {
    this.group = group;
    this.draft = draft;  // kept per group across openings, so it is never sent to somebody else
    this.outbox = outbox;  // the account's: a message on its way outlives the conversation being on screen
    this.messages = new Map();  // uuid → message as the API gave it
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

  // Keeps the API's messages; returns the ones not seen before. A message of ours that arrives this way may be
  // one whose answer never came: `claim` settles it so it is not shown twice (nor retried).
  add(messages, { claim = true } = {}) {
    const fresh = messages.filter((m) => !this.messages.has(m.uuid));
    for (const message of fresh) {
      this.messages.set(message.uuid, message);
      if (claim && isMine(message)) this.outbox.claim(this.group.uuid, message);
    }
    return fresh;
  }

  newest() {
    let newest = null;
    for (const m of this.messages.values()) if (!newest || m.created_at > newest) newest = m.created_at;
    return newest;
  }

  entries() {
    const me = state.session.username.toLowerCase();
    const sent = [...this.messages.values()].sort(byTime).map((m) => ({
      key: m.uuid, handle: m.handle.toLowerCase(), displayName: m.display_name, text: m.message,
      createdAt: m.created_at, mine: isMine(m), status: "sent", editable: false,
    }));
    const unsent = this.outbox.entries(this.group.uuid).map((e) => ({
      key: e.key, handle: me, displayName: me, text: e.text, createdAt: null, mine: true, status: e.status,
      editable: e.editable,
    }));
    return [...sent, ...unsent];
  }

  // Drawn again; a reader who was at the bottom stays there.
  render({ follow = true } = {}) {
    const wasNearBottom = state.view.nearBottom();
    state.view.render(this.entries());
    if (follow && wasNearBottom) state.view.scrollToBottom();
  }
}

function showNotice(words) {
  $("notice").textContent = words;
  $("notice").hidden = !words;
}

// New messages from the other person, said by screen readers (the list itself is not a live region: it is
// redrawn, and would be read out whole).
function announce(messages) {
  if (messages.length) $("live").textContent = messages.map((m) => `${m.display_name}: ${m.message}`).join("\n");
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
  drawGroups();
  state.dialog?.reset();
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
  if (signedOut(error)) {
    // The first reason wins: calls still in flight when the session ended fail too, with less to say.
    if ($("sign-in-view").hidden) showSignIn(error.message);
    return;
  }
  showNotice(error instanceof ApiError ? error.message : "Something went wrong on our side. Please try again.");
}

const signedOut = (error) => error instanceof AuthError || (error instanceof ApiError && error.code === "unauthorized");

// Conversations (pattern B) -------------------------------------------------------------------------------

// The one way the conversation list is brought up to date: the poll, a send, a new conversation, and a live
// update (a WebSocket push, later) all call this. Safe to call at any time and as often as wanted.
export async function refreshGroups() {
  const account = state.account;
  if (!account) return;
  // Polls and refreshes after a send overlap: an answer older than the one on screen is not drawn over it.
  const asked = ++account.groupsAsked;
  try {
    const { data } = await state.api.listGroups();
    if (state.account !== account || asked < account.groupsShown) return;
    account.groupsShown = asked;
    state.groups = data;
    drawGroups();
  } catch (error) {
    if (state.account === account) reportError(error);
  }
}

function drawGroups() {
  renderGroups($("groups"), state.groups, { currentUuid: state.conversation?.group.uuid, onOpen: openConversation });
  $("groups-empty").hidden = state.groups.length > 0 || !state.account;
}

// One conversation (pattern A) ----------------------------------------------------------------------------

function showHeader(group) {
  $("conversation-title").replaceChildren(
    el("span", { className: "title-name", text: group.display_name }), " ",
    el("span", { className: "title-handle", text: `(@${group.handle})` }));
  $("conversation-avatar").replaceChildren(avatar(group.display_name, group.handle));
}

async function openConversation(group) {
  state.conversation?.close();
  const conversation = new Conversation(group, draftFor(group.uuid), state.account.outbox);
  state.conversation = conversation;
  showHeader(group);
  state.view.clear();
  setOlder(conversation, null);
  showDraft(conversation.draft);
  $("composer").hidden = false;
  $("conversation-empty").hidden = true;
  $("app-view").classList.add("showing-conversation");
  drawGroups();
  conversation.render();  // messages still on their way show at once
  const answer = await readMessages(conversation);
  if (answer) {
    conversation.add(answer.data);
    setOlder(conversation, answer.next);
    conversation.render();
    state.view.scrollToBottom();
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
  $("conversation-avatar").replaceChildren();
  $("conversation-empty").hidden = false;
  state.view?.clear();
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
  const wasNearBottom = state.view.nearBottom();
  const fresh = conversation.add(answer.data);
  if (!fresh.length) return;  // nothing new: the screen (and the reader's selection) is left alone
  conversation.render({ follow: false });
  state.view.arrived(wasNearBottom);
  announce(fresh.filter((m) => !isMine(m)));
}

async function loadOlder() {
  const conversation = state.conversation;
  if (!conversation?.olderPath || conversation.loadingOlder) return;
  conversation.loadingOlder = true;
  const answer = await readMessages(conversation, conversation.olderPath);
  conversation.loadingOlder = false;
  if (!answer) return;
  state.view.keepPlace(() => {
    conversation.add(answer.data);
    conversation.render({ follow: false });
  });
  setOlder(conversation, answer.next);
}

function setOlder(conversation, path) {
  conversation.olderPath = path;
  $("load-older").hidden = !path;
}

// Writing (patterns C and D) ------------------------------------------------------------------------------

// The composer shows the draft of the conversation on screen.
function showDraft(draft) {
  const box = $("composer-text");
  if (box.value !== draft.text) box.value = draft.text;
  fitComposer();
}

function fitComposer() {
  const box = $("composer-text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, COMPOSER_MAX_PX)}px`;
}

// The message goes into the conversation at once, marked "Sending…"; the composer is free for the next one.
function sendMessage(event) {
  event.preventDefault();
  const conversation = state.conversation;
  const text = conversation?.draft.text.trim();
  if (!text) return;
  const entry = state.account.outbox.add(conversation.group.uuid, text, conversation.newest());
  conversation.draft.text = "";
  showDraft(conversation.draft);
  conversation.render();
  state.view.scrollToBottom();
  deliverEntry(entry);
}

function onScreen(groupUuid) {
  return state.conversation?.group.uuid === groupUuid ? state.conversation : null;
}

// Sends (or sends again) one message with its own Idempotency-Key, wherever the person is meanwhile.
async function deliverEntry(entry) {
  const account = state.account;
  entry.status = "sending";
  entry.editable = false;
  onScreen(entry.groupUuid)?.render();
  try {
    const { data } = await deliver((key) => state.api.postMessage(entry.groupUuid, entry.text, key), entry.key, {
      onRetry: (error) => { if (state.account === account) showNotice(error.message); },
      stop: () => entry.settled || state.account !== account,
    });
    if (state.account !== account) return;
    showNotice("");
    if (!entry.settled) account.outbox.settle(entry);
    onScreen(entry.groupUuid)?.add([data], { claim: false });
    refreshGroups();
  } catch (error) {
    if (state.account !== account) return;
    if (entry.settled) {
      showNotice("");  // it got there after all (the conversation shows it): nothing to report
    } else {
      entry.status = "failed";
      // Refused outright (not busy, not unreachable): nothing was written, so it may be edited and sent anew.
      entry.editable = error instanceof ApiError && !error.retryable && !signedOut(error);
      reportError(error);
    }
  }
  onScreen(entry.groupUuid)?.render();
}

function retry(key) {
  const entry = state.conversation && state.account.outbox.find(state.conversation.group.uuid, key);
  if (!entry || entry.status !== "failed") return;
  deliverEntry(entry);  // the same key: if the first try was written after all, this returns it, not a copy
  state.view.focus(key);
}

function edit(key) {
  const conversation = state.conversation;
  const entry = conversation && state.account.outbox.find(conversation.group.uuid, key);
  if (!entry || entry.status !== "failed") return;
  state.account.outbox.settle(entry);
  conversation.draft.text = conversation.draft.text ? `${entry.text}\n${conversation.draft.text}` : entry.text;
  showDraft(conversation.draft);
  conversation.render();
  $("composer-text").focus();
}

async function startConversation(typedHandle, text) {
  const { account, conversation: before, dialog } = state;
  const request = account.newConversation;
  if (request.sending) return;
  const handle = handleToSend(typedHandle, state.groups);
  request.sending = true;
  request.key ||= newKey();
  dialog.busy(true);
  let result;
  try {
    result = await deliver((key) => state.api.startConversation(handle, text, key), request.key, {
      onRetry: (error) => { if (state.account === account) dialog.showError(error.message, null); },
    });
  } catch (error) {
    if (state.account !== account) return;  // signed out meanwhile: the dialog is someone else's now
    request.sending = false;
    dialog.busy(false);
    if (!(error instanceof ApiError && error.retryable)) request.key = null;  // a corrected request is new
    if (signedOut(error)) reportError(error);
    else {
      const aboutText = ["validation_error", "payload_too_large"].includes(error.code) && !/handle/.test(error.message);
      dialog.showError(error.message, aboutText ? $("new-message") : $("new-handle"));
    }
    return;
  }
  if (state.account !== account) return;
  request.sending = false;
  request.key = null;
  dialog.reset();
  await refreshGroups();
  const uuid = result.data.message_group_uuid;
  // Opened only if the person has not opened another conversation while this one was being started.
  const group = state.groups.find((g) => g.uuid === uuid)
    ?? { uuid, handle, display_name: handle, message: text, created_at: result.data.created_at };
  if (state.account === account && state.conversation === before) openConversation(group);
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

function wireComposer() {
  $("composer").addEventListener("submit", sendMessage);
  $("composer-text").addEventListener("input", () => {
    if (state.conversation) state.conversation.draft.text = $("composer-text").value;
    fitComposer();
  });
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
}

async function main() {
  state.view = new MessagesView({
    scroller: $("messages-scroll"), list: $("messages"), jump: $("jump"), onRetry: retry, onEdit: edit,
  });
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    showNotice(error.message);
    return;
  }
  state.session = new Session(config.cognito, () => showSignIn("Your session has expired. Please sign in again."));
  state.api = new Api(config.apiUrl, state.session);
  state.dialog = new NewConversationDialog({
    onSubmit: startConversation,
    onEdit: () => { if (state.account && !state.account.newConversation.sending) state.account.newConversation.key = null; },
  });
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => showSignIn(""));
  wireComposer();
  $("load-older").addEventListener("click", loadOlder);
  $("messages-scroll").addEventListener("scroll", () => {
    if ($("messages-scroll").scrollTop < 40) loadOlder();
  });
  $("back").addEventListener("click", () => {
    const left = state.conversation?.group.uuid;
    closeConversation();
    drawGroups();
    if (left) focusGroup($("groups"), left);  // the back button is gone: keyboard users carry on where they were
  });
  showSignIn();
}

main();
