// Cruddur Messages web client: sign in, see my conversations, read and write messages, edit and delete mine, and
// the safety controls: block, mute, report a message, who may start a conversation with me, and message requests.
// This module holds the state and the flow; the views, the outbox and the dialogs are modules of their own.
import { Api, ApiError, newKey, plainWords } from "./api.js";
import { AuthError, Session } from "./auth.js";
import { avatar } from "./avatar.js";
import { BlockDialog } from "./block-dialog.js";
import { loadConfig } from "./config.js";
import { ConversationList } from "./conversation-list.js";
import { ConversationMenu } from "./conversation-menu.js";
import { DeleteDialog } from "./delete-dialog.js";
import { $, el } from "./dom.js";
import { unreadLabel } from "./format.js";
import { focusGroup, renderGroups, renderRequests } from "./groups-view.js";
import { LiveConnection } from "./live.js";
import { TypingIndicators, TypingSender, isTyping, typingWords } from "./typing.js";
import { MessagesView, focusKeys } from "./messages-view.js";
import { NewConversationDialog, handleToSend } from "./new-conversation.js";
import { GIVE_UP_MS, Outbox, SendLimit, deliver } from "./outbox.js";
import { ReportDialog } from "./report-dialog.js";
import { SettingsDialog } from "./settings-dialog.js";

const GROUPS_POLL_MS = 5_000;
const MESSAGES_POLL_MS = 3_000;
const COMPOSER_MAX_PX = 160;
const CATCH_UP_MAX_PAGES = 5;
const BLOCKS_MAX_PAGES = 20;  // my block list, read whole: 1,000 people is more than anyone blocks  // missed more than this many pages: the conversation starts again from the newest
const READ_RETRY_MAX_MS = 30_000;  // a read marker refused by its limit is set again after Retry-After, at most this
// The list (pattern B) trails the messages by the stream processor's batching window and run: read again this long
// after a (re)connect, for a message written just before the socket was up (pushed to no socket, not yet listed).
const LIST_SETTLE_MS = 5_000;
const TITLE = document.title;
// ?poll=off: no polling at all, not even while the socket is down (the browser tests prove pushes that way).
const POLLING = new URLSearchParams(location.search).get("poll") !== "off";

const state = {
  api: null, session: null, websocketUrl: null, account: null, list: new ConversationList(), conversation: null,
  view: null, dialog: null, deleteDialog: null, blockDialog: null, reportDialog: null, settings: null, menu: null,
  reporting: null,  // {account, conversation, message, sending}: the message the report dialog is about
  editWindowMs: 900_000,  // config.json's editWindowSeconds: Edit is offered on my messages younger than this
  readReceipts: null,  // my read-receipts setting as the settings dialog last heard it (null: not heard yet)
};

// Everything that belongs to one signed-in person: replaced at every sign-in, so nothing of theirs (drafts,
// messages on their way, conversation list, timers, the socket, answers still on their way) reaches whoever
// signs in next.
function newAccount() {
  const account = {
    drafts: new Map(),  // group uuid → draft: what is typed there, kept per conversation
    outbox: null,
    newConversation: { key: null, sending: false },
    groupsAsked: 0,
    groupsShown: 0,
    listStale: false,  // the last read of the list failed: it is read again until one works
    timer: null,
    live: null,
    blocks: new Set(),  // lowercased handles of the people I block (GET /api/blocks), kept up to date by my changes
    blocksAsked: 0,
    reported: new Set(),  // uuids of messages I reported from this page: Report is not offered on them again
    safetyBusy: false,  // a mute or a block of mine is on its way: the menu's next choice waits for it
    accepting: new Set(),  // uuids of the message requests whose acceptance is on its way
  };
  account.outbox = new Outbox(new SendLimit((ms) => { if (state.account === account) showSendStatus(ms); }));
  if (state.websocketUrl) {
    account.live = new LiveConnection({
      url: state.websocketUrl,
      token: () => state.session.token(),  // with its expiry: the socket renews itself before it
      onFrame: (frame) => { if (state.account === account) received(frame); },
      onState: (liveState) => { if (state.account === account) liveChanged(liveState); },
      onError: (error) => { if (state.account === account && signedOut(error)) reportError(error); },
    });
  }
  return account;
}

function draftFor(groupUuid) {
  const drafts = state.account.drafts;
  if (!drafts.has(groupUuid)) drafts.set(groupUuid, { text: "" });
  return drafts.get(groupUuid);
}

const isMine = (message) => message.handle.toLowerCase() === state.session.username?.toLowerCase();
const byTime = (a, b) => a.created_at.localeCompare(b.created_at) || a.uuid.localeCompare(b.uuid);
// The server is the judge (it answers edit_window_closed); this only keeps from offering what it would refuse.
const editWindowOpen = (message, now = Date.now()) => now - Date.parse(message.created_at) < state.editWindowMs;
const canEdit = (message, now = Date.now()) => isMine(message) && !message.deleted_at && editWindowOpen(message, now);

// An update never goes back: a deletion is final, and a text gives way only to a later edit of it (the answer to
// an edit and its push may come in either order, a read may bring what a push already did).
function supersedes(incoming, known) {
  if (known.deleted_at) return false;
  if (incoming.deleted_at) return true;
  return (incoming.edited_at ?? "") > (known.edited_at ?? "");
}

// Everything that belongs to the conversation on screen. Opening another one (or going back, or signing out)
// closes it and makes a new one: its reads are cancelled, its timer stops, and an answer (or a pushed message)
// that still arrives finds it is no longer current and is dropped, so one person's messages never show under
// another's name.
class Conversation {
  constructor(group, draft, outbox) {
    this.group = group;
    this.draft = draft;  // kept per group across openings, so it is never sent to somebody else
    this.outbox = outbox;  // the account's: a message on its way outlives the conversation being on screen
    this.messages = new Map();  // uuid → message as the API gave it
    this.olderPath = null;
    this.loadingOlder = false;
    this.catchingUp = 0;  // reads of the newest messages under way
    this.loaded = false;  // its first page is in
    this.stale = true;  // not read yet, or the last read failed: read again until one works
    this.timer = null;
    this.reads = new AbortController();
    // The "New messages" divider: the last `unreadAtOpen` messages of the other person among those there were
    // when it opened (through `openedThrough`); what arrives later is not counted, so it stays where it is.
    this.unreadAtOpen = Number.isFinite(group.unread_count) ? group.unread_count : 0;
    this.openedThrough = null;
    this.markedRead = null;  // uuid of the newest message the read marker was set to (or is being set to)
    this.markLater = null;  // the read marker refused by the limit: set again once its Retry-After is over
    this.editing = null;  // {uuid, from ("message" | "composer": where the focus goes back to), saving}
    this.editsClose = null;  // the timer that takes Edit away from the next message whose edit window closes
    this.editsRefused = new Set();  // uuids the server would not let me edit any more (its clock is the judge)
    // The newest message the other member has read, as far as this page knows ("Seen"): from pattern A's first
    // page and from `read` pushes; null while it may not be shown (either of us hides read receipts, a block, a
    // request).
    this.seenThrough = null;
  }

  // Where the other member has now read up to: from a push, only ever forward; from a first page, as it says
  // (absent: not to be shown now, e.g. they turned read receipts off). True if it changed.
  noteSeen(uuid, { fromPage = false } = {}) {
    const next = state.readReceipts === false ? null
      : fromPage ? (uuid ?? null) : [this.seenThrough, uuid].filter(Boolean).sort().at(-1) ?? null;
    if (next === this.seenThrough) return false;
    this.seenThrough = next;
    return true;
  }

  get current() { return state.conversation === this; }

  close() {
    clearInterval(this.timer);
    clearTimeout(this.markLater);
    clearTimeout(this.editsClose);
    this.editing = null;
    this.reads.abort();
  }

  editable(message, now = Date.now()) {
    return canEdit(message, now) && !this.editsRefused.has(message.uuid);
  }

  // My newest message that may still be edited (the Up arrow in an empty composer edits it), or null.
  lastEditable() {
    const now = Date.now();
    return [...this.messages.values()].sort(byTime).findLast((m) => this.editable(m, now)) ?? null;
  }

  // An edit or a deletion of a message this conversation has, applied in place (it keeps its place: its uuid and
  // time do not change). True if it changed what is shown.
  update(message) {
    const known = this.messages.get(message.uuid);
    if (!known || !supersedes(message, known)) return false;
    this.messages.set(message.uuid, { ...known, ...message });
    return true;
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
    return this.newestMessage()?.created_at ?? null;
  }

  newestMessage() {
    let newest = null;
    for (const m of this.messages.values()) if (!newest || byTime(m, newest) > 0) newest = m;
    return newest;
  }

  // A read of the newest messages found nothing it knew: what it knew before is not next to it any more.
  forgetOlderThan(oldest) {
    for (const [uuid, m] of this.messages) if (byTime(m, oldest) < 0) this.messages.delete(uuid);
  }

  // The first message that was unread when the conversation opened (null: none, or not loaded yet).
  #firstUnread(sorted) {
    if (!this.unreadAtOpen || !this.openedThrough) return null;
    let counted = 0;
    let first = null;
    for (let i = sorted.length - 1; i >= 0 && counted < this.unreadAtOpen; i -= 1) {
      const m = sorted[i];
      if (byTime(m, this.openedThrough) > 0) continue;
      if (isMine(m)) break;  // sending moves one's own read marker: nothing before it is unread
      counted += 1;
      first = m.uuid;
    }
    return first;
  }

  entries(now = Date.now()) {
    const me = state.session.username.toLowerCase();
    const sorted = [...this.messages.values()].sort(byTime);
    const firstUnread = this.#firstUnread(sorted);
    const sent = sorted.map((m) => ({
      key: m.uuid, handle: m.handle.toLowerCase(), displayName: m.display_name, text: m.message,
      createdAt: m.created_at, mine: isMine(m), status: "sent", editable: false, unreadStart: m.uuid === firstUnread,
      deleted: Boolean(m.deleted_at) || m.message === null, editedAt: m.edited_at ?? null,
      canEdit: this.editable(m, now), canDelete: isMine(m) && !m.deleted_at,
      canReport: !isMine(m) && !m.deleted_at && m.message !== null && !state.account.reported.has(m.uuid),
      reported: state.account.reported.has(m.uuid),
    }));
    // "Seen" under my newest message the other member has read (uuids are time-ordered: a string order).
    const seen = this.seenThrough && sent.findLast((e) => e.mine && !e.deleted && e.key <= this.seenThrough);
    if (seen) seen.seen = true;
    const unsent = this.outbox.entries(this.group.uuid).map((e) => ({
      key: e.key, handle: me, displayName: me, text: e.text, createdAt: null, mine: true, status: e.status,
      editable: e.editable,
    }));
    return [...sent, ...unsent];
  }

  // Drawn again; a reader who was at the bottom stays there.
  render({ follow = true } = {}) {
    const wasNearBottom = state.view.nearBottom();
    const now = Date.now();
    state.view.render(this.entries(now), now);
    if (follow && wasNearBottom) state.view.scrollToBottom();
    this.#closeEditsLater(now);
  }

  // Edit goes away from a message when its window closes, without waiting for something else to redraw it.
  #closeEditsLater(now) {
    clearTimeout(this.editsClose);
    let soonest = Infinity;
    for (const m of this.messages.values()) {
      if (this.editable(m, now)) soonest = Math.min(soonest, Date.parse(m.created_at) + state.editWindowMs);
    }
    if (soonest === Infinity) return;
    this.editsClose = setTimeout(() => { if (this.current) this.render({ follow: false }); }, soonest - now + 50);
  }
}

function showNotice(words) {
  $("notice").textContent = words;
  $("notice").hidden = !words;
}

// New messages from the other person, said by screen readers (the list itself is not a live region: it is
// redrawn, and would be read out whole): in full in the open conversation, who wrote for the others.
function announce(messages, elsewhere = []) {
  const words = [
    ...messages.filter((m) => m.message !== null).map((m) => `${m.display_name}: ${m.message}`),
    ...elsewhere.map((m) => `New message from ${m.display_name}`),
  ];
  if (words.length) $("live").textContent = words.join("\n");
}

// The send limit is holding this person's messages back: said calmly (a polite live region, not an alert), once
// when the hold starts, and cleared when it is over. Nothing is lost meanwhile: they go out in order after it.
function showSendStatus(ms) {
  const words = ms > 0 ? `Sending slowed down: retrying in ${Math.ceil(ms / 1000)} s` : "";
  if ($("send-status").textContent === words) return;  // the same words again would be read out again
  $("send-status").textContent = words;
  state.dialog?.showStatus(words);
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
  if (state.account) {
    clearInterval(state.account.timer);
    state.account.live?.stop();
  }
  showSendStatus(0);
  state.deleteDialog?.cancel();
  state.blockDialog?.cancel();
  state.reportDialog?.close();
  state.settings?.close();
  state.account = null;
  state.readReceipts = null;
  closeConversation();
  state.list = new ConversationList();
  delete $("app-view").dataset.live;
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
  loadBlocks();
  if (state.account.live) {
    $("app-view").dataset.live = state.account.live.state;
    state.account.live.start();
  }
  syncPolling();
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

// Live updates and polling ----------------------------------------------------------------------------------

// Polling is the fallback: it runs only while the socket is down (or there is none), and for a read that failed
// until it works. Called whenever one of those changes; starts and stops the timers to match.
function syncPolling() {
  const account = state.account;
  if (!account) return;
  const socketDown = !account.live || account.live.state === "down";
  account.timer = ticking(account.timer, POLLING && (socketDown || account.listStale), refreshGroups, GROUPS_POLL_MS);
  const conversation = state.conversation;
  if (conversation) {
    conversation.timer = ticking(conversation.timer, POLLING && (socketDown || conversation.stale),
      () => catchUp(conversation), MESSAGES_POLL_MS);
  }
}

function ticking(timer, wanted, tick, everyMs) {
  if (wanted && !timer) return setInterval(tick, everyMs);
  if (!wanted && timer) clearInterval(timer);
  return wanted ? timer : null;
}

// Up: what was missed while it was down (or connecting) is read once, and pushes carry on from there. The socket
// was open before these reads were asked for, so whatever they miss comes pushed: no gap.
function liveChanged(liveState) {
  const account = state.account;
  $("app-view").dataset.live = liveState;  // for the curious and the tests: connecting, up or down
  syncPolling();
  if (liveState !== "up") return;
  refreshGroups();
  loadBlocks();  // changed meanwhile, perhaps, from another device
  setTimeout(() => { if (state.account === account) refreshGroups(); }, LIST_SETTLE_MS);
  if (state.conversation) catchUp(state.conversation, { now: true });
}

// My read-receipts setting, as the settings dialog last heard it: off hides "Seen" at once; on reads the open
// conversation again, whose first page says where the other member has read up to.
function readReceiptsChanged(on) {
  if (state.readReceipts === on) return;
  state.readReceipts = on;
  const conversation = state.conversation;
  if (!conversation) return;
  if (!on && conversation.noteSeen(null, { fromPage: true })) conversation.render({ follow: false });
  if (on && conversation.loaded) catchUp(conversation, { now: true });
}

function received(frame) {
  if (frame.type === "messages" && Array.isArray(frame.messages)) receiveMessages(frame.messages.filter(isMessage));
  else if (frame.type === "typing" && isTyping(frame)) typing.note(frame);
  else if (frame.type === "unread" && typeof frame.message_group_uuid === "string"
    && typeof frame.last_read_at === "string") {
    state.list.noteRead(frame.message_group_uuid, frame);
    drawGroups();
  } else if (frame.type === "message_updated" && isUpdate(frame.message)) {
    applyUpdates(frame.message.message_group_uuid, [frame.message]);
  } else if (frame.type === "read" && typeof frame.message_group_uuid === "string"
    && typeof frame.last_read_uuid === "string") {
    const conversation = onScreen(frame.message_group_uuid);
    if (conversation?.noteSeen(frame.last_read_uuid)) conversation.render({ follow: false });
  }
}

const isMessage = (m) => ["message_group_uuid", "uuid", "handle", "display_name", "message", "created_at"]
  .every((field) => typeof m?.[field] === "string");
const stringOrNull = (value) => value === null || value === undefined || typeof value === "string";
// An edited message or a tombstone (its message null).
const isUpdate = (m) => ["message_group_uuid", "uuid", "handle", "display_name", "created_at"]
  .every((field) => typeof m?.[field] === "string") && ["message", "edited_at", "deleted_at"]
  .every((field) => stringOrNull(m[field])) && (m.message !== null || typeof m.deleted_at === "string");

// Pushed messages (any conversation, possibly again): the open conversation shows its own at once, and the list
// moves theirs to the top with the new preview, without asking the API.
function receiveMessages(messages) {
  messages.sort(byTime);
  // A message of the one who was typing ends their run of typing.
  for (const m of messages) if (!isMine(m)) typing.stopped(m.message_group_uuid, m.handle);
  const conversation = state.conversation;
  const here = messages.filter((m) => m.message_group_uuid === conversation?.group.uuid);
  const fresh = conversation ? showArrivals(conversation, here.map(({ message_group_uuid: _, ...m }) => m)) : [];
  // Neither a muted conversation nor a message request is announced: it updates in the list, silently.
  const elsewhere = noteInList(messages).filter((m) => m.message_group_uuid !== conversation?.group.uuid
    && !isMine(m) && !state.list.quiet(m.message_group_uuid));
  announce(fresh.filter((m) => !isMine(m)), elsewhere);
}

// Messages new to the list (pushed, or the answer to a send); returns those that were news to it.
function noteInList(messages) {
  const { unknown, news } = state.list.noteMessages(messages, {
    isMine, readingNow: (uuid) => Boolean(onScreen(uuid)) && pageVisible(),
  });
  drawGroups();
  if (unknown.size) refreshGroups();  // a conversation new to this page: only the API knows who it is with
  return news;
}

// Shown, read and said: the messages (of this conversation) the page had not seen before. Those it had are
// brought up to date (a read brings edits and deletions too).
function showArrivals(conversation, messages) {
  if (!conversation.current) return [];
  const wasNearBottom = state.view.nearBottom();
  applyUpdates(conversation.group.uuid, messages);
  const fresh = conversation.add(messages);
  if (!fresh.length) return fresh;  // nothing new: the screen (and the reader's selection) is left alone
  conversation.render({ follow: false });
  state.view.arrived(wasNearBottom);
  markRead(conversation);
  return fresh;
}

// Edits and deletions (pushed, the answers to mine, or found by a read), applied where they show: in place in the
// open conversation, and in the list's preview when they are of a conversation's newest message.
function applyUpdates(groupUuid, messages) {
  const conversation = onScreen(groupUuid);
  if (conversation) {
    const changed = messages.map(({ message_group_uuid: _, ...m }) => m).filter((m) => conversation.update(m));
    if (changed.length) {
      const edited = conversation.editing && conversation.messages.get(conversation.editing.uuid);
      if (edited?.deleted_at) stopEditing(conversation);  // deleted meanwhile (from another session of mine)
      conversation.render();
    }
  }
  const previews = messages.filter((m) => state.list.noteUpdate({ ...m, message_group_uuid: groupUuid }));
  if (previews.length) drawGroups();
}

// Read markers ---------------------------------------------------------------------------------------------

// Read means on screen for a person: the tab is in front and the window has the focus.
const pageVisible = () => document.visibilityState === "visible" && document.hasFocus();

// The read marker goes to the newest message shown, once per newest message, and only while someone can see it;
// a tab in the background sets it when it comes to the front.
async function markRead(conversation) {
  if (!conversation?.current || conversation.stale || !pageVisible()) return;
  const newest = conversation.newestMessage();
  if (!newest || conversation.markedRead === newest.uuid) return;
  conversation.markedRead = newest.uuid;
  const groupUuid = conversation.group.uuid;
  const through = state.list.readThrough(groupUuid);
  if (isMine(newest) || (through && through >= newest.created_at)) return;  // the API has it read already
  const account = state.account;
  try {
    const { data } = await state.api.markRead(groupUuid, newest);
    if (state.account !== account) return;
    state.list.noteRead(groupUuid, data);
    drawGroups();
  } catch (error) {
    if (state.account !== account) return;
    if (conversation.markedRead === newest.uuid) conversation.markedRead = null;  // the next chance tries again
    if (signedOut(error)) reportError(error);  // anything else: not worth a word, the next chance will do
    // Marked faster than the API takes (the read marker has a limit of its own): the next chance is when it says,
    // not whenever another message happens to arrive.
    else if (error instanceof ApiError && error.limited && conversation.current) {
      clearTimeout(conversation.markLater);
      conversation.markLater = setTimeout(() => markRead(conversation),
        Math.min(error.retryAfterMs ?? READ_RETRY_MAX_MS, READ_RETRY_MAX_MS));
    }
  }
}

// Conversations (pattern B) -------------------------------------------------------------------------------

// The one way the conversation list is read from the API: the poll, a (re)connect, a new conversation and a
// pushed message of a conversation new to the page all call this. Safe to call at any time and as often as
// wanted.
export async function refreshGroups() {
  const account = state.account;
  if (!account) return;
  // Polls and refreshes overlap: an answer older than the one on screen is not drawn over it.
  const asked = ++account.groupsAsked;
  try {
    const { data } = await state.api.listGroups();
    if (state.account !== account || asked < account.groupsShown) return;
    account.groupsShown = asked;
    account.listStale = false;
    state.list.replace(data);
    drawGroups();
  } catch (error) {
    if (state.account !== account) return;
    account.listStale = true;
    reportError(error);
  }
  syncPolling();
}

// Typing indicators (issue 25): under the open conversation, and in the list (drawGroups); said once per run.
const typing = new TypingIndicators({
  onChange: () => drawGroups(),
  announce: (words) => { $("typing-live").textContent = words; },
});
const typingSender = new TypingSender((groupUuid) => state.account?.live?.sendTyping(groupUuid) ?? false);

function drawTyping() {
  const typist = state.conversation ? typing.of(state.conversation.group.uuid) : null;
  $("typing-note").hidden = typist === null;
  $("typing-note").textContent = typist === null ? "" : typingWords(typist);
}

function drawGroups() {
  const { conversations, requests } = state.list;
  const currentUuid = state.conversation?.group.uuid;
  const pane = $("groups-pane");
  const focused = pane.contains(document.activeElement) ? document.activeElement.dataset.group : null;
  renderGroups($("groups"), conversations, {
    currentUuid, onOpen: openConversation, typingOf: (uuid) => typing.of(uuid),
  });
  drawTyping();
  renderRequests($("requests"), requests, {
    currentUuid, onOpen: openConversation, onAccept: (group) => acceptRequest(group), onBlock: blockRequest,
  });
  // A row that moved from one list to the other (an acceptance) keeps the keyboard focus.
  if (focused && !pane.contains(document.activeElement)) {
    if (!focusGroup($("groups"), focused)) focusGroup($("requests"), focused);
  }
  $("requests-section").hidden = requests.length === 0;
  $("requests-count").textContent = requests.length ? `(${requests.length})` : "";
  $("groups-empty").hidden = conversations.length > 0 || !state.account;
  // The tab says how many are unread, for a person who is in another tab.
  const total = state.account ? state.list.totalUnread() : 0;
  document.title = total ? `(${unreadLabel(total)}) ${TITLE}` : TITLE;
  showConversationState();
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
  state.menu.show(true);
  showConversationState();
  // Blocked, or my request waiting, when last listed: the list is read again, for a block lifted or my request
  // accepted since (no push says either).
  if (group.blocked || group.awaiting_acceptance) refreshGroups();
  state.view.clear();
  setOlder(conversation, null);
  showDraft(conversation.draft);
  $("composer").hidden = false;
  $("conversation-empty").hidden = true;
  $("app-view").classList.add("showing-conversation");
  drawGroups();
  conversation.render();  // messages still on their way show at once
  await catchUp(conversation, { now: true });
  if (!conversation.current) return;
  syncPolling();
  // Not from under a menu or a dialog opened meanwhile. A blocked conversation's composer is disabled: the focus
  // then stays where it is.
  if (!state.menu.isOpen && !document.querySelector("dialog[open]")) $("composer-text").focus();
}

// Back to the list (or signed out): the conversation pane is emptied, not left showing someone's messages.
function closeConversation() {
  state.conversation?.close();
  state.conversation = null;
  $("app-view").classList.remove("showing-conversation");
  $("conversation-title").textContent = "Select a conversation";
  $("conversation-avatar").replaceChildren();
  state.menu?.show(false);
  showConversationState();
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

// The newest messages: the first page when the conversation opens, and then (a poll, the catch-up after a
// reconnect) read until they meet what the conversation already shows, so a long time away leaves no gap.
// `now`: also while another read is under way, which may have been asked for before the socket was back.
async function catchUp(conversation, { now = false } = {}) {
  if (conversation.catchingUp && !now) return;  // a slow answer is not asked for again on top of itself
  const first = !conversation.loaded;
  // Pushed messages that came before the first page are no history to meet: that page is all there is to read.
  const known = first ? new Set() : new Set(conversation.messages.keys());
  conversation.catchingUp += 1;
  const read = [];
  let answer = null;
  let pages = 0;
  let path = null;
  do {
    answer = await readMessages(conversation, path);
    if (!answer) break;
    if (pages === 0 && conversation.noteSeen(answer.seen?.last_read_uuid, { fromPage: true }) && !first) {
      conversation.render({ follow: false });
    }
    read.push(...answer.data);
    path = answer.next;
    pages += 1;
  } while (known.size && path && !answer.data.some((m) => known.has(m.uuid)) && pages < CATCH_UP_MAX_PAGES);
  conversation.catchingUp -= 1;
  if (!answer) {
    if (conversation.current) conversation.stale = true;
    syncPolling();
    return;
  }
  const wasStale = conversation.stale;
  conversation.stale = false;
  if (wasStale) syncPolling();
  if (first && !conversation.loaded) {
    conversation.loaded = true;
    conversation.add(read);
    conversation.openedThrough = read.reduce((a, m) => (!a || byTime(m, a) > 0 ? m : a), null);
    setOlder(conversation, path);
    conversation.render();
    state.view.scrollToBottom();
    state.view.showUnreadStart();
    markRead(conversation);
    return;
  }
  if (known.size && path && !read.some((m) => known.has(m.uuid))) {
    conversation.forgetOlderThan(read.reduce((a, m) => (byTime(m, a) < 0 ? m : a)));
    setOlder(conversation, path);
    conversation.render({ follow: false });
  }
  const fresh = showArrivals(conversation, read);
  if (first) return;  // a second first page is no news
  noteInList(fresh.map((m) => ({ ...m, message_group_uuid: conversation.group.uuid })));
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

// Sends (or sends again) one message with its own Idempotency-Key, wherever the person is meanwhile, once the
// messages written before it in that conversation have gone (or failed): they arrive in the order written.
function deliverEntry(entry) {
  const account = state.account;
  entry.status = "sending";
  entry.editable = false;
  onScreen(entry.groupUuid)?.render();
  const deadline = Date.now() + GIVE_UP_MS;  // from now: waiting behind earlier messages is waiting too
  return account.outbox.queue(entry.groupUuid, () => sendEntry(entry, account, deadline));
}

async function sendEntry(entry, account, deadline) {
  if (entry.settled || state.account !== account) return;  // it came another way while waiting its turn
  try {
    const { data } = await deliver((key) => state.api.postMessage(entry.groupUuid, entry.text, key), entry.key, {
      limit: account.outbox.limit,
      deadline,
      // Held by the send limit: the calm status says so; busy or unreachable: the notice.
      onRetry: (error) => { if (state.account === account && !error.limited) showNotice(error.message); },
      stop: () => entry.settled || state.account !== account,
    });
    if (state.account !== account) return;
    showNotice("");
    if (!entry.settled) account.outbox.settle(entry);
    onScreen(entry.groupUuid)?.add([data], { claim: false });
    noteInList([{ ...data, message_group_uuid: entry.groupUuid }]);
  } catch (error) {
    if (state.account !== account) return;
    if (error instanceof ApiError && error.code === "blocked") {
      // Blocked since the list was read (by either of us: the answer does not say): the composer says so now.
      state.list.setFlags(entry.groupUuid, { blocked: true });
      drawGroups();
      refreshGroups();
    }
    if (error instanceof ApiError && error.code === "awaiting_acceptance" && !entry.settled) {
      // My request holds all it may until they reply or accept: nothing was stored and no retry would help. The
      // text goes back into the composer, to send once they accept, and the server's words say why.
      giveBack(account, entry);
      state.list.setFlags(entry.groupUuid, { awaiting_acceptance: true });
      drawGroups();
      reportError(error);
    } else if (entry.settled) {
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

// Refused for good before it was stored: this message and those written after it in its conversation (they would
// be refused the same) leave the outbox, and their text goes back in front of the draft, in the order written.
function giveBack(account, entry) {
  const entries = account.outbox.entries(entry.groupUuid);
  const back = entries.slice(entries.indexOf(entry));
  for (const refused of back) account.outbox.settle(refused);  // those still queued find it and are not sent
  const draft = draftFor(entry.groupUuid);
  draft.text = [...back.map((refused) => refused.text), draft.text].filter(Boolean).join("\n");
  const conversation = onScreen(entry.groupUuid);
  if (conversation) showDraft(conversation.draft);
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
  const handle = handleToSend(typedHandle, state.list.groups);
  request.sending = true;
  request.key ||= newKey();
  dialog.busy(true);
  let result;
  try {
    result = await deliver((key) => state.api.startConversation(handle, text, key), request.key, {
      limit: account.outbox.limit,  // the same limit as messages: the server counts both routes together
      onRetry: (error) => { if (state.account === account && !error.limited) dialog.showError(error.message, null); },
      stop: () => state.account !== account,
    });
  } catch (error) {
    if (state.account !== account) return;  // signed out meanwhile: the dialog is someone else's now
    request.sending = false;
    dialog.busy(false);
    if (!(error instanceof ApiError && error.retryable)) request.key = null;  // a corrected request is new
    if (signedOut(error)) reportError(error);
    else {
      const aboutText = ["validation_error", "payload_too_large"].includes(error.code) && !/handle/.test(error.message);
      // A retryable failure (busy, unreachable, held back) is about no field: the focus stays where it is.
      dialog.showError(error.message, error.retryable ? null : aboutText ? $("new-message") : $("new-handle"));
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
  const group = state.list.find(uuid)
    ?? { uuid, handle, display_name: handle, message: text, created_at: result.data.created_at };
  if (state.account === account && state.conversation === before) openConversation(group);
}

// Editing and deleting my messages ------------------------------------------------------------------------

// Said once to screen readers (the sighted see the message change).
function say(words) {
  $("live").textContent = words;
}

function ownMessage(conversation, uuid) {
  const message = conversation?.current ? conversation.messages.get(uuid) : null;
  return message && isMine(message) && !message.deleted_at ? message : null;
}

// The message's text in the editor, in its place. `from`: where the focus goes back to once it is done.
function startEditing(uuid, { from = "message" } = {}) {
  const conversation = state.conversation;
  const message = ownMessage(conversation, uuid);
  if (!message) return;
  if (!conversation.editable(message)) {  // the window closed since Edit was drawn
    showNotice(plainWords("edit_window_closed"));
    conversation.render({ follow: false });
    return;
  }
  if (conversation.editing?.saving) return;
  conversation.editing = { uuid, from, saving: false };
  state.view.editor.open(uuid, message.message, { onSave: saveEdit, onCancel: () => stopEditing(conversation) });
  conversation.render({ follow: false });
  state.view.editor.focus();
}

function stopEditing(conversation, { refocus = true } = {}) {
  const editing = conversation.editing;
  if (!editing) return;
  conversation.editing = null;
  if (!conversation.current) return;  // the editor went with the conversation
  const hadFocus = state.view.editor.focused;
  state.view.editor.close();
  conversation.render({ follow: false });
  if (!refocus || !hadFocus) return;
  if (editing.from === "composer") $("composer-text").focus();
  else state.view.focus(editing.uuid);
}

async function saveEdit(typed) {
  const conversation = state.conversation;
  const editing = conversation?.editing;
  if (!editing || editing.saving) return;
  const message = ownMessage(conversation, editing.uuid);
  const text = typed.trim();
  if (!message || text === message.message) {
    stopEditing(conversation);  // deleted meanwhile, or nothing changed: nothing to send
    return;
  }
  if (!text) {
    askDelete(message.uuid);  // an empty message is no message: deleting it is what that means
    return;
  }
  if (!conversation.editable(message)) {
    stopEditing(conversation);
    showNotice(plainWords("edit_window_closed"));
    return;
  }
  const account = state.account;
  const groupUuid = conversation.group.uuid;
  editing.saving = true;
  state.view.editor.busy(true);
  try {
    // Edits share the send limit with sends (the server counts them together): a 429 holds both.
    const { data } = await deliver(() => state.api.editMessage(groupUuid, message.uuid, text), null, {
      limit: account.outbox.limit,
      onRetry: (error) => { if (state.account === account && !error.limited) showNotice(error.message); },
      stop: () => state.account !== account,
    });
    if (state.account !== account) return;
    showNotice("");
    editing.saving = false;
    applyUpdates(groupUuid, [{ ...data, message_group_uuid: groupUuid }]);  // the new text before the editor goes
    if (conversation.editing === editing) stopEditing(conversation);
    say("Message edited");
  } catch (error) {
    if (state.account !== account) return;
    editing.saving = false;
    if (error instanceof ApiError && error.code === "edit_window_closed") conversation.editsRefused.add(message.uuid);
    // Deleted, or gone, meanwhile (a push this page missed): it reads the conversation to show what there is.
    const outdated = error instanceof ApiError && ["message_deleted", "message_not_found"].includes(error.code);
    if (outdated && conversation.current) catchUp(conversation, { now: true });
    if (conversation.editing === editing && conversation.current) {
      // Refused for good (the window closed, deleted, not mine): the message stays as it was. Busy, unreachable
      // or held back too long: the editor stays open, with the text, to save again.
      if (error instanceof ApiError && error.retryable) state.view.editor.busy(false);
      else stopEditing(conversation);
    }
    reportError(error);
  }
}

async function askDelete(uuid) {
  const conversation = state.conversation;
  const message = ownMessage(conversation, uuid);
  if (!message) return;
  const account = state.account;
  const confirmed = await state.deleteDialog.ask(message.message);
  if (state.account !== account || !conversation.current) return;
  if (!confirmed) {
    // Back where the question was asked: the editor, else the message's Delete button.
    if (conversation.editing?.uuid === uuid) state.view.editor.focus();
    else state.view.focus(focusKeys.onDeleteMessage(uuid)) || state.view.focus(uuid);
    return;
  }
  if (conversation.editing?.uuid === uuid) stopEditing(conversation, { refocus: false });
  state.view.focus(uuid);
  await deleteMessage(conversation, message);
}

async function deleteMessage(conversation, message) {
  const account = state.account;
  const groupUuid = conversation.group.uuid;
  try {
    // Deleting twice gives the same tombstone: a retry after a lost answer is harmless.
    const { data } = await deliver(() => state.api.deleteMessage(groupUuid, message.uuid), null, {
      limit: account.outbox.limit,
      onRetry: (error) => { if (state.account === account && !error.limited) showNotice(error.message); },
      stop: () => state.account !== account,
    });
    if (state.account !== account) return;
    showNotice("");
    applyUpdates(groupUuid, [{ ...data, message_group_uuid: groupUuid }]);
    say("Message deleted");
  } catch (error) {
    if (state.account === account) reportError(error);
  }
}

// Safety controls: block, mute, report, who may write to me ---------------------------------------------

// The open conversation as the list has it now (its flags change after it was opened).
const groupOf = (conversation) => state.list.find(conversation.group.uuid) ?? conversation.group;
const blocksMe = (account, handle) => account.blocks.has(handle.toLowerCase());

// The header's menu and mute label, and the composer: disabled while either member blocks the other (the list's
// `blocked`, or my own block list), with the reason said in place of it. The messages stay readable. Above the
// composer, a message request's banner (Accept, Block) or, on my own request, a quiet note that it waits.
function showConversationState() {
  const conversation = state.conversation;
  const group = conversation && state.account ? groupOf(conversation) : null;
  const blockedByMe = Boolean(group) && blocksMe(state.account, group.handle);
  const blocked = Boolean(group) && (Boolean(group.blocked) || blockedByMe);
  const inBanner = $("request-banner").contains(document.activeElement);
  const request = Boolean(group?.request) && !blocked;
  $("request-banner").hidden = !request;
  $("request-banner-text").textContent = request
    ? `${group.display_name} wants to message you. Replying accepts their message request.` : "";
  const awaiting = Boolean(group?.awaiting_acceptance) && !blocked;
  $("awaiting-note").hidden = !awaiting;
  $("awaiting-note").textContent = awaiting ? `Waiting for ${group.display_name} to accept your message request` : "";
  // Said with the composer too, for a screen reader that goes straight to it.
  $("composer-text").setAttribute("aria-describedby", ["composer-hint", request ? "request-banner-text" : null,
    awaiting ? "awaiting-note" : null].filter(Boolean).join(" "));
  // Accepted or blocked from the banner (or elsewhere): not left on a control that went away under the keyboard.
  if (inBanner && !request) (blocked ? $("blocked-note") : $("composer-text")).focus();
  const hadFocus = document.activeElement === $("composer-text") || document.activeElement === $("send");
  $("blocked-note").hidden = !blocked;
  $("blocked-note").textContent = blockedByMe
    ? "You can't send messages in this conversation: you blocked this person. Unblock them from the menu (⋯) to write again."
    : "You can't send messages in this conversation. Its messages stay here to read.";
  $("composer-text").disabled = blocked;
  $("send").disabled = blocked;
  if (blocked && hadFocus) $("blocked-note").focus();  // not left on a control that went away under the keyboard
  $("conversation-muted").hidden = !group?.muted;
  if (group) state.menu.set({ muted: Boolean(group.muted), blockedByMe, name: group.display_name });
}

// My block list, read whole (it is short): it decides whether the menu offers Block or Unblock.
async function loadBlocks() {
  const account = state.account;
  if (!account) return;
  const asked = ++account.blocksAsked;
  const handles = new Set();
  let path = null;
  try {
    for (let pages = 0; pages < BLOCKS_MAX_PAGES; pages += 1) {
      const { data, next } = await state.api.listBlocks(path);
      for (const entry of data) handles.add(entry.handle.toLowerCase());
      if (!next) break;
      path = next;
    }
  } catch (error) {
    if (state.account === account && signedOut(error)) reportError(error);
    return;  // anything else: the menu offers Block, which is safe to choose again (it is idempotent)
  }
  if (state.account !== account || asked !== account.blocksAsked) return;  // a later read, or a change, since
  account.blocks = handles;
  showConversationState();
}

// A block, an unblock, a mute or a change of settings spends the send allowance (the server counts them with
// sends): a 429 holds it as it holds sends, and busy or unreachable is tried again, as for every write.
function write(call) {
  const account = state.account;
  return deliver(call, null, {
    limit: account.outbox.limit,
    onRetry: (error) => { if (state.account === account && !error.limited) showNotice(error.message); },
    stop: () => state.account !== account,
  });
}

async function toggleMute() {
  const conversation = state.conversation;
  const account = state.account;
  if (!conversation || account.safetyBusy) return;
  const group = groupOf(conversation);
  account.safetyBusy = true;
  try {
    const { data } = await write(() => state.api.mute(group.uuid, !group.muted));
    if (state.account !== account) return;
    showNotice("");
    state.list.setFlags(group.uuid, { muted: data.muted });
    drawGroups();
    say(data.muted ? `Muted: no alerts for ${group.display_name}` : `Unmuted ${group.display_name}`);
  } catch (error) {
    if (state.account === account) reportError(error);
  } finally {
    account.safetyBusy = false;
  }
}

// From the open conversation's menu: the focus goes back to the menu's button.
function toggleBlock() {
  const conversation = state.conversation;
  if (!conversation) return;
  changeBlock(groupOf(conversation), {
    wanted: () => conversation.current,
    refocus: () => { if (conversation.current) state.menu.focusButton(); },
  });
}

// Block on a message request's row: the focus stays on its row (or, cancelled, on its Block button).
function blockRequest(group) {
  changeBlock(state.list.find(group.uuid) ?? group, {
    wanted: () => true,
    refocus: (done) => {
      if (!focusGroup($("requests"), group.uuid, done ? undefined : "block")) focusGroup($("groups"), group.uuid);
    },
  });
}

// Block on the open request's banner: the banner goes, and the focus with it onto the note that replaces the
// composer (cancelled: back on Block).
function blockFromBanner() {
  const conversation = state.conversation;
  if (!conversation) return;
  changeBlock(groupOf(conversation), {
    wanted: () => conversation.current,
    refocus: (done) => { if (conversation.current) (done ? $("blocked-note") : $("request-block")).focus(); },
  });
}

// Blocks the other member of `group` (asking first in the block dialog) or, if I block them, unblocks them.
// `wanted()`: still to be done once the dialog is answered; `refocus(done)`: the keyboard's place afterwards.
async function changeBlock(group, { wanted, refocus }) {
  const account = state.account;
  if (!account || account.safetyBusy) return;
  const unblocking = blocksMe(account, group.handle);
  account.safetyBusy = true;
  let done = false;
  try {
    if (!unblocking && !(await state.blockDialog.ask(group.display_name))) return;
    if (state.account !== account || !wanted()) return;
    const { data } = await write(() => (unblocking ? state.api.unblock(group.handle) : state.api.block(group.handle)));
    if (state.account !== account) return;
    showNotice("");
    account.blocksAsked += 1;  // a read of the list still on its way predates this
    if (data.blocked) account.blocks.add(group.handle.toLowerCase());
    else account.blocks.delete(group.handle.toLowerCase());
    // Unblocked: the other member may block me still; the list's next answer says (without saying who).
    state.list.setFlags(group.uuid, { blocked: data.blocked });
    drawGroups();
    say(data.blocked ? `You blocked ${group.display_name}` : `You unblocked ${group.display_name}`);
    done = true;
    refreshGroups();
  } catch (error) {
    if (state.account === account) reportError(error);
  } finally {
    account.safetyBusy = false;
    if (state.account === account) refocus(done);
  }
}

// A message request accepted (from its row or the banner): it moves to the conversations at once, from the
// answer; the list's next answer has the last word. Its starter may then write freely.
async function acceptRequest(group) {
  const account = state.account;
  if (!account || account.accepting.has(group.uuid)) return;
  account.accepting.add(group.uuid);
  try {
    const { data } = await write(() => state.api.accept(group.uuid));
    if (state.account !== account) return;
    showNotice("");
    state.list.setFlags(group.uuid, { request: data.request });
    drawGroups();
    say(`Accepted: ${group.display_name} is in your conversations now`);
  } catch (error) {
    if (state.account === account) reportError(error);
  } finally {
    account.accepting.delete(group.uuid);
  }
}

// Report is offered on the other person's messages; the dialog asks why.
function askReport(uuid) {
  const conversation = state.conversation;
  const message = conversation?.current ? conversation.messages.get(uuid) : null;
  if (!message || isMine(message) || message.deleted_at) return;
  const reporting = { account: state.account, conversation, message, sending: false };
  state.reportDialog.show(message.message, () => {
    if (state.reporting === reporting) state.reporting = null;
    // Back to where it was asked: the message's Report button, or the message once it is reported.
    if (conversation.current) state.view.focus(focusKeys.onReportMessage(uuid)) || state.view.focus(uuid);
  });
  state.reporting = reporting;
}

async function sendReport(reason, note) {
  const reporting = state.reporting;
  if (!reporting || reporting.sending) return;
  const { account, conversation, message } = reporting;
  const dialog = state.reportDialog;
  const wanted = () => state.account === account && state.reporting === reporting;
  reporting.sending = true;
  dialog.busy(true);
  try {
    // A report spends the send allowance: a 429 holds it as it holds sends.
    await deliver(() => state.api.reportMessage(conversation.group.uuid, message.uuid, reason, note), null, {
      limit: account.outbox.limit,
      onRetry: (error) => { if (wanted() && !error.limited) dialog.showError(error.message); },
      stop: () => !wanted(),
    });
    if (wanted()) reported(reporting, "Reported. Thank you: the moderators will look at it.");
  } catch (error) {
    if (!wanted()) return;
    reporting.sending = false;
    if (error instanceof ApiError && error.code === "already_reported") {
      reported(reporting, error.message);
      return;
    }
    dialog.busy(false);
    if (signedOut(error)) reportError(error);
    else dialog.showError(error.message);
  }
}

function reported({ account, conversation, message }, words) {
  account.reported.add(message.uuid);
  if (conversation.current) conversation.render({ follow: false });
  state.reportDialog.close();
  say(words);
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
    if (state.conversation && $("composer-text").value !== "") typingSender.typed(state.conversation.group.uuid);
    fitComposer();
  });
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    } else if (event.key === "ArrowUp" && !event.isComposing && !event.shiftKey && !event.altKey && !event.ctrlKey
      && !event.metaKey && $("composer-text").value === "") {
      // Up in an empty composer edits my last message, as in Slack (with text in it, Up moves the caret).
      const last = state.conversation?.lastEditable();
      if (!last) return;
      event.preventDefault();
      startEditing(last.uuid, { from: "composer" });
    }
  });
}

async function main() {
  state.view = new MessagesView({
    scroller: $("messages-scroll"), list: $("messages"), jump: $("jump"), onRetry: retry, onEdit: edit,
    onEditMessage: (uuid) => startEditing(uuid), onDeleteMessage: askDelete, onReportMessage: askReport,
  });
  state.deleteDialog = new DeleteDialog();
  state.blockDialog = new BlockDialog();
  state.reportDialog = new ReportDialog({ onSubmit: sendReport });
  state.menu = new ConversationMenu({ onMute: toggleMute, onBlock: toggleBlock });
  $("request-accept").addEventListener("click", () => {
    if (state.conversation) acceptRequest(groupOf(state.conversation));
  });
  $("request-block").addEventListener("click", blockFromBanner);
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    showNotice(error.message);
    return;
  }
  state.session = new Session(config.cognito, () => showSignIn("Your session has expired. Please sign in again."));
  state.websocketUrl = config.websocketUrl;
  state.editWindowMs = config.editWindowSeconds * 1000;
  state.api = new Api(config.apiUrl, state.session);
  state.dialog = new NewConversationDialog({
    onSubmit: startConversation,
    onEdit: () => { if (state.account && !state.account.newConversation.sending) state.account.newConversation.key = null; },
  });
  state.settings = new SettingsDialog({
    read: () => state.api.getSettings(),
    save: (settings) => write(() => state.api.putSettings(settings)),
    onError: (error) => { if (signedOut(error)) reportError(error); },  // anything else: the dialog says it
    onReceipts: readReceiptsChanged,
  });
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => showSignIn(""));
  wireComposer();
  $("load-older").addEventListener("click", loadOlder);
  $("messages-scroll").addEventListener("scroll", () => {
    if ($("messages-scroll").scrollTop < 40) loadOlder();
  });
  // Back in front: what arrived meanwhile is read now.
  document.addEventListener("visibilitychange", () => markRead(state.conversation));
  addEventListener("focus", () => markRead(state.conversation));
  $("back").addEventListener("click", () => {
    const left = state.conversation?.group.uuid;
    closeConversation();
    drawGroups();
    // The back button is gone: keyboard users carry on where they were, in the conversations or the requests.
    if (left && !focusGroup($("groups"), left)) focusGroup($("requests"), left);
  });
  showSignIn();
}

main();
