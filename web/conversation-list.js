// The conversation list as this page knows it: the API's answers (pattern B) brought up to date between them by
// what the page learns first (a pushed message, a send, a read marker). The API's list trails the messages a
// little (the stream processor writes previews and counts), so an answer never takes back what the page already
// knows to be newer.

const UNREAD_CAP = 100;  // the API's own cap

export class ConversationList {
  #groups = [];
  #readThrough = new Map();  // group uuid → created_at of the newest message known to be read
  #deleted = new Set();  // "group uuid message uuid" of deletions seen: a later push of an edit is old news

  get groups() { return this.#groups; }

  find(uuid) { return this.#groups.find((group) => group.uuid === uuid) ?? null; }

  // Message requests (someone I do not talk to yet wrote first) are listed apart from the conversations.
  get requests() { return this.#groups.filter((group) => group.request); }

  get conversations() { return this.#groups.filter((group) => !group.request); }

  // What the tab title counts: neither a muted conversation nor a message request ever does.
  totalUnread() {
    return this.conversations.reduce((total, group) =>
      total + (!group.muted && Number.isFinite(group.unread_count) ? group.unread_count : 0), 0);
  }

  // Whether the person should be alerted to a new message of this conversation.
  quiet(uuid) {
    const group = this.find(uuid);
    return Boolean(group?.muted || group?.request);
  }

  // What the page learnt before the list could say it (a mute, a block, an acceptance, a send refused as blocked
  // or as awaiting acceptance): the list's next answer has the last word.
  setFlags(uuid, flags) {
    const group = this.find(uuid);
    if (group) this.#put({ ...group, ...flags });
  }

  // How far the person has read a conversation, as far as this page knows (null: not known).
  readThrough(uuid) { return this.#readThrough.get(uuid) ?? null; }

  // An answer of pattern B. A conversation the page has newer news of keeps its preview and count.
  replace(answer) {
    const shown = new Map(this.#groups.map((group) => [group.uuid, group]));
    this.#groups = sortByActivity(answer.map((group) => {
      // Nothing unread after its last message: read at least that far (a marker never moves back).
      if (group.unread_count === 0) this.#raise(group.uuid, group.created_at);
      const known = shown.get(group.uuid);
      const newer = known && known.created_at > group.created_at;
      return this.#checked(newer
        ? { ...group, message: known.message, created_at: known.created_at, unread_count: known.unread_count }
        : group);
    }));
  }

  // New messages (pushed, or the answer to a send), oldest first. Returns the groups the list does not have
  // (only an answer of the API can say who a new conversation is with) and the messages that were news to it.
  noteMessages(messages, { isMine, readingNow }) {
    const unknown = new Set();
    const news = [];
    for (const message of messages) {
      const uuid = message.message_group_uuid;
      let group = this.find(uuid);
      if (!group) {
        unknown.add(uuid);
        continue;
      }
      const mine = isMine(message);
      if (mine) this.#raise(uuid, message.created_at);  // sending moves one's own read marker to the message
      // A reply accepts a message request (the server does it with the message): mine to one I received, or the
      // other member's to mine.
      if (mine ? group.request : group.awaiting_acceptance) {
        group = { ...group, request: false, awaiting_acceptance: false };
        this.#put(group);
      }
      if (message.created_at <= group.created_at) continue;  // pushed again, or the list already has newer
      let unread = group.unread_count;
      if (mine) unread = 0;
      else if (!readingNow(uuid)) unread = Math.min((unread ?? 0) + 1, UNREAD_CAP);
      this.#put({ ...group, message: message.message, created_at: message.created_at, unread_count: unread });
      news.push(message);
    }
    return { unknown, news };
  }

  // An edit or a deletion (pushed, or the answer to mine): the preview follows when it is of the conversation's
  // newest message; never the order (an update does not move a message) nor the count (the API's frames and
  // answers carry that). True if the preview changed.
  noteUpdate(message) {
    const group = this.find(message.message_group_uuid);
    if (!group || !sameTime(group.created_at, message.created_at)) return false;
    const key = `${group.uuid} ${message.uuid}`;
    if (this.#deleted.has(key) || group.message === message.message) return false;  // a deletion is final
    if (message.message === null) this.#deleted.add(key);
    this.#put({ ...group, message: message.message });
    return true;
  }

  // The API's read marker (our PUT's answer, or a pushed "unread" frame): {unread_count, last_read_at}.
  noteRead(uuid, { unread_count: unread, last_read_at: through }) {
    const known = this.readThrough(uuid);
    if (known && through < known) return;  // about an older marker than one we know of: old news
    this.#raise(uuid, through);
    const group = this.find(uuid);
    // The API's count, the newest word on it: a marker that is not old news comes with the count after it.
    if (group && Number.isInteger(unread)) this.#put({ ...group, unread_count: Math.min(Math.max(unread, 0), UNREAD_CAP) });
  }

  #raise(uuid, createdAt) {
    if (typeof createdAt !== "string") return;
    const known = this.#readThrough.get(uuid);
    if (!known || createdAt > known) this.#readThrough.set(uuid, createdAt);
  }

  // A count the page knows to be out of date (read through its last message since) is shown as nothing unread.
  #checked(group) {
    const through = this.readThrough(group.uuid);
    return through && through >= group.created_at && group.unread_count ? { ...group, unread_count: 0 } : group;
  }

  #put(group) {
    this.#groups = sortByActivity(this.#groups.map((g) => (g.uuid === group.uuid ? this.#checked(group) : g)));
  }
}

// The same instant, however many fractional digits each was written with (a message's time has milliseconds).
const sameTime = (a, b) => typeof a === "string" && typeof b === "string" && Date.parse(a) === Date.parse(b);

// Most recent activity first, as the API gives them; the sort is stable, so equal times keep their order.
function sortByActivity(groups) {
  return [...groups].sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""));
}
