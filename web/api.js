// The Cruddur Messages API, with every error it can return turned into words for people.

const PLAIN_WORDS = {
  unauthorized: "Your session has expired. Please sign in again.",
  user_not_registered: "Your sign-in works, but there is no Cruddur profile for it yet.",
  not_a_member: "You are not part of this conversation.",
  user_not_found: "Nobody has that handle. Check the spelling and try again.",
  cannot_message_self: "You cannot start a conversation with yourself.",
  payload_too_large: "That message is too long to send.",
  invalid_json: "Something went wrong sending that. Please try again.",
  invalid_cursor: "Could not load older messages. Reopen the conversation.",
  idempotency_key_reused: "That message changed while it was being sent. Please send it again.",
  request_in_progress: "Still sending your previous message…",
  message_not_in_group: "That message is not in this conversation. Reopen the conversation.",
  conversation_full: "This conversation cannot take more messages. Its messages stay readable.",
  conversation_list_full: "A conversation list is full: this conversation cannot be started.",
  // Editing and deleting one's own messages (issue 23).
  not_the_sender: "Only the person who wrote a message can edit or delete it.",
  message_not_found: "That message is not there any more. Reopen the conversation.",
  message_deleted: "That message has been deleted, so it cannot be edited.",
  edit_window_closed: "This message can no longer be edited: the time for editing it is over. You can still delete it.",
  service_unavailable: "The service is busy right now. Trying again…",
  // Said when a request held back by a limit is given up on (while a send waits, a calm status says so).
  rate_limited: "You are going faster than Cruddur allows. Wait a moment and try again.",
  throttled: "Cruddur is busy right now. Wait a moment and try again.",
  // Safety controls (issue 24). A block never says who blocked whom, so neither do these words.
  blocked: "You can't send messages to this person.",
  not_accepting_messages: "This person is not accepting new conversations.",
  cannot_block_self: "You cannot block yourself.",
  already_reported: "You have already reported this message.",
  // Message requests: the server's own words are said instead (they name its limit); these if it gave none.
  awaiting_acceptance: "They have not accepted your message request yet: write again once they reply or accept.",
};

// Refusals whose server message is said as it is: it carries what only the server knows (a limit's number).
const SERVER_WORDS = new Set(["awaiting_acceptance"]);

// The words for an error code, for what the page itself refuses before asking (as the server would).
export const plainWords = (code) => PLAIN_WORDS[code];

// One key per message, kept across every retry of it (automatic or by hand): the API writes it once.
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ApiError extends Error {
  // `retryAfterMs`: how long the server asked us to wait (its Retry-After header), or null.
  constructor(status, code, words, retryable, retryAfterMs = null) {
    super(words);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }

  // The person is sending faster than the API takes: every send of theirs waits, not just this one.
  get limited() { return this.status === 429; }
}

// A send held back by the send limit until it was given up on, before the server was asked again.
export const rateLimited = () => new ApiError(429, "rate_limited", PLAIN_WORDS.rate_limited, true);

// Retry-After as delta-seconds or an HTTP date (RFC 9110 section 10.2.3); null when absent or unreadable.
export function retryAfterMs(value, now = Date.now()) {
  const text = value?.trim() ?? "";
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(date - now, 0);
}

export class Api {
  #baseUrl; #session;

  constructor(baseUrl, session) {
    this.#baseUrl = baseUrl;
    this.#session = session;
  }

  listGroups() { return this.#call("GET", "/api/message_groups?limit=50"); }

  // `signal` cancels the read: the page no longer wants the answer (another conversation was opened).
  listMessages(groupUuid, nextPath = null, signal = undefined) {
    return this.#call("GET", nextPath ?? `/api/messages/${encodeURIComponent(groupUuid)}?limit=20`, { signal });
  }

  postMessage(groupUuid, text, idempotencyKey) {
    const body = { message_group_uuid: groupUuid, message: text };
    return this.#call("POST", "/api/messages", { body, idempotencyKey });
  }

  startConversation(handle, text, idempotencyKey) {
    return this.#call("POST", "/api/message_groups", { body: { handle, message: text }, idempotencyKey });
  }

  // A new text for one of my messages: answers the message with `edited_at` (and its message_group_uuid).
  editMessage(groupUuid, messageUuid, text) {
    return this.#call("PATCH", messagePath(groupUuid, messageUuid), { body: { message: text } });
  }

  // Unsends one of my messages: answers its tombstone (`message` null, `deleted_at` set), the same one again if
  // it was deleted already.
  deleteMessage(groupUuid, messageUuid) {
    return this.#call("DELETE", messagePath(groupUuid, messageUuid));
  }

  // The read marker: seen up to this message (as pattern A gave it). Answers {uuid, unread_count, last_read_at}.
  markRead(groupUuid, { created_at: createdAt, uuid }) {
    return this.#call("PUT", `/api/message_groups/${encodeURIComponent(groupUuid)}/read`,
      { body: { created_at: createdAt, uuid } });
  }

  // Safety controls (issue 24). Block and unblock answer {handle, blocked}; both are idempotent.
  block(handle) { return this.#call("PUT", blockPath(handle)); }

  unblock(handle) { return this.#call("DELETE", blockPath(handle)); }

  // The people I block, [{handle, display_name, blocked_at}], a page at a time (`nextPath` from the last answer).
  listBlocks(nextPath = null) { return this.#call("GET", nextPath ?? "/api/blocks?limit=50"); }

  // {new_conversations: "everyone" | "nobody", read_receipts: true | false}: who may start a conversation with me,
  // and whether reads are shown ("Seen") both ways. A PUT changes only the settings it names.
  getSettings() { return this.#call("GET", "/api/settings"); }

  putSettings(settings) { return this.#call("PUT", "/api/settings", { body: settings }); }

  // Answers {uuid, muted}.
  mute(groupUuid, muted) {
    return this.#call("PUT", `/api/message_groups/${encodeURIComponent(groupUuid)}/mute`, { body: { muted } });
  }

  // A message request I received, accepted (no body): answers {uuid, request: false}.
  accept(groupUuid) {
    return this.#call("PUT", `/api/message_groups/${encodeURIComponent(groupUuid)}/accept`);
  }

  // A message of the other member's, to the moderators: 202 {report_id, status}; 409 already_reported.
  reportMessage(groupUuid, messageUuid, reason, note) {
    const body = note ? { reason, note } : { reason };
    return this.#call("POST", `${messagePath(groupUuid, messageUuid)}/report`, { body });
  }

  async #call(method, path, { body, idempotencyKey, signal } = {}, retried = false) {
    const headers = { Authorization: `Bearer ${await this.#session.accessToken()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    try {
      response = await fetch(this.#baseUrl + path, { method, headers, body: body && JSON.stringify(body), signal });
    } catch (error) {
      if (signal?.aborted) throw error;  // cancelled on purpose: not a connection problem to tell anyone about
      throw new ApiError(0, "network", "Cannot reach Cruddur. Check your connection; we will keep trying.", true);
    }
    if (response.status === 401 && !retried) {
      await this.#session.refresh();  // an access token can expire between the check and the call
      return this.#call(method, path, { body, idempotencyKey, signal }, true);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw toApiError(response.status, data, retryAfterMs(response.headers.get("Retry-After")));
    const link = response.headers.get("Link");
    const next = link && /<([^>]+)>;\s*rel="next"/.exec(link);
    // Pattern A's first page: where the other member has read up to ("Seen"), absent when it may not be shown.
    const seenUuid = response.headers.get("Other-Last-Read-Uuid");
    const seen = seenUuid ? { last_read_uuid: seenUuid, last_read_at: response.headers.get("Other-Last-Read-At") } : null;
    return { status: response.status, data, next: next ? next[1] : null, seen };
  }
}

const messagePath = (groupUuid, messageUuid) =>
  `/api/messages/${encodeURIComponent(groupUuid)}/${encodeURIComponent(messageUuid)}`;

const blockPath = (handle) => `/api/blocks/${encodeURIComponent(handle)}`;

function toApiError(status, data, retryAfter) {
  // {"error": "<code>", "message": ...}, or the same with the code inside an object: {"error": {"code", ...}}.
  const given = typeof data?.error === "object" && data.error !== null ? data.error.code : data?.error;
  const code = given ?? (status === 401 ? "unauthorized" : status === 429 ? "throttled" : "error");
  let words = PLAIN_WORDS[code];
  if (SERVER_WORDS.has(code) && typeof data?.message === "string" && data.message) {
    words = data.message;
  } else if (code === "validation_error") {
    const details = data.details ?? data.error?.details ?? [];
    const reasons = details.map((d) => `${d.field.replace(/_/g, " ")}: ${d.message}`);
    words = `Please check what you typed. ${reasons.join("; ") || data.message || data.error?.message}`;
  } else if (status === 429) {
    words ??= PLAIN_WORDS.throttled;
  }
  // A 409 is worth retrying only while the same key is still being served: a full conversation stays full.
  const retryable = status === 0 || code === "request_in_progress" || status === 429 || status >= 500;
  return new ApiError(status, code, words ?? "Something went wrong on our side. Please try again.", retryable,
    retryAfter);
}
