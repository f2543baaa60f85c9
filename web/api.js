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
  service_unavailable: "The service is busy right now. Trying again…",
};

// One key per message, kept across every retry of it (automatic or by hand): the API writes it once.
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ApiError extends Error {
  constructor(status, code, words, retryable) {
    super(words);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
  }
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

  // The read marker: seen up to this message (as pattern A gave it). Answers {uuid, unread_count, last_read_at}.
  markRead(groupUuid, { created_at: createdAt, uuid }) {
    return this.#call("PUT", `/api/message_groups/${encodeURIComponent(groupUuid)}/read`,
      { body: { created_at: createdAt, uuid } });
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
    if (!response.ok) throw toApiError(response.status, data);
    const link = response.headers.get("Link");
    const next = link && /<([^>]+)>;\s*rel="next"/.exec(link);
    return { status: response.status, data, next: next ? next[1] : null };
  }
}

function toApiError(status, data) {
  const code = data?.error ?? (status === 401 ? "unauthorized" : status === 429 ? "throttled" : "error");
  let words = PLAIN_WORDS[code];
  if (code === "validation_error") {
    const reasons = (data.details ?? []).map((d) => `${d.field.replace(/_/g, " ")}: ${d.message}`);
    words = `Please check what you typed. ${reasons.join("; ") || data.message}`;
  } else if (status === 429) {
    words = "Too many requests at once. Trying again in a moment…";
  }
  const retryable = status === 0 || status === 409 || status === 429 || status >= 500;
  return new ApiError(status, code, words ?? "Something went wrong on our side. Please try again.", retryable);
}
