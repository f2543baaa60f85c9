// Typing indicators (issue 25). While I type in a conversation, the page sends a typing frame at most once per
// TYPING_SEND_MS (the server relays at most that often anyway). A typing frame of the other member shows
// "<name> is typing…" under the open conversation and in the list's preview line, until TYPING_SHOW_MS pass
// without another, or a message from that member arrives. A screen reader hears it once per run of typing (a polite
// live region), not once per frame.

export const TYPING_SEND_MS = 2_000;
export const TYPING_SHOW_MS = 5_000;

export const isTyping = (frame) => ["message_group_uuid", "handle", "display_name"]
  .every((field) => typeof frame?.[field] === "string");

export const typingWords = (displayName) => `${displayName} is typing…`;

// Who is typing where, as the frames said: one entry per conversation, gone by its timer or a message.
export class TypingIndicators {
  #typing = new Map();  // group uuid → { handle, displayName, timer }
  #onChange;
  #announce;

  constructor({ onChange, announce }) {
    this.#onChange = onChange;
    this.#announce = announce;
  }

  note(frame) {
    const known = this.#typing.get(frame.message_group_uuid);
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => this.stopped(frame.message_group_uuid), TYPING_SHOW_MS);
    this.#typing.set(frame.message_group_uuid, { handle: frame.handle, displayName: frame.display_name, timer });
    if (!known) this.#announce(typingWords(frame.display_name));  // a new run: said once
    if (!known) this.#onChange();
  }

  // The run is over: its time passed, or a message of theirs arrived (then only if it is theirs: `handle`).
  stopped(groupUuid, handle = undefined) {
    const known = this.#typing.get(groupUuid);
    if (!known || (handle !== undefined && known.handle !== handle)) return;
    clearTimeout(known.timer);
    this.#typing.delete(groupUuid);
    this.#onChange();
  }

  // The display name of whoever is typing in the conversation, or null.
  of(groupUuid) {
    return this.#typing.get(groupUuid)?.displayName ?? null;
  }

  clear() {
    for (const { timer } of this.#typing.values()) clearTimeout(timer);
    const had = this.#typing.size > 0;
    this.#typing.clear();
    if (had) this.#onChange();
  }
}

// Sends a typing frame for a conversation at most once per TYPING_SEND_MS.
export class TypingSender {
  #sentAt = new Map();  // group uuid → when the last frame went
  #send;

  constructor(send) {
    this.#send = send;
  }

  typed(groupUuid, now = Date.now()) {
    const last = this.#sentAt.get(groupUuid);
    if (last !== undefined && now - last < TYPING_SEND_MS) return;
    if (this.#send(groupUuid)) this.#sentAt.set(groupUuid, now);
  }

  // A message went: the next keystroke says "typing" again at once.
  sent(groupUuid) {
    this.#sentAt.delete(groupUuid);
  }
}
